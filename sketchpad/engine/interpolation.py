"""Interpolation maths on latents, the Blender's tools: mix, slerp, automation
curves, evenly spaced morph steps, style transfer and beat warping.

Latents are float32 arrays shaped (channels, latent_channels, frames), as
``SoundModel.encode`` returns them. Everything here is plain numpy and cheap;
only decoding costs time.
"""

from __future__ import annotations

import numpy as np

from sketchpad.engine.latent_frames import fit_frames
from sketchpad.errors import SketchpadError


def match_channels(za: np.ndarray, zb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Give both latents the same audio channel count: mono is duplicated to stereo."""
    channels = max(za.shape[0], zb.shape[0])
    return (np.repeat(za, channels // za.shape[0], axis=0),
            np.repeat(zb, channels // zb.shape[0], axis=0))


def pair(za: np.ndarray, zb: np.ndarray, silence: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both latents with equal channels and A's length (B trimmed or padded with silence)."""
    za, zb = match_channels(za, zb)
    return za, fit_frames(zb, za.shape[2], silence)


def slerp(za: np.ndarray, zb: np.ndarray, alpha) -> np.ndarray:
    """Spherical interpolation of each frame's latent vector (axis 1); alpha broadcasts
    over frames. Falls back to linear where the two vectors are (anti)parallel."""
    alpha = np.asarray(alpha, np.float32)
    na = np.linalg.norm(za, axis=1, keepdims=True)
    nb = np.linalg.norm(zb, axis=1, keepdims=True)
    cos = np.sum(za * zb, axis=1, keepdims=True) / np.maximum(na * nb, 1e-8)
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    sin = np.sin(omega)
    safe = sin > 1e-4
    wa = np.where(safe, np.sin((1 - alpha) * omega) / np.where(safe, sin, 1), 1 - alpha)
    wb = np.where(safe, np.sin(alpha * omega) / np.where(safe, sin, 1), alpha)
    return (wa * za + wb * zb).astype(np.float32)


def mix(za: np.ndarray, zb: np.ndarray, alpha, mode: str = "linear") -> np.ndarray:
    """Frame-by-frame blend; ``alpha`` is a number or a (frames,) curve, 0 = A, 1 = B."""
    alpha = np.asarray(alpha, np.float32)
    if alpha.ndim == 1:
        alpha = alpha[None, None, :]
    if mode == "slerp":
        return slerp(za, zb, alpha)
    if mode != "linear":
        raise SketchpadError(f"Unknown blend mode '{mode}': use linear or slerp.")
    return ((1 - alpha) * za + alpha * zb).astype(np.float32)


def parse_curve(text: str) -> list[tuple[float, float]]:
    """'0:0,30:1,60:0.5' -> [(0.0, 0.0), (30.0, 1.0), (60.0, 0.5)] (seconds, alpha)."""
    points = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            seconds, alpha = (float(v) for v in part.split(":"))
        except ValueError:
            raise SketchpadError(f"Bad curve point '{part}': write seconds:alpha, "
                                 "e.g. 0:0,30:1,60:0.5.") from None
        if not (np.isfinite(seconds) and np.isfinite(alpha)) or seconds < 0:
            raise SketchpadError(f"Bad curve point '{part}': seconds must be >= 0.")
        points.append((seconds, float(np.clip(alpha, 0.0, 1.0))))
    if not points:
        raise SketchpadError("The curve has no points: write seconds:alpha pairs, e.g. 0:0,30:1.")
    return sorted(points)


def curve_values(points: list[tuple[float, float]], frames: int, frame_rate_hz: float) -> np.ndarray:
    """Piecewise-linear alpha per latent frame, held flat before the first and after the last point."""
    times = np.arange(frames) / frame_rate_hz
    xs, ys = zip(*points)
    return np.interp(times, xs, ys).astype(np.float32)


def style_transfer(content: np.ndarray, style: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """AdaIN on latents: content's frames re-normalised to the style's per-channel
    mean and spread, blended with the original by ``strength`` (0..1)."""
    axes = (0, 2)
    mu_c, sd_c = content.mean(axis=axes, keepdims=True), content.std(axis=axes, keepdims=True)
    mu_s, sd_s = style.mean(axis=axes, keepdims=True), style.std(axis=axes, keepdims=True)
    moved = (content - mu_c) / np.maximum(sd_c, 1e-5) * sd_s + mu_s
    strength = float(np.clip(strength, 0.0, 1.0))
    return ((1 - strength) * content + strength * moved).astype(np.float32)


def even_alphas(distance_from_a, steps: int, grid: int = 33) -> np.ndarray:
    """``steps`` alphas from 0 to 1 spaced evenly by a perceptual distance.

    ``distance_from_a(alphas) -> (len(alphas),) features`` returns one feature
    vector per alpha; the path A->B is measured by the distances between
    consecutive grid points, and the steps are placed at equal path length.
    """
    if steps < 2:
        raise SketchpadError("Morph steps need at least 2 steps.")
    grid_alphas = np.linspace(0.0, 1.0, grid)
    features = np.asarray(distance_from_a(grid_alphas), np.float64)
    hops = np.linalg.norm(np.diff(features, axis=0).reshape(grid - 1, -1), axis=1)
    path = np.concatenate([[0.0], np.cumsum(hops)])
    if path[-1] <= 1e-9:
        return np.linspace(0.0, 1.0, steps).astype(np.float32)
    targets = np.linspace(0.0, path[-1], steps)
    return np.interp(targets, path, grid_alphas).astype(np.float32)


def beat_warp(frames: int, frame_rate_hz: float, beats_a: np.ndarray,
              beats_b: np.ndarray) -> np.ndarray | None:
    """Where to read B so its beats land on A's: for each of A's ``frames`` latent
    frames, a fractional latent frame of B (float64). Beat i of A is paired with
    beat i of B; outside the paired beats both run on at the ratio of their median
    beat periods. None when either song has fewer than 4 beats (nothing to align)."""
    count = min(len(beats_a), len(beats_b))
    if count < 4:
        return None
    xa, xb = np.asarray(beats_a[:count], np.float64), np.asarray(beats_b[:count], np.float64)
    ratio = float(np.median(np.diff(xb)) / max(np.median(np.diff(xa)), 1e-6))
    t = np.arange(frames) / frame_rate_hz
    source = np.interp(t, xa, xb)
    source = np.where(t < xa[0], xb[0] + (t - xa[0]) * ratio, source)
    source = np.where(t > xa[-1], xb[-1] + (t - xa[-1]) * ratio, source)
    return source * frame_rate_hz


def warp_latents(z: np.ndarray, positions: np.ndarray, silence: np.ndarray) -> np.ndarray:
    """``z`` (channels, C, L) read at fractional frame ``positions`` (linear between
    frames); positions outside the sound read the ``silence`` frame (C,)."""
    length = z.shape[2]
    inside = (positions >= 0) & (positions <= length - 1)
    pos = np.clip(positions, 0, length - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, length - 1)
    frac = (pos - lo).astype(np.float32)
    out = z[:, :, lo] * (1 - frac) + z[:, :, hi] * frac
    out[:, :, ~inside] = silence[None, :, None]
    return out.astype(np.float32)
