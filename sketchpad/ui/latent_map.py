"""The 2D latent map: every library sound as a dot; hover, click and drag on it.

Mouse: hover a dot to preview it, click a dot to select it, click or drag on
empty space to synthesise the sound of that point; the wheel zooms and a
right or middle drag pans. Hit-testing uses a KD-tree in screen pixels, so
10,000 dots stay responsive; highlights live in a second, small scatter item
so a search never repaints the whole map.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor
from scipy.spatial import cKDTree

HIT_PIXELS = 7.0
PALETTE = ("#5ec8f2", "#f2a65e", "#8be28b", "#e27c9b", "#c79bf2", "#f2e25e", "#5ef2c9",
           "#f25e5e", "#9bb0f2", "#d9a66b", "#7fd1a8", "#e0e0e0")


class _Dots(pg.ScatterPlotItem):
    """A scatter item that leaves clicks to the view box, which hit-tests with the
    KD-tree (pyqtgraph's own point picking would swallow clicks on dots)."""

    def mouseClickEvent(self, ev) -> None:
        ev.ignore()


class _MapViewBox(pg.ViewBox):
    """Left button belongs to the map (select, synthesise, scrub); the rest pans and zooms."""

    def __init__(self, owner: "LatentMapView"):
        super().__init__(enableMenu=False)
        self._owner = owner

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self._owner._clicked(self.mapSceneToView(ev.scenePos()))
        else:
            super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev, axis=None) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self._owner._dragged(self.mapSceneToView(ev.scenePos()), ev.isStart(), ev.isFinish())
        elif ev.button() == Qt.MouseButton.RightButton:
            # A right drag pans like the middle button (the default would zoom).
            ev.accept()
            if not ev.isFinish():
                delta = self.mapSceneToView(ev.lastScenePos()) - self.mapSceneToView(ev.scenePos())
                self.translateBy(x=delta.x(), y=delta.y())
        else:
            super().mouseDragEvent(ev, axis)


class LatentMapView(pg.PlotWidget):
    """Signals: ``hovered(index)`` (-1 when off every dot), ``selected(index)``,
    ``point_requested(x, y, scrubbing)`` for empty space, ``scrub_finished()``."""

    hovered = Signal(int)
    selected = Signal(int)
    point_requested = Signal(float, float, bool)
    scrub_finished = Signal()

    def __init__(self, parent=None):
        self._box = _MapViewBox(self)
        super().__init__(parent, viewBox=self._box)
        self.setObjectName("latentMap")
        self.hideAxis("left")
        self.hideAxis("bottom")
        self.setAspectLocked(True)
        self.setMouseTracking(True)
        self.coords = np.zeros((0, 2), np.float32)
        self._tree: cKDTree | None = None
        self.hover_index = -1
        self.selected_index = -1
        self.dots = _Dots(pxMode=True, size=6, pen=None, useCache=True)
        self.marks = _Dots(pxMode=True, size=11, brush=None, pen=pg.mkPen("#ffffff", width=1.5))
        self.selection = _Dots(pxMode=True, size=16, brush=None,
                               pen=pg.mkPen("#f2e25e", width=2.5))
        self.cursor = _Dots(pxMode=True, size=14, symbol="+", pen=pg.mkPen("#ff6b6b", width=2),
                            brush="#ff6b6b")
        for item in (self.dots, self.marks, self.selection, self.cursor):
            self.addItem(item)
        self.scene().sigMouseMoved.connect(self._mouse_moved)

    # -- data ----------------------------------------------------------------------
    def set_points(self, coords: np.ndarray, colour_index: np.ndarray, keep_view=False) -> None:
        """Dots at ``coords`` (N, 2), coloured by ``colour_index`` (N,) into the palette."""
        self.coords = np.asarray(coords, np.float32)
        self._tree = cKDTree(self.coords) if len(self.coords) else None
        brushes = [pg.mkBrush(QColor(c)) for c in PALETTE]
        self.dots.setData(pos=self.coords,
                          brush=[brushes[int(i) % len(PALETTE)] for i in colour_index],
                          data=np.arange(len(self.coords)))
        self.marks.setData(pos=np.zeros((0, 2)))
        self.cursor.setData(pos=np.zeros((0, 2)))
        self.hover_index = -1
        self.set_selected(-1)
        if not keep_view:
            self.autoRange(padding=0.05)

    def set_marked(self, indices) -> None:
        """Ring these dots (search matches, nearest neighbours)."""
        indices = np.asarray(list(indices), np.int64)
        self.marks.setData(pos=self.coords[indices] if len(indices) else np.zeros((0, 2)))

    def set_selected(self, index: int) -> None:
        self.selected_index = index
        self.selection.setData(pos=self.coords[[index]] if index >= 0 else np.zeros((0, 2)))

    def set_cursor(self, x: float | None, y: float | None = None) -> None:
        self.cursor.setData(pos=np.zeros((0, 2)) if x is None else [[x, y]])

    # -- hit testing ---------------------------------------------------------------
    def dot_at(self, point: QPointF) -> int:
        """The dot under ``point`` (view coordinates) within a few pixels, else -1."""
        if self._tree is None:
            return -1
        distance, index = self._tree.query([point.x(), point.y()])
        pixel = self._box.viewPixelSize()
        if distance <= HIT_PIXELS * max(pixel[0], pixel[1]):
            return int(index)
        return -1

    def view_pos_of(self, index: int) -> QPointF:
        """Widget position of dot ``index`` (for tests and tooltips)."""
        scene = self._box.mapViewToScene(QPointF(*map(float, self.coords[index])))
        return self.mapFromScene(scene)

    def _mouse_moved(self, scene_pos) -> None:
        if not self._box.sceneBoundingRect().contains(scene_pos):
            return
        index = self.dot_at(self._box.mapSceneToView(scene_pos))
        if index != self.hover_index:
            self.hover_index = index
            self.hovered.emit(index)

    def _clicked(self, point: QPointF) -> None:
        index = self.dot_at(point)
        if index >= 0:
            self.set_selected(index)
            self.set_cursor(None)
            self.selected.emit(index)
        elif len(self.coords):
            self.set_cursor(point.x(), point.y())
            self.point_requested.emit(point.x(), point.y(), False)

    def _dragged(self, point: QPointF, start: bool, finish: bool) -> None:
        if not len(self.coords):
            return
        self.set_cursor(point.x(), point.y())
        self.point_requested.emit(point.x(), point.y(), not finish)
        if finish:
            self.scrub_finished.emit()
