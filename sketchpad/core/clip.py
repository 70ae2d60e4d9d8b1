"""A sound the app holds: its samples plus everything the views and player need.

All of it is prepared on a worker thread (``load_clip``), so the UI thread
only swaps references when a clip arrives.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sketchpad.audio.analysis import PeakPyramid, Spectrogram, display_spectrogram
from sketchpad.audio.io import load_audio
from sketchpad.audio.voices import read_only_frames
from sketchpad.engine.latent_ops import SliderState
from sketchpad.jobs import JobContext

PLAYBACK_CHANNELS = 2
# Keys of sessions saved before Origin had fields, and the field each now fills.
_OLD_ORIGIN_KEYS = {"blend": "recipe"}


@dataclass(frozen=True)
class Origin:
    """What made a clip, for exports, sliders and "more like this". Any part may be unknown."""

    prompt: str | None = None
    seed: int | None = None
    index: int | None = None  # its place in a generated batch
    model: str | None = None  # "engine:model" that made it
    root_note: int | None = None  # the MIDI note it sounds at
    semitones: float = 0.0  # transposition applied after decoding
    gain: float = 1.0  # level applied after decoding
    drive: float = 0.0  # saturation applied after transposing (a "distorted" prompt)
    attack: str | None = None  # amp envelope after the drive ("soft" / "punchy" prompts)
    recipe: str | None = None  # how a blend or a point of the library map made it
    sliders: SliderState | None = None  # the slider settings it was shaped with...
    source: "Clip | None" = None  # ...from this clip, the unshaped original
    draft: bool = False  # decoded by the vocoder network alone: refined when the hand rests
    seconds: float | None = None  # the length a generated sound was asked for (None: trimmed)

    def to_json(self) -> dict:
        """The known parts as JSON values; ``source`` as its clip's uid."""
        out = {}
        for part in dataclasses.fields(self):
            value = getattr(self, part.name)
            if value is None:
                continue
            if part.name == "source":
                value = value.uid
            elif part.name == "sliders":
                value = dataclasses.asdict(value)
            elif isinstance(value, np.generic):
                value = value.item()
            out[part.name] = value
        return out

    @classmethod
    def from_json(cls, data: dict, source: "Clip | None" = None) -> "Origin":
        """The inverse of :meth:`to_json`, given the source clip (unknown keys are ignored)."""
        names = {part.name for part in dataclasses.fields(cls)} - {"source", "sliders"}
        known = {_OLD_ORIGIN_KEYS.get(key, key): value for key, value in data.items()
                 if value is not None}  # older sessions wrote unknowns as null
        sliders = known.get("sliders")
        return cls(**{key: value for key, value in known.items() if key in names},
                   sliders=SliderState(**sliders) if sliders and source is not None else None,
                   source=source)


@dataclass(frozen=True, eq=False)
class Clip:
    """``samples``: float32 (frames, channels) at ``sample_rate`` Hz.

    Compared by identity (``eq=False``): two clips are the same only if they are one object.
    """

    name: str
    samples: np.ndarray
    sample_rate: int
    pyramid: PeakPyramid
    spectrogram: Spectrogram
    playback: np.ndarray  # float32 (frames, 2), C-contiguous: handed to the player as is
    source_path: Path | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    origin: Origin = field(default_factory=Origin)
    # The untouched latents (channels, C, frames) when known, so sliders always
    # start from the original sound instead of piling edits on edits.
    latents: np.ndarray | None = None
    # A file's round-trip residual (frames, channels): what decoding its latents
    # loses, added back by the Detail control. None for generated sounds.
    residual: np.ndarray | None = None
    # Stable identity for the session store: a clip's audio is written once.
    uid: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def frames(self) -> int:
        return self.samples.shape[0]

    @property
    def duration_seconds(self) -> float:
        return self.frames / self.sample_rate

    @property
    def nbytes(self) -> int:
        """Memory its arrays take (samples, playback copy, display data, latents)."""
        # The pyramid's own ``samples`` is this clip's array, so it is not counted twice.
        arrays = [self.samples, self.playback, self.latents, self.residual, self.spectrogram.db,
                  *(a for level in self.pyramid.levels for a in level)]
        return sum(a.nbytes for a in arrays if isinstance(a, np.ndarray))


def with_sources(clips) -> dict[str, Clip]:
    """``clips`` and every clip they were shaped from (``origin.source``), by uid."""
    found: dict[str, Clip] = {}
    pending = [c for c in clips if c is not None]
    while pending:
        clip = pending.pop()
        if clip.uid not in found:
            found[clip.uid] = clip
            source = clip.origin.source
            if source is not None:
                pending.append(source)
    return found


def playback_buffer(samples: np.ndarray) -> np.ndarray:
    """The stereo, read-only float32 copy the audio callback reads from, within [-1, 1]
    (float files may hold values far above full scale; the speakers never get them)."""
    return read_only_frames(samples, PLAYBACK_CHANNELS, clip_to_full_scale=True)


def make_clip(name: str, samples: np.ndarray, sample_rate: int, *, source_path=None,
              notes=(), origin: Origin | None = None, latents: np.ndarray | None = None,
              ctx: JobContext | None = None, progress_span=(0.0, 1.0), uid: str | None = None,
              residual: np.ndarray | None = None) -> Clip:
    """Analyse ``samples`` for display and playback. Runs on a worker thread."""
    lo, hi = progress_span

    def report(fraction: float) -> None:
        if ctx is not None:
            ctx.progress(lo + (hi - lo) * fraction, "analysing")

    samples = np.ascontiguousarray(samples, dtype=np.float32)
    if samples.ndim == 1:
        samples = samples[:, None]
    pyramid = PeakPyramid.build(samples)
    report(0.2)
    spectrogram = display_spectrogram(samples, sample_rate,
                                      progress=lambda f: report(0.2 + 0.7 * f))
    playback = playback_buffer(samples)
    report(1.0)
    return Clip(name=name, samples=samples, sample_rate=sample_rate, pyramid=pyramid,
                spectrogram=spectrogram, playback=playback, source_path=source_path,
                notes=tuple(notes), origin=origin or Origin(), latents=latents, residual=residual,
                **({"uid": uid} if uid else {}))


def load_clip(path, ctx: JobContext | None = None) -> Clip:
    """Decode ``path`` and analyse it: the whole background job behind a file drop."""
    path = Path(path)
    progress = (lambda f: ctx.progress(0.5 * f, "decoding")) if ctx is not None else None
    audio = load_audio(path, progress=progress)
    return make_clip(path.stem, audio.samples, audio.sample_rate, source_path=path,
                     notes=audio.notes, ctx=ctx, progress_span=(0.5, 1.0))
