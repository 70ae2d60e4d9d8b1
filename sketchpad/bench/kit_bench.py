"""Kit and keys under load: note latency, underruns with 16 voices, UI stalls.

The machines this project runs on have no sound card, and ALSA's null device
swallows audio as fast as it can, so it cannot show an underrun. The output
here is a clock instead (:class:`PacedEngine`): the app's own audio callback
runs once per device period on its own thread, exactly as PortAudio would run
it, and a period whose audio is not ready before the previous one has played
out counts as an underrun. Everything else is the real app: the real window,
its prompt engine, the kit, the voice mixer, and MIDI messages going through
:class:`~sketchpad.audio.midi_input.MidiInput`'s own handler.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from sketchpad.audio.playback import PlaybackEngine


class PacedEngine(PlaybackEngine):
    """A PlaybackEngine whose device is a real-time clock (see the module docstring).

    ``callback_ms``: how long each callback took; ``underruns``: periods not
    ready in time (a callback that ends after the previous period ran out)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.callback_ms: list[float] = []
        self.periods = 0
        self.max_voices = 0

    def _open(self) -> bool:
        if self._stream is None:
            self._stream = _Clock(self)
        self.output_name = self.status_text = "paced clock (no sound card)"
        return True

    def reset_counts(self) -> None:
        self.callback_ms.clear()
        self._underruns = self.periods = self.max_voices = 0


class _Clock:
    """Stands in for the PortAudio stream: runs the engine's callback once per period."""

    def __init__(self, engine: PacedEngine):
        self.engine = engine
        self.active = True
        self._thread = threading.Thread(target=self._run, name="paced-output", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        engine = self.engine
        period = engine.blocksize / engine.sample_rate
        out = np.zeros((engine.blocksize, engine.channels), np.float32)
        began = time.perf_counter()
        k = 0
        while self.active:
            due = began + k * period
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            start = time.perf_counter()
            engine.mixer.fill(out)
            engine.voices.mix_into(out)
            end = time.perf_counter()
            engine.callback_ms.append((end - start) * 1000.0)
            engine.max_voices = max(engine.max_voices, engine.voices.active_voices)
            engine.periods += 1
            if end > due + period:  # the previous period ran out before this one was ready
                engine._underruns += 1
                began, k = end, 0  # a real stream restarts from here too
            k += 1

    def close(self, ignore_errors: bool = True) -> None:
        self.active = False
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=2)


def fill_kit_with_sounds(kit, sounds) -> None:
    """Put ``sounds`` (clips) on the pads, in order."""
    for index, clip in enumerate(sounds[:len(kit.pads)]):
        kit.assign(index, clip)


def busy_pattern(kit, tempo_bpm: float = 174.0):
    """Every filled pad on every 4th step, staggered, plus 8th-note hats: 16 voices ring at once."""
    from dataclasses import replace

    pattern = replace(kit.pattern, tempo_bpm=tempo_bpm, swing=54.0)
    for pad in range(len(kit.pads)):
        for step in range(pad % 4, 16, 4):
            pattern = pattern.with_hit(pad, step, 0.8)
    return pattern


def measure_note_latency(engine: PacedEngine, keys, *, notes: int = 400, seed: int = 0) -> dict:
    """MIDI note-on reaching the app (MidiInput's handler) to its first sample in the output
    buffer, in ms, for kit notes and for transposed notes of the sound on show."""
    import mido

    from sketchpad.audio.midi_input import MidiInput

    midi = MidiInput(lambda note, velocity, at: keys.note_on(note, velocity, at=at), keys.note_off)
    rng = np.random.default_rng(seed)
    results = {}
    for mode, low, high in (("kit", 36, 52), ("sound", 48, 73)):
        keys.set_mode(mode)
        keys.warm()
        before = engine.voices._latency_count
        for _ in range(notes):
            note = int(rng.integers(low, high))
            midi._received(mido.Message("note_on", note=note, velocity=100))
            time.sleep(float(rng.uniform(0.005, 0.04)))
            midi._received(mido.Message("note_off", note=note, velocity=0))
        time.sleep(0.05)
        recorded = engine.voices._latency_count - before
        results[mode] = engine.voices.latencies_ms()[-recorded:].tolist()
    return results


def measure_kit_soak(folder, *, minutes: float = 5.0, tempo_bpm: float = 174.0,
                     latency_notes: int = 400) -> dict:
    """The real window with a full kit looping a busy pattern while prompts generate.

    Returns underruns, periods, callback times, the most voices heard at once,
    the UI's worst stall and the note latencies (see :func:`measure_note_latency`)."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings

    from sketchpad.ui.app import create_app
    from sketchpad.ui.main_window import MainWindow
    from sketchpad.ui.stall_bench import run_event_loop_until
    from sketchpad.ui.stall_monitor import StallMonitor

    create_app()
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    engine = PacedEngine()
    window = MainWindow(engine=engine, settings=settings, session_folder=folder / "session")
    window.show()
    run_event_loop_until(lambda: window.pool.pending == 0 and window.generator is not None,
                         timeout_s=180)
    if window.generator is None:
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
    window.kit_binding.panel.play_button.setChecked(True)
    monitor = StallMonitor(parent=window)
    monitor.start()
    generations = 0
    stalls = []
    prompts = ("warm pad C3", "punchy 808 kick", "bright bell", "plucky bass E2")
    deadline = time.perf_counter() + minutes * 60.0
    while time.perf_counter() < deadline:
        window.generate(prompts[generations % len(prompts)], 8, 100 + generations)
        run_event_loop_until(lambda: window.pool.pending == 0, timeout_s=120)
        generations += 1
        stalls.append(monitor.max_stall_ms)
        monitor.reset()
    monitor.stop()
    window.kit_binding.panel.play_button.setChecked(False)
    result = {"minutes": minutes, "tempo_bpm": tempo_bpm, "underruns": engine.underruns,
              "periods": engine.periods, "period_ms": 1000.0 * engine.blocksize / engine.sample_rate,
              "callback_ms": list(engine.callback_ms), "max_voices": engine.max_voices,
              "generations": generations, "ui_stall_ms": stalls, "latency_ms": latency}
    window.close()
    return result
