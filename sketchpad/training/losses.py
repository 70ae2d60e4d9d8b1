"""Training losses for the sound VAE (spectral reconstruction and KL)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from sketchpad.engine.features import SpectralConfig, log_mel

LOSS_FFT_SIZES = (256, 512, 1024, 2048, 4096)


def _magnitude(wave: torch.Tensor, n_fft: int, floor: float) -> torch.Tensor:
    window = torch.hann_window(n_fft, device=wave.device)
    spec = torch.stft(wave, n_fft, n_fft // 4, window=window, center=True, return_complex=True)
    # Window-normalised, like the evaluation's distance, so the floor means the same level.
    return (spec.abs() / window.sum()).clamp(min=floor)


def multi_resolution_stft_loss(estimate: torch.Tensor, target: torch.Tensor,
                               fft_sizes=LOSS_FFT_SIZES,
                               floor: float = 1e-10) -> torch.Tensor:
    """Mean over resolutions of spectral convergence + L1 of log magnitudes.

    Magnitudes are window-normalised (a full-scale sinusoid peaks near 0.5)
    and clamped to ``floor`` before the log (1e-10: -200 dB).
    """
    total = estimate.new_zeros(())
    for n_fft in fft_sizes:
        est, ref = _magnitude(estimate, n_fft, floor), _magnitude(target, n_fft, floor)
        convergence = torch.linalg.norm(ref - est) / torch.linalg.norm(ref).clamp(min=1e-7)
        total = total + convergence + F.l1_loss(torch.log(est), torch.log(ref))
    return total / len(fft_sizes)


def mel_loss(estimate: torch.Tensor, target: torch.Tensor, config: SpectralConfig) -> torch.Tensor:
    return F.l1_loss(log_mel(estimate, config), log_mel(target, config))


def kl_divergence(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)) per latent number, averaged."""
    return 0.5 * torch.mean(mean.pow(2) + logvar.exp() - 1.0 - logvar)
