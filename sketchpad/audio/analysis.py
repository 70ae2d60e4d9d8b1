"""Display analysis: a min/max peak pyramid for waveforms and a mel spectrogram.

Both are computed once on a worker thread; the views then only slice them,
so drawing a ten-minute file costs the same as drawing a one-shot.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

BASE_BLOCK = 64  # samples summarised by one entry of the finest pyramid level
LEVEL_FACTOR = 4  # each coarser level summarises this many entries of the finer one


@dataclass(frozen=True)
class PeakPyramid:
    """Per-channel min/max envelopes at block sizes 64, 256, 1024, ... samples.

    ``levels[k]`` is a (mins, maxs) pair, each float32 of shape
    (blocks_k, channels), where block k covers ``block_sizes[k]`` samples.
    """

    samples: np.ndarray  # (frames, channels) float32, kept for close zoom
    block_sizes: tuple[int, ...]
    levels: tuple[tuple[np.ndarray, np.ndarray], ...]

    @classmethod
    def build(cls, samples: np.ndarray) -> "PeakPyramid":
        if samples.ndim == 1:
            samples = samples[:, None]
        frames, channels = samples.shape
        full = frames // BASE_BLOCK * BASE_BLOCK
        blocks = samples[:full].reshape(-1, BASE_BLOCK, channels)
        mins, maxs = blocks.min(axis=1), blocks.max(axis=1)
        if full < frames:  # the ragged tail is one more block
            tail = samples[full:]
            mins = np.vstack([mins, tail.min(axis=0, keepdims=True)])
            maxs = np.vstack([maxs, tail.max(axis=0, keepdims=True)])
        levels = [(mins.astype(np.float32), maxs.astype(np.float32))]
        sizes = [BASE_BLOCK]
        while levels[-1][0].shape[0] > 1:
            lo, hi = levels[-1]
            n = lo.shape[0]
            pad = (-n) % LEVEL_FACTOR
            if pad:
                lo = np.vstack([lo, np.repeat(lo[-1:], pad, axis=0)])
                hi = np.vstack([hi, np.repeat(hi[-1:], pad, axis=0)])
            lo = lo.reshape(-1, LEVEL_FACTOR, channels).min(axis=1)
            hi = hi.reshape(-1, LEVEL_FACTOR, channels).max(axis=1)
            levels.append((lo, hi))
            sizes.append(sizes[-1] * LEVEL_FACTOR)
        return cls(samples=samples, block_sizes=tuple(sizes), levels=tuple(levels))

    @property
    def frames(self) -> int:
        return self.samples.shape[0]

    @property
    def channels(self) -> int:
        return self.samples.shape[1]

    def envelope(self, start: int, stop: int, columns: int):
        """Min/max envelope of frames [start, stop) in about ``columns`` columns.

        Returns (positions, mins, maxs): positions in frames (float64, shape
        (n,)), mins and maxs float32 of shape (n, channels). When fewer than
        two samples fall in a column, the raw samples are returned instead
        (mins == maxs), so close zoom shows the real waveform.
        """
        start = int(max(0, min(start, self.frames)))
        stop = int(max(start, min(stop, self.frames)))
        columns = max(1, int(columns))
        span = stop - start
        if span == 0:
            empty = np.zeros((0, self.channels), np.float32)
            return np.zeros(0), empty, empty
        per_column = span / columns
        if per_column < 2 * BASE_BLOCK:
            step = max(1, int(per_column // 2))
            if step <= 1:
                raw = self.samples[start:stop]
                return np.arange(start, stop, dtype=np.float64), raw, raw
            # Reduce the raw samples directly: cheap, since the span is small.
            n = span // step
            chunk = self.samples[start:start + n * step].reshape(n, step, self.channels)
            pos = start + np.arange(n, dtype=np.float64) * step
            return pos, chunk.min(axis=1), chunk.max(axis=1)
        # Coarsest level whose blocks are still at most half a column wide.
        level = 0
        while (level + 1 < len(self.block_sizes)
               and self.block_sizes[level + 1] * 2 <= per_column):
            level += 1
        block = self.block_sizes[level]
        lo, hi = self.levels[level]
        first, last = start // block, -(-stop // block)
        lo, hi = lo[first:last], hi[first:last]
        group = max(1, int(per_column // block))
        n = -(-lo.shape[0] // group)
        pad = n * group - lo.shape[0]
        if pad:  # the last column may be partial: repeat its edge, which keeps min/max
            lo = np.concatenate([lo, np.repeat(lo[-1:], pad, axis=0)])
            hi = np.concatenate([hi, np.repeat(hi[-1:], pad, axis=0)])
        lo = lo.reshape(n, group, self.channels).min(axis=1)
        hi = hi.reshape(n, group, self.channels).max(axis=1)
        pos = (first + np.arange(n, dtype=np.float64) * group) * block
        return pos, lo, hi


@dataclass(frozen=True)
class Spectrogram:
    """Log-mel magnitudes for display: ``db`` is float32 (columns, mel_bins).

    Column i starts at ``i * hop_samples`` frames; bin centres in Hz are
    ``mel_hz``. Values are dB relative to full scale, floored at ``floor_db``.
    """

    db: np.ndarray
    hop_samples: int
    sample_rate: int
    mel_hz: np.ndarray
    floor_db: float


@lru_cache(maxsize=8)
def _mel_filters(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    import librosa  # heavy import: only on the worker that needs it

    return librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels,
                               fmin=20.0, fmax=sample_rate / 2, norm=None).astype(np.float32)


def mel_frequencies(sample_rate: int, n_mels: int) -> np.ndarray:
    import librosa

    return librosa.mel_frequencies(n_mels=n_mels + 2, fmin=20.0, fmax=sample_rate / 2)[1:-1]


def display_spectrogram(samples: np.ndarray, sample_rate: int, *, n_fft: int = 2048,
                        n_mels: int = 128, max_columns: int = 6000,
                        floor_db: float = -100.0, progress=None) -> Spectrogram:
    """Mel spectrogram of the channel mean with at most ``max_columns`` columns.

    The hop grows for long files (at least n_fft / 4) so memory and time stay
    bounded: a ten-minute song costs the same as a twenty-second one.
    ``progress(fraction)`` is called between blocks; it may raise to cancel.
    """
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    mono = np.asarray(mono, dtype=np.float32)
    frames = mono.shape[0]
    hop = max(n_fft // 4, -(-frames // max_columns))
    columns = max(1, -(-frames // hop))
    padded = np.concatenate([np.zeros(n_fft // 2, np.float32), mono,
                             np.zeros(n_fft, np.float32)])
    window = np.hanning(n_fft).astype(np.float32)
    filters = _mel_filters(sample_rate, n_fft, n_mels)
    out = np.empty((columns, n_mels), np.float32)
    block = 512  # columns per FFT batch keeps peak memory small
    for first in range(0, columns, block):
        idx = np.arange(first, min(first + block, columns)) * hop
        frames_block = padded[idx[:, None] + np.arange(n_fft)[None, :]] * window
        power = np.abs(np.fft.rfft(frames_block, axis=1)) ** 2
        out[first:first + len(idx)] = power.astype(np.float32) @ filters.T
        if progress is not None:
            progress(min(1.0, (first + block) / columns))
    # Normalise so a full-scale sine reads about 0 dB.
    ref = (window.sum() / 2) ** 2
    db = 10.0 * np.log10(np.maximum(out / ref, 1e-12))
    np.maximum(db, floor_db, out=db)
    return Spectrogram(db=db.astype(np.float32), hop_samples=hop, sample_rate=sample_rate,
                       mel_hz=mel_frequencies(sample_rate, n_mels), floor_db=floor_db)
