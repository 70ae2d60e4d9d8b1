"""Kit and keys under load: note latency, underruns with 16 voices, UI stalls.

The machines this project runs on have no sound card, and ALSA's null device
swallows audio as fast as it can, so it cannot show an underrun. The output
here is a clock instead (:class:`PacedPlayer`): the app's own audio callback
runs once per device period on its own thread, as PortAudio would run it, and
each period's lateness (callback end minus the period's due time) is kept.
With a device buffer of B periods, a period later than B - 1 periods means the
buffer ran dry: :func:`underruns` counts those events for any buffer size.
Everything else is the real app: the real window, its prompt engine, the kit, the voice mixer, and MIDI messages going through
:class:`~sketchpad.audio.midi_input.MidiInput`'s own handler.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from sketchpad.audio.playback import Player


class PacedPlayer(Player):
    """A Player whose device is a real-time clock (see the module docstring).

    ``callback_ms``: how long each callback took; ``lateness_ms``: callback end
    minus the period's due time, per period."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.callback_ms: list[float] = []
        self.lateness_ms: list[float] = []
        self.periods = 0
        self.max_voices = 0

    def _open(self) -> bool:
        if self._stream is None:
            self._stream = _Clock(self)
        self.output_name = self.status_text = "paced clock (no sound card)"
        return True

    def reset_counts(self) -> None:
        self.callback_ms.clear()
        self.lateness_ms.clear()
        self.periods = self.max_voices = 0

    @property
    def period_ms(self) -> float:
        return 1000.0 * self.blocksize / self.sample_rate


def underruns(lateness_ms, period_ms: float, buffer_periods: int) -> int:
    """Times a device buffer of ``buffer_periods`` periods ran dry (runs of too-late periods)."""
    allowed = (buffer_periods - 1) * period_ms
    events, dry = 0, False
    for late in lateness_ms:
        if late > allowed and not dry:
            events += 1
        dry = late > allowed
    return events


class _Clock:
    """Stands in for the PortAudio stream: runs the engine's callback once per period."""

    def __init__(self, engine: PacedPlayer):
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
            engine.lateness_ms.append((end - due) * 1000.0)
            engine.max_voices = max(engine.max_voices, engine.voices.active_voices)
            engine.periods += 1
            k += 1
            if end - due > 1.0:  # stopped in a debugger or suspended: start afresh
                began, k = end, 0

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


def measure_note_latency(engine: PacedPlayer, keys, *, notes: int = 400, seed: int = 0) -> dict:
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
