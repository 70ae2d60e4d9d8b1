"""Blending two audio clips with a sound model: encode once, render many ways.

A Blender holds the latents of A and B (encoded once, so moving a control
never re-encodes) and renders mixes, automation curves, morph steps and style
transfer to audio. Output is float32 (frames, channels) at the model's rate,
with A's length: B is trimmed, or padded with the latent of silence.
"""

from __future__ import annotations

import numpy as np

from sketchpad.engine import blend
from sketchpad.engine.features import log_mel_numpy
from sketchpad.errors import SketchpadError

CALIBRATION_SECONDS = 10.0  # excerpt used to space morph steps evenly


class Blender:
    def __init__(self, model, audio_a: np.ndarray, audio_b: np.ndarray):
        for name, audio in (("A", audio_a), ("B", audio_b)):
            if audio.shape[0] < 2:
                raise SketchpadError(f"Sound {name} is too short to blend (one sample).")
        self.model = model
        self.frames = audio_a.shape[0]
        self.silence = model.silence_frame()
        self.za, self.zb = blend.pair(model.encode(audio_a), model.encode(audio_b), self.silence)

    @property
    def latent_rate_hz(self) -> float:
        return self.model.sample_rate / self.model.samples_per_latent

    def decode(self, latents: np.ndarray) -> np.ndarray:
        return self.model.decode(latents, frames=self.frames)

    def mix(self, alpha: float, mode: str = "linear") -> np.ndarray:
        return self.decode(blend.mix(self.za, self.zb, float(alpha), mode))

    def curve(self, points, mode: str = "linear") -> np.ndarray:
        alphas = blend.curve_values(points, self.za.shape[2], self.latent_rate_hz)
        return self.decode(blend.mix(self.za, self.zb, alphas, mode))

    def style(self, strength: float = 1.0) -> np.ndarray:
        return self.decode(blend.style_transfer(self.za, self.zb, strength))

    def step_alphas(self, steps: int, mode: str = "linear") -> np.ndarray:
        """Alphas from 0 to 1 that sound evenly spaced (equal log-mel path length)."""
        span = min(self.za.shape[2], max(1, int(CALIBRATION_SECONDS * self.latent_rate_hz)))
        za, zb = self.za[:, :, :span], self.zb[:, :, :span]

        def features(alphas):
            rows = []
            for alpha in alphas:
                audio = self.model.decode(blend.mix(za, zb, float(alpha), mode))
                rows.append(log_mel_numpy(audio.mean(axis=1), self.model.config.spectral))
            return np.stack(rows)

        return blend.even_alphas(features, steps)

    def steps(self, count: int, mode: str = "linear") -> list[tuple[float, np.ndarray]]:
        return [(float(a), self.mix(a, mode)) for a in self.step_alphas(count, mode)]
