"""The Library tab end to end: import a real folder, hover, click, drag, search."""

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from sketchpad.audio.io import load_audio
from sketchpad.core.library_session import PREVIEW_SECONDS
from sketchpad.engine.registry import DEFAULT_SOUND_MODEL
from tests.sample_library import make_sample_library


def _mouse(widget, kind, pos: QPointF, buttons=Qt.MouseButton.NoButton,
           button=Qt.MouseButton.NoButton):
    local = QPointF(pos)
    event = QMouseEvent(kind, local, QPointF(widget.mapToGlobal(local.toPoint())), button,
                        buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def _imported(qtbot, window, folder):
    qtbot.waitUntil(lambda: window.prompt_engine is not None, timeout=60000)
    window.areas.setCurrentWidget(window.library_panel)
    panel = window.library_panel
    panel.import_folder(folder)
    qtbot.waitUntil(lambda: panel.library is not None, timeout=60000)
    qtbot.waitUntil(lambda: panel.session.layout_done, timeout=120000)
    return panel


def _empty_spot(panel):
    """A widget position on the map, away from every dot."""
    view = panel.map
    corners = [QPointF(x, y) for x in (15, view.width() - 15) for y in (15, view.height() - 15)]
    for pos in corners:
        point = view.plotItem.vb.mapSceneToView(view.mapToScene(pos.toPoint()))
        if view.dot_at(point) < 0:
            return pos
    raise AssertionError("no empty spot on the map")


def test_import_hover_click_and_synthesise(qtbot, window, tmp_path):
    facts = make_sample_library(tmp_path / "Samples")
    panel = _imported(qtbot, window, tmp_path / "Samples")
    assert len(panel.library) == facts["sounds"]
    assert panel.map.coords.shape == (facts["sounds"], 2)
    assert f"{facts['sounds']} sounds" in panel.info.text() and "4 files skipped" in panel.info.text()
    assert panel.session.layout_method in ("tsne", "umap", "pca") and panel.session.layout_scores
    viewport = panel.map.viewport()

    # Hover a dot: the start of its file goes to the player (the null device
    # plays faster than real time, so check what it was given).
    target = 5
    assert window.player.mixer.clip is None
    _mouse(viewport, QEvent.Type.MouseMove, QPointF(panel.map.view_pos_of(target)))
    qtbot.waitUntil(lambda: panel.map.hover_index == target, timeout=3000)
    qtbot.waitUntil(lambda: window.player.mixer.clip is not None, timeout=5000)
    preview = window.player.mixer.clip
    expected = load_audio(panel.library.path(target)).samples
    assert preview.shape[0] == min(len(expected), int(PREVIEW_SECONDS * 44100))
    assert np.allclose(preview[:, 0], expected[: len(preview), 0], atol=1e-6)

    # Click it: it becomes the current sound (views and sliders follow).
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=panel.map.view_pos_of(target))
    qtbot.waitUntil(lambda: window.project.clip is not None
                    and window.project.clip.source_path == panel.library.path(target), timeout=10000)
    assert panel.map.selected_index == target
    qtbot.waitUntil(lambda: window.waveform.clip is window.project.clip, timeout=2000)  # a frame later

    # Click empty space: a new sound synthesised from the anchors around that point.
    spot = _empty_spot(panel)
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=spot.toPoint())
    qtbot.waitUntil(lambda: window.project.clip.name.startswith("map "), timeout=10000)
    clip = window.project.clip
    assert " by multilateration from " in clip.origin.recipe and clip.latents is not None
    assert np.isfinite(clip.samples).all() and np.abs(clip.samples).max() > 1e-4


def test_dragging_plays_a_changing_sound_and_each_expander_works(qtbot, window, tmp_path):
    make_sample_library(tmp_path / "Samples")
    panel = _imported(qtbot, window, tmp_path / "Samples")
    viewport = panel.map.viewport()
    start = _empty_spot(panel)
    names = set()
    window.project.clip_changed.connect(lambda clip: clip and names.add(clip.name))
    _mouse(viewport, QEvent.Type.MouseButtonPress, start, Qt.MouseButton.LeftButton,
           Qt.MouseButton.LeftButton)
    centre = QPointF(viewport.width() / 2, viewport.height() / 2)
    for step in range(1, 9):
        pos = start + (centre - start) * (step / 8)
        _mouse(viewport, QEvent.Type.MouseMove, pos, Qt.MouseButton.LeftButton)
        qtbot.wait(60)
    qtbot.waitUntil(lambda: len(names) >= 3, timeout=10000)
    assert window.player.mixer.loop  # a scrubbed sound loops on while the cursor moves
    _mouse(viewport, QEvent.Type.MouseButtonRelease, centre, Qt.MouseButton.NoButton,
           Qt.MouseButton.LeftButton)

    for index in range(panel.expander.count()):
        panel.expander.setCurrentIndex(index)
        method = panel.expander.currentData()
        panel.session.synthesise(0.05 * index, -0.05, method)
        qtbot.waitUntil(lambda m=method: window.project.clip.name.startswith(f"map {m} ("),
                        timeout=10000)
        assert np.isfinite(window.project.clip.samples).all()


def test_search_more_like_this_and_a_bad_folder(qtbot, window, tmp_path):
    make_sample_library(tmp_path / "Samples")
    panel = _imported(qtbot, window, tmp_path / "Samples")
    panel.search_box.setText("hat")
    qtbot.keyClick(panel.search_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(panel.session.matches) > 0, timeout=10000)
    assert panel.library.sounds[panel.session.matches[0]].category == "Hats"
    assert len(panel.map.marks.data) == len(panel.session.matches)

    panel.map.set_selected(0)
    panel.more_button.click()
    assert len(panel.map.marks.data) == 12

    panel.colour_by.setCurrentIndex(1)  # k-means clusters
    assert len(panel.map.dots.data) == len(panel.library)

    messages = []
    window.statusBar().messageChanged.connect(lambda text: text and messages.append(text))
    panel.import_folder(tmp_path / "nope")
    assert messages and "Not a folder" in messages[-1]
    assert len(panel.library) > 0  # the map is still there


def test_train_on_library_makes_a_model_to_pick(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setenv("SKETCHPAD_HOME", str(tmp_path / "home"))
    make_sample_library(tmp_path / "Samples", per_kind=2)
    qtbot.waitUntil(lambda: window.prompt_engine is not None, timeout=60000)
    messages = []
    window.statusBar().messageChanged.connect(lambda text: text and messages.append(text))
    job = window.start_training(tmp_path / "Samples", "my-kit", steps=2, shipped_sounds=0)
    qtbot.waitUntil(lambda: any("my-kit" in m and "ready" in m for m in messages), timeout=240000)
    assert not job.cancelled
    assert (tmp_path / "home" / "models" / "my-kit" / "weights.safetensors").is_file()

    window.model_menu.aboutToShow.emit()  # as opening the menu does
    entries = {a.text(): a for a in window.model_menu.actions()}
    assert entries["my-kit"].isEnabled() and entries[DEFAULT_SOUND_MODEL].isChecked()
    entries["my-kit"].trigger()
    qtbot.waitUntil(lambda: window.prompt_engine.model.name == "my-kit", timeout=60000)
    assert window.settings.value("model/name") == "my-kit"
