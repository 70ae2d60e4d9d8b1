"""Background jobs of the prompt box and the sliders: prompt -> clips, sliders -> clip.

Drafts: where the sound model's vocoder refines its output (``model.refines``),
the window asks for drafts, decoded by the vocoder network alone in about half
the time, so a prompt or a slider move is heard at once; :func:`refine_clip`
later gives the finished clip, which replaces the draft wherever it is.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import replace

import numpy as np

from sketchpad.audio.pitch import parse_note
from sketchpad.core.clip import Clip, Origin, make_clip
from sketchpad.jobs import JobContext
from sketchpad.engine.character import saturate, shape_attack
from sketchpad.engine.detail import add_detail, round_trip_residual
from sketchpad.engine.latent_ops import SliderState, apply_sliders
from sketchpad.audio.edits import fade_out, transpose
from sketchpad.engine.generated import GeneratedSound, decode_sounds
from sketchpad.errors import SketchpadError


MORE_LIKE_THIS_MAX_SECONDS = 30.0


def generate_clips(engine, prompt: str, *, count: int, seed: int, seconds: float | None = None,
                   variation: float = 0.3, options: dict | None = None,
                   ctx: JobContext | None = None, draft: bool = False) -> list[Clip]:
    """Generate ``count`` sounds and analyse each for the views. Runs on the model worker.

    ``options`` (guidance, velocity, steps) go to the generator engine; others ignore them.
    ``draft``: drafts where the model refines (see the module's docstring)."""
    extra = dict(options or {}) if engine.name == "generator" else {}
    draft = draft and engine.model.refines
    sounds = engine.generate(prompt, count=count, seed=seed, seconds=seconds, variation=variation,
                             draft=draft, **extra)
    return _clips_of_sounds(engine, sounds, seed, ctx, draft, seconds)


def more_like_clips(engine, clip: Clip, *, count: int, seed: int,
                    ctx: JobContext | None = None, draft: bool = False) -> list[Clip]:
    """"More like this": ``count`` small latent moves around ``clip`` as it sounds now.

    A generated sound starts from its latents (with its slider moves applied); a
    file is encoded first, as a mono mix. Raises SketchpadError past 30 s.
    """
    model = engine.model
    if clip.duration_seconds > MORE_LIKE_THIS_MAX_SECONDS:
        raise SketchpadError(f"More like this works on sounds up to "
                             f"{MORE_LIKE_THIS_MAX_SECONDS:g} s; '{clip.name}' is longer.")
    source = clip.origin.source or clip
    latents = _usable(model, source.latents if source.latents is not None else clip.latents)
    if latents is None:
        latents = _file_latents(model, clip)
    if ctx is not None:
        ctx.check()
    sliders = clip.origin.sliders
    if sliders is not None:
        latents = apply_sliders(latents, sliders, model.directions)
    prompt = clip.origin.prompt or clip.name
    sound = GeneratedSound(clip.samples[:, 0], latents[:1], seed, prompt, (),
                           float(clip.origin.semitones))
    draft = draft and model.refines
    return _clips_of_sounds(engine, engine.variations(sound, count=count, seed=seed, draft=draft),
                            seed, ctx, draft)


_encoded_files: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_encoded_files_lock = threading.Lock()


def _file_latents(model, clip: Clip) -> np.ndarray:
    """The mono latents of a clip that carries none (a file), encoded once per clip and
    model while the clip lives: asking "More like this" of one file again would
    otherwise encode it again (with the encode-time fit, 1.3 s for a 30 s loop)."""
    with _encoded_files_lock:
        known = _encoded_files.get(clip)
    if known is not None and known[0]() is model:
        return known[1]
    latents = model.encode(clip.samples.mean(axis=1, keepdims=True))
    with _encoded_files_lock:
        _encoded_files[clip] = (weakref.ref(model), latents)
    return latents


def _usable(model, latents):
    """``latents`` when they belong to ``model``'s latent space (a session restored after
    the sound model changed holds another model's), else None: encode again."""
    if latents is None or latents.ndim != 3 or latents.shape[1] != model.latent_channels:
        return None
    return latents


def _clips_of_sounds(engine, sounds, seed: int, ctx: JobContext | None,
                     draft: bool = False, seconds: float | None = None) -> list[Clip]:
    clips = []
    for i, sound in enumerate(sounds):
        if ctx is not None:
            ctx.progress((i + 1) / len(sounds), "analysing")
        origin = Origin(prompt=sound.prompt, seed=seed, index=i,
                        model=f"{engine.name}:{engine.model.name}",
                        root_note=sound.note if sound.note is not None else parse_note(sound.prompt),
                        semitones=sound.semitones,
                        gain=sound.gain, drive=sound.drive, attack=sound.attack, draft=draft,
                        seconds=seconds)
        clips.append(make_clip(f"{sound.prompt} #{i + 1}", sound.audio, engine.model.sample_rate,
                               origin=origin, latents=sound.latents))
    return clips


def reshape_clip(model, clip: Clip, state: SliderState, ctx: JobContext | None = None,
                 latents=None, residual=None, draft: bool = False) -> Clip:
    """``clip`` (the unshaped source) re-decoded with the sliders applied to its latents.

    ``latents`` (and, for a file, ``residual``) may pass what is already known of the
    source, so a file is encoded and round-tripped once, not on every move; the
    result carries both and its source. A sound from a file gets its round-trip
    residual added back by ``state.detail``. ``draft``: a draft where the model
    refines (see the module's docstring).
    """
    base = _usable(model, latents if latents is not None else clip.latents)
    if base is None:
        base = model.encode(clip.samples)
    if ctx is not None:
        ctx.check()
    if residual is None:
        residual = clip.residual
    if residual is None and clip.source_path is not None:
        residual = round_trip_residual(model, clip.samples, base)
        if ctx is not None:
            ctx.check()
    # With a residual to add, the network alone and no draft: its own error is in the
    # residual too, so refining would not bring the sound closer to the file.
    keeps_detail = residual is not None and state.detail > 0
    draft = draft and model.refines and not keeps_detail
    audio = model.decode(apply_sliders(base, state, model.directions),
                         refine=not (keeps_detail or draft), fast=draft)
    semitones = clip.origin.semitones
    if semitones:
        audio = np.stack([transpose(audio[:, c], semitones)
                          for c in range(audio.shape[1])], axis=1)
    audio = shape_attack(saturate(audio[: clip.frames], clip.origin.drive), model.sample_rate,
                         clip.origin.attack) * np.float32(clip.origin.gain)
    if audio.shape[0] < clip.frames:
        audio = np.pad(audio, ((0, clip.frames - audio.shape[0]), (0, 0)))
    audio = add_detail(audio, residual, state.detail)
    fade_out(audio, model.sample_rate)  # the same 10 ms fade generation ends with
    origin = replace(clip.origin, sliders=state, source=clip, draft=draft)
    return make_clip(clip.name, audio, model.sample_rate, source_path=clip.source_path,
                     notes=clip.notes, origin=origin, latents=base, residual=residual)


def refine_clip(model, clip: Clip, ctx: JobContext | None = None) -> Clip:
    """The finished sound of a draft ``clip``: the same latents, sliders, tuning, drive and
    level, decoded with the vocoder's refinement. A clip that is no draft comes back as is."""
    if not clip.origin.draft:
        return clip
    origin = clip.origin
    if _usable(model, clip.latents) is None:  # the sound model changed since: keep the sound
        return make_clip(clip.name, clip.samples, clip.sample_rate, source_path=clip.source_path,
                         notes=clip.notes, origin=replace(origin, draft=False), latents=clip.latents,
                         residual=clip.residual)
    if origin.sliders is not None and origin.source is not None:
        return reshape_clip(model, origin.source, origin.sliders, ctx, latents=clip.latents,
                            residual=clip.residual)
    # A generated sound: the pipeline that made it, with its measured tuning, so the
    # result is the sound (and length) a finished generation with this seed gives.
    sound, = decode_sounds(model, model.silence_frame(), origin.prompt or clip.name, origin.seed,
                           [clip.latents], [()], origin.seconds, origin.semitones,
                           drive=origin.drive, note=origin.root_note, attack=origin.attack)
    return make_clip(clip.name, sound.audio, model.sample_rate, source_path=clip.source_path,
                     notes=clip.notes, origin=replace(origin, draft=False, gain=sound.gain),
                     latents=clip.latents, residual=clip.residual)
