"""The producer's loop on the shipped models: prompt, tiles, audition, export."""

from PySide6.QtCore import Qt

from sketchpad.audio.export import read_wav_metadata


def _ready(qtbot, window):
    qtbot.waitUntil(lambda: window.generator is not None, timeout=60000)


def test_prompt_fills_tiles_and_number_keys_audition(qtbot, window, tmp_path):
    _ready(qtbot, window)
    window.prompt_bar.seed.setValue(11)
    qtbot.keyClicks(window.prompt_bar.edit, "punchy kick")
    qtbot.keyClick(window.prompt_bar.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(window.project.tiles) == 8, timeout=60000)
    assert window.project.prompt_history[0] == "punchy kick"
    assert len(window.tile_grid.tiles) == 8
    assert window.project.clip is window.project.tiles[0]  # the first result is shown
    assert window.prompt_bar.seed.value() == 12  # next generation takes the next seed
    window.tile_grid.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_3)
    assert window.project.clip is window.project.tiles[2]
    assert window.engine.is_playing or window.engine.mixer.finished
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
