"""The sound VAE: log-mel frames in, a sequence of latent frames, waveform out.

Encoder: log-mel (128 bins, hop 512) -> ConvNeXt stack -> strided conv ->
latent mean and log-variance, ``latent_channels`` x (frames / time_downsample).
Decoder: latent -> ConvNeXt stack (upsampled back to the STFT frame rate) ->
an iSTFT head (as in Vocos) predicting log-magnitude and phase for every STFT
bin, then an inverse STFT to the waveform. The decoder is therefore also the
vocoder: no mel-to-audio stage, no Griffin-Lim.

Every layer works per time step or with a finite convolution window, so a
long signal can be processed in overlapping chunks with identical results
(see ``sketchpad.engine.model``). Shapes are (batch, channels, frames).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from sketchpad.engine.features import LatentGeometry, SpectralConfig, log_mel
from sketchpad.engine.layers import ConvNeXtBlock


@dataclass(frozen=True)
class VAEConfig(LatentGeometry):
    spectral: SpectralConfig = field(default_factory=SpectralConfig)
    latent_channels: int = 16
    time_downsample: int = 2  # latent frames per STFT frame: 1 / time_downsample
    encoder_dim: int = 256
    encoder_blocks: int = 4
    decoder_dim: int = 320
    decoder_blocks: int = 8
    kernel_size: int = 7
    # "transposed": a stride-2 transposed conv (v0; gives even and odd frames
    # their own weights, which can buzz at the latent rate). "linear":
    # interpolate, then mix channels (a steady latent cannot buzz).
    upsample: str = "transposed"

    @classmethod
    def from_dict(cls, data: dict) -> "VAEConfig":
        data = dict(data)
        data.setdefault("upsample", "transposed")  # what configs without the field used
        if data["upsample"] not in UPSAMPLERS:
            raise ValueError(f"unknown upsample {data['upsample']!r}")
        return super().from_dict(data)


class LinearUpsample(nn.Module):
    """Linear interpolation in time, then a 1x1 channel mix.

    A stride-2 transposed conv gives even and odd frames different weights,
    so even a steady latent comes out modulated at the latent rate (a 43 Hz
    buzz on sustained notes). Interpolation treats every frame alike: a
    constant latent stays constant. Frame t sits at latent position
    (t + 0.5) / factor - 0.5, matching the encoder's stride-2 pooling.
    """

    def __init__(self, dim: int, factor: int):
        super().__init__()
        self.factor = factor
        self.mix = nn.Conv1d(dim, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.factor > 1:
            x = F.interpolate(x, scale_factor=self.factor, mode="linear", align_corners=False)
        return self.mix(x)


def _upsampler(config: "VAEConfig") -> nn.Module:
    dim, factor = config.decoder_dim, config.time_downsample
    if config.upsample == "transposed":
        return nn.ConvTranspose1d(dim, dim, factor, stride=factor)
    return LinearUpsample(dim, factor)


UPSAMPLERS = ("linear", "transposed")


def upgrade_upsampler(tensors: dict, prefix: str = "") -> dict:
    """Map a "transposed" decoder's weights onto a "linear" one, as a warm start.

    The 1x1 mix starts as the mean of the transposed conv's taps, i.e. what
    that conv did on average over even and odd frames.
    """
    out = dict(tensors)
    key = f"{prefix}decoder.up.weight"
    if key in out and out[key].dim() == 3 and out[key].shape[-1] > 1:
        weight = out.pop(key)  # (in, out, taps) for a transposed conv
        out[f"{prefix}decoder.up.mix.weight"] = weight.float().mean(dim=2).t().unsqueeze(-1).to(weight.dtype)
        out[f"{prefix}decoder.up.mix.bias"] = out.pop(f"{prefix}decoder.up.bias")
    return out


class Encoder(nn.Module):
    def __init__(self, config: VAEConfig):
        super().__init__()
        c = config
        self.stem = nn.Conv1d(c.spectral.n_mels, c.encoder_dim, c.kernel_size,
                              padding=c.kernel_size // 2)
        self.blocks = nn.Sequential(*[ConvNeXtBlock(c.encoder_dim, c.kernel_size)
                                      for _ in range(c.encoder_blocks)])
        self.down = nn.Conv1d(c.encoder_dim, c.encoder_dim, c.time_downsample,
                              stride=c.time_downsample)
        self.norm = nn.LayerNorm(c.encoder_dim)
        self.head = nn.Conv1d(c.encoder_dim, 2 * c.latent_channels, 1)

    def forward(self, mel: torch.Tensor):
        """(B, n_mels, F) with F divisible by time_downsample -> mean, logvar (B, C, F/d)."""
        x = self.blocks(self.stem(mel))
        x = self.down(x)
        x = self.norm(x.transpose(1, 2)).transpose(1, 2)
        mean, logvar = self.head(x).chunk(2, dim=1)
        return mean, logvar.clamp(-12.0, 6.0)


class Decoder(nn.Module):
    def __init__(self, config: VAEConfig):
        super().__init__()
        c = config
        self.config = c
        self.stem = nn.Conv1d(c.latent_channels, c.decoder_dim, c.kernel_size,
                              padding=c.kernel_size // 2)
        self.up = _upsampler(c)
        self.blocks = nn.Sequential(*[ConvNeXtBlock(c.decoder_dim, c.kernel_size)
                                      for _ in range(c.decoder_blocks)])
        self.norm = nn.LayerNorm(c.decoder_dim)
        bins = c.spectral.n_fft // 2 + 1
        self.head = nn.Linear(c.decoder_dim, 2 * bins)

    def spectrum(self, latents: torch.Tensor) -> torch.Tensor:
        """(B, C, L) latents -> complex STFT (B, n_fft/2+1, L * time_downsample)."""
        x = self.up(self.stem(latents))
        x = self.blocks(x)
        x = self.norm(x.transpose(1, 2))
        # float32 from here on: under bf16 autocast the trunk runs in bf16, but
        # exp, polar and the inverse STFT need the full precision.
        log_magnitude, phase = self.head(x).float().transpose(1, 2).chunk(2, dim=1)
        magnitude = torch.exp(log_magnitude.clamp(max=7.0))
        return torch.polar(magnitude, phase)

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        """(B, C, L) -> waveform (B, L * time_downsample * hop_samples)."""
        spec = self.spectrum(latents)
        s = self.config.spectral
        window = torch.hann_window(s.n_fft, device=latents.device, dtype=torch.float32)
        frames = spec.shape[-1]
        # Frames are centred on multiples of the hop, as the encoder's STFT is.
        wave = torch.istft(spec, s.n_fft, s.hop_samples, window=window, center=True,
                           length=frames * s.hop_samples)
        return wave


class SoundVAE(nn.Module):
    def __init__(self, config: VAEConfig):
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)

    def features(self, wave: torch.Tensor) -> torch.Tensor:
        """(B, T) with T a multiple of hop * time_downsample -> log-mel (B, n_mels, T/hop)."""
        mel = log_mel(wave, self.config.spectral)
        return mel[..., : wave.shape[-1] // self.config.spectral.hop_samples]

    def encode(self, wave: torch.Tensor):
        return self.encoder(self.features(wave))

    def forward(self, wave: torch.Tensor, sample: bool = True):
        """Training pass: (B, T) -> reconstruction (B, T), mean, logvar."""
        mean, logvar = self.encode(wave)
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar) if sample else mean
        return self.decoder(z), mean, logvar
