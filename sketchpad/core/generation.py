"""Background jobs of the prompt box and the sliders: prompt -> clips, sliders -> clip."""

from __future__ import annotations

import numpy as np

from sketchpad.audio.pitch import parse_note
from sketchpad.core.clip import Clip, make_clip
from sketchpad.core.jobs import JobContext
from sketchpad.engine.latent_ops import SliderState, apply_sliders
from sketchpad.engine.retrieval import fade_out, varispeed


def generate_clips(engine, prompt: str, *, count: int, seed: int, seconds: float | None = None,
                   ctx: JobContext | None = None) -> list[Clip]:
    """Generate ``count`` sounds and analyse each for the views. Runs on the model worker."""
    sounds = engine.generate(prompt, count=count, seed=seed, seconds=seconds)
    clips = []
    for i, sound in enumerate(sounds):
        if ctx is not None:
            ctx.progress((i + 1) / len(sounds), "analysing")
        origin = {"prompt": sound.prompt, "seed": seed, "index": i,
                  "model": f"{engine.name}:{engine.model.name}",
                  "root_note": parse_note(sound.prompt), "semitones": sound.semitones,
                  "gain": sound.gain}
        clips.append(make_clip(f"{sound.prompt} #{i + 1}", sound.audio, engine.model.sample_rate,
                               origin=origin, latents=sound.latents))
    return clips


def reshape_clip(model, clip: Clip, state: SliderState, ctx: JobContext | None = None,
                 latents=None) -> Clip:
    """``clip`` (the unshaped source) re-decoded with the sliders applied to its latents.

    ``latents`` may pass the source's latents when already known (a file is then
    encoded once, not on every move); the result carries them and its source.
    """
    base = latents if latents is not None else clip.latents
    if base is None:
        base = model.encode(clip.samples)
    if ctx is not None:
        ctx.check()
    audio = model.decode(apply_sliders(base, state, model.directions))
    semitones = clip.origin.get("semitones") or 0.0
    if semitones:
        audio = np.stack([varispeed(audio[:, c], model.sample_rate, semitones)
                          for c in range(audio.shape[1])], axis=1)
    audio = audio[: clip.frames] * np.float32(clip.origin.get("gain", 1.0))
    if audio.shape[0] < clip.frames:
        audio = np.pad(audio, ((0, clip.frames - audio.shape[0]), (0, 0)))
    fade_out(audio, model.sample_rate)  # the same 10 ms fade generation ends with
    origin = {**clip.origin, "sliders": state, "source": clip}
    return make_clip(clip.name, audio, model.sample_rate, source_path=clip.source_path,
                     notes=clip.notes, origin=origin, latents=base)
