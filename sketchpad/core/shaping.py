"""Shaping the sound on show with the latent sliders: the controller the window binds to.

Qt-free. It owns what a slider drag needs: job submission (through any
:class:`~sketchpad.jobs.Submitter`, the window's worker pool in the app),
serials so only the newest move's sound is shown, the cache of the source's
latents and residual, and the grouping of a drag into one undo step.

* Every move re-decodes from the sound's unshaped source; a neutral state
  shows the source itself (the original audio, untouched).
* A move waiting for the model is dropped by a newer one (the ``shape`` job
  kind supersedes), and a result that is no longer the newest never lands.
* Shaped sounds are drafts where the model refines: a
  :class:`~sketchpad.core.refining.DraftRefiner` finishes the last one once the
  hand rests.
* Moves closer together than ``gesture_seconds`` are one gesture: one undo
  step, recorded when the gesture's first sound is shown, however long the
  model takes to make it.

Events: ``shown(clip)`` after a shaped clip (or the source again) replaced
the one on show, so the window can play it; ``failed(message)``.
Thread use: UI thread only (job results are delivered there).
"""

from __future__ import annotations

import time
from typing import Callable

from sketchpad.core.clip import Clip
from sketchpad.core.events import Event
from sketchpad.core.generation import reshape_clip
from sketchpad.jobs import Submitter

GESTURE_SECONDS = 0.8
JOB_KIND = "shape"


def source_of(clip: Clip) -> Clip:
    """The unshaped sound a clip was shaped from (itself when it was never shaped)."""
    return clip.origin.source or clip


class ShapeSession:
    def __init__(self, project, jobs: Submitter, *, gesture_seconds: float = GESTURE_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self.project = project
        self.jobs = jobs
        self.gesture_seconds = gesture_seconds
        self.clock = clock
        self.shown = Event()
        self.failed = Event()
        self.showing: Clip | None = None  # set while a shaped clip is being put on show
        self._serial = 0
        self._cache: tuple = (None, None, None)  # (source, latents, residual)
        self._gesture_before = None  # project state when the current gesture began
        self._gesture_recorded = False
        self._last_move = float("-inf")

    def move(self, state, model) -> None:
        """The sliders now read ``state``: show the sound on show shaped that way."""
        clip = self.project.clip
        if clip is None or model is None:
            return
        now = self.clock()
        if self._gesture_before is None or now - self._last_move > self.gesture_seconds:
            self._gesture_before = self.project.state()
            self._gesture_recorded = False
        self._last_move = now
        source = source_of(clip)
        self._serial += 1
        serial = self._serial
        if state.is_neutral():
            self.jobs.cancel_kind(JOB_KIND)
            self._show(source)
            return
        cached_source, latents, residual = self._cache
        if cached_source is not source:
            latents = residual = None
        self.jobs.submit(
            JOB_KIND, lambda ctx: reshape_clip(model, source, state, ctx, latents=latents,
                                               residual=residual, draft=True),
            lane="model", on_result=lambda new: self._on_shaped(serial, source, new),
            on_error=self.failed.emit)

    def forget(self) -> None:
        """Another history step or sound took over: results in flight must not land, and
        the next move starts a new gesture."""
        self.jobs.cancel_kind(JOB_KIND)
        self._serial += 1
        self._gesture_before = None
        self._gesture_recorded = False

    def _on_shaped(self, serial: int, source: Clip, new: Clip) -> None:
        self._cache = (source, new.latents, new.residual)
        current = self.project.clip
        if serial != self._serial or current is None or source_of(current) is not source:
            return  # a newer move is on its way, or the user picked another sound
        self._show(new)

    def _show(self, new: Clip) -> None:
        old = self.project.clip
        if old is new or old is None:
            return
        if not self._gesture_recorded and self._gesture_before is not None:
            self.project.checkpoint("Shape", self._gesture_before)
            self._gesture_recorded = True
        self.showing = new
        try:
            self.project.replace_clip(old, new)
        finally:
            self.showing = None
        self.project.changed.emit()
        self.shown.emit(new)
