"""The Kit tab in the real window: pads, pattern, keys, drops, export and restart."""

import numpy as np
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtWidgets import QApplication

from sketchpad.audio.playback import Player
from sketchpad.ui.main_window import MainWindow
from sketchpad.ui.wav_out import CLIP_MIME

from tests.ui.helpers import drop_files, drop_mime, write_tone


def _open_tone(qtbot, window, path, freq=330.0):
    window.open_file(write_tone(path, seconds=0.5, freq=freq))
    qtbot.waitUntil(lambda: not window.is_loading and window.project.clip is not None, timeout=20000)
    return window.project.clip


def _notes_played(window):
    return window.player.voices.latencies_ms().size


def test_pads_pattern_and_computer_keys(qtbot, window, tmp_path):
    window.views.setCurrentIndex(2)
    panel = window.kit_binding.panel
    assert "unavailable" in panel.midi_label.text() or "MIDI:" in panel.midi_label.text()
    clip = _open_tone(qtbot, window, tmp_path / "tone.wav")
    qtbot.keyClick(window, Qt.Key.Key_P)
    assert window.kit.pads[0].clip is clip and panel.pads[0].title.text() == clip.name
    qtbot.keyClick(window, Qt.Key.Key_P)  # the selected pad is full: the next free one
    assert window.kit.pads[1].clip is clip and panel.selected == 1

    qtbot.mouseClick(panel.pads[0], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _notes_played(window) == 1, timeout=3000)

    qtbot.mouseClick(panel.cells[0][4], Qt.MouseButton.LeftButton)
    assert window.kit.pattern.velocity[0][4] == 1.0 and panel.cells[0][4].isChecked()
    panel.tempo.setValue(174.0)
    assert window.kit.pattern.tempo_bpm == 174.0
    panel.play_button.click()
    assert window.player.voices.sequence_running
    qtbot.waitUntil(lambda: panel._shown_step >= 0, timeout=3000)
    panel.play_button.click()
    assert not window.player.voices.sequence_running

    # The computer keyboard plays while switched on; K then plays instead of keeping.
    played = _notes_played(window)
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert window.computer_keys_action.isChecked() and panel.computer_keys.isChecked()
    window.tile_grid.setFocus()
    target = QApplication.focusWidget() or window
    qtbot.keyPress(target, Qt.Key.Key_A)
    qtbot.keyRelease(target, Qt.Key.Key_A)
    qtbot.keyClick(target, Qt.Key.Key_K)
    qtbot.waitUntil(lambda: _notes_played(window) == played + 2, timeout=3000)
    assert not window.project.is_kept(clip)
    # In a text field the letters are text.
    window.prompt_bar.edit.setFocus()
    qtbot.keyClicks(window.prompt_bar.edit, "ask")
    assert window.prompt_bar.edit.text() == "ask" and _notes_played(window) == played + 2
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert not window.computer_keys.enabled


def test_drops_fill_pads_and_the_kit_exports(qtbot, window, tmp_path, settings):
    panel = window.kit_binding.panel
    window.views.setCurrentIndex(2)
    drop_files(panel.pads[5], [write_tone(tmp_path / "dropped.wav", seconds=0.4, freq=500.0)])
    qtbot.waitUntil(lambda: not window.kit.pads[5].empty, timeout=20000)
    assert window.kit.pads[5].name == "dropped"
    clip = _open_tone(qtbot, window, tmp_path / "tile.wav")
    mime = QMimeData()
    mime.setData(CLIP_MIME, clip.uid.encode())
    drop_mime(panel.pads[2], mime)
    assert window.kit.pads[2].clip is clip  # the tile itself, with its prompt and latents
    panel.export_requested.emit()
    folder = tmp_path / "exports" / "Sketchpad kit"
    qtbot.waitUntil(lambda: (folder / "Sketchpad kit.sfz").exists(), timeout=20000)
    assert sorted(p.suffix for p in folder.iterdir()) == [".mid", ".sfz", ".wav", ".wav"]


def test_an_empty_kit_says_so_and_the_window_keeps_working(qtbot, window):
    window.kit_binding.export()
    assert "empty" in window.statusBar().currentMessage()
    window.kit_binding.panel.play_button.click()  # an empty pattern plays silence
    window.kit_binding.panel.play_button.click()
    assert window.isVisible()


def test_the_kit_comes_back_after_a_restart(qtbot, window, tmp_path, settings, session_folder):
    qtbot.waitUntil(lambda: window.session_restored, timeout=20000)
    clip = _open_tone(qtbot, window, tmp_path / "keep.wav")
    window.kit.assign(7, clip)
    window.kit.update_pad(7, gain_db=-4.5, pan=0.25, choke_group=2)
    window.kit.toggle_step(7, 3, 0.5)
    window.close()
    again = MainWindow(player=Player(), settings=settings, session_folder=session_folder)
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.session_restored and not again.kit.pads[7].empty, timeout=20000)
    pad = again.kit.pads[7]
    assert (pad.gain_db, pad.pan, pad.choke_group) == (-4.5, 0.25, 2)
    np.testing.assert_array_equal(pad.clip.samples, clip.samples)
    assert again.kit.pattern.velocity[7][3] == 0.5
    assert again.kit_binding.panel.cells[7][3].isChecked()
    again.close()


def test_preferences_pick_the_midi_input(qtbot, settings):
    from sketchpad.ui.preferences import ExportSettings, PreferencesDialog

    dialog = PreferencesDialog(ExportSettings(settings), midi=(["Keystation 49"], "(none)",
                                                               None))
    qtbot.addWidget(dialog)
    labels = [dialog.midi.itemText(i) for i in range(dialog.midi.count())]
    assert labels == ["First connected keyboard", "None", "Keystation 49"]
    assert dialog.midi_port() == "(none)"
    dialog.midi.setCurrentIndex(2)
    assert dialog.midi_port() == "Keystation 49"
    gone = PreferencesDialog(ExportSettings(settings), midi=([], "Keystation 49", "no sequencer"))
    qtbot.addWidget(gone)
    assert gone.midi.currentText() == "Keystation 49 (not connected)"
    assert "no sequencer" in gone.midi.toolTip()


def test_the_audio_buffer_is_a_preference_that_reopens_the_output(qtbot, window, settings):
    from sketchpad.ui.preferences import BUFFER_SETTING, PreferencesDialog

    assert window.player.open() and window.player.buffer_periods == 4
    dialog = PreferencesDialog(window.export_settings, window, midi=([], "", None))
    qtbot.addWidget(dialog)
    assert dialog.buffer.currentData() == 4
    dialog.buffer.setCurrentIndex(dialog.buffer.findData(8))
    dialog.accept()
    assert int(settings.value(BUFFER_SETTING)) == 8
    window.player.set_buffer_periods(8)
    assert window.player.buffer_periods == 8 and window.player.poll()
    assert abs(window.player.latency_s - 8 * 512 / 44100) < 1e-9


def test_a_draft_goes_onto_a_pad_finished(qtbot, window):
    """A tile put on a pad before its finished sound arrived: the pad gets the finished one."""
    qtbot.waitUntil(lambda: window.prompt_engine is not None, timeout=60000)
    window.generate("punchy kick", 2, 1)
    qtbot.waitUntil(lambda: len(window.project.tiles) == 2
                    and window.project.clip is window.project.tiles[0], timeout=60000)
    draft = window.project.tiles[1]
    assert draft.origin.draft
    window.kit_binding.put_on_pad(draft)
    qtbot.waitUntil(lambda: not window.kit.pads[0].empty, timeout=30000)
    on_pad = window.kit.pads[0].clip
    assert not on_pad.origin.draft and on_pad.origin.seed == draft.origin.seed
    assert on_pad.origin.index == draft.origin.index  # its tail is trimmed on the finished sound


def test_a_draft_leaves_the_app_finished_by_drag_and_enters_a_blend_slot_finished(qtbot, window, monkeypatch,
                                                                                 tmp_path):
    """Dragging a tile out before its finished sound arrived writes the finished sound, and a
    tile sent to a blend slot arrives there finished."""
    import soundfile as sf

    import sketchpad.ui.main_window as main_window

    qtbot.waitUntil(lambda: window.prompt_engine is not None, timeout=60000)
    window.refiner.refine = lambda model: None  # keep the tiles drafts until they are used
    window.generate("warm pad C3", 2, 3)
    qtbot.waitUntil(lambda: len(window.project.tiles) == 2 and window.pool.pending == 0, timeout=60000)
    first, second = window.project.tiles
    assert first.origin.draft and second.origin.draft
    dragged = []
    monkeypatch.setattr(main_window, "start_wav_drag", lambda widget, clip, folder, **kw: dragged.append(clip))
    window.drag_out(second, window)
    [clip] = dragged
    assert not clip.origin.draft and clip.origin.seed == second.origin.seed
    assert window.project.tiles[1] is clip  # the draft was replaced in the project too
    from sketchpad.ui.wav_out import wav_mime_data

    [url] = wav_mime_data(clip, tmp_path, bit_depth="float32", rate=44100).urls()
    audio, _ = sf.read(url.toLocalFile(), dtype="float32")
    assert audio.shape[0] == clip.frames
    assert np.max(np.abs(audio.reshape(clip.samples.shape) - clip.samples)) < 1e-6

    window.blend_with(first, "A")
    qtbot.waitUntil(lambda: "A" in window.blend_panel.source_clips(), timeout=30000)
    in_slot = window.blend_panel.source_clips()["A"]
    assert not in_slot.origin.draft and in_slot.origin.seed == first.origin.seed
