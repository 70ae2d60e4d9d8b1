"""A clip as a WAV file: the metadata it carries (title, prompt, seed, model, root note) and the write."""

from __future__ import annotations

from pathlib import Path

from sketchpad.audio.export import WavMetadata, write_wav
from sketchpad.core.clip import Clip


def clip_metadata(clip: Clip, *, title: str | None = None, root_note: int | None = None) -> WavMetadata:
    """What made ``clip``, for the file's metadata; ``title`` and ``root_note`` override its own."""
    origin = clip.origin
    return WavMetadata(prompt=origin.prompt, seed=origin.seed, model=origin.model,
                       root_note=origin.root_note if root_note is None else root_note,
                       title=clip.name if title is None else title)


def write_clip_wav(clip: Clip, path, *, bit_depth: str, rate: int) -> Path:
    """Write ``clip`` atomically as a WAV at ``rate`` Hz and ``bit_depth``; the path written."""
    return write_wav(path, clip.samples, clip.sample_rate, bit_depth=bit_depth, out_rate=rate,
                     metadata=clip_metadata(clip))
