"""Small edits of audio arrays: fades, trimming, fitting a length, transposing like a sampler.

Qt-free, no state: any thread. Arrays are float32 ``(frames,)`` or ``(frames, channels)``.
"""

from __future__ import annotations

import numpy as np
import soxr

from sketchpad.audio.io import PROJECT_RATE


def fade_out(audio: np.ndarray, rate: int, seconds: float = 0.01) -> np.ndarray:
    """Linear fade over the last ``seconds`` (in place; (frames,) or (frames, ch)); no click at the cut."""
    fade = min(audio.shape[0], int(seconds * rate))
    ramp = np.linspace(1.0, 0.0, fade, dtype=np.float32)
    audio[audio.shape[0] - fade:] *= ramp if audio.ndim == 1 else ramp[:, None]
    return audio


def trim_tail(audio: np.ndarray, rate: int, floor_db: float = -60.0,
              keep_seconds: float = 0.05) -> np.ndarray:
    """Cut trailing silence (below ``floor_db`` relative to the peak) with a short fade."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak <= 0:
        return audio[: int(0.1 * rate)]
    loud = np.flatnonzero(np.abs(audio) > peak * 10 ** (floor_db / 20))
    end = min(audio.shape[0], int(loud[-1]) + int(keep_seconds * rate))
    return fade_out(audio[:end].copy(), rate)


def fit_seconds(audio: np.ndarray, rate: int, seconds: float) -> np.ndarray:
    frames = max(1, int(seconds * rate))
    if audio.shape[0] >= frames:
        return fade_out(audio[:frames].copy(), rate)
    return np.concatenate([audio, np.zeros(frames - audio.shape[0], np.float32)])


def transpose(samples: np.ndarray, semitones: float) -> np.ndarray:
    """``samples`` played ``semitones`` higher (shorter) or lower (longer), as a sampler does.

    Resampling, not time-stretching: pitch and length change together. Same
    shapes as :func:`resample`; float32, C-contiguous. Fast enough for a MIDI
    thread (about 1 ms for 2 s of stereo). Any thread.
    """
    data = np.ascontiguousarray(samples, dtype=np.float32)
    if not semitones or data.shape[0] == 0:
        return data
    ratio = 2.0 ** (float(semitones) / 12.0)
    out = soxr.resample(data, PROJECT_RATE * ratio, PROJECT_RATE, quality="HQ")
    return np.ascontiguousarray(out, dtype=np.float32)
