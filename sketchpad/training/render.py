"""Offline soundfont rendering with FluidSynth (pyfluidsynth), no audio driver.

All output is float32 shaped ``(frames, 2)`` (stereo, left/right) at 44.1 kHz,
nominal range [-1, 1]. One :class:`SoundfontRenderer` (one FluidSynth synth
with the font loaded) is kept per soundfont path and reused for every note:
loading FluidR3 (140 MB) takes about a second, a note takes milliseconds.

Effects: FluidSynth's default reverb and chorus stay on, at their default
(mild) settings, and each preset's own reverb/chorus sends apply. That is
how these fonts are meant to sound and how anyone playing a GM file hears
them, and it gives the dataset a natural spread of dry and roomy sounds
(which the "reverberant" caption then describes) instead of uniformly dry
ones. Between renders the synth is fully reset (notes, controllers,
programs and the effect units' delay lines), so no tail bleeds into the
next item.

pyfluidsynth is imported lazily so the rest of the package works without it.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import io
import threading
from pathlib import Path

import numpy as np

from sketchpad.errors import SketchpadError

RATE = 44100
"""Sample rate (Hz) of every render."""
GAIN = 0.2
"""FluidSynth master gain (its default): a hard piano note peaks near -8 dBFS, chords have headroom."""
SILENCE_DB = -60.0
"""A tail is finished once its block peak is this many dB below the sound's own peak."""
FLOOR_DBFS = -84.0
"""...or below this absolute level (dBFS), near the 16-bit floor.

At FluidSynth's default gain a soft note peaks around -40 dBFS, so a fixed
-60 dBFS cut-off would chop its release after 20 dB; measuring from the
note's own peak keeps the same 60 dB of decay for soft and hard notes."""
_BLOCK = 1024  # frames per synthesis step (about 23 ms)
_FADE_S = 0.01  # fade applied where a tail is cut
_DRUM_CHANNEL = 9
_FLUSHED = 1e-5  # -100 dBFS: below what a 16-bit file can hold


def import_quietly(module_name: str):
    """Import a module with stdout muted.

    pyfluidsynth (which pretty_midi imports too) prints where it found its
    library whenever the CI variable is set; on stdout that corrupts the
    output of our commands. Once imported, the module is cached quiet."""
    with contextlib.redirect_stdout(io.StringIO()):
        return importlib.import_module(module_name)


def _fluidsynth():
    try:
        fluidsynth = import_quietly("fluidsynth")
    except (ImportError, OSError) as exc:
        raise SketchpadError(f"Rendering soundfonts needs the 'train' extra (pyfluidsynth) and "
                             f"libfluidsynth ({exc}): bash packaging/setup.sh --test installs both") from None
    return fluidsynth


class SoundfontRenderer:
    """One FluidSynth instance with one soundfont loaded. Calls are serialised by a lock."""

    def __init__(self, soundfont_path: str | Path, sample_rate: int = RATE):
        fs = _fluidsynth()
        self.path = Path(soundfont_path)
        self.sample_rate = int(sample_rate)
        self._lock = threading.Lock()
        self._synth = fs.Synth(gain=GAIN, samplerate=float(sample_rate))
        self._sfid = self._synth.sfload(str(self.path))
        if self._sfid < 0:
            self._synth.delete()
            raise SketchpadError(f"FluidSynth could not load the soundfont {self.path.name}.")
        # Float output: no 16-bit quantisation or clipping inside the synth.
        self._write_float = fs.cfunc(
            "fluid_synth_write_float", ctypes.c_int, ("synth", ctypes.c_void_p, 1),
            ("len", ctypes.c_int, 1), ("lout", ctypes.c_void_p, 1), ("loff", ctypes.c_int, 1),
            ("lincr", ctypes.c_int, 1), ("rout", ctypes.c_void_p, 1), ("roff", ctypes.c_int, 1),
            ("rincr", ctypes.c_int, 1))

    # -- low level ---------------------------------------------------------
    def _samples(self, frames: int) -> np.ndarray:
        out = np.zeros((frames, 2), dtype=np.float32)
        if frames == 0:
            return out
        if self._write_float is not None:
            ptr = out.ctypes.data
            self._write_float(self._synth.synth, frames, ptr, 0, 2, ptr, 1, 2)
        else:  # very old bindings: 16-bit path
            raw = self._synth.get_samples(frames).astype(np.float32) / 32768.0
            out[:] = raw.reshape(frames, 2)
        return out

    def _reset(self) -> None:
        """Silence everything and return to the power-on state, effects included."""
        for chan in range(16):
            self._synth.all_sounds_off(chan)
        self._samples(64)  # voices are freed on the next synthesis call
        self._synth.system_reset()  # controllers and programs
        # system_reset leaves the reverb/chorus delay lines ringing: run them
        # dry until they stay below 16-bit resolution for 4 blocks in a row
        # (the comb filters' output dips and recovers, and the block right
        # after a reset can be empty). Typically 0.3-1 s of audio, a few ms of CPU.
        quiet = 0
        for _ in range(int(5 * self.sample_rate / _BLOCK)):
            quiet = quiet + 1 if float(np.max(np.abs(self._samples(_BLOCK)))) < _FLUSHED else 0
            if quiet >= 4:
                break

    def _select(self, chan: int, bank: int, program: int) -> None:
        if self._synth.program_select(chan, self._sfid, bank, program) != 0:
            raise SketchpadError(f"{self.path.name} has no preset bank {bank} program {program}.")

    def _tail(self, frames_so_far: int, max_frames: int, blocks: list[np.ndarray]) -> None:
        """Render blocks until one is below :func:`silence_threshold` or ``max_frames`` is reached."""
        peak = max((float(np.max(np.abs(b))) for b in blocks if b.size), default=0.0)
        while frames_so_far < max_frames:
            block = self._samples(min(_BLOCK, max_frames - frames_so_far))
            blocks.append(block)
            frames_so_far += len(block)
            level = float(np.max(np.abs(block)))
            peak = max(peak, level)
            if level < silence_threshold(peak):
                break

    # -- public ------------------------------------------------------------
    def note(self, bank: int, program: int, midi_note: int, velocity: int,
             hold_seconds: float, total_seconds: float = 2.0) -> np.ndarray:
        """One note: on for ``hold_seconds``, then its natural release up to ``total_seconds``.

        Returns float32 ``(frames, 2)`` at ``sample_rate``; at most
        ``total_seconds`` long, trailing silence (below -60 dBFS) trimmed.
        Bank 128 selects a drum kit (played on the GM drum channel).
        """
        sr = self.sample_rate
        chan = _DRUM_CHANNEL if bank == 128 else 0
        max_frames = int(round(total_seconds * sr))
        hold = min(int(round(hold_seconds * sr)), max_frames)
        with self._lock:
            self._reset()
            self._select(chan, bank, program)
            self._synth.noteon(chan, int(midi_note), int(velocity))
            blocks = [self._samples(hold)]
            self._synth.noteoff(chan, int(midi_note))
            self._tail(hold, max_frames, blocks)
        return finish_tail(np.concatenate(blocks), sr)

    def midi(self, midi, tail_seconds: float = 2.0) -> np.ndarray:
        """Render a ``pretty_midi.PrettyMIDI`` object (notes only; controllers ignored).

        Melodic instruments get bank 0 and their program; drum instruments
        get bank 128 with their program as the kit (kit 0 if the font lacks it). Up to 15 melodic
        instruments (channels other than 10). The release tail is rendered
        for up to ``tail_seconds`` after the last note-off. Returns float32
        ``(frames, 2)``; scaled down only if it would clip.
        """
        sr = self.sample_rate
        events = []  # (frame, order, kind, chan, pitch, velocity); note-offs sort first
        free = [c for c in range(16) if c != _DRUM_CHANNEL]
        programs = {}
        for inst in midi.instruments:
            if inst.is_drum:
                chan, bank = _DRUM_CHANNEL, 128
            else:
                if not free:
                    raise SketchpadError("Too many instruments in one phrase (at most 15 melodic).")
                chan, bank = free.pop(0), 0
            programs[chan] = (bank, int(inst.program))
            for n in inst.notes:
                events.append((int(round(n.start * sr)), 1, chan, int(n.pitch), int(n.velocity)))
                events.append((max(int(round(n.end * sr)), int(round(n.start * sr)) + 1), 0, chan,
                               int(n.pitch), 0))
        events.sort()
        with self._lock:
            self._reset()
            for chan, (bank, program) in programs.items():
                if bank == 128 and self._synth.program_select(chan, self._sfid, bank, program) != 0:
                    program = 0  # kit missing from this font: fall back to the standard kit
                self._select(chan, bank, program)
            blocks, now = [], 0
            for frame, is_on, chan, pitch, vel in events:
                if frame > now:
                    blocks.append(self._samples(frame - now))
                    now = frame
                if is_on:
                    self._synth.noteon(chan, pitch, vel)
                else:
                    self._synth.noteoff(chan, pitch)
            self._tail(now, now + int(tail_seconds * sr), blocks)
        audio = finish_tail(np.concatenate(blocks) if blocks else np.zeros((0, 2), np.float32), sr)
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        if peak > 0.99:
            audio *= 0.99 / peak
        return audio

    def close(self) -> None:
        with self._lock:
            if self._synth is not None:
                self._synth.delete()
                self._synth = None


def silence_threshold(peak: float) -> float:
    """Linear level under which a sound peaking at ``peak`` counts as silent (SILENCE_DB / FLOOR_DBFS)."""
    return max(peak * 10.0 ** (SILENCE_DB / 20.0), 10.0 ** (FLOOR_DBFS / 20.0))


def finish_tail(audio: np.ndarray, sample_rate: int = RATE) -> np.ndarray:
    """Trim trailing samples below :func:`silence_threshold` and fade the last 10 ms.

    ``audio``: float ``(frames, channels)``. The fade also removes the click
    where a still-audible sound was cut off at ``total_seconds``. An
    all-silent input gives an empty array.
    Returns a new float32 array (possibly shorter).
    """
    audio = np.asarray(audio, dtype=np.float32)
    if len(audio) == 0:
        return audio.copy()
    level = np.max(np.abs(audio), axis=1)
    loud = np.flatnonzero(level >= silence_threshold(float(level.max())))
    if len(loud) == 0 or level.max() < 10.0 ** (FLOOR_DBFS / 20.0):
        return audio[:0].copy()
    fade = int(_FADE_S * sample_rate)
    end = min(len(audio), int(loud[-1]) + 1 + fade)
    out = audio[:end].copy()
    n = min(fade, len(out))
    if n > 0:
        out[-n:] *= np.linspace(1.0, 0.0, n, dtype=np.float32)[:, None]
    return out


_renderers: dict[str, SoundfontRenderer] = {}
_renderers_lock = threading.Lock()


def renderer_for(soundfont_path: str | Path) -> SoundfontRenderer:
    """The shared renderer for a soundfont, created (and the font loaded) on first use."""
    key = str(Path(soundfont_path).resolve())
    with _renderers_lock:
        r = _renderers.get(key)
        if r is None:
            r = _renderers[key] = SoundfontRenderer(key)
        return r


def render_note(soundfont_path: str | Path, bank: int, program: int, midi_note: int,
                velocity: int, hold_seconds: float, total_seconds: float = 2.0) -> np.ndarray:
    """Render one note with a shared renderer; float32 ``(frames, 2)`` at 44.1 kHz.

    See :meth:`SoundfontRenderer.note`. An empty array means the preset made no sound.
    """
    return renderer_for(soundfont_path).note(bank, program, midi_note, velocity,
                                             hold_seconds, total_seconds)


def render_midi(soundfont_path: str | Path, midi, tail_seconds: float = 2.0) -> np.ndarray:
    """Render a ``pretty_midi.PrettyMIDI`` object; float32 ``(frames, 2)`` at 44.1 kHz.

    See :meth:`SoundfontRenderer.midi`; ``tail_seconds`` caps the release after the last note.
    """
    return renderer_for(soundfont_path).midi(midi, tail_seconds)
