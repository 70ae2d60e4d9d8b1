"""What the prompt engines return: decoded one-shots ready to play.

Both engines (retrieval and flow) produce latents; :func:`decode_sounds` turns a
list of them into :class:`GeneratedSound` results the same way for both: one
decode pass for the batch, tuning, length fitting and peak level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sketchpad.audio.edits import fit_seconds, transpose, trim_tail
from sketchpad.engine.character import saturate, shape_attack
from sketchpad.engine.latent_frames import fit_frames


@dataclass(frozen=True)
class GeneratedSound:
    """``audio``: float32 (frames,) at 44.1 kHz; ``latents``: (1, C, L)."""

    audio: np.ndarray
    latents: np.ndarray
    seed: int
    prompt: str
    neighbours: tuple[str, ...]  # captions of the sounds that were blended
    semitones: float = 0.0  # transposition applied after decoding to reach the asked pitch
    gain: float = 1.0  # level applied after decoding (peak normalisation)
    drive: float = 0.0  # saturation applied after transposing (see engine.character)
    note: int | None = None  # the MIDI note it was made to sound at, when one was asked for
    attack: str | None = None  # amp envelope after the drive: "soft" or "punchy" (engine.character)


def decode_sounds(model, silence: np.ndarray, prompt: str, seed: int, latents: list,
                  neighbours: list, seconds: float | None, semitones: float = 0.0,
                  tune_to: int | None = None, drive: float = 0.0,
                  note: int | None = None, draft: bool = False,
                  attack: str | None = None) -> list[GeneratedSound]:
    """Decode (1, C, L) latents in one batch, then pitch, trim or fit, and peak at -1 dBFS.

    With ``tune_to`` (a MIDI note), each sound's played note is measured and the
    transposing corrects it to that note, as a sampler's tuning would. ``note``: the
    note the sounds were transposed to otherwise (each result's ``note``). ``drive`` and
    ``attack``: the saturation and amp envelope of character words. ``draft``:
    decode with the vocoder network alone, about twice as fast where the model refines
    (:attr:`SoundModel.refines`); the window refines drafts once the hand rests.

    The played note is always measured on the network-alone decode: on ambiguous
    sounds the pitch tracker can land a few semitones apart on the two renderings,
    and a draft and its finished sound must be tuned alike."""
    rate = model.sample_rate
    longest = max(z.shape[2] for z in latents)
    batch = np.concatenate([fit_frames(z, longest, silence) for z in latents], axis=0)
    # (frames, count): one pass for all results
    audio = model.decode(batch, refine=not draft, fast=draft)
    probe = audio
    if tune_to is not None and not draft and model.refines:
        probe = model.decode(batch, refine=False, fast=True)  # the draft's own decode
    results = []
    for i, z in enumerate(latents):
        clip = audio[: z.shape[2] * model.samples_per_latent, i]
        shift = semitones
        if tune_to is not None:
            from sketchpad.audio.pitch import estimate_midi

            played = estimate_midi(probe[: clip.shape[0], i], rate, tune_to - semitones)
            shift = tune_to - played if played is not None else semitones
        if shift:
            clip = transpose(clip, shift)
        clip = fit_seconds(clip, rate, seconds) if seconds else trim_tail(clip, rate)
        clip = shape_attack(saturate(clip, drive), rate, attack)
        peak = float(np.max(np.abs(clip))) if clip.size else 0.0
        gain = 10 ** (-1 / 20) / peak if peak > 0 else 1.0  # peaks at -1 dBFS
        results.append(GeneratedSound((clip * gain).astype(np.float32), z, seed, prompt,
                                      neighbours[i], shift, gain, drive,
                                      tune_to if tune_to is not None else note, attack))
    return results
