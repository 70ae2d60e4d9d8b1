"""Prompt -> playable clips: the background job behind the prompt box."""

from __future__ import annotations

from sketchpad.audio.pitch import parse_note
from sketchpad.core.clip import Clip, make_clip
from sketchpad.core.jobs import JobContext


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
                  "root_note": parse_note(sound.prompt)}
        clips.append(make_clip(f"{sound.prompt} #{i + 1}", sound.audio, engine.model.sample_rate,
                               origin=origin))
    return clips
