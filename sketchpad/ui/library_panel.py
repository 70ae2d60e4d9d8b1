"""The Library tab: import a sample folder, see it as a 2D latent map, play any point.

A view of :class:`~sketchpad.core.library_session.LibrarySession`, which owns
the library, its layout and every job: hovering previews a file's start
(after a short rest, so a sweep across many dots plays only the last), a click
opens the file, and a click or drag on empty space synthesises that point.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit,
                               QProgressBar, QPushButton, QVBoxLayout, QWidget)

from sketchpad.core.library_session import LibrarySession
from sketchpad.engine.expanders import EXPANDERS, LABELS
from sketchpad.ui.latent_map import LatentMapView

PREVIEW_DELAY_MS = 90     # a sweep across many dots plays the one the cursor rests on


class LibraryPanel(QWidget):
    """Signals: ``sound_ready(clip, scrubbing)`` a sound to show and play (a file
    or a synthesised point); ``message(text)`` for the status bar;
    ``train_requested(folder)`` fine-tune on the imported folder."""

    sound_ready = Signal(object, bool)
    message = Signal(str)
    train_requested = Signal(object)

    def __init__(self, session: LibrarySession, player, parent=None):
        super().__init__(parent)
        self.setObjectName("libraryPanel")
        self.session = session
        self.player = player
        self._hover = -1
        self._build()
        session.busy.connect(self._set_busy)
        session.points.connect(lambda: self._show_points())
        session.marked.connect(self.map.set_marked)
        session.sound.connect(self.sound_ready.emit)
        session.preview.connect(self._play_preview)
        session.message.connect(self.message.emit)
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self._preview)

    def _build(self) -> None:
        self.import_button = QPushButton("Import folder…")
        self.import_button.clicked.connect(self._import_dialog)
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Search: words or a description, Enter")
        self.search_box.returnPressed.connect(lambda: self.session.search(self.search_box.text()))
        self.colour_by = QComboBox()
        self.colour_by.addItems(["Colour: folder", "Colour: k-means cluster"])
        self.colour_by.currentIndexChanged.connect(lambda _: self._show_points(keep_view=True))
        self.expander = QComboBox()
        for key in EXPANDERS:
            self.expander.addItem(LABELS[key], key)
        self.expander.setCurrentIndex(EXPANDERS.index("multilateration"))
        self.expander.setToolTip("How a point between sounds becomes a sound")
        self.more_button = QPushButton("More like this")
        self.more_button.clicked.connect(lambda: self.session.more_like(self.map.selected_index))
        self.train_button = QPushButton("Train on library…")
        self.train_button.setToolTip("Fine-tune the sound model and the retrieval engine "
                                     "on this folder")
        self.train_button.clicked.connect(lambda: self.train_requested.emit(self.session.library.folder))
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
        self.map.point_requested.connect(
            lambda x, y, scrubbing: self.session.synthesise(x, y, self.expander.currentData(), scrubbing))
        self.info = QLabel("Import a folder of samples to see it as a map.")
        self.info.setObjectName("mapInfo")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.session.cancel_import)
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

    @property
    def library(self):
        return self.session.library

    def _refresh(self) -> None:
        for widget in (self.search_box, self.more_button, self.train_button):
            widget.setEnabled(self.session.has_sounds)
        self.import_button.setEnabled(self.session.import_job is None)

    # -- import --------------------------------------------------------------------
    def _import_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a sample folder")
        if folder:
            self.import_folder(Path(folder))

    def import_folder(self, folder) -> None:
        self.session.import_folder(folder)
        self._refresh()

    def _set_busy(self, text: str, fraction: float | None) -> None:
        self.info.setText(text)
        busy = fraction is not None
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy and self.session.import_job is not None)
        if busy:
            self.progress.setValue(int(1000 * fraction))
        self._refresh()

    def _show_points(self, keep_view: bool = False) -> None:
        if self.session.library is None:
            return
        by_cluster = self.colour_by.currentIndex() == 1
        colours = self.session.clusters if by_cluster else self.session.categories()
        self.map.set_points(self.session.coords, colours, keep_view=keep_view)

    # -- hover, select, search -------------------------------------------------------
    def _on_hover(self, index: int) -> None:
        self._hover = index
        if index >= 0 and self.session.library is not None:
            self.map.setToolTip(self.session.library.sounds[index].rel)
            self._preview_timer.start()
        else:
            self.map.setToolTip("")

    def _preview(self) -> None:
        self.session.audition(self._hover)

    def _play_preview(self, buffer) -> None:
        if not self.player.play(buffer):
            self.message.emit(self.player.status_text)

    def open_sound(self, index: int) -> None:
        """Open library sound ``index`` as the current sound (views and sliders follow)."""
        self.map.set_selected(index)
        self.session.open(index)
