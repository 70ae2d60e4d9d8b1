"""Latent operations behind the sliders: named directions plus the seed reports'
amplify/attenuate, added noise and smoothing. Latents are (channels, C, frames)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sketchpad.engine.directions import Direction, apply_direction


@dataclass
class SliderState:
    """Every slider's value. Directions in standard deviations (-3..3); ``gain`` is a
    latent scale factor (1 = unchanged); ``noise`` and ``smoothing`` run 0..1;
    ``detail`` (0..1) is how much of a file's own detail (its round-trip
    residual, :mod:`sketchpad.engine.detail`) is added back."""

    directions: dict[str, float] = field(default_factory=dict)
    gain: float = 1.0
    noise: float = 0.0
    smoothing: float = 0.0
    noise_seed: int = 0
    detail: float = 1.0

    def is_neutral(self) -> bool:
        """True when the sound is its source as it is (full detail, every move at rest)."""
        return (not any(self.directions.values()) and self.gain == 1.0
                and self.noise == 0.0 and self.smoothing == 0.0 and self.detail == 1.0)


def smooth(latents: np.ndarray, amount: float) -> np.ndarray:
    """Moving average over time, window 1 + 8 * amount frames (edges keep their length)."""
    width = 1 + int(round(8 * float(np.clip(amount, 0.0, 1.0))))
    if width <= 1:
        return latents
    kernel = np.ones(width, np.float32) / width
    pad = width // 2
    padded = np.pad(latents, ((0, 0), (0, 0), (pad, width - 1 - pad)), mode="edge")
    out = np.empty_like(latents)
    for c in range(latents.shape[0]):
        for k in range(latents.shape[1]):
            out[c, k] = np.convolve(padded[c, k], kernel, mode="valid")
    return out


def apply_sliders(latents: np.ndarray, state: SliderState, directions: list[Direction]) -> np.ndarray:
    """The latents the sliders describe, computed from the untouched ``latents``."""
    z = latents.astype(np.float32, copy=True)
    by_name = {d.name: d for d in directions}
    for name, amount in state.directions.items():
        if amount and name in by_name:
            z = apply_direction(z, by_name[name], amount)
    if state.gain != 1.0:
        z = z * np.float32(state.gain)
    if state.noise > 0:
        rng = np.random.default_rng(state.noise_seed)
        z = z + np.float32(state.noise) * rng.standard_normal(z.shape).astype(np.float32)
    if state.smoothing > 0:
        z = smooth(z, state.smoothing)
    return z
