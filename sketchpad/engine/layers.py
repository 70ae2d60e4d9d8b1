"""Network building blocks shared by the sound models (latent model and vocoder)."""

from __future__ import annotations

import torch
from torch import nn


class ConvNeXtBlock(nn.Module):
    """Depthwise conv in time, then a per-frame MLP, with a residual path.

    (B, dim, frames) -> (B, dim, frames); the receptive field is ``kernel_size``
    frames, so stacks of these can be run in overlapping chunks.
    """

    def __init__(self, dim: int, kernel_size: int = 7, expansion: int = 3):
        super().__init__()
        self.depthwise = nn.Conv1d(dim, dim, kernel_size, padding=kernel_size // 2, groups=dim)
        self.norm = nn.LayerNorm(dim)
        self.up = nn.Linear(dim, dim * expansion)
        self.act = nn.GELU()
        self.down = nn.Linear(dim * expansion, dim)
        # Small initial residual scale keeps deep stacks stable early in training.
        self.scale = nn.Parameter(torch.full((dim,), 0.1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.depthwise(x).transpose(1, 2)
        y = self.down(self.act(self.up(self.norm(y))))
        return x + (self.scale * y).transpose(1, 2)
