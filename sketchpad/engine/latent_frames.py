"""Latent sequences cut or padded to a number of latent frames.

Latents are float32 (channels, latent_channels, frames). Padding repeats the
latent of silence (the model's encoding of a silent clip): zeros are not
silence in a learned latent space.
"""

from __future__ import annotations

import numpy as np


def fit_frames(latents: np.ndarray, frames: int, silence: np.ndarray) -> np.ndarray:
    """``latents`` cut to ``frames``, or extended with the ``silence`` frame (latent_channels,)."""
    if latents.shape[2] >= frames:
        return latents[:, :, :frames]
    tail = np.broadcast_to(silence[None, :, None], (latents.shape[0], latents.shape[1], frames - latents.shape[2]))
    return np.concatenate([latents, tail], axis=2)
