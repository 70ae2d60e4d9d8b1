"""The prompt box's controller: load a prompt engine, turn prompts into tiles.

Qt-free. It owns the prompt engine once loaded, submits generation jobs on
the model lane through any :class:`~sketchpad.jobs.Submitter`, and puts the
results into the project as one undo step. Results are drafts where the model
refines (a :class:`~sketchpad.core.refining.DraftRefiner` finishes them).

Events: ``ready(engine)`` when a prompt engine loaded; ``load_failed(message)``;
``results(clips, label)`` after new tiles went into the project;
``failed(message)`` when a prompt could not run; ``device(text)`` the compute device
the models run on.
Thread use: UI thread only (job results are delivered there).
"""

from __future__ import annotations

from typing import Callable

from sketchpad.core.clip import Clip
from sketchpad.core.events import Event
from sketchpad.core.generation import generate_clips, more_like_clips
from sketchpad.jobs import Submitter

NOT_LOADED = "The sound models are still loading."


class PromptSession:
    def __init__(self, project, jobs: Submitter, loader: Callable):
        """``loader(model_name, kind)`` returns a prompt engine (run on the model lane)."""
        self.project = project
        self.jobs = jobs
        self.loader = loader
        self.engine = None  # the prompt engine, once loaded
        self.ready = Event()
        self.load_failed = Event()
        self.results = Event()
        self.failed = Event()
        self.device = Event()

    def probe_device(self):
        """Describe the compute device in the background (a GPU probe can take a second);
        ``device`` gets the text. Returns the job."""
        from sketchpad.engine.device import describe_compute_device

        return self.jobs.submit("device-probe", lambda ctx: describe_compute_device(), lane="model",
                                on_result=self.device.emit, on_error=lambda message: self.device.emit("CPU"))

    def load(self, model_name: str | None, kind: str | None):
        """Load (or switch to) a prompt engine in the background; returns the job."""
        loader = self.loader
        return self.jobs.submit("load-prompt-engine", lambda ctx: loader(model_name, kind), lane="model",
                                on_result=self._on_loaded, on_error=self.load_failed.emit)

    def _on_loaded(self, engine) -> None:
        self.engine = engine
        self.ready.emit(engine)

    def generate(self, prompt: str, *, count: int, seed: int, seconds=None, variation: float = 0.3,
                 options: dict | None = None):
        """``count`` sounds for ``prompt``; returns the job, or None (and ``failed``) when no
        engine has loaded yet."""
        engine = self.engine
        if engine is None:
            self.failed.emit(NOT_LOADED)
            return None
        self.project.remember_prompt(prompt)
        return self.jobs.submit(
            "generate", lambda ctx: generate_clips(engine, prompt, count=count, seed=seed,
                                                   seconds=seconds, variation=variation,
                                                   options=options or {}, ctx=ctx, draft=True),
            lane="model", on_result=lambda clips: self.show_tiles(clips, "Generate"),
            on_error=self.failed.emit)

    def more_like(self, clip: Clip, *, count: int, seed: int):
        """Variations of ``clip`` replace the tiles; the job, or None as for :meth:`generate`."""
        engine = self.engine
        if engine is None:
            self.failed.emit(NOT_LOADED)
            return None
        return self.jobs.submit(
            "generate", lambda ctx: more_like_clips(engine, clip, count=count, seed=seed, ctx=ctx,
                                                    draft=True),
            lane="model", on_result=lambda clips: self.show_tiles(clips, "More like this"),
            on_error=self.failed.emit)

    def show_tiles(self, clips: list[Clip], label: str) -> None:
        """``clips`` become the tiles, as one undo step called ``label``."""
        self.project.checkpoint(label)
        self.project.set_tiles(clips)
        self.results.emit(clips, label)
