"""The kit soak in the real window: a full kit looping a busy pattern while prompts generate.

See :mod:`sketchpad_measure.bench.kit_bench` for the paced output it plays through.
"""

from __future__ import annotations

import time

from sketchpad_measure.bench.kit_bench import PacedPlayer, busy_pattern, fill_kit_with_sounds, measure_note_latency


def measure_kit_soak(folder, *, minutes: float = 5.0, tempo_bpm: float = 174.0,
                     latency_notes: int = 400) -> dict:
    """The real window with a full kit looping a busy pattern while prompts generate.

    Returns the periods' lateness, callback times, the most voices heard at once,
    the UI's worst stall per generation with the pattern playing and, as a
    baseline in the same run, with it stopped, and the note latencies (see
    :func:`~sketchpad_measure.bench.kit_bench.measure_note_latency`)."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings

    from sketchpad.ui.app import create_app
    from sketchpad.ui.main_window import MainWindow
    from sketchpad.ui.event_loop import run_event_loop_until
    from sketchpad_measure.window.stall_monitor import StallMonitor

    create_app()
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    engine = PacedPlayer()
    window = MainWindow(player=engine, settings=settings, session_folder=folder / "session")
    window.show()
    run_event_loop_until(lambda: window.pool.pending == 0 and window.prompt_engine is not None,
                         timeout_s=180)
    if window.prompt_engine is None:
        raise RuntimeError("no prompt engine: the kit soak needs the shipped models")
    sounds = []
    for seed, prompt in enumerate(("punchy 808 kick", "crisp snare", "closed hi hat", "deep bass C2")):
        window.generate(prompt, 8, seed)
        run_event_loop_until(lambda: len(window.project.tiles) == 8 and window.pool.pending == 0,
                             timeout_s=120)
        sounds += window.project.tiles[:4]
    fill_kit_with_sounds(window.kit, sounds)
    window.kit.set_pattern(busy_pattern(window.kit, tempo_bpm))
    window.project.set_clip(sounds[-1])
    engine.open()
    latency = measure_note_latency(engine, window.keys, notes=latency_notes)
    engine.reset_counts()
    monitor = StallMonitor(parent=window)
    prompts = ("warm pad C3", "punchy 808 kick", "bright bell", "plucky bass E2")

    def generate_until(deadline: float, first_seed: int) -> list[float]:
        stalls = []
        monitor.start()
        while time.perf_counter() < deadline:
            window.generate(prompts[len(stalls) % len(prompts)], 8, first_seed + len(stalls))
            run_event_loop_until(lambda: window.pool.pending == 0, timeout_s=120)
            stalls.append(monitor.max_stall_ms)
            monitor.reset()
        monitor.stop()
        return stalls

    # The baseline, in the same run: the same generations with the pattern stopped.
    baseline = generate_until(time.perf_counter() + min(30.0, minutes * 10.0), 10_000)
    window.kit_binding.panel.play_button.setChecked(True)
    stalls = generate_until(time.perf_counter() + minutes * 60.0, 100)
    generations = len(stalls)
    window.kit_binding.panel.play_button.setChecked(False)
    result = {"minutes": minutes, "tempo_bpm": tempo_bpm, "periods": engine.periods,
              "period_ms": engine.period_ms, "lateness_ms": list(engine.lateness_ms),
              "callback_ms": list(engine.callback_ms), "max_voices": engine.max_voices,
              "generations": generations, "ui_stall_ms": stalls, "ui_stall_ms_pattern_stopped": baseline,
              "latency_ms": latency}
    window.close()
    return result
