"""Do character words move the sound the asked way?

Producers describe character as well as the instrument: "bright", "dark",
"short", "punchy", "distorted". For each word pair, each instrument and each
of ``count`` seeds, the engine generates "<word> <instrument>" for both words
with the same seed, and one measured descriptor of the two results is
compared. A pair counts when the descriptor moves the asked way (a tie does
not count). Target: at least 90 % of pairs for every word pair.

Descriptors (audio at 44.1 kHz, mono):

- bright / dark: spectral centroid, Hz (energy-weighted over frames);
- short / long: sounding length, s: from the peak to the last 10 ms frame
  within 30 dB of it;
- punchy / soft: attack rise time, ms (10-90 % of a fine envelope, the
  measure the sound engine's evaluation uses); punchy means a shorter rise;
- low / high: register, Hz: the strongest spectral peak between 30 Hz and
  4 kHz of the frames within 20 dB of the loudest;
- clean / distorted: noisiness: median spectral flatness of the same frames
  (distortion and noise fill the spectrum between partials).
"""

from __future__ import annotations

import numpy as np

from sketchpad.audio.descriptors import HOP_SECONDS, envelope_db, mono, spectral_centroid
from sketchpad_measure.quality.metrics import attack_rise_ms

TARGET = 0.9


def sounding_seconds(audio: np.ndarray, rate: int) -> float:
    env = envelope_db(mono(audio), rate)
    peak = int(np.argmax(env))
    last = int(np.flatnonzero(env >= env[peak] - 30.0)[-1])
    return (last - peak) * HOP_SECONDS


def _loud_frames(x: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """Frames (rows) of ``x`` within 20 dB of its loudest frame."""
    if len(x) < n_fft:
        x = np.pad(x, (0, n_fft - len(x)))
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop]
    level = 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-20)
    return frames[level >= level.max() - 20.0]


def register_hz(audio: np.ndarray, rate: int) -> float:
    """Frequency of the strongest spectral peak (30 Hz-4 kHz) of the loud frames' mean
    power spectrum: the fundamental or a low partial of a note, a drum's main mode.
    (A pitch tracker locks onto v0.1's 43 Hz frame buzz in drums.)"""
    n_fft = 8192
    frames = _loud_frames(mono(audio), n_fft, n_fft // 4) * np.hanning(n_fft)
    power = np.mean(np.abs(np.fft.rfft(frames, axis=1)) ** 2, axis=0)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    band = (freqs >= 30.0) & (freqs <= 4000.0)
    return float(freqs[band][np.argmax(power[band])])


def noisiness(audio: np.ndarray, rate: int) -> float:
    frames = _loud_frames(mono(audio), 2048, 512) * np.hanning(2048)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2 + 1e-20
    flatness = np.exp(np.mean(np.log(power), axis=1)) / np.mean(power, axis=1)
    return float(np.median(flatness))


def attack_ms(audio: np.ndarray, rate: int) -> float:
    rise = attack_rise_ms(audio, rate)
    return float("inf") if rise is None else rise


# (word that raises the descriptor, word that lowers it, descriptor, its unit, its function,
#  instruments). "short" lowers the sounding length, "punchy" the attack time.
PAIRS = (
    ("bright", "dark", "centroid", "Hz", spectral_centroid, ("piano", "synth pad", "snare", "bass")),
    ("long", "short", "sounding length", "s", sounding_seconds, ("piano", "synth pad", "kick", "bell")),
    ("soft", "punchy", "attack rise", "ms", attack_ms, ("kick", "snare", "bass", "piano")),
    ("high", "low", "register", "Hz", register_hz, ("piano", "bass", "synth lead", "tom")),
    ("distorted", "clean", "noisiness", "", noisiness, ("guitar", "bass", "synth lead", "kick")),
)
QUICK_INSTRUMENTS = 1


def measure_character(engine, *, count: int = 8, seed: int = 0, quick: bool = False) -> list[dict]:
    """One row per word pair: the share of (instrument, seed) pairs that move the asked way."""
    rate = engine.model.sample_rate
    rows = []
    for up, down, name, unit, descriptor, instruments in PAIRS:
        per_instrument = {}
        for instrument in instruments[:QUICK_INSTRUMENTS] if quick else instruments:
            values = {}
            for word in (up, down):
                sounds = engine.generate(f"{word} {instrument}", count=count, seed=seed)
                values[word] = [descriptor(np.asarray(s.audio, np.float64), rate) for s in sounds]
            moved = [a > b for a, b in zip(values[up], values[down])]
            per_instrument[instrument] = {
                "moved": float(np.mean(moved)),
                f"median_{up}": float(np.median(values[up])),
                f"median_{down}": float(np.median(values[down]))}
        share = float(np.mean([v["moved"] for v in per_instrument.values()]))
        rows.append({"pair": f"{up} / {down}", "descriptor": name, "unit": unit,
                     "moved": share, "per_instrument": per_instrument})
    return rows


def format_character(engine_name: str, rows: list[dict]) -> list[str]:
    lines = [f"{engine_name}: character words (pairs where the descriptor moves the asked way; "
             f"target >= {TARGET:.0%})"]
    for row in rows:
        detail = ", ".join(f"{k} {v['moved']:.0%}" for k, v in row["per_instrument"].items())
        lines.append(f"  {row['pair']:<18} {row['descriptor']:<16} {row['moved']:>5.0%}   ({detail})")
    return lines
