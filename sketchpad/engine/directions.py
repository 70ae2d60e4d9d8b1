"""Latent directions for sliders: principal axes of the training latents.

Each sound is summarised by the mean of its latent frames weighted by frame
energy (silent frames say little about the sound). PCA of those summaries
gives the axes; each axis is named after the audio descriptor its projection
correlates with most (|r| >= 0.35), signed so that moving along it raises that
descriptor, or left as "PC k" where nothing fits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sketchpad.audio.descriptors import measure

MIN_CORRELATION = 0.35

# Descriptor name -> the slider label shown to producers.
DESCRIPTOR_LABELS = {
    "brightness": "Brightness",
    "attack": "Attack",
    "decay": "Decay",
    "loudness": "Loudness",
    "noisiness": "Noisiness",
    "pitch": "Pitch",
}


@dataclass(frozen=True)
class Direction:
    name: str
    vector: np.ndarray  # (latent_channels,), unit length
    scale: float  # std of the training summaries along the vector
    correlation: float  # with the named descriptor; 0 for "PC k"

    def to_json(self) -> dict:
        return {"name": self.name, "scale": self.scale, "correlation": self.correlation}


def latent_summary(latents: np.ndarray) -> np.ndarray:
    """(channels, C, L) or (C, L) latents -> (C,) energy-weighted mean over frames."""
    z = latents.reshape(-1, latents.shape[-2], latents.shape[-1]).mean(axis=0)
    weights = np.linalg.norm(z - np.median(z, axis=1, keepdims=True), axis=0) + 1e-6
    return (z * weights).sum(axis=1) / weights.sum()


def descriptors(audio: np.ndarray, rate: int, midi_note: int | None = None) -> dict[str, float]:
    """Numbers a producer would name: log centroid, attack, decay, level, flatness, pitch."""
    x = audio.mean(axis=1) if audio.ndim == 2 else audio
    f = measure(x, rate)
    spectrum = np.abs(np.fft.rfft(x[: rate] * np.hanning(min(len(x), rate)))) + 1e-9
    flatness = float(np.exp(np.mean(np.log(spectrum))) / np.mean(spectrum))
    decay = f.time_to_minus30_s if f.time_to_minus30_s is not None else f.duration_s
    rms = float(np.sqrt(np.mean(x ** 2)) + 1e-9)
    return {
        "brightness": float(np.log(max(f.centroid_hz, 20.0))),
        "attack": -float(np.log(f.attack_s + 1e-3)),  # higher = sharper attack
        "decay": float(np.log(decay + 1e-2)),
        "loudness": 20 * np.log10(rms),
        "noisiness": float(np.log(flatness)),
        "pitch": float(midi_note) if midi_note is not None else float("nan"),
    }


def find_directions(summaries: np.ndarray, table: list[dict[str, float]],
                    count: int | None = None) -> list[Direction]:
    """PCA of (N, C) summaries; names from the descriptor ``table`` (one dict per row)."""
    centred = summaries - summaries.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    count = min(count or vt.shape[0], vt.shape[0])
    used: set[str] = set()
    directions = []
    for k in range(count):
        vector = vt[k]
        projection = centred @ vector
        best, best_r = None, 0.0
        for key in DESCRIPTOR_LABELS:
            values = np.array([row.get(key, np.nan) for row in table], dtype=np.float64)
            ok = np.isfinite(values)
            if ok.sum() < 10 or key in used or np.std(values[ok]) == 0:
                continue
            r = float(np.corrcoef(projection[ok], values[ok])[0, 1])
            if abs(r) > abs(best_r):
                best, best_r = key, r
        if best is not None and abs(best_r) >= MIN_CORRELATION:
            used.add(best)
            sign = 1.0 if best_r > 0 else -1.0
            name = DESCRIPTOR_LABELS[best]
        else:
            sign, name, best_r = 1.0, f"PC {k + 1}", 0.0
        directions.append(Direction(name=name, vector=(sign * vector).astype(np.float32),
                                    scale=float(singular[k] / np.sqrt(max(1, len(summaries) - 1))),
                                    correlation=abs(best_r)))
    return directions


def apply_direction(latents: np.ndarray, direction: Direction, amount: float) -> np.ndarray:
    """Move every frame by ``amount`` standard deviations along ``direction``."""
    shift = (amount * direction.scale) * direction.vector
    return latents + shift.reshape((1,) * (latents.ndim - 2) + (-1, 1)).astype(latents.dtype)


def directions_to_files(directions: list[Direction]) -> tuple[list[dict], dict[str, np.ndarray]]:
    """JSON entries and tensors for a model folder."""
    vectors = np.stack([d.vector for d in directions]).astype(np.float32)
    return [d.to_json() for d in directions], {"directions.vectors": vectors}


def directions_from_files(entries: list[dict], tensors: dict[str, np.ndarray]) -> list[Direction]:
    vectors = tensors.get("directions.vectors")
    if vectors is None or len(entries) != len(vectors):
        return []
    return [Direction(name=e["name"], vector=v, scale=float(e["scale"]),
                      correlation=float(e.get("correlation", 0.0)))
            for e, v in zip(entries, vectors)]
