"""The whole audition loop end to end, offscreen, on the shipped models and a real
PortAudio stream: prompt, tiles, audition, shape, keep, export, undo, restart."""

import numpy as np
import soundfile as sf
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from sketchpad.audio.export import read_wav_metadata
from sketchpad.audio.playback import Player
from sketchpad.ui.main_window import MainWindow
from sketchpad.ui.wav_out import wav_mime_data
from tests.ui.helpers import drop_files, write_tone

MODEL_TIMEOUT_MS = 60000


def _heard(window, clip) -> bool:
    """Whether the player holds exactly ``clip``'s playback buffer."""
    held = window.player.mixer.clip
    return held is not None and np.shares_memory(held, clip.playback)


def _generate(qtbot, window, prompt, seed=5, count=8):
    qtbot.waitUntil(lambda: window.prompt_engine is not None and window.session_restored,
                    timeout=MODEL_TIMEOUT_MS)
    window.prompt_bar.seed.setValue(seed)
    window.prompt_bar.edit.clear()
    qtbot.keyClicks(window.prompt_bar.edit, prompt)
    window.prompt_bar.count.setValue(count)
    qtbot.keyClick(window.prompt_bar.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(window.project.tiles) == count
                    and window.project.tiles[0].origin.prompt == prompt
                    and window.project.clip is window.project.tiles[0],  # the first is shown
                    timeout=MODEL_TIMEOUT_MS)
    assert _heard(window, window.project.tiles[0])  # at once, as a draft where the model refines
    _finished(qtbot, window)


def _finished(qtbot, window):
    """Wait until the finished sounds replaced the drafts and the pool is idle."""
    qtbot.waitUntil(lambda: not window.refiner.drafts() and window.pool.pending == 0,
                    timeout=MODEL_TIMEOUT_MS)


def _move_slider(qtbot, window, value=200):
    before = window.project.clip
    name = window.prompt_engine.model.directions[0].name
    window.slider_panel.slider(name).setValue(value)
    qtbot.waitUntil(lambda: window.project.clip is not before, timeout=MODEL_TIMEOUT_MS)
    return before, window.project.clip


def test_prompt_audition_shape_export_undo_restart(qtbot, window, settings, session_folder,
                                                    tmp_path):
    _generate(qtbot, window, "warm pad C3")
    first = window.project.tiles[0]
    assert window.project.clip is first and not first.origin.draft

    qtbot.keyClick(window, Qt.Key.Key_4)  # number keys audition at once
    fourth = window.project.tiles[3]
    assert window.project.clip is fourth and _heard(window, fourth)

    original, shaped = _move_slider(qtbot, window)
    assert _heard(window, shaped) and not np.allclose(shaped.samples, original.samples, atol=1e-3)
    _finished(qtbot, window)  # the finished sound replaces the slider move's draft in place
    shaped = window.project.clip
    assert not shaped.origin.draft and (_heard(window, shaped) or not window.player.is_playing)
    assert window.project.tiles[3] is shaped and window.tile_grid.tiles[3].clip is shaped

    qtbot.keyClick(window, Qt.Key.Key_K)  # keep it
    assert window.project.kept == [shaped] and window.kept_grid.tiles[0].clip is shaped

    window.export_current()
    exports = tmp_path / "exports"
    qtbot.waitUntil(lambda: any(exports.glob("*.wav")), timeout=10000)
    wav = next(exports.glob("*.wav"))
    audio, rate = sf.read(wav, dtype="float32")
    assert rate == 44100 and len(audio) == shaped.frames
    assert "warm pad C3" in read_wav_metadata(wav)["ICMT"]

    # Undo walks back: the keep, then the slider move (the original sound returns).
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.project.kept == []
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.project.tiles[3] is original and window.project.clip is original
    assert window.slider_panel.state().is_neutral()
    window.redo()
    assert window.project.clip is shaped
    assert window.slider_panel.state().directions[window.prompt_engine.model.directions[0].name] == 2.0
    window.redo()
    assert window.project.kept == [shaped]

    # A new generation replaces the tiles but not the kept tray.
    _generate(qtbot, window, "punchy 808 kick", seed=9, count=4)
    assert window.project.kept == [shaped] and shaped not in window.project.tiles

    # Restart: the tiles, the kept sound, the slider values and the prompt come back.
    tiles = [t.samples for t in window.project.tiles]
    window.close()
    again = MainWindow(player=Player(), settings=settings, session_folder=session_folder)
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.session_restored and again.prompt_engine is not None,
                    timeout=MODEL_TIMEOUT_MS)
    assert [t.origin.prompt for t in again.project.tiles] == ["punchy 808 kick"] * 4
    for restored, before in zip(again.project.tiles, tiles):
        np.testing.assert_array_equal(restored.samples, before)
    kept = again.project.kept[0]
    np.testing.assert_array_equal(kept.samples, shaped.samples)
    assert kept.origin.sliders == shaped.origin.sliders
    assert kept.origin.source.latents is not None
    assert again.prompt_bar.edit.text() == "punchy 808 kick"
    assert again.project.prompt_history[:2] == ["punchy 808 kick", "warm pad C3"]
    assert again.prompt_bar.seed.value() == 10  # the next seed, as it was
    again.audition(kept)
    assert again.slider_panel.state().directions == shaped.origin.sliders.directions
    again.close()


def test_more_like_this_and_remove_are_undoable(qtbot, window):
    _generate(qtbot, window, "plucky bass E2", count=4)
    before = list(window.project.tiles)
    target = window.project.tiles[1]
    window.more_like_this(target)
    qtbot.waitUntil(lambda: window.project.tiles and window.project.tiles[0] not in before,
                    timeout=MODEL_TIMEOUT_MS)
    variations = window.project.tiles
    assert len(variations) == 4 and all(v.origin.prompt == target.origin.prompt
                                        for v in variations)
    assert not np.allclose(variations[0].samples[:1000], variations[1].samples[:1000])
    window.tile_grid.activate(2)
    qtbot.keyClick(window, Qt.Key.Key_Delete)
    assert len(window.project.tiles) == 3 and variations[2] not in window.project.tiles
    window.undo()
    assert window.project.tiles == variations
    window.undo()
    assert window.project.tiles == before


def test_dropped_files_become_tiles_and_drag_out_writes_a_wav(qtbot, window, tmp_path):
    paths = [write_tone(tmp_path / f"tone{i}.wav", seconds=0.5, freq=220.0 * (i + 1))
             for i in range(3)]
    drop_files(window, paths)
    qtbot.waitUntil(lambda: len(window.project.tiles) == 3, timeout=20000)
    assert [t.name for t in window.project.tiles] == ["tone0", "tone1", "tone2"]
    assert window.project.clip is window.project.tiles[0]
    mime = wav_mime_data(window.project.tiles[1], tmp_path / "dragged",
                         bit_depth="pcm16", rate=48000)
    [url] = mime.urls()
    audio, rate = sf.read(url.toLocalFile(), dtype="float32")
    assert url.isLocalFile() and rate == 48000 and len(audio) == 24000
    window.undo()
    assert window.project.tiles == [] and window.project.clip is None


def test_window_renders_to_png(qtbot, window, tmp_path):
    _generate(qtbot, window, "bright bell C5", count=8)
    window.toggle_keep(window.project.tiles[2])
    qtbot.wait(100)
    path = tmp_path / "window.png"
    assert window.grab().save(str(path))
    image = QImage(str(path))
    assert image.width() >= 1280 and image.height() >= 700
    # Not a blank frame: the dark theme plus drawn waveforms gives many distinct colours.
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7)
               for y in range(0, image.height(), 7)}
    assert len(colours) > 50


def test_a_slow_shape_keeps_its_undo_step(qtbot, window):
    # The gesture window closes long before the reshaped sound comes back (as on a busy
    # CPU): the move must still be one undo step that brings the original back.
    _generate(qtbot, window, "punchy 808 kick", count=4)
    window.shaping.gesture_seconds = 0.0  # every gesture is over before its sound is made
    original, shaped = _move_slider(qtbot, window, value=150)
    assert window.project.clip is shaped and shaped is not original
    assert window.project.history.undo_label == "Shape"
    window.undo()
    assert window.project.clip is original
