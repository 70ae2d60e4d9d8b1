"""Event-loop stalls of the real window while heavy jobs run.

Opens the main window (offscreen unless a display is set) and runs a stall
monitor while (a) a generated stereo WAV of ``minutes`` length is loaded
through the same path a file drop takes, and (b) the prompt box generates
eight sounds, records the worst stall of each run and how long it took.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np


def write_long_test_file(folder: Path, minutes: float, sample_rate: int = 44100) -> Path:
    """A stereo 16-bit WAV with a tone sweep and noise bursts: realistic to decode."""
    import soundfile as sf

    path = folder / f"long-{minutes:g}min.wav"
    frames = int(minutes * 60 * sample_rate)
    rng = np.random.default_rng(0)
    with sf.SoundFile(path, "w", samplerate=sample_rate, channels=2, subtype="PCM_16") as out:
        block = sample_rate * 10
        for start in range(0, frames, block):
            n = min(block, frames - start)
            t = (start + np.arange(n)) / sample_rate
            tone = 0.3 * np.sin(2 * np.pi * (110 + 20 * np.sin(t / 7)) * t)
            noise = 0.05 * rng.standard_normal(n) * (np.sin(t * 3) > 0.6)
            out.write(np.stack([tone + noise, tone - noise], axis=1).astype(np.float32))
    return path


def run_event_loop_until(done, timeout_s: float = 600.0, poll_ms: int = 5) -> None:
    """Run the real Qt event loop until ``done()`` is true or the timeout passes."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    deadline = time.perf_counter() + timeout_s
    timer = QTimer()
    timer.timeout.connect(lambda: (done() or time.perf_counter() > deadline) and loop.quit())
    timer.start(poll_ms)
    loop.exec()
    timer.stop()


def measure_ui_stalls(folder: Path, *, minutes: float, repeats: int) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from sketchpad.ui.app import create_app
    from sketchpad.ui.main_window import MainWindow
    from sketchpad.ui.stall_monitor import StallMonitor

    path = write_long_test_file(folder, minutes)
    create_app()
    from PySide6.QtCore import QSettings

    # A scratch session and settings: a benchmark must not touch the user's own.
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, session_folder=folder / "session")
    window.show()
    # Measure warm: let the background model loading finish first.
    run_event_loop_until(lambda: window.pool.pending == 0, timeout_s=120)
    monitor = StallMonitor(parent=window)
    stalls, seconds = [], []
    for _ in range(repeats + 1):  # the first run warms imports and caches
        window.project.set_clip(None)
        monitor.start()
        began = time.perf_counter()
        window.open_file(path)
        run_event_loop_until(lambda: not window.is_loading)
        elapsed = time.perf_counter() - began
        if window.project.clip is None:
            raise RuntimeError("loading the benchmark file failed")
        # Let the views draw the new clip inside the measured window too.
        run_event_loop_until(lambda: False, timeout_s=0.3)
        monitor.stop()
        stalls.append(monitor.max_stall_ms)
        seconds.append(elapsed)
    results = {"load_stall_ms": stalls[1:], "load_seconds": seconds[1:],
               "generate_stall_ms": [], "generate_seconds": []}
    if window.generator is not None:
        for run in range(repeats + 1):
            window.project.set_tiles([])
            monitor.start()
            began = time.perf_counter()
            window.generate("punchy 808 kick", 8, run)
            run_event_loop_until(lambda: len(window.project.tiles) == 8, timeout_s=120)
            elapsed = time.perf_counter() - began
            run_event_loop_until(lambda: False, timeout_s=0.3)
            monitor.stop()
            if run:  # the first run warms up
                results["generate_stall_ms"].append(monitor.max_stall_ms)
                results["generate_seconds"].append(elapsed)
    window.close()
    return results
