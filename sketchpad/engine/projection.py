"""Laying a library out in 2D: projections, how well they keep neighbours, clusters.

The map uses whichever of PCA, t-SNE and UMAP keeps each sound's nearest
neighbours best on this library (measured on a sample of it), because that is
what a producer relies on when they hover around a sound they like.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

METHODS = ("pca", "tsne", "umap")
SCORE_NEIGHBOURS = 10
CHOICE_SAMPLE = 1500


def _knn(points: np.ndarray, k: int) -> np.ndarray:
    from sklearn.neighbors import NearestNeighbors

    k = min(k, len(points) - 1)
    index = NearestNeighbors(n_neighbors=k + 1).fit(points)
    return index.kneighbors(points, return_distance=False)[:, 1:]


def neighbour_preservation(high: np.ndarray, low: np.ndarray, k: int = SCORE_NEIGHBOURS) -> float:
    """Mean share of each point's k nearest neighbours in ``high`` that are also
    among its k nearest in ``low`` (1 = every neighbourhood kept)."""
    if len(high) < 3:
        return 1.0
    a, b = _knn(high, k), _knn(low, k)
    return float(np.mean([len(set(x) & set(y)) / len(x) for x, y in zip(a, b)]))


def trustworthiness(high: np.ndarray, low: np.ndarray, k: int = SCORE_NEIGHBOURS) -> float:
    """sklearn's trustworthiness: penalises 2D neighbours that were far apart."""
    from sklearn.manifold import trustworthiness as score

    k = min(k, max(1, (len(high) - 1) // 2 - 1))
    return float(score(high, low, n_neighbors=k))


def project(features: np.ndarray, method: str, seed: int = 0) -> np.ndarray:
    """(N, D) -> (N, 2) float32 map coordinates scaled into [-1, 1]."""
    n = len(features)
    if n == 0:
        return np.zeros((0, 2), np.float32)
    if n < 4 or method == "pca":
        coords = _pca(features)
    elif method == "tsne":
        from sklearn.manifold import TSNE

        coords = TSNE(n_components=2, perplexity=min(30.0, (n - 1) / 3), init="pca",
                      random_state=seed).fit_transform(features)
    elif method == "umap":
        import umap

        coords = umap.UMAP(n_neighbors=min(15, n - 1), random_state=seed,
                           n_jobs=1).fit_transform(features)
    else:
        raise ValueError(f"unknown projection {method!r}")
    coords = np.asarray(coords, np.float64)
    coords -= coords.mean(axis=0)
    return (coords / max(np.abs(coords).max(), 1e-9)).astype(np.float32)


def _pca(features: np.ndarray) -> np.ndarray:
    centred = features - features.mean(axis=0)
    if len(features) < 2:
        return np.zeros((len(features), 2))
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    coords = centred @ vt[:2].T
    if coords.shape[1] < 2:
        coords = np.pad(coords, ((0, 0), (0, 2 - coords.shape[1])))
    return coords


@dataclass
class ProjectionChoice:
    method: str
    scores: dict[str, dict[str, float]]  # method -> preservation, trustworthiness, seconds
    sample: int


def choose_projection(features: np.ndarray, methods=METHODS, *, sample: int = CHOICE_SAMPLE,
                      seed: int = 0, check=lambda: None) -> ProjectionChoice:
    """Try each method on a sample of the library; the best neighbour preservation wins."""
    rng = np.random.default_rng(seed)
    subset = features if len(features) <= sample else \
        features[rng.choice(len(features), sample, replace=False)]
    if len(subset) < 8:
        return ProjectionChoice("pca", {}, len(subset))
    scores = {}
    for method in methods:
        check()
        started = time.perf_counter()
        low = project(subset, method, seed)
        scores[method] = {"preservation": neighbour_preservation(subset, low),
                          "trustworthiness": trustworthiness(subset, low),
                          "seconds": time.perf_counter() - started}
    best = max(scores, key=lambda m: scores[m]["preservation"])
    return ProjectionChoice(best, scores, len(subset))


def kmeans_elbow(features: np.ndarray, max_k: int = 12, seed: int = 0) -> tuple[np.ndarray, int]:
    """k-means labels with k picked by the elbow of the inertia curve (the point
    farthest below the line from the first k to the last)."""
    from sklearn.cluster import KMeans

    n = len(features)
    if n < 3:
        return np.zeros(n, np.int64), 1
    ks = list(range(1, min(max_k, n - 1) + 1))
    fits = [KMeans(n_clusters=k, n_init=3, random_state=seed).fit(features) for k in ks]
    inertia = np.array([f.inertia_ for f in fits], np.float64)
    if len(ks) < 3:
        best = len(ks) - 1
    else:
        x = (np.array(ks) - ks[0]) / (ks[-1] - ks[0])
        y = (inertia - inertia[-1]) / max(inertia[0] - inertia[-1], 1e-12)
        best = int(np.argmax((1 - x) - y))  # distance below the straight line from first to last
    return fits[best].labels_.astype(np.int64), ks[best]
