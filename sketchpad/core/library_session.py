"""The Library tab's controller: a sample folder as a 2D latent map you can hear.

Qt-free. Importing a folder indexes it on the model lane (cached, with
progress and cancel) and shows a PCA layout at once; a layout job then picks
PCA, t-SNE or UMAP by neighbour preservation and clusters with k-means
(elbow). A file's start is previewed (io lane), a file opens as a sound, a
text search marks matches, and any point of the map is synthesised through
an expander (model lane; a newer point supersedes a waiting one, so a drag
never queues up).

Events: ``busy(text, fraction)`` progress of the import (``fraction`` None when
idle); ``points()`` the dots or their layout changed; ``marked(indices)`` sounds
to highlight; ``sound(clip, scrubbing)`` a sound to show and play;
``preview(buffer)`` a stereo playback buffer to audition; ``message(text)``.
Thread use: UI thread only (job results are delivered there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from sketchpad.audio.io import load_audio
from sketchpad.core.clip import Origin, load_clip, make_clip, playback_buffer
from sketchpad.core.events import Event
from sketchpad.engine.expanders import combine_latents, expand
from sketchpad.engine.library import Library, index_folder
from sketchpad.engine.projection import choose_projection, kmeans_elbow, project
from sketchpad.jobs import CurrentJob, Submitter

PREVIEW_SECONDS = 1.5
NEIGHBOURS = 12
SEARCH_MATCHES = 25
MIN_SOUNDS_TO_LAY_OUT = 8  # fewer: the first PCA layout stays


class LibrarySession:
    def __init__(self, jobs: Submitter, engine: Callable):
        """``engine()`` returns the loaded prompt engine (its sound model and text encoder), or None."""
        self.jobs = jobs
        self._engine = engine
        self.library: Library | None = None
        self.summary = None  # what the import read and skipped
        self.coords = np.zeros((0, 2), np.float32)
        self.clusters = np.zeros(0, np.int64)
        self.layout_method = ""
        self.layout_scores: dict = {}
        self.layout_done = False  # the chosen projection (not the first PCA) is on show
        self.matches: list[int] = []
        self._import = CurrentJob(jobs)
        self.busy = Event()
        self.points = Event()
        self.marked = Event()
        self.sound = Event()
        self.preview = Event()
        self.message = Event()

    @property
    def has_sounds(self) -> bool:
        return self.library is not None and len(self.library) > 0

    # -- import and layout ---------------------------------------------------------------
    def import_folder(self, folder):
        """Index ``folder`` in the background; returns the job, or None with a message."""
        folder = Path(folder)
        engine = self._engine()
        if engine is None:
            self.message.emit("The sound model is still loading; try again in a moment.")
            return None
        if not folder.is_dir():
            self.message.emit(f"Not a folder: {folder}")
            return None
        model, text = engine.model, engine.text
        self.busy.emit(f"Importing {folder.name}…", 0.0)
        return self._import.start(
            "library-import", lambda ctx: _import_with_first_layout(folder, model, text, ctx),
            lane="model", on_result=self._imported, on_error=self._import_failed,
            on_cancelled=lambda: self._import_failed("Import cancelled; what was analysed "
                                                     "is cached for next time."),
            on_progress=lambda f, t: self.busy.emit(f"Importing {folder.name}: {t}", f))

    @property
    def import_job(self):
        """The import in progress, None when there is none."""
        return self._import.job

    def cancel_import(self) -> None:
        self._import.cancel()

    def _import_failed(self, message: str) -> None:
        self.busy.emit(message, None)
        self.message.emit(message)

    def _imported(self, result) -> None:
        library, summary, first_coords = result
        self.library, self.summary = library, summary
        self.layout_method, self.layout_scores, self.layout_done = "pca", {}, False
        self.coords = first_coords
        self.clusters = np.zeros(len(library), np.int64)
        self.points.emit()
        if len(library) < MIN_SOUNDS_TO_LAY_OUT:
            self.layout_done = True
            self.busy.emit(self.describe(), None)
            return
        self.busy.emit(self.describe() + "  (laying out…)", None)
        features = library.features
        self.jobs.submit("library-layout", lambda ctx: _layout(features, ctx), lane="io",
                         on_result=lambda r: self._laid_out(library, r), on_error=self._layout_failed)

    def _layout_failed(self, message: str) -> None:
        self.layout_done = True  # the PCA layout stays
        self.busy.emit(self.describe(), None)
        self.message.emit(f"Map layout failed, showing PCA: {message}")

    def _laid_out(self, library: Library, result) -> None:
        if library is not self.library:
            return  # another folder was imported meanwhile
        choice, self.coords, self.clusters = result
        self.layout_method, self.layout_scores, self.layout_done = choice.method, choice.scores, True
        self.points.emit()
        self.busy.emit(self.describe(), None)

    def describe(self) -> str:
        """One line: how many sounds from where, and how well the layout keeps neighbours."""
        lib = self.library
        text = f"{len(lib)} sounds from {lib.folder.name}"
        skipped = len(self.summary.skipped) if self.summary is not None else 0
        if skipped:
            text += f" ({skipped} files skipped)"
        if self.layout_method:
            text += f" · layout {self.layout_method.upper()}"
            score = self.layout_scores.get(self.layout_method)
            if score:
                text += f", keeps {score['preservation']:.0%} of nearest neighbours"
        return text

    def categories(self) -> np.ndarray:
        """Each sound's folder as a small integer (for colouring)."""
        names = self.library.categories()
        lookup = {name: i for i, name in enumerate(sorted(set(names)))}
        return np.array([lookup[c] for c in names], np.int64)

    # -- listening, searching -------------------------------------------------------------------
    def audition(self, index: int) -> None:
        """Preview the start of sound ``index`` (``preview`` gets its playback buffer)."""
        if self.library is None or index < 0:
            return
        path = self.library.path(index)
        self.jobs.submit("library-preview",
                         lambda ctx: playback_buffer(load_audio(path, max_seconds=PREVIEW_SECONDS).samples),
                         lane="io", on_result=self.preview.emit, on_error=self.message.emit)

    def open(self, index: int) -> None:
        """Open sound ``index`` as the current sound (``sound`` gets it)."""
        path = self.library.path(index)
        self.jobs.submit("library-open", lambda ctx: load_clip(path, ctx), lane="io",
                         on_result=lambda clip: self.sound.emit(clip, False), on_error=self.message.emit)

    def more_like(self, index: int) -> None:
        """Mark the sounds nearest to ``index``."""
        if index < 0:
            self.message.emit("Click a sound on the map first.")
            return
        neighbours = self.library.nearest(index, NEIGHBOURS)
        self.marked.emit(neighbours)
        self.message.emit(f"{len(neighbours)} sounds most like {self.library.sounds[index].rel}")

    def search(self, text: str) -> None:
        """Mark the sounds whose names or sound best match ``text`` (empty clears the marks)."""
        text = text.strip()
        engine, library = self._engine(), self.library
        if not text or library is None or engine is None:
            self.marked.emit([])
            return
        self.jobs.submit("library-search",
                         lambda ctx: library.search(engine.text.embed([text])[0], text, SEARCH_MATCHES),
                         lane="io", on_result=self._found, on_error=self.message.emit)

    def _found(self, matches) -> None:
        self.matches = list(matches)
        self.marked.emit(self.matches)
        if self.matches:
            self.message.emit(f"{len(self.matches)} matches; best: {self.library.sounds[self.matches[0]].rel}")

    # -- synthesis ----------------------------------------------------------------------------
    def synthesise(self, x: float, y: float, method: str, scrubbing: bool = False) -> None:
        """The sound of map point (x, y): its anchors' latents mixed by ``method``, decoded."""
        engine, library = self._engine(), self.library
        if engine is None or library is None:
            return
        coords, model = self.coords, engine.model

        def run(ctx):
            anchors, weights = expand(method, (x, y), coords, library.features)
            z = combine_latents([library.latents[i] for i in anchors], weights, model.silence_frame())
            names = ", ".join(library.sounds[i].rel for i in anchors[:3])
            origin = Origin(model=model.name, recipe=f"map point ({x:+.3f}, {y:+.3f}) by {method} "
                                                     f"from {names}")
            return make_clip(f"map {method} ({x:+.2f}, {y:+.2f})", model.decode(z), model.sample_rate,
                             origin=origin, latents=z[None])

        self.jobs.submit("library-synth", run, lane="model",
                         on_result=lambda clip: self.sound.emit(clip, scrubbing), on_error=self.message.emit)


def _import_with_first_layout(folder, model, text, ctx):
    """The import, plus the quick PCA layout the map shows first (off the UI thread)."""
    library, summary = index_folder(folder, model, text, ctx=ctx)
    return library, summary, project(library.features, "pca")


def _layout(features: np.ndarray, ctx):
    """The best-keeping projection of the whole library and its k-means clusters."""
    ctx.progress(0.0, "choosing a projection")
    choice = choose_projection(features, check=ctx.check)
    ctx.check()
    coords = project(features, choice.method)
    ctx.check()
    clusters, _ = kmeans_elbow(features)
    return choice, coords, clusters
