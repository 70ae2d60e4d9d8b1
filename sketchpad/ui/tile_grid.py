"""A grid of result tiles: a mini waveform, a number, a seed and a star on each.

Clicking a tile (or pressing its number, or walking with the arrow keys) emits
``tile_activated(index)``; the star emits ``star_clicked(index)``; the context
menu offers "More like this" (``more_requested(index)``); dragging a tile out
of the window emits ``drag_requested(index, widget)`` so the window can write
the WAV and start the drag. The same widget shows the kept tray.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QApplication, QGridLayout, QLabel, QMenu, QSizePolicy, QWidget
from pyqtgraph import arrayToQPath

from sketchpad.core.clip import Clip

COLUMNS = 4
STAR_SIZE = 18


class Tile(QWidget):
    clicked = Signal()
    star_clicked = Signal()
    more_requested = Signal()
    drag_requested = Signal()
    blend_requested = Signal(str)  # "A" or "B"

    def __init__(self, clip: Clip, number: int, parent=None):
        super().__init__(parent)
        self.number = number
        self.selected = False
        self.kept = False
        self._press: QPoint | None = None
        self.setMinimumSize(150, 56)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.set_clip(clip)

    def set_clip(self, clip: Clip) -> None:
        self.clip = clip
        self._wave_key = None  # the mini waveform is drawn again at the next paint
        seed = clip.origin.seed
        seed_text = f"seed {seed}  ·  " if seed is not None else ""
        self.setToolTip(f"{clip.name}\n{seed_text}press {self.number} to audition · K keeps · "
                        "M: more like this · drag out to a DAW")
        self.update()

    def star_rect(self) -> QRectF:
        return QRectF(self.width() - STAR_SIZE - 6, 4, STAR_SIZE, STAR_SIZE)

    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        if self.star_rect().contains(event.position()):
            self.star_clicked.emit()
            return
        self._press = event.position().toPoint()
        self.clicked.emit()

    def mouseMoveEvent(self, event) -> None:
        if self._press is not None and (event.position().toPoint() - self._press).manhattanLength() \
                >= QApplication.startDragDistance():
            self._press = None
            self.drag_requested.emit()

    def mouseReleaseEvent(self, event) -> None:
        self._press = None

    def contextMenuEvent(self, event) -> None:
        menu = QMenu(self)
        menu.addAction("More like this (M)", self.more_requested.emit)
        menu.addAction("Unkeep (K)" if self.kept else "Keep (K)", self.star_clicked.emit)
        menu.addSeparator()
        menu.addAction("Blend as A", lambda: self.blend_requested.emit("A"))
        menu.addAction("Blend as B", lambda: self.blend_requested.emit("B"))
        menu.exec(event.globalPos())

    def _wave_image(self, wave: QRectF) -> QImage:
        """The mini waveform, a vertical min-max line per pixel column, drawn once per clip
        and size: stroked onto the widget directly it cost ~1 ms a tile at every repaint
        (into an image, a tenth of that), a ~30 ms stall for a fresh grid of eight."""
        key = (wave.width(), wave.height(), self.devicePixelRatioF())
        if self._wave_key != key:
            _, mins, maxs = self.clip.pyramid.envelope(0, self.clip.frames, max(8, int(wave.width())))
            lo, hi = mins.min(axis=1), maxs.max(axis=1)
            scale = wave.height() / 2 / max(1e-6, float(max(hi.max(), -lo.min())))
            x = wave.width() * np.arange(len(lo)) / max(1, len(lo) - 1)
            y = np.stack([hi, lo], axis=1).reshape(-1)
            path = arrayToQPath(np.repeat(x, 2), wave.height() / 2 - y * scale, connect="pairs")
            ratio = key[2]
            image = QImage(int(np.ceil(wave.width() * ratio)) + 1, int(np.ceil(wave.height() * ratio)) + 1,
                           QImage.Format.Format_ARGB32_Premultiplied)
            image.setDevicePixelRatio(ratio)
            image.fill(Qt.GlobalColor.transparent)
            painter = QPainter(image)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.translate(wave.left() - np.floor(wave.left()), wave.top() - np.floor(wave.top()))
            painter.setPen(QPen(QColor("#5ec8f2"), 1))
            painter.drawPath(path)
            painter.end()
            self._wave, self._wave_key = image, key
        return self._wave

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(2, 2, -2, -2)
        painter.setPen(QPen(QColor("#5ec8f2" if self.selected else "#343844"), 2))
        painter.setBrush(QColor("#23262e"))
        painter.drawRoundedRect(rect, 6, 6)
        wave = rect.adjusted(8, 22, -8, -6)
        painter.drawImage(QPointF(np.floor(wave.left()), np.floor(wave.top())), self._wave_image(wave))
        painter.setPen(QColor("#a9adb8"))
        text = rect.adjusted(8, 4, -STAR_SIZE - 10, 0)
        painter.drawText(text, Qt.AlignmentFlag.AlignLeft, f"{self.number}")
        seed = self.clip.origin.seed
        painter.drawText(text, Qt.AlignmentFlag.AlignRight,
                         f"seed {seed}" if seed is not None else self.clip.name[:18])
        painter.setPen(QColor("#f2c14e" if self.kept else "#6b7080"))
        painter.drawText(self.star_rect(), Qt.AlignmentFlag.AlignCenter, "★" if self.kept else "☆")
        painter.end()


class TileGrid(QWidget):
    tile_activated = Signal(int)
    star_clicked = Signal(int)
    more_requested = Signal(int)
    drag_requested = Signal(int, object)  # index, the tile widget
    blend_requested = Signal(int, str)  # index, blend slot "A" or "B"

    def __init__(self, columns: int = COLUMNS, empty_text: str = "", parent=None):
        super().__init__(parent)
        self.setObjectName("tileGrid")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.columns = columns
        self.tiles: list[Tile] = []
        self.current = -1
        self._kept_uids: set[str] = set()
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(8, 4, 8, 4)
        self._layout.setSpacing(6)
        for column in range(columns):  # tiles keep one width, however few there are
            self._layout.setColumnStretch(column, 1)
        self._empty = QLabel(empty_text)
        self._empty.setObjectName("emptyHint")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._layout.addWidget(self._empty, 0, 0, 1, columns)
        self._empty.setVisible(bool(empty_text))

    def set_clips(self, clips: list[Clip]) -> None:
        """Show ``clips``; a list of the same length updates the tiles in place."""
        if len(clips) == len(self.tiles) and clips:
            for tile, clip in zip(self.tiles, clips):
                if tile.clip is not clip:
                    tile.set_clip(clip)
            self._paint_stars()
            return
        for tile in self.tiles:
            self._layout.removeWidget(tile)
            tile.deleteLater()
        self.tiles = []
        for i, clip in enumerate(clips):
            tile = Tile(clip, i + 1)
            tile.clicked.connect(lambda i=i: self.activate(i))
            tile.star_clicked.connect(lambda i=i: self.star_clicked.emit(i))
            tile.more_requested.connect(lambda i=i: self.more_requested.emit(i))
            tile.drag_requested.connect(lambda i=i, t=tile: self.drag_requested.emit(i, t))
            tile.blend_requested.connect(lambda letter, i=i: self.blend_requested.emit(i, letter))
            self._layout.addWidget(tile, i // self.columns, i % self.columns)
            self.tiles.append(tile)
        self._empty.setVisible(not clips and bool(self._empty.text()))
        self.current = -1
        self._paint_stars()

    def set_kept(self, clips: list[Clip]) -> None:
        self._kept_uids = {clip.uid for clip in clips}
        self._paint_stars()

    def _paint_stars(self) -> None:
        for tile in self.tiles:
            kept = tile.clip.uid in self._kept_uids
            if tile.kept != kept:
                tile.kept = kept
                tile.update()

    def show_selected(self, clip: Clip | None) -> None:
        """Outline the tile holding ``clip`` (none if it is not here); emits nothing."""
        self.current = next((i for i, t in enumerate(self.tiles) if t.clip is clip), -1)
        for i, tile in enumerate(self.tiles):
            if tile.selected != (i == self.current):
                tile.selected = i == self.current
                tile.update()

    def activate(self, index: int) -> None:
        if not 0 <= index < len(self.tiles):
            return
        self.show_selected(self.tiles[index].clip)
        self.tile_activated.emit(index)

    def keyPressEvent(self, event) -> None:
        step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1,
                Qt.Key.Key_Up: -self.columns, Qt.Key.Key_Down: self.columns}.get(event.key())
        if step is None or not self.tiles:
            return super().keyPressEvent(event)
        self.activate(min(max(0, self.current + step), len(self.tiles) - 1))
