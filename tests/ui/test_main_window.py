import numpy as np
import soundfile as sf
from PySide6.QtCore import Qt

from sketchpad.audio.playback import Player
from sketchpad.ui.main_window import MainWindow

from tests.ui.helpers import RATE, drop_files, write_tone


def _wait_loaded(qtbot, window, timeout=20000):
    qtbot.waitUntil(lambda: not window.is_loading, timeout=timeout)


def test_dropped_file_fills_both_views(qtbot, window, tmp_path):
    path = write_tone(tmp_path / "tone.wav", seconds=3.0)
    drop_files(window, [path])
    assert window.is_loading
    _wait_loaded(qtbot, window)
    clip = window.project.clip
    assert clip is not None and clip.name == "tone"
    assert clip.samples.shape == (3 * RATE, 2)
    source = sf.read(path, dtype="float32")[0]
    np.testing.assert_allclose(clip.samples, source, atol=1e-6)
    # Waveform view: one curve per channel, drawn from the pyramid over the whole clip.
    qtbot.waitUntil(lambda: window.waveform.clip is clip, timeout=2000)  # the views follow a frame later
    curves = window.waveform._curves
    assert len(curves) == 2
    x, y = curves[0].getData()
    assert x.min() < 0.01 and x.max() > 2.9
    assert 0 < window.waveform.drawn_points() < 20000  # decimated, not 264,600 points
    # Spectrogram view holds the clip's image, covering its duration.
    image = window.spectrogram.image.image
    np.testing.assert_array_equal(image, clip.spectrogram.db)
    assert window.spectrogram.image.boundingRect().width() > 0
    assert "0:03.000" in window.time_label.text()
    assert window.export_action.isEnabled()
    assert "tone" in window.windowTitle()


def test_bad_drop_reports_and_window_keeps_working(qtbot, window, tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("this is not audio")
    drop_files(window, [bad])
    _wait_loaded(qtbot, window)
    message = window.statusBar().currentMessage()
    assert "notes.wav" in message and "\n" not in message
    assert window.project.clip is None
    good = write_tone(tmp_path / "good.flac", seconds=1.0)
    drop_files(window, [good])
    _wait_loaded(qtbot, window)
    assert window.project.clip is not None and window.project.clip.name == "good"


def test_loading_can_be_cancelled(qtbot, window, tmp_path):
    path = write_tone(tmp_path / "long.wav", seconds=240.0)
    window.open_file(path)
    assert not window.cancel_button.isVisibleTo(window)  # quick jobs never flash a bar
    qtbot.waitUntil(lambda: window.cancel_button.isVisibleTo(window), timeout=5000)
    assert window.progress.isVisibleTo(window) and "long.wav" in window.progress.format()
    window.cancel_button.click()
    _wait_loaded(qtbot, window)
    assert window.project.clip is None
    assert "cancelled" in window.statusBar().currentMessage().lower()


def test_space_plays_and_stops_with_moving_playhead(qtbot, window, tmp_path):
    window.open_file(write_tone(tmp_path / "loop.wav", seconds=1.0))
    _wait_loaded(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_L)  # loop, so the (fast) null device keeps playing
    assert window.loop_action.isChecked()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.player.is_playing
    qtbot.waitUntil(lambda: window.player.position_seconds > 0, timeout=3000)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not window.player.is_playing, timeout=3000)
    assert "Audio:" in window.audio_label.text()


def test_missing_audio_device_is_reported_not_fatal(qtbot, tmp_path, settings):
    win = MainWindow(player=Player(device="no such device"), settings=settings,
                     session_folder=tmp_path / "session")
    qtbot.addWidget(win)
    win.show()
    win.open_file(write_tone(tmp_path / "t.wav", seconds=0.5))
    _wait_loaded(qtbot, win)
    win.toggle_playback()
    assert not win.player.is_playing
    assert "audio" in win.statusBar().currentMessage().lower()
    win.close()


def test_export_writes_the_chosen_format(qtbot, window, tmp_path, settings):
    window.open_file(write_tone(tmp_path / "src.ogg", seconds=1.0))
    _wait_loaded(qtbot, window)
    settings.setValue("export/bit_depth", "float32")
    settings.setValue("export/rate", 48000)
    out = tmp_path / "out" / "exported"
    out.parent.mkdir()
    window.export_to(out)
    target = out.with_name("exported.wav")
    qtbot.waitUntil(lambda: target.exists(), timeout=10000)
    info = sf.info(target)
    assert info.samplerate == 48000 and info.subtype == "FLOAT"
    assert abs(info.duration - 1.0) < 0.01
    qtbot.waitUntil(lambda: "Exported" in window.statusBar().currentMessage(), timeout=5000)


def test_offscreen_screenshot(qtbot, window, tmp_path):
    window.open_demo()  # the bundled demo groove
    _wait_loaded(qtbot, window)
    qtbot.wait(100)
    shot = tmp_path / "main-window.png"
    assert window.grab().save(str(shot))
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert image.width() >= 1000 and image.height() >= 600
    # A real render: many distinct colours (waveform, spectrogram, text), not a blank frame.
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7)
               for y in range(0, image.height(), 7)}
    assert len(colours) > 50
    assert window.project.clip.name == "demo-groove"


def test_about_names_version_models_and_licences():
    from sketchpad import __version__
    from sketchpad.ui.about import about_html

    html = about_html()
    assert __version__ in html
    for licence in ("MIT", "GPL-2.0", "Apache-2.0", "LGPL-3.0"):
        assert licence in html
    assert "FluidR3_GM" in html and "all-MiniLM-L6-v2" in html
