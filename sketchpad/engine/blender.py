"""Blending two audio clips with a sound model: encode once, render many ways.

A Blender holds the latents of A and B (encoded once, so moving a control
never re-encodes) and turns a BlendRecipe (mix, curve or style) into latents,
which ``decode`` (whole) or a ProgressiveRender (piece by piece) turns into
audio. Output is float32 (frames, channels) at the model's rate, with A's
length: B is trimmed, or padded with the latent of silence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sketchpad.engine import interpolation
from sketchpad.engine.detail import add_detail, fit_residual, round_trip_residual, sample_weights
from sketchpad.engine.features import log_mel_numpy
from sketchpad.errors import SketchpadError

CALIBRATION_SECONDS = 10.0  # excerpt used to space morph steps evenly
MODES = ("mix", "curve", "style")
INTERPOLATIONS = ("linear", "slerp")


@dataclass(frozen=True)
class BlendRecipe:
    """What to render: ``mode`` is mix (one ``alpha``), curve (``points``, a list of
    (seconds, alpha) keyframes) or style (A's content with B's timbre at ``strength``)."""

    mode: str = "mix"
    alpha: float = 0.5
    interpolation: str = "linear"
    points: tuple[tuple[float, float], ...] = ((0.0, 0.0), (10.0, 1.0))
    strength: float = 1.0
    detail: float = 1.0  # share of A's and B's own detail (their round-trip residuals) added back

    def __post_init__(self):
        if self.mode not in MODES:
            raise SketchpadError(f"Unknown blend mode '{self.mode}': use {', '.join(MODES)}.")
        if self.interpolation not in INTERPOLATIONS:
            raise SketchpadError(f"Unknown interpolation '{self.interpolation}': use linear or slerp.")

    def describe(self) -> str:
        if self.mode == "style":
            return f"style, strength {self.strength:.2f}"
        if self.mode == "curve":
            return "curve " + ",".join(f"{t:g}:{a:.2f}" for t, a in self.points)
        return f"mix {self.alpha:.2f}" + (" slerp" if self.interpolation == "slerp" else "")


def check_blendable(name: str, audio: np.ndarray) -> None:
    """Refuse what cannot be blended, in one line."""
    if audio.shape[0] < 2:
        raise SketchpadError(f"Sound {name} is too short to blend (one sample).")


class Blender:
    """Latents of A and B, paired: equal channel count (mono joins stereo) and A's length.

    ``audio_a`` / ``audio_b`` (frames, channels), given for sounds from files:
    their residuals against the decode of the paired latents (what the model
    loses of each, :mod:`sketchpad.engine.detail`) are added back by
    ``recipe.detail``, so that Mix 0 % gives back A and Mix 100 % gives back B
    (at A's length). Generated sounds have none. While B is beat-aligned its
    residual is left out (it is not warped). Decodes A and B once: run on a worker.
    """

    def __init__(self, model, latents_a: np.ndarray, latents_b: np.ndarray, frames: int,
                 audio_a: np.ndarray | None = None, audio_b: np.ndarray | None = None):
        self.model = model
        self.frames = int(frames)
        self.silence = model.silence_frame()
        self.za, self._zb_plain = interpolation.pair(latents_a, latents_b, self.silence)
        self._zb_source = latents_b
        self.zb = self._zb_plain
        self.beats_aligned = False
        channels = self.za.shape[0]
        # Each file at A's length and channels, against the decode of its paired latents.
        self.residual_a, self.residual_b = (
            None if audio is None else round_trip_residual(
                model, fit_residual(np.asarray(audio, np.float32).reshape(len(audio), -1),
                                    self.frames, channels), z)
            for audio, z in ((audio_a, self.za), (audio_b, self._zb_plain)))

    @classmethod
    def from_audio(cls, model, audio_a: np.ndarray, audio_b: np.ndarray,
                   keep_detail: bool = True) -> "Blender":
        check_blendable("A", audio_a)
        check_blendable("B", audio_b)
        za, zb = model.encode(audio_a), model.encode(audio_b)
        files = (audio_a, audio_b) if keep_detail else (None, None)
        return cls(model, za, zb, audio_a.shape[0], *files)

    @property
    def latent_rate_hz(self) -> float:
        return self.model.sample_rate / self.model.samples_per_latent

    @property
    def seconds(self) -> float:
        return self.frames / self.model.sample_rate

    def align_beats(self, beats_a: np.ndarray | None, beats_b: np.ndarray | None) -> bool:
        """Warp B in time so its beats fall on A's (None: undo). Returns whether B is
        now aligned; False also when either sound has too few beats to align."""
        positions = None
        if beats_a is not None and beats_b is not None:
            positions = interpolation.beat_warp(self.za.shape[2], self.latent_rate_hz, beats_a, beats_b)
        if positions is None:
            self.zb, self.beats_aligned = self._zb_plain, False
            return False
        _, zb = interpolation.match_channels(self.za, self._zb_source)
        self.zb, self.beats_aligned = interpolation.warp_latents(zb, positions, self.silence), True
        return True

    # -- latents -------------------------------------------------------------------------
    def latents(self, recipe: BlendRecipe) -> np.ndarray:
        """(channels, latent_channels, frames) latents of ``recipe``; cheap (numpy only)."""
        if recipe.mode == "style":
            return interpolation.style_transfer(self.za, self.zb, recipe.strength)
        if recipe.mode == "curve":
            alphas = interpolation.curve_values(list(recipe.points), self.za.shape[2], self.latent_rate_hz)
            return interpolation.mix(self.za, self.zb, alphas, recipe.interpolation)
        return interpolation.mix(self.za, self.zb, float(recipe.alpha), recipe.interpolation)

    def residual(self, recipe: BlendRecipe) -> np.ndarray | None:
        """(frames, channels) detail to add to the decoded ``recipe``, or None when there is none:
        A's and B's residuals weighted as the recipe weights A and B, times ``recipe.detail``."""
        ra = self.residual_a
        rb = None if self.beats_aligned else self.residual_b
        if recipe.detail <= 0 or (ra is None and rb is None):
            return None
        if recipe.mode == "style":
            weight_b = np.float32(min(1.0, max(0.0, recipe.strength)))  # B's timbre replaces A's detail
            rb = None
        elif recipe.mode == "curve":
            alphas = interpolation.curve_values(list(recipe.points), self.za.shape[2], self.latent_rate_hz)
            weight_b = sample_weights(alphas, self.model.samples_per_latent, self.frames)
        else:
            weight_b = np.float32(recipe.alpha)
        out = np.zeros((self.frames, self.za.shape[0]), np.float32)
        if ra is not None:
            out += (1 - weight_b) * ra
        if rb is not None:
            out += weight_b * rb
        return out * np.float32(recipe.detail)

    # -- audio ----------------------------------------------------------------------------
    def decode(self, latents: np.ndarray, refine: bool = True) -> np.ndarray:
        return self.model.decode(latents, frames=self.frames, refine=refine)

    def render(self, recipe: BlendRecipe) -> np.ndarray:
        residual = self.residual(recipe)
        return add_detail(self.decode(self.latents(recipe), refine=residual is None), residual, 1.0)

    def mix(self, alpha: float, mode: str = "linear", detail: float = 1.0) -> np.ndarray:
        return self.render(BlendRecipe("mix", alpha=float(alpha), interpolation=mode, detail=detail))

    def curve(self, points, mode: str = "linear", detail: float = 1.0) -> np.ndarray:
        return self.render(BlendRecipe("curve", points=tuple(points), interpolation=mode, detail=detail))

    def style(self, strength: float = 1.0, detail: float = 1.0) -> np.ndarray:
        return self.render(BlendRecipe("style", strength=float(strength), detail=detail))

    def step_alphas(self, steps: int, mode: str = "linear") -> np.ndarray:
        """Alphas from 0 to 1 that sound evenly spaced (equal log-mel path length)."""
        span = min(self.za.shape[2], max(1, int(CALIBRATION_SECONDS * self.latent_rate_hz)))
        za, zb = self.za[:, :, :span], self.zb[:, :, :span]

        def features(alphas):
            rows = []
            for alpha in alphas:
                audio = self.model.decode(interpolation.mix(za, zb, float(alpha), mode))
                rows.append(log_mel_numpy(audio.mean(axis=1), self.model.config.spectral))
            return np.stack(rows)

        return interpolation.even_alphas(features, steps)

    def steps(self, count: int, mode: str = "linear", ctx=None,
              detail: float = 1.0) -> list[tuple[float, np.ndarray]]:
        """``count`` (alpha, audio) pairs from A to B, evenly spaced to the ear."""
        out = []
        for i, alpha in enumerate(self.step_alphas(count, mode)):
            if ctx is not None:
                ctx.progress((i + 0.5) / count, f"Morph step {i + 1} of {count}")
            out.append((float(alpha), self.mix(alpha, mode, detail)))
        return out
