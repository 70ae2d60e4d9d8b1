"""Progressive rendering: decode a long blend piece by piece, ahead of the playhead.

A ProgressiveRender owns one song-length stereo buffer. The player is handed
a read-only view of it once; a render job on the model worker then writes
decoded pieces into it, starting at the playhead and wrapping round to the
start, so playback can begin as soon as the first small piece is in. When a
control moves, the next render starts a little ahead of the playhead and
crossfades into what was there, so the listener hears the change within a
fraction of a second, without a click.

Threads: ``render`` runs on one worker at a time (the model lane serialises
it); the audio callback only reads the buffer. Writes land at least
``lead_samples`` ahead of the playhead, so the callback never reads a piece
while it is half written, except when decoding falls behind real time.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

FIRST_PIECE_LATENT_FRAMES = 12  # about 0.3 s: small, so the first sound comes fast
MAX_PIECE_LATENT_FRAMES = 256  # about 6 s: pieces double up to this; a cancel waits at most one
LEAD_SAMPLES = 4096  # a re-render starts this far ahead of the playhead (about 93 ms)
FADE_SAMPLES = 512  # crossfade from the old render into the new one


def piece_spans(total: int, start: int) -> list[tuple[int, int]]:
    """Latent frame spans covering [0, total): from ``start`` to the end in doubling
    pieces, then from 0 up to ``start``."""
    spans, first, size = [], start, FIRST_PIECE_LATENT_FRAMES
    for lo, hi in ((start, total), (0, start)):
        first = lo
        while first < hi:
            last = min(hi, first + size)
            spans.append((first, last))
            first, size = last, min(MAX_PIECE_LATENT_FRAMES, size * 2)
    return spans


class ProgressiveRender:
    """A (frames, channels) float32 buffer that renders fill, and the player reads."""

    def __init__(self, frames: int, samples_per_latent: int, channels: int = 2):
        self.frames = int(frames)
        self.samples_per_latent = int(samples_per_latent)
        self._buffer = np.zeros((self.frames, channels), np.float32)
        self.view = self._buffer.view()
        self.view.flags.writeable = False  # what the player gets: it may not write, we may
        latent_frames = -(-self.frames // self.samples_per_latent)
        self.done = np.zeros(latent_frames, bool)  # latent frames holding the newest render
        self.rendered_once = False

    @property
    def fraction_done(self) -> float:
        return float(self.done.mean()) if self.done.size else 1.0

    def render(self, model, latents: np.ndarray, start_sample: int = 0, ctx=None,
               on_piece: Callable[[int, int], None] | None = None,
               residual: np.ndarray | None = None, crossfade: bool = True) -> None:
        """Decode ``latents`` (channels, latent_channels, L) into the buffer, from
        the latent frame holding ``start_sample`` on, then the part before it.
        After each piece, ``ctx.progress`` reports the fraction done (and raises
        if the job was cancelled) and ``on_piece(first_sample, last_sample)`` is
        called, both on this (worker) thread. ``residual`` (frames, channels), when
        given, is added to every piece (a file's detail, :mod:`sketchpad.engine.detail`).
        ``crossfade``: fade the first piece in over what was rendered before (for a
        change heard while playing); without it the buffer holds exactly the new render."""
        step = self.samples_per_latent
        total = min(latents.shape[2], self.done.size)
        start = min(total - 1, max(0, int(start_sample) // step))
        crossfade = crossfade and self.rendered_once
        self.done[:] = False
        for i, (first, last) in enumerate(piece_spans(total, start)):
            if ctx is not None:
                ctx.check()  # a newer render may be waiting for this worker
            # with a residual, the network alone: its own error is in the residual too
            audio = model.decode_span(latents, first, last, refine=residual is None).T  # (samples, channels)
            lo, hi = first * step, min(last * step, self.frames)
            audio = audio[: hi - lo]
            if residual is not None:
                audio = audio + residual[lo:hi]
            if i == 0 and crossfade:
                fade = min(FADE_SAMPLES, hi - lo)
                ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)[:, None]
                old = self._buffer[lo: lo + fade].copy()
                audio = np.broadcast_to(audio, (hi - lo, self._buffer.shape[1])).copy()
                audio[:fade] = old * (1 - ramp) + audio[:fade] * ramp
            self._buffer[lo:hi] = audio  # a mono render fills every channel
            self.done[first:last] = True
            self.rendered_once = True
            if ctx is not None:
                ctx.progress(self.fraction_done, "Rendering blend")
            if on_piece is not None:
                on_piece(lo, hi)

    def copy(self) -> np.ndarray:
        """A private (frames, channels) copy of what is rendered now, for export or tiles."""
        return self._buffer.copy()
