"""The sketch latent over the mel: log-mel frames <-> a sequence of latent frames.

The latent model of sound engine v2. It encodes the 128-band log-mel (hop
512, 86 frames/s) into ``latent_channels`` numbers per latent frame at
86 / ``time_downsample`` frames/s, and decodes back to a log-mel; the mel
vocoder (:mod:`sketchpad.engine.vocoder`) turns that into audio. So the
latent only has to keep what the mel keeps, and a better vocoder improves
every feature at once.

A VAE with a small KL weight rather than a plain autoencoder: the KL keeps
the latent's scale and centre fixed, so sliders, random vectors, blends and
the flow generator work in a space of known size; its weight is small enough
that no channel is switched off (the model card reports per-channel variance).

Upsampling in the decoder is linear interpolation plus a channel mix: a
strided transposed conv gives even and odd frames their own weights and
buzzes at the latent rate. Shapes are (batch, channels, frames).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from sketchpad.engine.features import LatentGeometry, SpectralConfig, log_mel
from sketchpad.engine.layers import ConvNeXtBlock

MEL_CENTRE = -5.0  # log-mel values sit roughly in [-11.5, 3]: centre and scale them for the network
MEL_SCALE = 4.0


@dataclass(frozen=True)
class MelVAEConfig(LatentGeometry):
    spectral: SpectralConfig = field(default_factory=SpectralConfig)
    latent_channels: int = 64
    time_downsample: int = 2
    dim: int = 192
    encoder_blocks: int = 3
    decoder_blocks: int = 5
    kernel_size: int = 7


class MelEncoder(nn.Module):
    def __init__(self, c: MelVAEConfig):
        super().__init__()
        self.stem = nn.Conv1d(c.spectral.n_mels, c.dim, c.kernel_size, padding=c.kernel_size // 2)
        self.blocks = nn.Sequential(*[ConvNeXtBlock(c.dim, c.kernel_size) for _ in range(c.encoder_blocks)])
        self.down = nn.Conv1d(c.dim, c.dim, c.time_downsample, stride=c.time_downsample)
        self.norm = nn.LayerNorm(c.dim)
        self.head = nn.Conv1d(c.dim, 2 * c.latent_channels, 1)

    def forward(self, mel: torch.Tensor):
        """(B, n_mels, F), F a multiple of time_downsample -> mean, logvar (B, C, F / d)."""
        x = self.blocks(self.stem((mel - MEL_CENTRE) / MEL_SCALE))
        x = self.norm(self.down(x).transpose(1, 2)).transpose(1, 2)
        mean, logvar = self.head(x).chunk(2, dim=1)
        return mean, logvar.clamp(-12.0, 6.0)


class MelDecoder(nn.Module):
    def __init__(self, c: MelVAEConfig):
        super().__init__()
        self.factor = c.time_downsample
        self.floor = float(torch.log(torch.tensor(c.spectral.log_floor)))
        self.stem = nn.Conv1d(c.latent_channels, c.dim, c.kernel_size, padding=c.kernel_size // 2)
        self.mix = nn.Conv1d(c.dim, c.dim, 1)
        self.blocks = nn.Sequential(*[ConvNeXtBlock(c.dim, c.kernel_size) for _ in range(c.decoder_blocks)])
        self.norm = nn.LayerNorm(c.dim)
        self.head = nn.Linear(c.dim, c.spectral.n_mels)

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        """(B, C, L) -> log-mel (B, n_mels, L * time_downsample), never below the mel's floor."""
        x = self.stem(latents)
        if self.factor > 1:
            x = F.interpolate(x, scale_factor=self.factor, mode="linear", align_corners=False)
        x = self.blocks(self.mix(x))
        mel = self.head(self.norm(x.transpose(1, 2))).float().transpose(1, 2)
        return (mel * MEL_SCALE + MEL_CENTRE).clamp(min=self.floor)


WEIGHT_RANGE_NATS = float(torch.log(torch.tensor(1000.0)))  # 60 dB


def loudness_weight(mel: torch.Tensor, loud_weight: float) -> torch.Tensor:
    """(B, n_mels, F) log-mel -> weights 1 .. 1 + loud_weight rising with each bin's level
    over the 60 dB below its crop's loudest bin (the training loss's weighting: the bins
    a listener hears count most)."""
    peak = mel.amax(dim=(1, 2), keepdim=True)
    return 1.0 + loud_weight * torch.clamp(1.0 + (mel - peak) / WEIGHT_RANGE_NATS, min=0.0)


LOUD_WEIGHT = 4.0  # the training loss's default ``loud_weight``
FIT_LEARNING_RATE = 0.03  # Adam's step on the latents in :meth:`MelVAE.fit_latents`


class MelVAE(nn.Module):
    def __init__(self, config: MelVAEConfig):
        super().__init__()
        self.config = config
        self.encoder = MelEncoder(config)
        self.decoder = MelDecoder(config)

    def features(self, wave: torch.Tensor) -> torch.Tensor:
        """(B, T), T a multiple of hop * time_downsample -> log-mel (B, n_mels, T / hop)."""
        mel = log_mel(wave, self.config.spectral)
        return mel[..., : wave.shape[-1] // self.config.spectral.hop_samples]

    def encode(self, wave: torch.Tensor):
        return self.encoder(self.features(wave))

    def fit_latents(self, mel: torch.Tensor, latents: torch.Tensor, steps: int, learning_rate: float,
                    bf16: bool = False, on_step=None) -> torch.Tensor:
        """Analysis by synthesis: ``latents`` (B, C, F / d), usually the encoder's means,
        moved by ``steps`` Adam steps on the decoder's loudness-weighted mel L1 to ``mel``
        (B, n_mels, F), the weights frozen. The encoder is trained on the training fonts;
        on a timbre it never heard its mean is not the latent this decoder renders best,
        and a few steps find a closer one. Deterministic: the same sound gives the same
        latents. ``on_step(k)`` is called after step k (progress; it may raise to cancel).
        Returns new latents (float32, no gradient)."""
        # Gradients even inside a caller's inference_mode or no_grad; the clones are
        # ordinary tensors (an inference-mode tensor cannot be saved for backward).
        with torch.inference_mode(False), torch.enable_grad():
            target = mel.detach().float().clone()
            weight = loudness_weight(target, LOUD_WEIGHT)
            z = latents.detach().float().clone().requires_grad_(True)
            optimiser = torch.optim.Adam([z], lr=learning_rate)
            for step in range(steps):
                with torch.autocast(z.device.type, dtype=torch.bfloat16, enabled=bf16):
                    estimate = self.decoder(z)
                loss = (weight * torch.abs(estimate.float() - target)).mean()
                # the latents' gradient only: no weight gradients are computed or kept
                (grad,) = torch.autograd.grad(loss, [z])
                z.grad = grad
                optimiser.step()
                if on_step is not None:
                    on_step(step + 1)
        return z.detach()

    def forward(self, mel: torch.Tensor, sample: bool = True):
        """Training pass: log-mel (B, n_mels, F) -> reconstruction, mean, logvar."""
        mean, logvar = self.encoder(mel)
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar) if sample else mean
        return self.decoder(z), mean, logvar
