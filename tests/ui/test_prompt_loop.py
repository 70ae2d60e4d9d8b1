"""The producer's loop on the shipped models: prompt, tiles, audition, export."""

import numpy as np
from PySide6.QtCore import Qt

from sketchpad.audio.export import read_wav_metadata
from sketchpad.engine.registry import DEFAULT_SOUND_MODEL


def _shown(window, count: int) -> bool:
    """``count`` new tiles, the first of them shown (that happens a turn of the event loop later)."""
    return len(window.project.tiles) == count and window.project.clip is window.project.tiles[0]


def _ready(qtbot, window):
    qtbot.waitUntil(lambda: window.prompt_engine is not None, timeout=60000)


def _finished(qtbot, window):
    """Wait until every draft was replaced by its finished sound and the pool is idle."""
    qtbot.waitUntil(lambda: not window.refiner.drafts() and window.pool.pending == 0,
                    timeout=60000)


def test_prompt_fills_tiles_and_number_keys_audition(qtbot, window, tmp_path):
    _ready(qtbot, window)
    window.prompt_bar.seed.setValue(11)
    qtbot.keyClicks(window.prompt_bar.edit, "punchy kick")
    qtbot.keyClick(window.prompt_bar.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _shown(window, 8), timeout=60000)  # the first result is shown
    assert window.project.prompt_history[0] == "punchy kick"
    assert len(window.tile_grid.tiles) == 8
    assert window.prompt_bar.seed.value() == 12  # next generation takes the next seed
    window.tile_grid.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_3)
    assert window.project.clip is window.project.tiles[2]
    assert window.player.is_playing or window.player.mixer.finished
    qtbot.keyClick(window.tile_grid, Qt.Key.Key_Right)
    assert window.project.clip is window.project.tiles[3]
    out = tmp_path / "kick.wav"
    window.export_to(out)
    qtbot.waitUntil(out.exists, timeout=10000)
    meta = read_wav_metadata(out)
    assert "punchy kick" in meta["ICMT"] and "11" in meta["ICMT"]


def test_prompt_history_recalls_with_up(qtbot, window):
    bar = window.prompt_bar
    bar.history[:] = ["warm pad C3", "deep 808"]
    qtbot.keyClick(bar.edit, Qt.Key.Key_Up)
    assert bar.edit.text() == "warm pad C3"
    qtbot.keyClick(bar.edit, Qt.Key.Key_Up)
    assert bar.edit.text() == "deep 808"
    qtbot.keyClick(bar.edit, Qt.Key.Key_Down)
    assert bar.edit.text() == "warm pad C3"


def test_slider_move_redecodes_the_sound(qtbot, window):
    _ready(qtbot, window)
    window.generate("warm pad C3", 4, 3)
    qtbot.waitUntil(lambda: _shown(window, 4), timeout=60000)
    _finished(qtbot, window)
    original = window.project.clip
    names = [d.name for d in window.prompt_engine.model.directions[:8]]
    assert names and window.slider_panel.isEnabled()
    window.slider_panel.slider(names[0]).setValue(200)  # +2 standard deviations
    qtbot.waitUntil(lambda: window.project.clip is not original, timeout=30000)
    _finished(qtbot, window)
    shaped = window.project.clip
    assert shaped.frames == original.frames and shaped.origin.prompt == "warm pad C3"
    assert shaped.origin.sliders.directions[names[0]] == 2.0
    assert window.project.tiles[0] is shaped
    assert not np.allclose(shaped.samples, original.samples, atol=1e-3)
    window.slider_panel.reset()  # back to neutral: the original sound again
    qtbot.waitUntil(lambda: window.project.clip is not shaped, timeout=30000)
    body = original.frames - 4410  # the last 100 ms differ by the end fade and padding
    np.testing.assert_allclose(window.project.clip.samples[:body], original.samples[:body], atol=2e-3)


def test_slider_drag_does_not_pile_up_jobs(qtbot, window):
    _ready(qtbot, window)
    window.generate("bright piano", 2, 1)
    qtbot.waitUntil(lambda: _shown(window, 2), timeout=60000)
    slider = window.slider_panel.slider("Noise")
    for value in range(0, 101, 5):  # 21 moves in one burst, like a drag
        slider.setValue(value)
    assert window.pool.pending <= 3  # at most the running job and one waiting
    qtbot.waitUntil(lambda: window.pool.pending == 0, timeout=30000)
    assert window.project.clip.origin.sliders.noise == 1.0


def test_guidance_and_intensity_reach_the_generator(qtbot, window):
    _ready(qtbot, window)
    assert window.prompt_engine.name == "generator" and window.prompt_bar.guidance.isEnabled()
    window.prompt_bar.guidance.setValue(1.5)
    window.prompt_bar.velocity.setCurrentIndex(window.prompt_bar.velocity.findText("soft"))
    window.generate("tight snare", 2, 4)
    qtbot.waitUntil(lambda: len(window.project.tiles) == 2, timeout=60000)
    _finished(qtbot, window)
    expected = window.prompt_engine.generate("tight snare", count=2, seed=4, guidance=1.5, velocity=40)
    assert np.allclose(window.project.tiles[1].samples[:, 0], expected[1].audio, atol=1e-4)
    assert window.project.tiles[0].origin.model == f"generator:{DEFAULT_SOUND_MODEL}"


def test_engine_choice_switches_and_is_remembered(qtbot, window, settings):
    _ready(qtbot, window)
    bar = window.prompt_bar
    bar.engine.setCurrentIndex(bar.engine.findData("retrieval"))
    qtbot.waitUntil(lambda: window.prompt_engine is not None and window.prompt_engine.name == "retrieval",
                    timeout=60000)
    assert settings.value("model/engine") == "retrieval" and not bar.guidance.isEnabled()
    assert "(retrieval)" in window.model_label.text()
    window.generate("tight snare", 2, 0)
    qtbot.waitUntil(lambda: len(window.project.tiles) == 2, timeout=60000)
    assert window.project.tiles[0].origin.model == f"retrieval:{DEFAULT_SOUND_MODEL}"


def test_drafts_play_first_and_are_finished_once_the_hand_rests(qtbot, window):
    """The shipped vocoder refines: tiles and slider moves arrive as drafts (the network
    alone), and the finished sounds replace them with no undo step of their own."""
    _ready(qtbot, window)
    model = window.prompt_engine.model
    assert model.refines
    arrived = []
    window.project.tiles_changed.connect(lambda tiles: arrived.append(list(tiles)))
    window.generate("warm pad C3", 3, 5)
    qtbot.waitUntil(lambda: _shown(window, 3), timeout=60000)
    assert arrived and all(tile.origin.draft for tile in arrived[0])
    _finished(qtbot, window)
    finished = window.project.tiles
    assert not any(tile.origin.draft for tile in finished)
    assert window.project.clip is finished[0] and window.project.history.undo_label == "Generate"
    for draft, done in zip(arrived[0], finished):
        assert draft.origin.seed == done.origin.seed and draft.frames == done.frames
        assert not np.allclose(draft.samples, done.samples, atol=1e-4)

    shown = []
    window.project.clip_changed.connect(shown.append)
    name = model.directions[0].name
    window.slider_panel.slider(name).setValue(150)
    _finished(qtbot, window)
    assert shown[0].origin.draft and shown[0].origin.sliders.directions[name] == 1.5
    final = window.project.clip
    assert not final.origin.draft and final.origin.sliders == shown[0].origin.sliders
    assert final.origin.source is finished[0] and window.project.tiles[0] is final
    assert window.project.history.undo_label == "Shape"
    window.undo()
    assert window.project.clip is finished[0]
