"""Every hostile file dropped on the real window and on a blend slot, offscreen.

A file that loads becomes a tile with finite samples; one that doesn't costs
only itself: a one-line message in the status bar, nothing added, and the
window keeps working (the next good drop still loads).
"""

import numpy as np
import pytest

from sketchpad_measure.bench.hostile_files import build_corpus
from tests.ui.helpers import drop_files

LOAD_TIMEOUT_MS = 120000


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build_corpus(tmp_path_factory.mktemp("hostile-drop"), long_minutes=20)


def test_each_hostile_file_dropped_on_the_window(qtbot, window, corpus):
    for case in corpus:
        tiles_before = list(window.project.tiles)
        window.statusBar().clearMessage()
        drop_files(window, [case.path])
        qtbot.waitUntil(lambda: not window.is_loading, timeout=LOAD_TIMEOUT_MS)
        message = window.statusBar().currentMessage()
        added = [t for t in window.project.tiles if t not in tiles_before]
        if case.expect == "error":
            assert not added, case.name
            assert message.startswith("⚠") and case.path.name in message and "\n" not in message
        elif case.expect == "ok":
            assert len(added) == 1, f"{case.name}: {message}"
            clip = added[0]
            assert clip.frames >= 1 and np.all(np.isfinite(clip.samples)), case.name
            assert np.all(np.abs(clip.playback) <= 1.0), f"{case.name} would play above full scale"
            assert window.project.clip is clip and message.startswith("Loaded")
    # All at once: the good ones load, the bad ones are counted in one line.
    count = len(window.project.tiles)
    drop_files(window, [c.path for c in corpus if c.expect != "either"])
    qtbot.waitUntil(lambda: not window.is_loading, timeout=LOAD_TIMEOUT_MS)
    good = sum(c.expect == "ok" for c in corpus)
    bad = sum(c.expect == "error" for c in corpus)
    assert len(window.project.tiles) == count + good
    assert f"{bad} files could not be read" in window.statusBar().currentMessage()


def test_hostile_files_in_a_blend_slot(qtbot, window, corpus):
    qtbot.waitUntil(lambda: window.prompt_engine is not None, timeout=LOAD_TIMEOUT_MS)
    slot = window.blend_panel.slots["A"]
    for case in corpus:
        if case.expect == "either" or case.name.endswith("minute song"):
            continue
        drop_files(slot, [case.path])
        if case.expect == "error":
            qtbot.waitUntil(lambda: "⚠" in slot.detail.text(), timeout=LOAD_TIMEOUT_MS)
            assert "\n" not in slot.detail.text()
        else:
            qtbot.waitUntil(lambda: window.blend_panel.sources["A"] is not None
                            and window.blend_panel.sources["A"].clip.source_path == case.path
                            and window.blend_panel.sources["A"].latents is not None,
                            timeout=LOAD_TIMEOUT_MS)
            assert np.all(np.isfinite(window.blend_panel.sources["A"].latents)), case.name
