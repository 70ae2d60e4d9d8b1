"""Phase reconstruction without a neural network: mel -> magnitude -> waveform.

The vocoder-free path of the sound engine, and the tools the neural vocoder's
optional refinement shares:

* :func:`mel_to_magnitude`: a linear STFT magnitude from a natural-log mel
  (pseudo-inverse of the filterbank, clamped at 0).
* :func:`phase_gradient_phase`: an initial phase from the magnitude alone,
  using the phase-gradient relations of Gaussian-windowed STFTs (PGHI,
  Prusa et al. 2017): the time derivative of the phase follows from the
  magnitude's slope across frequency, the frequency derivative from its slope
  across time. Phase is integrated along time at each frame's spectral peaks
  and along frequency around each peak, frame by frame and vectorised over
  bins, so a long song costs a fraction of a second per minute.
* :func:`fast_griffin_lim`: Griffin-Lim with momentum (Perraudin et al. 2013)
  from any starting phase (:func:`griffin_lim_from`: from a complex spectrum's).
* :func:`match_mel`: a magnitude rescaled band by band to a given mel, which
  keeps its fine structure (the neural vocoder's refinement target).

Arrays: magnitudes are (n_fft // 2 + 1, frames) float32, frames centred on
multiples of the hop as in :func:`sketchpad.engine.features.stft`.
Thread use: pure functions, safe on any worker.
"""

from __future__ import annotations

import numpy as np
import torch

from sketchpad.engine.features import SpectralConfig, log_mel_numpy, mel_basis

HANN_GAUSSIAN_RATIO = 0.25645
"""lambda = ratio * window_length**2: the Gaussian that best matches a Hann window."""
TOLERANCE_DB = 50.0
"""Bins this far below the loudest bin get no integrated phase (they are noise)."""
DEFAULT_ITERATIONS = 32
MOMENTUM = 0.99
GROUP_BINS = 1 << 19
"""Spectrum bins (rows x bins x frames) per Griffin-Lim pass (see :func:`fast_griffin_lim`)."""

_pinv_cache: dict = {}


def _pinv_basis(config: SpectralConfig, device=None) -> np.ndarray | torch.Tensor:
    """The filterbank's pseudo-inverse: float64 NumPy, or a float32 tensor on ``device``."""
    key = (config, None if device is None else str(device))
    inverse = _pinv_cache.get(key)
    if inverse is None:
        if device is None:
            inverse = np.linalg.pinv(mel_basis(config).double().numpy())
        else:
            inverse = torch.from_numpy(_pinv_basis(config).astype(np.float32)).to(device)
        _pinv_cache[key] = inverse
    return inverse


def mel_to_magnitude(log_mel, config: SpectralConfig = SpectralConfig()):
    """Linear STFT magnitude ``(..., n_fft//2+1, frames)`` from a natural-log mel.

    exp() of the log-mel, then the Moore-Penrose pseudo-inverse of the mel
    filterbank, clamped at 0. (Non-negative least squares fits the mel
    equally well here, within 1e-4 in log-mel error, at about 200x the cost.)
    A NumPy mel is computed in float64 (the fallback and the Griffin-Lim baseline); a
    tensor in float32 on its device, within 2e-7 of the loudest bin and about a third of
    the time for a 2 s one-shot (the vocoder's refinement, measured).
    """
    if isinstance(log_mel, torch.Tensor):
        return torch.matmul(_pinv_basis(config, log_mel.device), torch.exp(log_mel.float())).clamp_min_(0.0)
    mel = np.exp(np.asarray(log_mel, dtype=np.float64))
    return np.maximum(_pinv_basis(config) @ mel, 0.0).astype(np.float32)


def phase_gradient_phase(magnitude: np.ndarray, config: SpectralConfig = SpectralConfig()) -> np.ndarray:
    """An initial phase (radians, same shape as ``magnitude``) in torch.stft's convention."""
    mag = np.asarray(magnitude, np.float64)
    bins, frames = mag.shape
    n_fft, hop = config.n_fft, config.hop_samples
    if frames == 0:
        return np.zeros_like(mag, dtype=np.float32)
    lam = HANN_GAUSSIAN_RATIO * n_fft ** 2
    log_mag = np.log(mag + 1e-12)
    floor = log_mag.max() - TOLERANCE_DB / 20.0 * np.log(10.0)
    log_mag = np.maximum(log_mag, floor)
    slope_f = np.gradient(log_mag, axis=0) if bins > 1 else np.zeros_like(log_mag)
    slope_t = np.gradient(log_mag, axis=1) if frames > 1 else np.zeros_like(log_mag)
    centre = 2.0 * np.pi * hop * np.arange(bins)[:, None] / n_fft
    # Phase advance over one hop (instantaneous frequency) and phase step from
    # one bin to the next (group delay), for a window centred on its frame.
    advance = centre + (hop * n_fft / lam) * slope_f
    step = -(lam / (hop * n_fft)) * slope_t
    # Cumulative frequency integral (trapezoid) so a bin's phase relative to a peak is a difference.
    integral = np.zeros_like(step)
    integral[1:] = np.cumsum(0.5 * (step[1:] + step[:-1]), axis=0)
    loud = mag > np.exp(floor) * 1.0001
    index = np.arange(bins)
    phase = np.zeros_like(mag)
    # The first frame's peaks start at fixed pseudo-random phases: all at zero they
    # add up to a click at the start (measured: onsets 1.5-2x too loud in the first 5 ms).
    previous = np.random.default_rng(0).uniform(0.0, 2 * np.pi, bins)
    for t in range(frames):
        frame = mag[:, t]
        timed = previous + (0.5 * (advance[:, t - 1] + advance[:, t]) if t else 0.0)
        peaks = index[1:-1][(frame[1:-1] >= frame[:-2]) & (frame[1:-1] > frame[2:]) & loud[1:-1, t]]
        if peaks.size:
            nearest = _nearest(peaks, index)
            current = timed[nearest] + integral[:, t] - integral[nearest, t]
        else:
            current = timed
        phase[:, t] = current
        previous = current
    # Centred window -> torch's frames, whose phase reference is the window's first sample.
    phase += np.pi * index[:, None] * ((n_fft // 2) * 2 / n_fft)
    return np.mod(phase, 2 * np.pi).astype(np.float32)


def _nearest(peaks: np.ndarray, index: np.ndarray) -> np.ndarray:
    """For every bin in ``index``, the closest entry of the sorted ``peaks``."""
    right = np.clip(np.searchsorted(peaks, index), 0, peaks.size - 1)
    left = np.clip(right - 1, 0, peaks.size - 1)
    closer_left = np.abs(index - peaks[left]) <= np.abs(peaks[right] - index)
    return np.where(closer_left, peaks[left], peaks[right])


def match_mel(magnitude: torch.Tensor, log_mel: torch.Tensor, config: SpectralConfig,
              rounds: int = 3) -> torch.Tensor:
    """``magnitude`` (..., bins, frames) rescaled band by band until its mel is ``log_mel``.

    Each round multiplies every bin by the filterbank-weighted mean of its
    bands' (wanted / current) mel ratios, so the magnitude keeps its shape
    inside a band (harmonics stay peaks) while the band energies follow the
    mel. Three rounds bring the mel within about 1 % where the magnitude has
    energy; bins with none stay silent.
    """
    bands = _band_pairs(config, magnitude.device)
    wanted = torch.exp(log_mel.float())
    shaped = magnitude.float()
    for _ in range(rounds):
        shaped = shaped * bands.spread(wanted / bands.mel(shaped).clamp_min(config.log_floor))
    return shaped.to(magnitude.dtype)


class _BandPairs:
    """The mel filterbank as the two bands each linear bin belongs to (triangular filters
    overlap by one neighbour), so mel sums and their spread back over the bins cost
    O(bins) per frame instead of a dense (mels x bins) product: a 2 s one-shot's
    ``match_mel`` took 1.3 ms instead of 2.1 ms (measured), with the same numbers
    within float rounding."""

    def __init__(self, config: SpectralConfig, device):
        basis = mel_basis(config, device).float()  # (mels, bins)
        if int((basis > 0).sum(0).max()) > 2:
            raise ValueError("a linear bin lies in more than two mel bands")
        weights, bands = torch.topk(basis, 2, dim=0)  # (2, bins); a missing band has weight 0
        self.mels = basis.shape[0]
        self.bands, self.weights = bands, weights
        self.spread_weights = weights / weights.sum(0).clamp_min(1e-12)

    def mel(self, magnitude: torch.Tensor) -> torch.Tensor:
        """(..., bins, F) -> (..., mels, F): the filterbank applied."""
        out = magnitude.new_zeros(*magnitude.shape[:-2], self.mels, magnitude.shape[-1])
        for k in range(2):
            out.index_add_(-2, self.bands[k], magnitude * self.weights[k][:, None])
        return out

    def spread(self, per_band: torch.Tensor) -> torch.Tensor:
        """(..., mels, F) -> (..., bins, F): each bin's weighted mean of its bands' values."""
        return sum(per_band.index_select(-2, self.bands[k]) * self.spread_weights[k][:, None]
                   for k in range(2))


_band_pairs_cache: dict = {}


def _band_pairs(config: SpectralConfig, device) -> _BandPairs:
    key = (config, str(device))
    pairs = _band_pairs_cache.get(key)
    if pairs is None:
        pairs = _band_pairs_cache[key] = _BandPairs(config, device)
    return pairs


class _FrameMajorSTFT:
    """STFT and inverse STFT of one length, with spectra laid out (..., frames, bins).

    That is the layout the FFT reads and writes, so every elementwise Griffin-Lim step runs
    on contiguous memory: torch.stft's (bins, frames) result is a transposed view, and each
    step on it cost several times more (a 2 s one-shot's 12 iterations took 19 ms instead of
    14 ms, measured). The samples equal torch.stft / torch.istft (centred, Hann; the inverse
    normalised by the summed squared window); the inverse adds whole hop-sized blocks when
    the hop divides the FFT size, about half the cost of scattering frames.
    """

    def __init__(self, config: SpectralConfig, frames: int, length: int, dtype, device):
        self.config, self.frames, self.length = config, frames, length
        n_fft, hop = config.n_fft, config.hop_samples
        self.window = torch.hann_window(n_fft, device=device, dtype=dtype)
        self.pad_mode = "reflect" if length > n_fft // 2 else "constant"
        self.blocks = n_fft // hop if n_fft % hop == 0 else 0
        if self.blocks:
            self.window_blocks = self.window.reshape(self.blocks, hop)
            squared = self.window_blocks ** 2
            norm = torch.zeros(frames + self.blocks - 1, hop, dtype=dtype, device=device)
            for k in range(self.blocks):
                norm[k:k + frames] += squared[k]
            self.norm = norm.reshape(-1)[n_fft // 2: n_fft // 2 + length].clamp_min(1e-11)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        """(..., length) -> complex (..., frames, bins)."""
        n_fft, hop = self.config.n_fft, self.config.hop_samples
        lead = wave.shape[:-1]
        padded = torch.nn.functional.pad(wave.reshape(-1, 1, wave.shape[-1]), (n_fft // 2, n_fft // 2),
                                         mode=self.pad_mode)
        framed = padded.reshape(*lead, -1).unfold(-1, n_fft, hop) * self.window
        return torch.fft.rfft(framed, dim=-1)

    def inverse(self, spec: torch.Tensor) -> torch.Tensor:
        """complex (..., frames, bins) -> (..., length)."""
        c = self.config
        if not self.blocks:
            return torch.istft(spec.transpose(-1, -2), c.n_fft, c.hop_samples, window=self.window,
                               center=True, length=self.length)
        lead = spec.shape[:-2]
        framed = torch.fft.irfft(spec, c.n_fft, dim=-1).reshape(*lead, self.frames, self.blocks, c.hop_samples)
        out = framed.new_zeros(*lead, self.frames + self.blocks - 1, c.hop_samples)
        # the window is applied block by block as the frames are added: one pass over the
        # frames fewer (about 3 of a 2 s one-shot's 20 ms of 12 iterations on one core, measured)
        for k in range(self.blocks):
            out[..., k:k + self.frames, :].addcmul_(framed[..., k, :], self.window_blocks[k])
        start = c.n_fft // 2
        return out.reshape(*lead, -1)[..., start: start + self.length].div_(self.norm)


def inverse_stft(spec: torch.Tensor, config: SpectralConfig, length: int) -> torch.Tensor:
    """``torch.istft`` of complex ``spec`` (..., bins, frames), centred, Hann, trimmed or
    zero-padded to ``length``: the same samples at about a third of the cost (1.15 against
    0.35 ms for a 2 s one-shot on one core, measured), least of all when ``spec`` is a
    transposed view of frames-first memory, as the vocoder head writes it. Its gradients
    are torch.istft's too, so the vocoder trains through it."""
    frames = spec.shape[-1]
    covered = max(0, (frames - 1) * config.hop_samples)
    transforms = _FrameMajorSTFT(config, frames, min(length, covered + config.hop_samples),
                                 spec.real.dtype, spec.device)
    return _to_length(transforms.inverse(spec.transpose(-1, -2).contiguous()), length)


def _to_length(wave: torch.Tensor, length: int) -> torch.Tensor:
    """``wave`` (..., samples) cut or zero-padded to ``length`` samples."""
    if wave.shape[-1] >= length:
        return wave[..., :length]
    return torch.nn.functional.pad(wave, (0, length - wave.shape[-1]))


def fast_griffin_lim(magnitude: torch.Tensor, phase: torch.Tensor, config: SpectralConfig,
                     length: int, iterations: int = DEFAULT_ITERATIONS,
                     momentum: float = MOMENTUM) -> torch.Tensor:
    """Waveform (..., length) whose STFT magnitude approaches ``magnitude`` (..., bins, frames),
    starting from ``phase`` (same shape); ``iterations`` = 0 is a plain inverse STFT."""
    return griffin_lim_from(torch.polar(magnitude, phase), magnitude, config, length, iterations, momentum)


def griffin_lim_from(start: torch.Tensor, magnitude: torch.Tensor, config: SpectralConfig,
                     length: int, iterations: int = DEFAULT_ITERATIONS,
                     momentum: float = MOMENTUM) -> torch.Tensor:
    """As :func:`fast_griffin_lim`, starting from the phase of the complex spectrum ``start``
    (..., bins, frames), whose own magnitude is ignored: no angle() and polar() round trip,
    which cost about 1.6 ms per 2 s of audio on the CPU (measured).

    Rows are independent, so they run in groups of about :data:`GROUP_BINS` spectrum
    bins: every step allocates several spectrum-sized tensors, and once those pass
    the allocator's mmap threshold each one costs fresh page faults. A stereo 24 s
    chunk ran 2-2.7x faster row by row, eight one-shots about 1.5x faster in pairs
    (measured on the 2-core CPU). The result is the same as one batched pass.
    """
    lead = magnitude.shape[:-2]
    rows = int(np.prod(lead)) if lead else 1
    group = max(1, GROUP_BINS // (magnitude.shape[-2] * magnitude.shape[-1]))
    if rows > group:
        flat_start = start.reshape(rows, *start.shape[-2:])
        flat_magnitude = magnitude.reshape(rows, *magnitude.shape[-2:])
        waves = [_griffin_lim_rows(flat_start[i:i + group], flat_magnitude[i:i + group], config, length,
                                   iterations, momentum) for i in range(0, rows, group)]
        return torch.cat(waves).reshape(*lead, -1)
    return _griffin_lim_rows(start, magnitude, config, length, iterations, momentum)


def _unit_phase_times(spec: torch.Tensor, magnitude: torch.Tensor, *, in_place: bool = False) -> torch.Tensor:
    """``magnitude`` x the unit phasor of ``spec`` (0 where ``spec`` is 0); ``in_place``
    overwrites ``spec``. |x|^2 as Re(x conj x) and a reciprocal square root: complex abs()
    costs about 8x that on the CPU (measured), and exp(i angle(x)) more still."""
    scale = (spec * spec.conj()).real.clamp_min(1e-24).rsqrt_().mul_(magnitude)
    return spec.mul_(scale) if in_place else spec * scale


def _griffin_lim_rows(start: torch.Tensor, magnitude: torch.Tensor, config: SpectralConfig,
                      length: int, iterations: int, momentum: float) -> torch.Tensor:
    # frame-major and contiguous (see _FrameMajorSTFT); strided input costs ~3x per step
    magnitude = magnitude.transpose(-1, -2).contiguous()
    frames = magnitude.shape[-2]
    work = (frames - 1) * config.hop_samples  # the length whose STFT has these frames
    transforms = _FrameMajorSTFT(config, frames, work, magnitude.dtype, magnitude.device)

    spec = _unit_phase_times(start.transpose(-1, -2).contiguous(), magnitude)
    previous = spec
    for _ in range(iterations):
        # the forward transform's result is fresh, so it is projected in place
        projected = _unit_phase_times(transforms.forward(transforms.inverse(spec)), magnitude, in_place=True)
        # projected + momentum * (projected - previous) in one pass, on the real view:
        # complex arithmetic on CPU costs about 7x more here
        spec = torch.view_as_complex(torch.lerp(torch.view_as_real(previous), torch.view_as_real(projected),
                                                1.0 + momentum))
        previous = projected
    # The last projection, not the extrapolated point, is what the magnitude constraint holds for.
    return _to_length(transforms.inverse(previous if iterations else spec), length)


def magnitude_to_audio(magnitude: np.ndarray, length: int, config: SpectralConfig = SpectralConfig(),
                       iterations: int = DEFAULT_ITERATIONS) -> np.ndarray:
    """float32 (length,) from a magnitude: phase-gradient start, then fast Griffin-Lim."""
    phase = phase_gradient_phase(magnitude, config)
    with torch.inference_mode():
        wave = fast_griffin_lim(torch.from_numpy(np.ascontiguousarray(magnitude, np.float32)),
                                torch.from_numpy(phase), config, length, iterations)
    return np.ascontiguousarray(wave.numpy(), np.float32)


def mel_to_audio(log_mel: np.ndarray, length: int, config: SpectralConfig = SpectralConfig(),
                 iterations: int = DEFAULT_ITERATIONS) -> np.ndarray:
    """The vocoder-free path: log-mel (n_mels, frames) -> float32 (length,)."""
    return magnitude_to_audio(mel_to_magnitude(log_mel, config), length, config, iterations)


def audio_mel(audio: np.ndarray, config: SpectralConfig = SpectralConfig()) -> np.ndarray:
    """Log-mel of mono audio, padded so even a very short sound gives whole frames."""
    wave = np.asarray(audio, np.float32)
    padded = np.pad(wave, (0, max(0, config.n_fft - wave.shape[0])))
    return log_mel_numpy(padded, config)
