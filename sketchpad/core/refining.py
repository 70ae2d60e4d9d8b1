"""Drafts become finished sounds once the hand rests: the controller the window binds to.

Qt-free. Where the sound model's vocoder refines its output, the window shows
drafts (see :mod:`sketchpad.core.generation`): a prompt's tiles and each slider
move are heard at about half the cost. When nothing has moved for a moment the
window calls :meth:`DraftRefiner.refine`, which decodes every draft in the
project again with the refinement, the sound on show first, then the tiles,
then the kept sounds, one job each so a new slider move waits for one decode at
most. Each finished clip replaces its draft wherever the draft still is, the
undo history included; no undo step is recorded, because the sound did not
change, only its rendering.

Events: ``refined(clip)`` after the sound on show was replaced by its finished
clip (the window keeps playing it from the playhead); ``failed(message)``.
Thread use: UI thread only (job results are delivered there).
"""

from __future__ import annotations

from typing import Callable

from sketchpad.core.clip import Clip
from sketchpad.core.events import Event
from sketchpad.core.generation import refine_clip
from sketchpad.jobs import Submitter

JOB_KIND = "refine"


class DraftRefiner:
    def __init__(self, project, jobs: Submitter):
        self.project = project
        self.jobs = jobs
        self.refined = Event()
        self.failed = Event()
        self._waiting: set[int] = set()  # ids of drafts with a job queued or running

    def drafts(self) -> list[Clip]:
        """The project's drafts, the sound on show first, each once."""
        found, seen = [], set()
        for clip in [self.project.clip, *self.project.tiles, *self.project.kept]:
            if clip is not None and clip.origin.draft and id(clip) not in seen:
                seen.add(id(clip))
                found.append(clip)
        return found

    def refine(self, model) -> None:
        """Queue a finishing decode for every draft not already queued."""
        if model is None:
            return
        for draft in self.drafts():
            if id(draft) in self._waiting:
                continue
            self._waiting.add(id(draft))
            self.jobs.submit(
                JOB_KIND, lambda ctx, draft=draft: refine_clip(model, draft, ctx),
                lane="model", supersede=False,
                on_result=lambda new, draft=draft: self._on_refined(draft, new),
                on_error=lambda message, draft=draft: self._on_failed(draft, message),
                on_cancelled=lambda draft=draft: self._waiting.discard(id(draft)))

    def finished(self, clip: Clip, model, then: Callable[[Clip], object]) -> None:
        """Call ``then`` with the finished ``clip``: at once when it is no draft (or no model
        is loaded to finish it), else after a finishing decode that also replaces the draft.
        What leaves the app (an exported file) is never a draft."""
        if not clip.origin.draft or model is None:
            then(clip)
            return

        def done(new: Clip) -> None:
            self._on_refined(clip, new)
            then(new)

        self.jobs.submit(JOB_KIND + "-now", lambda ctx: refine_clip(model, clip, ctx), lane="model",
                         supersede=False, on_result=done, on_error=self.failed.emit)

    def finish_now(self, clip: Clip, model) -> Clip:
        """The finished ``clip``, decoded on the calling thread, replacing the draft too: for a
        drag, whose file must exist when it starts (one tile decodes in about 0.1 s)."""
        if not clip.origin.draft or model is None:
            return clip
        new = refine_clip(model, clip)
        self._on_refined(clip, new)
        return new

    def cancel(self) -> None:
        """Something new needs the model first (a slider move, a prompt): drop what waits.
        The next :meth:`refine` queues the drafts that are still there."""
        self.jobs.cancel_kind(JOB_KIND)
        self._waiting.clear()

    def _on_refined(self, draft: Clip, new: Clip) -> None:
        self._waiting.discard(id(draft))
        on_show = self.project.clip is draft
        self.project.finish_clip(draft, new)
        if on_show:
            self.refined.emit(new)

    def _on_failed(self, draft: Clip, message: str) -> None:
        self._waiting.discard(id(draft))
        self.failed.emit(message)
