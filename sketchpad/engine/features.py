"""Time-frequency features shared by the models, training and evaluation.

One STFT/mel configuration for everything, so the mel a model sees, the mel
its losses compare and the mel the Griffin-Lim baseline inverts are the same.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
import torch


@dataclass(frozen=True)
class SpectralConfig:
    """STFT and mel settings. Frames are ``hop_samples`` apart, centred."""

    sample_rate: int = 44100
    n_fft: int = 2048
    hop_samples: int = 512
    n_mels: int = 128
    fmin_hz: float = 0.0
    fmax_hz: float = 22050.0
    log_floor: float = 1e-5

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def frames_per_second(self) -> float:
        return self.sample_rate / self.hop_samples


class SpectralSettings:
    """For model configs (frozen dataclasses) holding a ``spectral`` field: a JSON round trip."""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict):
        data = dict(data)
        spectral = SpectralConfig(**data.pop("spectral", {}))
        return cls(spectral=spectral, **data)


class LatentGeometry(SpectralSettings):
    """For latent model configs with ``latent_channels`` and ``time_downsample`` fields."""

    @property
    def latent_rate_hz(self) -> float:
        return self.spectral.frames_per_second / self.time_downsample

    @property
    def compression(self) -> float:
        """Audio samples per latent number (for mono audio)."""
        return self.spectral.sample_rate / (self.latent_rate_hz * self.latent_channels)


@lru_cache(maxsize=8)
def _mel_basis(config: SpectralConfig) -> np.ndarray:
    import librosa

    return librosa.filters.mel(sr=config.sample_rate, n_fft=config.n_fft, n_mels=config.n_mels,
                               fmin=config.fmin_hz, fmax=config.fmax_hz).astype(np.float32)


def mel_basis(config: SpectralConfig, device=None) -> torch.Tensor:
    """(n_mels, n_fft // 2 + 1) Slaney mel filterbank."""
    return torch.from_numpy(_mel_basis(config)).to(device)


def stft(wave: torch.Tensor, config: SpectralConfig) -> torch.Tensor:
    """Complex STFT, (batch, samples) -> (batch, n_fft // 2 + 1, frames).

    frames = samples // hop_samples + 1 (centred, reflect-padded).
    """
    window = torch.hann_window(config.n_fft, device=wave.device, dtype=wave.dtype)
    return torch.stft(wave, config.n_fft, config.hop_samples, window=window, center=True,
                      pad_mode="reflect" if wave.shape[-1] > config.n_fft // 2 else "constant",
                      return_complex=True)


def log_mel(wave: torch.Tensor, config: SpectralConfig) -> torch.Tensor:
    """Natural-log mel magnitudes, (batch, samples) -> (batch, n_mels, frames)."""
    magnitude = stft(wave, config).abs()
    mel = torch.matmul(mel_basis(config, wave.device), magnitude)
    return torch.log(torch.clamp(mel, min=config.log_floor))


def log_mel_numpy(wave: np.ndarray, config: SpectralConfig) -> np.ndarray:
    """Same as :func:`log_mel` for a float32 mono array; returns (n_mels, frames)."""
    with torch.inference_mode():
        return log_mel(torch.from_numpy(np.ascontiguousarray(wave, np.float32))[None], config)[0].numpy()
