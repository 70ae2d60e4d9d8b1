"""Editing an automation curve: keyframes (seconds, alpha) kept sorted in time.

Plain functions over tuples so the curve is a value (undo-friendly, hashable,
the same thing a BlendRecipe holds). Alpha 0 is sound A, 1 is sound B.
"""

from __future__ import annotations

import numpy as np

Points = tuple[tuple[float, float], ...]

MIN_GAP_SECONDS = 0.01  # two keyframes never share a time


def clamp_alpha(alpha: float) -> float:
    return float(min(1.0, max(0.0, alpha)))


def snap(seconds: float, beats: np.ndarray | None) -> float:
    """The nearest beat (seconds) when beats are given, else ``seconds`` unchanged."""
    if beats is None or len(beats) == 0:
        return float(seconds)
    return float(beats[np.argmin(np.abs(np.asarray(beats) - seconds))])


def add_point(points: Points, seconds: float, alpha: float, duration: float) -> tuple[Points, int]:
    """Insert a keyframe; returns the new points and its index. A keyframe at an
    existing time replaces that one."""
    seconds = float(min(max(0.0, seconds), duration))
    kept = [p for p in points if abs(p[0] - seconds) >= MIN_GAP_SECONDS]
    new = tuple(sorted(kept + [(seconds, clamp_alpha(alpha))]))
    return new, new.index((seconds, clamp_alpha(alpha)))


def move_point(points: Points, index: int, seconds: float, alpha: float, duration: float) -> Points:
    """Move keyframe ``index``; it stays between its neighbours in time and alpha in 0..1."""
    low = points[index - 1][0] + MIN_GAP_SECONDS if index > 0 else 0.0
    high = points[index + 1][0] - MIN_GAP_SECONDS if index + 1 < len(points) else duration
    seconds = float(min(max(seconds, low), max(low, high)))
    moved = list(points)
    moved[index] = (seconds, clamp_alpha(alpha))
    return tuple(moved)


def remove_point(points: Points, index: int) -> Points:
    """Delete keyframe ``index``; the last one is kept (a curve needs a point)."""
    if len(points) <= 1 or not 0 <= index < len(points):
        return points
    return points[:index] + points[index + 1:]


def default_points(duration: float) -> Points:
    """A to B across the whole sound."""
    return ((0.0, 0.0), (max(duration, MIN_GAP_SECONDS), 1.0))
