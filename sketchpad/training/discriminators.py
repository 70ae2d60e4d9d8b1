"""Small discriminators for adversarial fine-tuning.

Multi-period (HiFi-GAN) and multi-resolution spectrogram (UnivNet / Vocos)
discriminators for the vocoder, with fewer channels than the papers so a step
stays cheap on a 2-core CPU; and one over the log-mel for the latent
model's decoder (:class:`MelDiscriminator`). Each returns, per sub-discriminator, its logits and its
intermediate feature maps (for the feature-matching loss).
Training only: never loaded by the app.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

PERIODS = (2, 3, 5, 7, 11)
RESOLUTIONS = ((512, 128), (1024, 256), (2048, 512))  # (n_fft, hop)


def judge_image(layers, out, x: torch.Tensor):
    """(logits (B, N), feature maps) of a (B, 1, H, W) image through ``layers`` (each
    followed by a leaky ReLU) and the ``out`` convolution: every member's forward pass."""
    features = []
    for layer in layers:
        x = F.leaky_relu(layer(x), 0.1)
        features.append(x)
    return out(x).flatten(1), features


class PeriodDiscriminator(nn.Module):
    def __init__(self, period: int, channels=(16, 64, 128, 256)):
        super().__init__()
        self.period = period
        layers, previous = [], 1
        for ch in channels:
            layers.append(weight_norm(nn.Conv2d(previous, ch, (5, 1), (3, 1), padding=(2, 0))))
            previous = ch
        layers.append(weight_norm(nn.Conv2d(previous, previous, (5, 1), 1, padding=(2, 0))))
        self.layers = nn.ModuleList(layers)
        self.out = weight_norm(nn.Conv2d(previous, 1, (3, 1), 1, padding=(1, 0)))

    def forward(self, wave: torch.Tensor):
        b, t = wave.shape
        if t % self.period:
            wave = F.pad(wave, (0, self.period - t % self.period), mode="reflect")
        x = wave.view(b, 1, -1, self.period)
        return judge_image(self.layers, self.out, x)


class SpectrogramDiscriminator(nn.Module):
    def __init__(self, n_fft: int, hop: int, channels: int = 32):
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        self.layers = nn.ModuleList([
            weight_norm(nn.Conv2d(1, channels, (7, 5), (2, 2), padding=(3, 2))),
            weight_norm(nn.Conv2d(channels, channels, (5, 3), (2, 1), padding=(2, 1))),
            weight_norm(nn.Conv2d(channels, channels, (5, 3), (2, 1), padding=(2, 1))),
            weight_norm(nn.Conv2d(channels, channels, 3, padding=1)),
        ])
        self.out = weight_norm(nn.Conv2d(channels, 1, 3, padding=1))

    def forward(self, wave: torch.Tensor):
        window = torch.hann_window(self.n_fft, device=wave.device)
        spec = torch.stft(wave.float(), self.n_fft, self.hop, window=window, return_complex=True)
        x = torch.log1p(spec.abs() * 10.0).unsqueeze(1)  # (B, 1, bins, frames), compressed
        return judge_image(self.layers, self.out, x)


class MelDiscriminator(nn.Module):
    """Judges log-mel crops (B, n_mels, F), the latent decoder's output. An L1 loss
    alone draws the mean of what could be there, a haze between harmonics; a judge
    of patches of the image rewards the sharp valleys that real mels have. Cheap:
    the mel has 86 frames per second, against 44,100 samples for the vocoder's."""

    def __init__(self, channels: int = 32):
        super().__init__()
        self.layers = nn.ModuleList([
            weight_norm(nn.Conv2d(1, channels, (5, 5), (2, 1), padding=(2, 2))),
            weight_norm(nn.Conv2d(channels, channels, (5, 5), (2, 2), padding=(2, 2))),
            weight_norm(nn.Conv2d(channels, 2 * channels, (5, 3), (2, 1), padding=(2, 1))),
            weight_norm(nn.Conv2d(2 * channels, 2 * channels, 3, padding=1)),
        ])
        self.out = weight_norm(nn.Conv2d(2 * channels, 1, 3, padding=1))

    def forward(self, mel: torch.Tensor):
        """``mel``: (B, n_mels, F), already centred and scaled as the networks see it."""
        x = mel.unsqueeze(1)
        return judge_image(self.layers, self.out, x)


class Discriminators(nn.Module):
    def __init__(self):
        super().__init__()
        self.members = nn.ModuleList([PeriodDiscriminator(p) for p in PERIODS]
                                     + [SpectrogramDiscriminator(n, h) for n, h in RESOLUTIONS])

    def forward(self, wave: torch.Tensor):
        return [member(wave) for member in self.members]


def discriminator_loss(real_outputs, fake_outputs) -> torch.Tensor:
    """Least-squares GAN: real towards 1, generated towards 0 (mean over members)."""
    total = 0.0
    for (real, _), (fake, _) in zip(real_outputs, fake_outputs):
        total = total + torch.mean((1 - real) ** 2) + torch.mean(fake ** 2)
    return total / len(real_outputs)


def generator_loss(fake_outputs) -> torch.Tensor:
    return sum(torch.mean((1 - fake) ** 2) for fake, _ in fake_outputs) / len(fake_outputs)


def feature_matching_loss(real_outputs, fake_outputs) -> torch.Tensor:
    """L1 between the members' feature maps on real and generated audio."""
    total, count = 0.0, 0
    for (_, real_features), (_, fake_features) in zip(real_outputs, fake_outputs):
        for r, f in zip(real_features, fake_features):
            total = total + F.l1_loss(f, r.detach())
            count += 1
    return total / max(1, count)
