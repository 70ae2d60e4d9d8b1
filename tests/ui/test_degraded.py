"""The window on degraded hardware: a full disk, no audio device, a device that
goes away, a GPU that runs out of memory, a job that raises. Each time the user
is told in one line, nothing half-done is left behind, and the app keeps working."""

import errno
import os
import subprocess

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from sketchpad.audio.playback import Player
from sketchpad.core.clip import make_clip
from sketchpad.engine import device as device_module
from sketchpad.ui.main_window import MainWindow

RATE = 44100


def _tone_clip(seconds=2.0):
    t = np.arange(int(seconds * RATE)) / RATE
    return make_clip("tone", (0.4 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), RATE)


def _show(window, clip):
    window.project.add_tiles([clip])
    window.project.set_clip(clip)


@pytest.fixture
def full_disk(tmp_path, monkeypatch):
    """A folder on a filesystem with no space left: a real 64 KiB tmpfs, filled up,
    where mounting is allowed (root); elsewhere, writes there fail with ENOSPC."""
    folder = tmp_path / "full"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                             capture_output=True).returncode == 0
    if not mounted:
        real_fsync = os.fsync

        def fsync(fd):
            if str(folder) in os.readlink(f"/proc/self/fd/{fd}"):
                raise OSError(errno.ENOSPC, "No space left on device")
            real_fsync(fd)

        monkeypatch.setattr(os, "fsync", fsync)
        yield folder
        return
    try:
        with open(folder / "filler", "wb", buffering=0) as filler:
            try:
                while True:
                    filler.write(b"\0" * 4096)
            except OSError as err:
                assert err.errno == errno.ENOSPC
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_disk_full_on_export_says_so_and_leaves_no_file(qtbot, window, full_disk):
    clip = _tone_clip()
    _show(window, clip)
    window.export_to(full_disk / "tone.wav")
    qtbot.waitUntil(lambda: "disk space" in window.statusBar().currentMessage(), timeout=10000)
    assert window.statusBar().currentMessage() == "⚠ Not enough disk space to export 'tone.wav'."
    assert sorted(p.name for p in full_disk.iterdir()) in ([], ["filler"])  # no partial file
    assert window.project.clip is clip  # nothing lost: the sound is still there


def test_no_audio_device_is_reported_and_the_rest_works(qtbot, tmp_path):
    window = MainWindow(player=Player(device="no such device"),
                        settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                        session_folder=tmp_path / "session")
    qtbot.addWidget(window)
    clip = _tone_clip()
    _show(window, clip)
    window.toggle_playback()
    message = window.statusBar().currentMessage()
    assert message.startswith("⚠ No audio output:") and "\n" not in message
    assert "No audio output" in window.audio_label.text()
    window.export_to(tmp_path / "still-exports.wav")  # everything but sound still works
    qtbot.waitUntil(lambda: (tmp_path / "still-exports.wav").exists(), timeout=10000)
    window.close()


def test_a_device_that_goes_away_is_reported_and_play_recovers(qtbot, window):
    clip = _tone_clip()
    _show(window, clip)
    window.loop_action.setChecked(True)
    window.toggle_playback()
    assert window.player.is_playing
    window.player._stream.abort()  # the device is unplugged under the running stream
    qtbot.waitUntil(lambda: "stopped unexpectedly" in window.audio_label.text(), timeout=3000)
    assert not window.player.is_playing
    window.toggle_playback()  # press play again: a fresh stream
    assert window.player.is_playing, window.player.status_text
    window.player.stop()


def test_gpu_out_of_memory_notice_reaches_the_status_bar(qtbot, window, monkeypatch):
    window._check_gpu_fallback()
    assert "GPU" not in window.statusBar().currentMessage()
    monkeypatch.setattr(device_module, "_fallback_notice",
                        "The GPU ran out of memory; models run on the CPU from now on.")
    qtbot.waitUntil(lambda: "out of memory" in window.device_label.text(), timeout=3000)
    assert "ran out of memory" in window.statusBar().currentMessage()


def test_a_job_that_raises_is_reported_and_the_pool_keeps_working(qtbot, window):
    def broken(ctx):
        raise RuntimeError("the decoder exploded")

    window.pool.submit("broken", broken, lane="model")
    qtbot.waitUntil(lambda: "decoder exploded" in window.statusBar().currentMessage(), timeout=10000)
    results = []
    window.pool.submit("after", lambda ctx: 42, lane="model", on_result=results.append)
    qtbot.waitUntil(lambda: results == [42], timeout=10000)
