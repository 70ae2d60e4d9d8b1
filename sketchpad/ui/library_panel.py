"""The Library tab: import a sample folder, see it as a 2D latent map, play any point.

Flow: "Import folder…" runs ``index_folder`` on the model lane (cached, with
progress and cancel); the map first shows a PCA layout at once, then a layout
job picks PCA, t-SNE or UMAP by neighbour preservation, clusters with k-means
(elbow) and swaps the dots in. Hover previews the file's start (io lane),
a click opens the file as the current sound, and a click or drag on empty
space synthesises that point through the chosen expander (model lane; a
newer point supersedes a waiting one, so dragging never queues up).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit,
                               QProgressBar, QPushButton, QVBoxLayout, QWidget)

from sketchpad.audio.io import load_audio
from sketchpad.core.clip import load_clip, make_clip, playback_buffer
from sketchpad.engine.expanders import EXPANDERS, LABELS, combine_latents, expand
from sketchpad.engine.library import Library, index_folder
from sketchpad.engine.projection import choose_projection, kmeans_elbow, project
from sketchpad.ui.latent_map import LatentMapView

PREVIEW_SECONDS = 1.5
PREVIEW_DELAY_MS = 90     # a sweep across many dots plays the one the cursor rests on
NEIGHBOURS = 12
SEARCH_MATCHES = 25


class LibraryPanel(QWidget):
    """Signals: ``sound_ready(clip, scrubbing)`` a sound to show and play (a file
    or a synthesised point); ``message(text)`` for the status bar;
    ``train_requested(folder)`` fine-tune on the imported folder."""

    sound_ready = Signal(object, bool)
    message = Signal(str)
    train_requested = Signal(object)

    def __init__(self, pool, player, generator_getter, parent=None):
        super().__init__(parent)
        self.setObjectName("libraryPanel")
        self.pool = pool
        self.player = player
        self._generator = generator_getter
        self.library: Library | None = None
        self.coords = np.zeros((0, 2), np.float32)
        self.clusters = np.zeros(0, np.int64)
        self.layout_method = ""
        self.layout_scores: dict = {}
        self.layout_done = False  # the chosen projection (not the first PCA) is on show
        self.clusters_k = 0
        self.summary = None
        self.matches: list[int] = []
        self._import_job = None
        self._hover = -1
        self._build()
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self._preview)

    def _build(self) -> None:
        self.import_button = QPushButton("Import folder…")
        self.import_button.clicked.connect(self._import_dialog)
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Search: words or a description, Enter")
        self.search_box.returnPressed.connect(lambda: self.search(self.search_box.text()))
        self.colour_by = QComboBox()
        self.colour_by.addItems(["Colour: folder", "Colour: k-means cluster"])
        self.colour_by.currentIndexChanged.connect(lambda _: self._show_points(keep_view=True))
        self.expander = QComboBox()
        for key in EXPANDERS:
            self.expander.addItem(LABELS[key], key)
        self.expander.setCurrentIndex(EXPANDERS.index("multilateration"))
        self.expander.setToolTip("How a point between sounds becomes a sound")
        self.more_button = QPushButton("More like this")
        self.more_button.clicked.connect(self.more_like_selected)
        self.train_button = QPushButton("Train on library…")
        self.train_button.setToolTip("Fine-tune the sound model and the retrieval engine "
                                     "on this folder")
        self.train_button.clicked.connect(lambda: self.train_requested.emit(self.library.folder))
        # Narrow minimums, so the Library tab never widens the window's minimum size.
        self.search_box.setMinimumWidth(60)
        for combo in (self.colour_by, self.expander):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
        bar = QHBoxLayout()
        for widget in (self.import_button, self.search_box, self.colour_by, self.expander,
                       self.more_button, self.train_button):
            bar.addWidget(widget, 1 if widget is self.search_box else 0)
        self.map = LatentMapView()
        self.map.hovered.connect(self._on_hover)
        self.map.selected.connect(self.open_sound)
        self.map.point_requested.connect(self.synthesise)
        self.info = QLabel("Import a folder of samples to see it as a map.")
        self.info.setObjectName("mapInfo")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel_import)
        status = QHBoxLayout()
        status.addWidget(self.info, 1)
        status.addWidget(self.progress)
        status.addWidget(self.cancel_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addLayout(bar)
        column.addWidget(self.map, 1)
        column.addLayout(status)
        self._refresh()

    def _refresh(self) -> None:
        has = self.library is not None and len(self.library) > 0
        for widget in (self.search_box, self.more_button, self.train_button):
            widget.setEnabled(has)
        self.import_button.setEnabled(self._import_job is None)

    # -- import --------------------------------------------------------------------
    def _import_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a sample folder")
        if folder:
            self.import_folder(Path(folder))

    def import_folder(self, folder) -> None:
        folder = Path(folder)
        generator = self._generator()
        if generator is None:
            self.message.emit("The sound model is still loading; try again in a moment.")
            return
        if not folder.is_dir():
            self.message.emit(f"Not a folder: {folder}")
            return
        model, text = generator.model, generator.text
        self._set_busy(f"Importing {folder.name}…", 0.0)
        self._import_job = self.pool.submit(
            "library-import", lambda ctx: _import_with_first_layout(folder, model, text, ctx),
            lane="model",
            on_result=self._on_imported, on_error=self._on_import_failed,
            on_cancelled=lambda: self._on_import_failed("Import cancelled; what was analysed "
                                                        "is cached for next time."),
            on_progress=lambda f, t: self._set_busy(f"Importing {folder.name}: {t}", f))
        self._refresh()

    def cancel_import(self) -> None:
        if self._import_job is not None:
            self.pool.cancel(self._import_job)

    def _set_busy(self, text: str, fraction: float | None) -> None:
        self.info.setText(text)
        busy = fraction is not None
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy and self._import_job is not None)
        if busy:
            self.progress.setValue(int(1000 * fraction))

    def _on_import_failed(self, message: str) -> None:
        self._import_job = None
        self._set_busy(message, None)
        self.message.emit(message)
        self._refresh()

    def _on_imported(self, result) -> None:
        library, summary, first_coords = result
        self._import_job = None
        self.summary = summary
        self.library = library
        self.layout_method, self.layout_scores, self.layout_done = "pca", {}, False
        self.coords = first_coords
        self.clusters = np.zeros(len(library), np.int64)
        self._show_points()
        self._set_busy(self._describe() + "  (laying out…)", None)
        self._refresh()
        if len(library) >= 8:
            features = library.features
            self.pool.submit("library-layout", lambda ctx: _layout(features, ctx), lane="io",
                             on_result=lambda r, lib=library: self._on_layout(lib, r),
                             on_error=self._on_layout_failed)
        else:
            self.layout_done = True
            self._set_busy(self._describe(), None)

    def _on_layout_failed(self, message: str) -> None:
        self.layout_done = True  # the PCA layout stays
        self._set_busy(self._describe(), None)
        self.message.emit(f"Map layout failed, showing PCA: {message}")

    def _on_layout(self, library: Library, result) -> None:
        if library is not self.library:
            return  # another folder was imported meanwhile
        choice, coords, clusters, k = result
        self.layout_method, self.coords, self.clusters, self.clusters_k = \
            choice.method, coords, clusters, k
        self.layout_scores, self.layout_done = choice.scores, True
        self._show_points()
        self._set_busy(self._describe(), None)

    def _describe(self) -> str:
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

    def _show_points(self, keep_view: bool = False) -> None:
        if self.library is None:
            return
        if self.colour_by.currentIndex() == 1:
            colours = self.clusters
        else:
            names = sorted(set(self.library.categories()))
            lookup = {name: i for i, name in enumerate(names)}
            colours = np.array([lookup[c] for c in self.library.categories()], np.int64)
        self.map.set_points(self.coords, colours, keep_view=keep_view)

    # -- hover, select, search -------------------------------------------------------
    def _on_hover(self, index: int) -> None:
        self._hover = index
        if index >= 0 and self.library is not None:
            self.map.setToolTip(self.library.sounds[index].rel)
            self._preview_timer.start()
        else:
            self.map.setToolTip("")

    def _preview(self) -> None:
        index = self._hover
        if index < 0 or self.library is None:
            return
        path = self.library.path(index)
        self.pool.submit("library-preview",
                         lambda ctx: playback_buffer(load_audio(path, max_seconds=PREVIEW_SECONDS)
                                                     .samples),
                         lane="io", on_result=self._play_preview,
                         on_error=lambda m: self.message.emit(m))

    def _play_preview(self, buffer) -> None:
        if not self.player.play(buffer):
            self.message.emit(self.player.status_text)

    def open_sound(self, index: int) -> None:
        """Open library sound ``index`` as the current sound (views and sliders follow)."""
        self.map.set_selected(index)
        path = self.library.path(index)
        self.pool.submit("library-open", lambda ctx: load_clip(path, ctx), lane="io",
                         on_result=lambda clip: self.sound_ready.emit(clip, False),
                         on_error=lambda m: self.message.emit(m))

    def more_like_selected(self) -> None:
        index = self.map.selected_index
        if index < 0:
            self.message.emit("Click a sound on the map first.")
            return
        neighbours = self.library.nearest(index, NEIGHBOURS)
        self.map.set_marked(neighbours)
        self.message.emit(f"{len(neighbours)} sounds most like {self.library.sounds[index].rel}")

    def search(self, text: str) -> None:
        text = text.strip()
        if not text or self.library is None:
            self.map.set_marked([])
            return
        generator, library = self._generator(), self.library
        self.pool.submit("library-search",
                         lambda ctx: library.search(generator.text.embed([text])[0], text,
                                                    SEARCH_MATCHES),
                         lane="io", on_result=self._show_matches,
                         on_error=lambda m: self.message.emit(m))

    def _show_matches(self, matches) -> None:
        self.matches = list(matches)
        self.map.set_marked(self.matches)
        if self.matches:
            best = self.library.sounds[self.matches[0]].rel
            self.message.emit(f"{len(self.matches)} matches; best: {best}")

    # -- synthesis -----------------------------------------------------------------
    def synthesise(self, x: float, y: float, scrubbing: bool) -> None:
        generator, library = self._generator(), self.library
        if generator is None or library is None:
            return
        method = self.expander.currentData()
        coords = self.coords
        model = generator.model

        def run(ctx):
            anchors, weights = expand(method, (x, y), coords, library.features)
            z = combine_latents([library.latents[i] for i in anchors], weights,
                                model.silence_frame())
            audio = model.decode(z)
            origin = {"map_point": [round(x, 4), round(y, 4)], "expander": method,
                      "anchors": [library.sounds[i].rel for i in anchors[:3]]}
            return make_clip(f"map {method} ({x:+.2f}, {y:+.2f})", audio, model.sample_rate,
                             origin=origin, latents=z[None])

        self.pool.submit("library-synth", run, lane="model",
                         on_result=lambda clip: self.sound_ready.emit(clip, scrubbing),
                         on_error=lambda m: self.message.emit(m))


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
    clusters, k = kmeans_elbow(features)
    return choice, coords, clusters, k
