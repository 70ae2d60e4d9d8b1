"""Text captions and timbre qualities measured from the audio itself.

Audio is float ``(frames, channels)`` or ``(frames,)`` at ``rate`` Hz
(44.1 kHz by default); channels are averaged before analysis. Qualities
(NSynth-like, each a plain word in :data:`QUALITIES`):

- ``bright`` / ``dark``: energy-weighted spectral centroid. When the pitch
  is known it is judged against the fundamental (bright: centroid at least
  5x f0 and above 1 kHz, or above 4 kHz; dark: at most 2x f0 or below
  500 Hz); otherwise absolute (bright above 3 kHz, dark below 800 Hz).
- ``percussive``: attack (first frame within 40 dB of the peak to first
  within 6 dB) at most 30 ms and the level 0.5 s after the peak (or at the
  end) at least 6 dB down.
- ``fast_decay``: falls 30 dB below its peak before the note-off
  (``hold_seconds``), or within 1 s of the peak when there is no note-off.
- ``long_release``: still sounding at note-off (within 40 dB of the peak)
  and taking 0.5 s or more after it to fall another 30 dB. Notes only.
- ``reverberant``: slow late tail: going from 40 dB to 60 dB below the
  peak (after the last time it was within 40 dB) takes 0.4 s or more.
- ``distorted``: clipped (10 % or more of samples within 0.1 % of the peak)
  or, for a note of a harmonic family, heavy upper harmonics: centroid at
  least 9x f0 and 2 kHz, and a quarter or more of the steady-state power above the 8th
  harmonic (what overdriven guitars and fuzz leads look like).

Velocity words: soft (< 60), medium (60-99), hard (>= 100). Note names use
MIDI 60 = C4 (48 = C3).
"""

from __future__ import annotations

import numpy as np

from sketchpad.audio.descriptors import HOP_SECONDS, RATE, envelope_db, first_index, measure, mono
from sketchpad.audio.pitch import midi_to_hz, note_name
from sketchpad.training import gm

QUALITIES = ("bright", "dark", "percussive", "fast_decay", "long_release", "reverberant", "distorted")
# Families whose notes are naturally inharmonic (bells, noises): only clipping makes them "distorted".
_INHARMONIC_FAMILIES = {"mallet", "percussive", "fx"}


def velocity_word(velocity: int) -> str:
    """'soft' (< 60), 'medium' (60-99) or 'hard' (>= 100) for a MIDI velocity."""
    return "soft" if velocity < 60 else "medium" if velocity < 100 else "hard"


def _upper_harmonic_fraction(x: np.ndarray, rate: int, f0: float, start: int) -> float:
    """Fraction of steady-state power (0-1) above the 8th harmonic, over 0.5 s from ``start``."""
    seg = x[start:start + rate // 2]
    if len(seg) < 2048 or f0 <= 0:
        return 0.0
    power = np.abs(np.fft.rfft(seg * np.hanning(len(seg)))) ** 2
    freqs = np.fft.rfftfreq(len(seg), 1.0 / rate)
    total = power.sum()
    return float(power[freqs > 8 * f0].sum() / total) if total > 0 else 0.0


def qualities_of(meta: dict, audio: np.ndarray, rate: int = RATE) -> list[str]:
    """Quality words (in :data:`QUALITIES` order) for a sound and its metadata.

    ``meta`` keys used: ``kind`` ('note'/'drum'/'phrase'/'user'),
    ``midi_note`` (pitch, for notes), ``family``, ``hold_seconds``
    (note-off time, for notes and drums).
    """
    x = mono(audio)
    if len(x) == 0 or not np.any(x):
        return []
    f = measure(x, rate)
    env = envelope_db(x, rate)
    top = float(env.max())
    pitched = meta.get("kind") == "note" and meta.get("midi_note") is not None
    f0 = midi_to_hz(meta["midi_note"]) if pitched else 0.0
    hold = meta.get("hold_seconds")
    found = set()

    if pitched:
        ratio = f.centroid_hz / f0
        if (ratio >= 5 and f.centroid_hz >= 1000) or f.centroid_hz >= 4000:
            found.add("bright")
        elif ratio <= 2 or f.centroid_hz < 500:
            found.add("dark")
    elif f.centroid_hz >= 3000:
        found.add("bright")
    elif f.centroid_hz < 800:
        found.add("dark")

    if f.attack_s <= 0.03 and f.drop_after_500ms_db >= 6:
        found.add("percussive")
    if f.time_to_minus30_s is not None:
        limit = hold - f.peak_s if hold is not None else 1.0
        if f.time_to_minus30_s < limit:
            found.add("fast_decay")

    if meta.get("kind") == "note" and hold is not None:
        off = min(len(env) - 1, int(hold / HOP_SECONDS))
        if env[off] >= top - 40:
            end = first_index(env < env[off] - 30, off)
            release = ((end if end is not None else len(env)) - off) * HOP_SECONDS
            if release >= 0.5:
                found.add("long_release")

    last_loud = np.flatnonzero(env >= top - 40)
    if len(last_loud):
        start = int(last_loud[-1])
        end = first_index(env < top - 60, start)
        tail = ((end if end is not None else len(env)) - start) * HOP_SECONDS
        if tail >= 0.4:
            found.add("reverberant")

    if f.clip_fraction >= 0.1:
        found.add("distorted")
    elif (pitched and meta.get("family") not in _INHARMONIC_FAMILIES
          and f.centroid_hz >= max(9 * f0, 2000.0)):
        start = int((f.peak_s + 0.05) * rate)
        if _upper_harmonic_fraction(x, rate, f0, start) >= 0.25:
            found.add("distorted")
    if meta.get("kind") == "phrase":  # envelope words describe single events, not music
        found -= {"percussive", "fast_decay", "long_release"}
    return [q for q in QUALITIES if q in found]


def _words(qualities: list[str]) -> list[str]:
    return [q.replace("_", " ") for q in qualities]


def caption_for(meta: dict, audio: np.ndarray, rate: int = RATE,
                qualities: list[str] | None = None) -> str:
    """One-line caption for an item; qualities are measured unless given.

    Notes: "acoustic keyboard, Acoustic Grand Piano, C4, hard, bright, percussive".
    Drums: "acoustic drum kit, Standard, kick drum (Acoustic Bass Drum), hard, percussive".
    Phrases and user sounds: their ``text`` followed by the qualities.
    Meta keys: kind, source, family, instrument, midi_note, velocity; drums
    also drum_category, drum_name; phrase/user: text.
    """
    if qualities is None:
        qualities = qualities_of(meta, audio, rate)
    kind = meta.get("kind")
    if kind == "note":
        parts = [f"{meta['source']} {meta['family'].replace('_', ' ')}", meta["instrument"],
                 note_name(int(meta["midi_note"])), velocity_word(int(meta["velocity"]))]
    elif kind == "drum":
        word = gm.CATEGORY_WORDS.get(meta["drum_category"], meta["drum_category"])
        parts = [f"{meta['source']} drum kit", meta["instrument"], f"{word} ({meta['drum_name']})",
                 velocity_word(int(meta["velocity"]))]
    else:
        parts = [meta.get("text", "")] if meta.get("text") else []
    return ", ".join(parts + _words(qualities))


def describe(meta: dict, audio: np.ndarray, rate: int = RATE) -> tuple[str, list[str]]:
    """``(caption, qualities)`` for an item: the structured list and its one-line text."""
    q = qualities_of(meta, audio, rate)
    return caption_for(meta, audio, rate, qualities=q), q
