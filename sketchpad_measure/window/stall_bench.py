"""Responsiveness of the real window while heavy jobs run: event-loop stalls
(file loads, generation with a blend alongside, slider drags) and how long a
slider move takes to be heard. See :func:`measure_window`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from sketchpad.ui.event_loop import run_event_loop_until


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


def blend_job(model, seconds: float):
    """A blend job as the blend view will run it: encode two songs, render a mix."""
    from sketchpad_measure.bench.model_speed import synthetic_song
    from sketchpad.engine.blender import Blender

    def run(ctx):
        song = synthetic_song(seconds, model.sample_rate)
        other = np.ascontiguousarray(np.roll(song[:, ::-1], model.sample_rate // 3, axis=0))
        return Blender.from_audio(model, song, other).mix(0.5)

    return run


def measure_window(folder: Path, *, minutes: float, repeats: int, slider_runs: int = 20) -> dict:
    """The real window's responsiveness, warm, offscreen unless a display is set.

    - ``load_*``: a ``minutes``-long stereo WAV loaded the way a file drop loads it;
    - ``jobs_*``: eight sounds generated while a 30 s blend runs on the same pool;
    - ``slider_to_audio_ms``: a slider drag (five moves 30 ms apart, then a last
      one); from the last move until the window hands the player the sound
      for that value;
    - ``slider_stall_ms``: the worst stall during each drag.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings

    from sketchpad.ui.app import create_app
    from sketchpad.ui.main_window import MainWindow
    from sketchpad_measure.window.stall_monitor import StallMonitor

    path = write_long_test_file(folder, minutes) if minutes > 0 else None
    create_app()
    # A scratch session and settings: a benchmark must not touch the user's own.
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, session_folder=folder / "session")
    window.show()
    # Measure warm: let the background model loading finish first.
    run_event_loop_until(lambda: window.pool.pending == 0, timeout_s=120)
    monitor = StallMonitor(parent=window)
    results = {key: [] for key in ("load_stall_ms", "load_seconds", "jobs_stall_ms",
                                   "prompt_to_tiles_seconds", "slider_to_audio_ms",
                                   "slider_stall_ms")}
    for run in range(repeats + 1 if path else 0):  # the first run warms imports and caches
        window.project.set_tiles([])
        window.project.set_clip(None)
        monitor.start()
        began = time.perf_counter()
        window.open_file(path)
        run_event_loop_until(lambda: not window.is_loading)
        elapsed = time.perf_counter() - began
        if window.project.clip is None:
            raise RuntimeError("loading the benchmark file failed")
        run_event_loop_until(lambda: False, timeout_s=0.3)  # the views draw it too
        monitor.stop()
        if run:
            results["load_stall_ms"].append(monitor.max_stall_ms)
            results["load_seconds"].append(elapsed)
    if window.prompt_engine is None:
        window.close()
        return results
    model = window.prompt_engine.model
    for run in range(repeats + 1):
        window.project.set_tiles([])
        blend_done = []
        monitor.start()
        began = time.perf_counter()
        window.pool.submit("blend", blend_job(model, 30.0), lane="model", supersede=False,
                           on_result=blend_done.append)
        window.generate("punchy 808 kick", 8, run)
        run_event_loop_until(lambda: len(window.project.tiles) == 8
                             and window.project.clip is window.project.tiles[0], timeout_s=120)
        elapsed = time.perf_counter() - began
        run_event_loop_until(lambda: bool(blend_done), timeout_s=120)
        run_event_loop_until(lambda: False, timeout_s=0.3)
        monitor.stop()
        if run:  # the first run warms up
            results["jobs_stall_ms"].append(monitor.max_stall_ms)
            results["prompt_to_tiles_seconds"].append(elapsed)
    # What the window last handed to the player (recorded even when no audio
    # device is there to open, so the figure means the same on every machine).
    handed = [None]
    play = window.player.play

    def recording_play(samples, **kwargs):
        handed[0] = samples
        return play(samples, **kwargs)

    window.player.play = recording_play
    names = [d.name for d in model.directions]
    if names:
        slider = window.slider_panel.slider(names[0])
        for run in range(slider_runs + 1):
            window.audition_tile(run % len(window.project.tiles))
            final = (-1) ** run * (60 + run * 7 % 150)  # a new value every time
            monitor.start()
            for step in range(5):
                slider.setValue(final - (5 - step) * 8 * (-1) ** run)
                run_event_loop_until(lambda: False, timeout_s=0.03)
            slider.setValue(final)
            began = time.perf_counter()

            def heard() -> bool:
                clip, held = window.project.clip, handed[0]
                sliders = clip.origin.sliders if clip is not None else None
                return (sliders is not None and sliders.directions.get(names[0]) == final / 100
                        and held is not None and np.shares_memory(held, clip.playback))

            run_event_loop_until(heard, timeout_s=30, poll_ms=1)
            elapsed_ms = (time.perf_counter() - began) * 1000
            monitor.stop()
            if run:
                results["slider_to_audio_ms"].append(elapsed_ms)
                results["slider_stall_ms"].append(monitor.max_stall_ms)
    window.player.stop()
    window.close()
    return results
