"""Objective quality measures for audio codecs, and the Griffin-Lim baseline.

Everything here takes mono float arrays (1-D; a ``(frames, channels)`` array
is downmixed by averaging channels) at ``sample_rate`` and returns plain
Python floats, so the evaluation code, the training loop and the tests can
share it. Nothing keeps state except a cached ViSQOL instance (guarded by a
lock, so any thread may call these functions).

* :func:`multi_resolution_stft_distance`: a spectral distance, lower is
  better, 0 for identical signals. Cheap; sensitive to phase-free magnitude
  errors at several time/frequency trade-offs.
* :func:`visqol_score`: ViSQOL v3 audio mode (MOS-LQO, 1..5, higher is
  better), the pure-Python port shipped as ``visqol-python``; runs offline
  with the SVR model inside that package.
* :func:`griffin_lim_from_mel`: the baseline every neural codec must beat:
  invert the true log-mel (the model's own input representation) with a
  pseudo-inverse and 32 Griffin-Lim iterations.
"""

from __future__ import annotations

import logging
import math
import threading

import numpy as np
import soxr
import torch

from sketchpad.engine.features import SpectralConfig, log_mel_numpy
from sketchpad.engine.phase import mel_to_magnitude

MRSTFT_FFT_SIZES = (512, 1024, 2048, 4096)
"""FFT sizes (at 44.1 kHz) of :func:`multi_resolution_stft_distance`; hop = n/4."""

MRSTFT_LOG_FLOOR = 1e-5
"""Window-normalised magnitudes are clamped to this (-100 dB) before taking logs."""

VISQOL_RATE = 48000
"""ViSQOL audio mode is defined at 48 kHz; inputs are resampled to it."""

VISQOL_MIN_SECONDS = 1.5
"""Shorter inputs are tiled up to this length (see :func:`visqol_score`).

ViSQOL audio mode needs at least 45 spectrogram frames of 20 ms (0.9 s) for
one 30-frame patch; 1.5 s leaves room for its alignment search."""

VISQOL_SILENCE_PEAK = 1e-5
"""A signal whose absolute peak is below this (-100 dBFS) counts as silence."""

_visqol_lock = threading.Lock()
_visqol_api = None


def _mono(audio) -> np.ndarray:
    array = np.asarray(audio, dtype=np.float64)
    if array.ndim == 2:
        array = array.mean(axis=1)
    if array.ndim != 1:
        raise ValueError(f"expected mono (samples,) or (frames, channels) audio, got shape {array.shape}")
    return array


def _aligned(reference, estimate) -> tuple[np.ndarray, np.ndarray]:
    ref, est = _mono(reference), _mono(estimate)
    n = min(ref.shape[0], est.shape[0])
    return ref[:n], est[:n]


def _fft_sizes(sample_rate: int) -> list[int]:
    # Keep the same time spans at other rates, rounded to powers of two.
    scale = sample_rate / 44100.0
    return [2 ** max(4, round(math.log2(n * scale))) for n in MRSTFT_FFT_SIZES]


def multi_resolution_stft_distance(reference, estimate, sample_rate: int = 44100) -> float:
    """Multi-resolution STFT distance between two signals; lower is better.

    Both signals are downmixed to mono and trimmed to the shorter length.
    For each FFT size n in :data:`MRSTFT_FFT_SIZES` (512, 1024, 2048, 4096 at
    44.1 kHz, scaled to the nearest power of two at other rates), with a
    periodic Hann window w of n samples, hop n/4 and centred, zero-padded
    frames, let X = |STFT(reference)| / sum(w) and Y = |STFT(estimate)| /
    sum(w) (so a full-scale sinusoid peaks near 0.5 at every n). Then

        SC_n  = ||Y - X||_F / max(||X||_F, 1e-8)          (spectral convergence)
        LM_n  = mean over all bins of |ln max(Y, 1e-5) - ln max(X, 1e-5)|
        distance = mean over n of (SC_n + LM_n)

    The 1e-5 floor (-100 dB re a full-scale sinusoid) keeps inaudibly quiet
    bins, e.g. between the harmonics of a synthetic tone, from dominating LM.

    It is 0 for identical signals and grows with any magnitude error; it
    ignores phase within a frame. LM is symmetric, SC is not (it is
    normalised by the reference energy), so swapping the arguments gives a
    similar but not identical value. Two silent signals give 0.
    """
    ref, est = _aligned(reference, estimate)
    if ref.shape[0] == 0:
        return 0.0
    wave = torch.from_numpy(np.stack([ref, est]).astype(np.float32))
    total = 0.0
    sizes = _fft_sizes(sample_rate)
    for n_fft in sizes:
        window = torch.hann_window(n_fft, dtype=wave.dtype)
        spec = torch.stft(wave, n_fft, n_fft // 4, window=window, center=True, pad_mode="constant",
                          return_complex=True).abs().double() / float(window.sum())
        x, y = spec[0], spec[1]
        sc = torch.linalg.norm(y - x) / torch.clamp(torch.linalg.norm(x), min=1e-8)
        lm = (torch.log(torch.clamp(y, min=MRSTFT_LOG_FLOOR))
              - torch.log(torch.clamp(x, min=MRSTFT_LOG_FLOOR))).abs().mean()
        total += float(sc) + float(lm)
    return total / len(sizes)


BUZZ_HOP = 128
"""Envelope hop (samples) for :func:`modulation_db`: 345 envelope frames/s at 44.1 kHz."""

BUZZ_RANGE_DB = 40.0
""":func:`modulation_db` looks at the span where the reference is within this of its peak."""


def modulation_db(reference, estimate, frequency_hz: float, sample_rate: int = 44100) -> tuple[float, float]:
    """How strongly each signal's loudness wobbles at ``frequency_hz``, in dB.

    The frame rate of a decoder shows up as a periodic wobble of loudness (a
    buzz under sustained notes). For both signals: the RMS envelope in dB
    (256-sample frames, hop :data:`BUZZ_HOP`), over the span where the
    reference is within :data:`BUZZ_RANGE_DB` of its peak, minus its linear
    trend (decays are ramps in dB), Hann-windowed; returns the amplitude in dB
    of each envelope's sinusoid at ``frequency_hz`` as ``(reference, estimate)``.
    A clean codec matches the reference; a buzzing one exceeds it.
    Returns ``(0.0, 0.0)`` when the span is shorter than four periods.
    """
    ref, est = _aligned(reference, estimate)
    frames = 1 + max(0, ref.shape[0] - 2 * BUZZ_HOP) // BUZZ_HOP
    index = np.arange(2 * BUZZ_HOP)[None, :] + BUZZ_HOP * np.arange(frames)[:, None]
    envelopes = []
    for signal in (ref, est):
        framed = signal[np.minimum(index, signal.shape[0] - 1)] if signal.shape[0] else np.zeros((1, 1))
        envelopes.append(20 * np.log10(np.sqrt(np.mean(framed ** 2, axis=1)) + 1e-6))
    loud = np.flatnonzero(envelopes[0] >= envelopes[0].max() - BUZZ_RANGE_DB)
    rate = sample_rate / BUZZ_HOP
    if loud.size == 0 or (loud[-1] - loud[0] + 1) < 4 * rate / frequency_hz:
        return 0.0, 0.0
    span = slice(loud[0], loud[-1] + 1)
    amplitudes = []
    for envelope in envelopes:
        y = envelope[span]
        t = np.arange(y.shape[0])
        y = y - np.polyval(np.polyfit(t, y, 1), t)
        window = np.hanning(y.shape[0])
        phasor = np.exp(-2j * np.pi * frequency_hz / rate * t)
        amplitudes.append(float(2 * abs(np.sum(y * window * phasor)) / window.sum()))
    return amplitudes[0], amplitudes[1]


RISE_WINDOW = 8
"""Samples per step of the fine envelope of :func:`attack_rise_ms` (0.18 ms at 44.1 kHz)."""


def attack_rise_ms(audio, sample_rate: int = 44100) -> float | None:
    """Attack rise time: from 10 % to 90 % of the peak of a fine envelope, in ms.

    The envelope is the peak of |x| over 2 x ``RISE_WINDOW`` samples every
    ``RISE_WINDOW``; the rise is measured up to the first time the envelope
    reaches 90 % of its maximum. A vocoder that smears attacks lengthens it.
    None for silence.
    """
    x = np.abs(_mono(audio))
    if x.size == 0 or float(x.max()) <= VISQOL_SILENCE_PEAK:
        return None
    frames = max(1, x.shape[0] // RISE_WINDOW)
    padded = np.pad(x, (0, frames * RISE_WINDOW + RISE_WINDOW - x.shape[0]))
    blocks = padded[: (frames + 1) * RISE_WINDOW].reshape(frames + 1, RISE_WINDOW).max(axis=1)
    envelope = np.maximum(blocks[:-1], blocks[1:])
    peak = float(envelope.max())
    t90 = int(np.argmax(envelope >= 0.9 * peak))
    t10 = int(np.argmax(envelope[: t90 + 1] >= 0.1 * peak))
    return (t90 - t10) * RISE_WINDOW * 1000.0 / sample_rate


def _get_visqol():
    global _visqol_api
    if _visqol_api is None:
        from visqol import VisqolApi

        api = VisqolApi()
        # Audio mode, with the libsvm model bundled inside the package: no network.
        api.create(mode="audio")
        _visqol_api = api
    return _visqol_api


def _tile_to(signal: np.ndarray, length: int) -> np.ndarray:
    if signal.shape[0] >= length:
        return signal
    repeats = -(-length // signal.shape[0])
    return np.tile(signal, repeats)[:length]


def visqol_score(reference, estimate, sample_rate: int = 44100) -> float:
    """ViSQOL v3 audio-mode MOS-LQO of ``estimate`` against ``reference``.

    Higher is better; the scale is 1..5, but in audio mode an identical
    signal scores about 4.73 (the top of the bundled SVR mapping), not 5.
    ViSQOL matches the estimate's level to the reference before comparing,
    so a pure gain change does not lower the score, and it aligns the two
    globally, so a constant latency is forgiven.

    Steps: downmix to mono, trim both to the shorter length, resample to
    48 kHz with soxr (VHQ), and, if shorter than
    :data:`VISQOL_MIN_SECONDS`, tile (repeat) both signals identically up to
    that length. Tiling rather than silence-padding is deliberate: ViSQOL
    averages a similarity over 30-frame patches, and patches of digital
    silence in both signals would count as perfect matches and pull the
    score of a short one-shot towards the ceiling no matter how badly it was
    coded; repeated content keeps every patch about the sound itself.

    Silence (absolute peak below :data:`VISQOL_SILENCE_PEAK`), where ViSQOL is
    undefined: both silent gives 5.0 (nothing was lost or added); exactly one
    of them silent gives 1.0 (all content lost, or sound invented from
    nothing). An empty input counts as silent.
    """
    ref, est = _aligned(reference, estimate)
    ref_silent = ref.size == 0 or float(np.max(np.abs(ref))) < VISQOL_SILENCE_PEAK
    est_silent = est.size == 0 or float(np.max(np.abs(est))) < VISQOL_SILENCE_PEAK
    if ref_silent and est_silent:
        return 5.0
    if ref_silent or est_silent:
        return 1.0
    if not (np.all(np.isfinite(ref)) and np.all(np.isfinite(est))):
        raise ValueError("visqol_score: input contains NaN or infinite samples")
    if sample_rate != VISQOL_RATE:
        ref = soxr.resample(ref, sample_rate, VISQOL_RATE, quality="VHQ")
        est = soxr.resample(est, sample_rate, VISQOL_RATE, quality="VHQ")
        n = min(ref.shape[0], est.shape[0])
        ref, est = ref[:n], est[:n]
    minimum = int(math.ceil(VISQOL_MIN_SECONDS * VISQOL_RATE))
    ref, est = _tile_to(ref, minimum), _tile_to(est, minimum)
    with _visqol_lock:
        api = _get_visqol()
        visqol_logger = logging.getLogger("visqol")
        level = visqol_logger.level
        visqol_logger.setLevel(logging.ERROR)
        try:
            result = api.measure_from_arrays(np.ascontiguousarray(ref), np.ascontiguousarray(est), VISQOL_RATE)
        finally:
            visqol_logger.setLevel(level)
    return float(result.moslqo)


def griffin_lim_from_mel(audio, config: SpectralConfig = SpectralConfig(), n_iter: int = 32) -> np.ndarray:
    """Baseline codec: the audio's true log-mel inverted by Griffin-Lim.

    ``audio``: mono float (1-D, or ``(frames, channels)`` downmixed) at
    ``config.sample_rate``. The log-mel is :func:`log_mel_numpy` with
    ``config`` (what our models see), mapped back to a linear magnitude by
    :func:`mel_to_magnitude` (pseudo-inverse, clamp >= 0), then ``n_iter``
    Griffin-Lim iterations (torchaudio, momentum 0.99, zero initial phase,
    so the result is deterministic) with the same Hann window, FFT size and
    hop as the features. Returns float32 of the input's length.
    """
    wave = _mono(audio).astype(np.float32)
    length = wave.shape[0]
    if length == 0:
        return np.zeros(0, np.float32)
    # The reflect padding inside Griffin-Lim needs at least n_fft/2 + 1 samples.
    padded = np.pad(wave, (0, max(0, config.n_fft - length)))
    magnitude = mel_to_magnitude(log_mel_numpy(padded, config), config)
    import torchaudio.functional as AF

    window = torch.hann_window(config.n_fft)
    with torch.inference_mode():
        out = AF.griffinlim(torch.from_numpy(magnitude), window, config.n_fft, config.hop_samples,
                            config.n_fft, 1.0, n_iter, 0.99, padded.shape[0], False)
    return np.ascontiguousarray(out.numpy()[:length], dtype=np.float32)
