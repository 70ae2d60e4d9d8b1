"""Keeping a real file's detail through edits: the residual of the model's round trip.

A sound that comes from a file is encoded to latents; decoding those latents
gives the model's round trip, which lacks some of the file's detail (sharp
transients, dense harmonics, the exact phase). The residual, file minus round
trip, holds exactly what is lost. Edits decode the edited latents and add
the residual back, scaled by the Detail amount (0..1):

* an untouched control (slider at zero, Mix at 0 % or 100 %, a timeline at
  its ends) gives back the file itself, up to float32 rounding;
* small moves keep the file's transients and harmonics;
* Detail 0 is the model's own sound.

Wherever a residual is added back, the round trip and the edits are decoded
without the vocoder's Griffin-Lim refinement (``refine=False``): the error
the network alone makes is in both the residual and the edit, so it cancels
at an untouched control and mostly cancels near one, and decoding costs about
a quarter. Only sounds heard without a residual (Detail 0, generated sounds,
``reconstruct``) need the refinement.

Generated sounds have no residual. Arrays are float32 (frames, channels).
"""

from __future__ import annotations

import numpy as np


def round_trip_residual(model, audio: np.ndarray, latents: np.ndarray) -> np.ndarray:
    """``audio`` (frames, channels) minus the decode of its ``latents`` (channels, C, L)."""
    audio = np.asarray(audio, np.float32)
    if audio.ndim == 1:
        audio = audio[:, None]
    decoded = model.decode(latents, frames=audio.shape[0], refine=False)
    if decoded.shape[1] != audio.shape[1]:  # latents of a mono mix against a stereo file
        decoded = np.broadcast_to(decoded.mean(axis=1, keepdims=True), audio.shape)
    return np.ascontiguousarray(audio - decoded, dtype=np.float32)


def fit_residual(residual: np.ndarray, frames: int, channels: int) -> np.ndarray:
    """``residual`` trimmed or zero-padded to ``frames`` and matched to ``channels``
    (mono joins stereo; stereo folds to mono by averaging)."""
    r = residual[:frames]
    if r.shape[0] < frames:
        r = np.pad(r, ((0, frames - r.shape[0]), (0, 0)))
    if r.shape[1] != channels:
        r = r.mean(axis=1, keepdims=True)
        if channels > 1:
            r = np.repeat(r, channels, axis=1)
    return r


def add_detail(audio: np.ndarray, residual: np.ndarray | None, amount: float) -> np.ndarray:
    """``audio`` (frames, channels) plus ``amount`` x ``residual`` (fitted to it); a new array."""
    out = np.array(audio, dtype=np.float32, copy=True)
    if residual is None or amount <= 0:
        return out
    out += np.float32(amount) * fit_residual(residual, out.shape[0], out.shape[1])
    return out


def sample_weights(frame_weights: np.ndarray, samples_per_latent: int, frames: int) -> np.ndarray:
    """Per-latent-frame weights (e.g. a timeline's alphas) spread to ``frames`` samples by
    linear interpolation between frame centres: (frames, 1) float32."""
    w = np.asarray(frame_weights, np.float64).ravel()
    centres = (np.arange(w.size) + 0.5) * samples_per_latent
    return np.interp(np.arange(frames), centres, w).astype(np.float32)[:, None]
