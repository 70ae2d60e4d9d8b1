"""Expanders: from a point on the 2D map to a full latent, after Audio Intellimixer.

The map shows every sound at a 2D position; a point between them has no
latent of its own. An expander picks anchors (the sounds nearest the point on
the map) and returns weights over them; the new sound's latents are the
weighted sum of the anchors' latent sequences.

- nearest: the closest anchor as it is.
- mean: the anchors' average (the paper's sample mean, taken locally).
- multilateration: the latent whose distances to the anchors match the map
  distances (scaled to latent units) in least squares, solved in the anchors'
  affine span with the paper's pairwise-difference linearisation.
- idw: inverse-distance weights, a smooth blend that equals an anchor on it.
"""

from __future__ import annotations

import numpy as np

EXPANDERS = ("nearest", "mean", "multilateration", "idw")
LABELS = {"nearest": "Nearest neighbour", "mean": "Mean", "multilateration": "Multilateration",
          "idw": "Inverse-distance blend"}
ANCHORS = 8
# The distance equations are often inconsistent (a 2D map cannot keep every
# distance), and solved exactly they swing to wild extrapolations; a ridge
# pull towards the inverse-distance weights keeps the answer among the anchors.
RIDGE = 0.05
WEIGHT_LIMIT = 2.0      # multilateration may extrapolate a little beyond its anchors, not wildly


def anchors_for(point, coords: np.ndarray, count: int = ANCHORS) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the ``count`` sounds nearest ``point`` on the map, and their map distances."""
    distance = np.linalg.norm(coords - np.asarray(point, np.float32), axis=1)
    order = np.argsort(distance)[: min(count, len(coords))]
    return order, distance[order]


def expand(method: str, point, coords: np.ndarray, features: np.ndarray,
           count: int = ANCHORS) -> tuple[np.ndarray, np.ndarray]:
    """(anchor indices, weights summing to 1) for the map ``point``."""
    if len(coords) == 0:
        raise ValueError("the map is empty")
    anchors, distance = anchors_for(point, coords, count)
    if method == "nearest" or len(anchors) == 1:
        weights = np.zeros(len(anchors))
        weights[0] = 1.0
    elif method == "mean":
        weights = np.full(len(anchors), 1.0 / len(anchors))
    elif method == "idw":
        weights = idw_weights(distance)
    elif method == "multilateration":
        weights = multilateration_weights(distance, coords[anchors], features[anchors],
                                          prior=idw_weights(distance))
    else:
        raise ValueError(f"unknown expander {method!r}")
    return anchors, weights


def idw_weights(distance: np.ndarray, power: float = 2.0) -> np.ndarray:
    weights = 1.0 / np.maximum(np.asarray(distance, np.float64), 1e-6) ** power
    return weights / weights.sum()


def multilateration_weights(map_distance: np.ndarray, anchor_coords: np.ndarray,
                            anchor_features: np.ndarray, prior: np.ndarray | None = None
                            ) -> np.ndarray:
    """Affine weights c (sum 1) with ||sum_k c_k f_k - f_j|| ~ s * map_distance_j for every anchor j.

    Writing z = f_0 + A w with A's columns f_k - f_0 and subtracting anchor 0's
    equation ||z - f_k||^2 = r_k^2 from the others gives the linear system
    -2 (f_k - f_0) . (z - f_0) = r_k^2 - r_0^2 - ||f_k - f_0||^2, solved for w
    in least squares with a ridge pull towards ``prior`` (default: equal weights).
    """
    f = np.asarray(anchor_features, np.float64)
    r = map_to_latent_scale(anchor_coords, f) * np.asarray(map_distance, np.float64)
    a = (f[1:] - f[0]).T                                    # (D, K-1)
    gram = a.T @ a                                          # (K-1, K-1)
    rhs = r[1:] ** 2 - r[0] ** 2 - np.diag(gram)
    matrix = -2.0 * gram
    normal = matrix.T @ matrix
    ridge = RIDGE * max(np.trace(normal) / len(normal), 1e-12)
    prior_w = (np.full(len(f), 1.0 / len(f)) if prior is None else np.asarray(prior))[1:]
    w = np.linalg.solve(normal + ridge * np.eye(len(normal)), matrix.T @ rhs + ridge * prior_w)
    weights = np.concatenate([[1.0 - w.sum()], w])
    weights = np.clip(weights, -WEIGHT_LIMIT, WEIGHT_LIMIT)
    total = weights.sum()
    if abs(total) < 1e-6:
        weights = np.zeros_like(weights)
        weights[0] = 1.0
        return weights
    return weights / total


def map_to_latent_scale(anchor_coords: np.ndarray, anchor_features: np.ndarray) -> float:
    """Latent units per map unit, fitted (least squares) on the anchors' pairwise distances."""
    p = np.asarray(anchor_coords, np.float64)
    f = np.asarray(anchor_features, np.float64)
    map_pairs = np.linalg.norm(p[:, None] - p[None], axis=2)
    latent_pairs = np.linalg.norm(f[:, None] - f[None], axis=2)
    return float((map_pairs * latent_pairs).sum() / max((map_pairs ** 2).sum(), 1e-12))


def distance_error(point, anchors: np.ndarray, weights: np.ndarray, coords: np.ndarray,
                   features: np.ndarray) -> float:
    """RMS gap between the expanded point's latent distances to its anchors and
    their (scaled) map distances: how well an expansion keeps the map's geometry."""
    f, p = features[anchors], coords[anchors]
    target = map_to_latent_scale(p, f) * np.linalg.norm(p - np.asarray(point), axis=1)
    reached = np.linalg.norm(f - weights @ f, axis=1)
    return float(np.sqrt(np.mean((reached - target) ** 2)))


def combine_latents(sequences: list[np.ndarray], weights: np.ndarray,
                    silence_frame: np.ndarray) -> np.ndarray:
    """Weighted sum of (C, frames) latent sequences aligned at their starts.

    The result is as long as the weighted mean length; shorter sequences are
    padded with the model's silence frame (zeros are not silence here).
    """
    weights = np.asarray(weights, np.float64)
    used = [(z, w) for z, w in zip(sequences, weights) if abs(w) > 1e-9]
    magnitude = sum(abs(w) for _, w in used)
    length = max(1, round(sum(abs(w) * z.shape[1] for z, w in used) / magnitude))
    out = np.zeros((used[0][0].shape[0], length), np.float64)
    for z, w in used:
        padded = np.repeat(np.asarray(silence_frame, np.float64)[:, None], length, axis=1)
        keep = min(length, z.shape[1])
        padded[:, :keep] = z[:, :keep]
        out += w * padded
    return out.astype(np.float32)
