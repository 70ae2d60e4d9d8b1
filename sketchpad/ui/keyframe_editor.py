"""Automation curve editor for the blend timeline: alpha(t) from A (0) to B (1).

Double-click empty space adds a keyframe, dragging one moves it (snapped to
A's beats when snapping is on), right-click or Delete removes it. The curve
itself is a plain tuple of (seconds, alpha) edited by sketchpad.core.keyframes;
this view only draws it and turns mouse gestures into edits.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal

from sketchpad.core import keyframes
from sketchpad.ui.plots import cache_axes

CURVE_COLOR = "#f28e5e"
BEAT_COLOR = (255, 255, 255, 40)
PICK_RADIUS_PX = 9


class _KeyframeBox(pg.ViewBox):
    """A ViewBox that hands mouse gestures to the editor instead of panning."""

    def __init__(self, editor: "KeyframeEditor"):
        super().__init__(enableMenu=False)
        self._editor = editor
        self.setMouseEnabled(x=False, y=False)

    def mouseClickEvent(self, ev) -> None:
        ev.accept()
        self._editor.handle_click(ev.scenePos(), ev.button(), ev.double())

    def mouseDragEvent(self, ev, axis=None) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        self._editor.handle_drag(ev.buttonDownScenePos(), ev.scenePos(), ev.isStart(), ev.isFinish())


class KeyframeEditor(pg.PlotWidget):
    """``points_changed(points)`` fires on every edit, during drags too."""

    points_changed = Signal(object)

    def __init__(self, parent=None):
        self._box = _KeyframeBox(self)
        super().__init__(parent=parent, viewBox=self._box)
        self.setObjectName("keyframeEditor")
        self.hideButtons()
        self.setMenuEnabled(False)
        self.getPlotItem().getAxis("left").setWidth(48)
        self.getPlotItem().getAxis("left").setTicks([[(0.0, "A"), (0.5, "½"), (1.0, "B")]])
        self.getPlotItem().getAxis("bottom").enableAutoSIPrefix(False)
        cache_axes(self)
        self.setYRange(-0.08, 1.08, padding=0)
        self.setToolTip("Blend over time: double-click adds a keyframe, drag moves it, "
                        "right-click or Delete removes it")
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self._beat_lines = pg.PlotDataItem(pen=pg.mkPen(BEAT_COLOR), connect="pairs")
        self._curve = pg.PlotDataItem(pen=pg.mkPen(CURVE_COLOR, width=2))
        self._dots = pg.ScatterPlotItem(size=11, brush=pg.mkBrush(CURVE_COLOR),
                                        pen=pg.mkPen("#ffffff", width=1))
        self.playhead = pg.InfiniteLine(pos=0, angle=90, movable=False, pen=pg.mkPen("#ffcc4d", width=2))
        for item in (self._beat_lines, self._curve, self._dots):
            self.addItem(item)
        self.addItem(self.playhead, ignoreBounds=True)
        self.duration = 1.0
        self.points: keyframes.Points = keyframes.default_points(1.0)
        self.beats: np.ndarray | None = None
        self.snap_to_beats = False
        self.selected: int | None = None
        self._dragging: int | None = None

    # -- state ---------------------------------------------------------------------
    def set_duration(self, seconds: float) -> None:
        self.duration = max(float(seconds), keyframes.MIN_GAP_SECONDS)
        self.setXRange(0, self.duration, padding=0.01)
        self._redraw()

    def set_points(self, points: keyframes.Points) -> None:
        self.points = tuple(points)
        self.selected = None
        self._redraw()

    def set_beats(self, beats: np.ndarray | None) -> None:
        self.beats = beats
        if beats is None or len(beats) == 0:
            self._beat_lines.setData([], [])
        else:
            xs = np.repeat(np.asarray(beats, np.float64), 2)
            ys = np.tile([0.0, 1.0], len(beats))
            self._beat_lines.setData(xs, ys)

    def set_playhead(self, seconds: float) -> None:
        self.playhead.setValue(seconds)

    def _commit(self, points) -> None:
        if points != self.points:
            self.points = points
            self._redraw()
            self.points_changed.emit(points)

    def _redraw(self) -> None:
        ts = [t for t, _ in self.points]
        alphas = [a for _, a in self.points]
        self._curve.setData([0.0] + ts + [self.duration], [alphas[0]] + alphas + [alphas[-1]])
        brushes = [pg.mkBrush("#ffffff" if i == self.selected else CURVE_COLOR)
                   for i in range(len(self.points))]
        self._dots.setData(ts, alphas, brush=brushes)

    # -- gestures ------------------------------------------------------------------
    def _to_view(self, scene_pos) -> tuple[float, float]:
        p = self._box.mapSceneToView(scene_pos)
        return p.x(), p.y()

    def point_at(self, scene_pos) -> int | None:
        """Index of the keyframe within a few pixels of ``scene_pos``, or None."""
        best, best_d = None, PICK_RADIUS_PX
        for i, (t, a) in enumerate(self.points):
            p = self._box.mapViewToScene(QPointF(t, a))
            d = np.hypot(p.x() - scene_pos.x(), p.y() - scene_pos.y())
            if d <= best_d:
                best, best_d = i, d
        return best

    def _snapped(self, seconds: float) -> float:
        return keyframes.snap(seconds, self.beats if self.snap_to_beats else None)

    def handle_click(self, scene_pos, button, double: bool) -> None:
        index = self.point_at(scene_pos)
        if button == Qt.MouseButton.RightButton:
            if index is not None:
                self.selected = None
                self._commit(keyframes.remove_point(self.points, index))
            return
        if index is not None:
            self.selected = index
            self._redraw()
        elif double:
            t, a = self._to_view(scene_pos)
            points, self.selected = keyframes.add_point(self.points, self._snapped(t), a, self.duration)
            self._commit(points)

    def handle_drag(self, down_pos, scene_pos, start: bool, finish: bool) -> None:
        if start:
            self._dragging = self.point_at(down_pos)
            self.selected = self._dragging
        if self._dragging is not None:
            t, a = self._to_view(scene_pos)
            self._commit(keyframes.move_point(self.points, self._dragging, self._snapped(t), a,
                                              self.duration))
        if finish:
            self._dragging = None

    def event(self, event) -> bool:
        # Delete is also the window's "remove tile" shortcut: claim it while a keyframe is selected.
        if (event.type() == event.Type.ShortcutOverride and self.selected is not None
                and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.selected is not None:
            index, self.selected = self.selected, None
            self._commit(keyframes.remove_point(self.points, index))
            event.accept()
            return
        super().keyPressEvent(event)
