"""A grid of result tiles: a mini waveform, a number and a seed on each.

Clicking a tile (or pressing its number, or walking with the arrow keys)
emits ``tile_activated(index)``; the window then shows and plays it.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGridLayout, QSizePolicy, QWidget

from sketchpad.core.clip import Clip

COLUMNS = 4


class Tile(QWidget):
    clicked = Signal()

    def __init__(self, clip: Clip, number: int, parent=None):
        super().__init__(parent)
        self.clip = clip
        self.number = number
        self.selected = False
        self.setMinimumSize(150, 64)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        seed = clip.origin.get("seed")
        self.setToolTip(f"{clip.name}\nseed {seed}  ·  press {number} to audition")
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(2, 2, -2, -2)
        painter.setPen(QPen(QColor("#5ec8f2" if self.selected else "#343844"), 2))
        painter.setBrush(QColor("#23262e"))
        painter.drawRoundedRect(rect, 6, 6)
        wave = rect.adjusted(8, 20, -8, -6)
        _, mins, maxs = self.clip.pyramid.envelope(0, self.clip.frames, max(8, int(wave.width())))
        lo, hi = mins.min(axis=1), maxs.max(axis=1)
        scale = wave.height() / 2 / max(1e-6, float(max(hi.max(), -lo.min())))
        mid = wave.center().y()
        path = QPainterPath()
        n = len(lo)
        for i in range(n):
            x = wave.left() + wave.width() * i / max(1, n - 1)
            path.moveTo(QPointF(x, mid - hi[i] * scale))
            path.lineTo(QPointF(x, mid - lo[i] * scale))
        painter.setPen(QPen(QColor("#5ec8f2"), 1))
        painter.drawPath(path)
        painter.setPen(QColor("#a9adb8"))
        painter.drawText(rect.adjusted(8, 4, -8, 0), Qt.AlignmentFlag.AlignLeft,
                         f"{self.number}")
        painter.drawText(rect.adjusted(8, 4, -8, 0), Qt.AlignmentFlag.AlignRight,
                         f"seed {self.clip.origin.get('seed', '-')}")
        painter.end()


class TileGrid(QWidget):
    tile_activated = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("tileGrid")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.tiles: list[Tile] = []
        self.current = -1
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(8, 4, 8, 4)
        self._layout.setSpacing(6)

    def set_clips(self, clips: list[Clip]) -> None:
        for tile in self.tiles:
            self._layout.removeWidget(tile)
            tile.deleteLater()
        self.tiles = []
        for i, clip in enumerate(clips):
            tile = Tile(clip, i + 1)
            tile.clicked.connect(lambda i=i: self.activate(i))
            self._layout.addWidget(tile, i // COLUMNS, i % COLUMNS)
            self.tiles.append(tile)
        self.current = -1

    def activate(self, index: int) -> None:
        if not 0 <= index < len(self.tiles):
            return
        self.current = index
        for i, tile in enumerate(self.tiles):
            tile.selected = i == index
            tile.update()
        self.tile_activated.emit(index)

    def keyPressEvent(self, event) -> None:
        step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1,
                Qt.Key.Key_Up: -COLUMNS, Qt.Key.Key_Down: COLUMNS}.get(event.key())
        if step is None or not self.tiles:
            return super().keyPressEvent(event)
        self.activate(min(max(0, self.current + step), len(self.tiles) - 1))
