"""Envelope and spectrum numbers of a sound: attack, decay, centroid, clipping.

Used to caption training data and to name the latent slider directions.
Audio is float (frames, channels) or (frames,) at ``rate`` Hz; channels are
averaged. The envelope is an RMS level in dB over 10 ms hops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RATE = 44100
HOP_SECONDS = 0.01


@dataclass(frozen=True)
class Features:
    """Numbers behind the qualities. Times in seconds, levels in dB relative to the peak."""

    attack_s: float
    peak_s: float
    drop_after_500ms_db: float
    time_to_minus30_s: float | None  # from the peak; None if never
    centroid_hz: float
    clip_fraction: float
    duration_s: float


def mono(audio: np.ndarray) -> np.ndarray:
    a = np.asarray(audio, dtype=np.float64)
    return a.mean(axis=1) if a.ndim == 2 else a


def envelope_db(x: np.ndarray, rate: int) -> np.ndarray:
    hop = max(1, int(HOP_SECONDS * rate))
    n = len(x) // hop
    if n == 0:
        return np.full(1, -200.0)
    rms = np.sqrt(np.mean(x[: n * hop].reshape(n, hop) ** 2, axis=1))
    return 20 * np.log10(rms + 1e-12)


def first_index(mask: np.ndarray, start: int = 0) -> int | None:
    idx = np.flatnonzero(mask[start:])
    return int(idx[0]) + start if len(idx) else None


def spectral_centroid(x: np.ndarray, rate: int) -> float:
    n_fft, hop = 2048, 512
    if len(x) < n_fft:
        x = np.pad(x, (0, n_fft - len(x)))
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop] * np.hanning(n_fft)
    mag = np.abs(np.fft.rfft(frames, axis=1))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    per_frame = mag.sum(axis=1)
    weights = (mag ** 2).sum(axis=1)
    if weights.sum() <= 0:
        return 0.0
    cent = (mag * freqs).sum(axis=1) / np.maximum(per_frame, 1e-20)
    return float((cent * weights).sum() / weights.sum())


def measure(audio: np.ndarray, rate: int = RATE) -> Features:
    """Envelope and spectrum numbers of a sound (see module docstring)."""
    x = mono(audio)
    env = envelope_db(x, rate)
    peak_i = int(np.argmax(env))
    top = env[peak_i]
    onset_i = first_index(env >= top - 40) or 0
    reached = first_index(env >= top - 6) or peak_i
    later = min(len(env) - 1, peak_i + int(0.5 / HOP_SECONDS))
    m30 = first_index(env < top - 30, peak_i)
    absx = np.abs(x)
    peak = absx.max() if len(x) else 0.0
    clip = float(np.mean(absx >= peak * 0.999)) if peak > 0 else 0.0
    return Features(
        attack_s=(reached - onset_i) * HOP_SECONDS, peak_s=peak_i * HOP_SECONDS,
        drop_after_500ms_db=float(top - env[later]),
        time_to_minus30_s=None if m30 is None else (m30 - peak_i) * HOP_SECONDS,
        centroid_hz=spectral_centroid(x, rate), clip_fraction=clip, duration_s=len(x) / rate)
