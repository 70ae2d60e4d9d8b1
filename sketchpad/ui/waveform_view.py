"""Waveform view: draws a clip's min/max peak pyramid for the visible range.

Only about two points per pixel are drawn whatever the zoom, so a ten-minute
file draws at once and zooming stays smooth. Channels get lanes of their own.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal

from sketchpad.core.clip import Clip
from sketchpad.ui.plots import cache_axes

WAVE_COLOR = "#5ec8f2"
PLAYHEAD_COLOR = "#ffcc4d"
LANE_SPACING = 2.2  # vertical distance between channel lanes (a lane spans -1..1)


class WaveformView(pg.PlotWidget):
    """``seek_requested(seconds)`` fires when the user clicks or drags the playhead."""

    seek_requested = Signal(float)

    def __init__(self, parent=None):
        super().__init__(parent=parent)
        self.setObjectName("waveformView")
        self.setMenuEnabled(False)
        self.hideButtons()
        self.showGrid(x=True, y=False, alpha=0.15)
        self.getPlotItem().getAxis("left").setWidth(48)
        self.setLabel("bottom", "time (s)")
        self.getPlotItem().getAxis("bottom").enableAutoSIPrefix(False)
        cache_axes(self)
        self.setMouseEnabled(x=True, y=False)
        self._clip: Clip | None = None
        self._curves: list[pg.PlotDataItem] = []
        self.playhead = pg.InfiniteLine(pos=0, angle=90, movable=True,
                                        pen=pg.mkPen(PLAYHEAD_COLOR, width=2))
        self.playhead.sigDragged.connect(lambda line: self.seek_requested.emit(line.value()))
        self.addItem(self.playhead, ignoreBounds=True)
        self.getViewBox().sigXRangeChanged.connect(self._redraw)
        self.scene().sigMouseClicked.connect(self._on_click)
        self.setToolTip("Waveform: scroll to zoom, drag to pan, click to move the playhead")

    @property
    def clip(self) -> Clip | None:
        return self._clip

    def set_clip(self, clip: Clip | None) -> None:
        self._clip = clip
        for curve in self._curves:
            self.removeItem(curve)
        self._curves = []
        if clip is None:
            return
        channels = clip.pyramid.channels
        for _ in range(channels):
            curve = pg.PlotDataItem(pen=pg.mkPen(WAVE_COLOR, width=1), antialias=False)
            curve.setZValue(-1)
            self.addItem(curve)
            self._curves.append(curve)
        names = ["M"] if channels == 1 else ["L", "R"] + [str(c + 1) for c in range(2, channels)]
        ticks = []
        for ch in range(channels):
            offset = self._lane_offset(ch, channels)
            ticks += [(offset + 1, ""), (offset, names[ch]), (offset - 1, "")]
        self.getPlotItem().getAxis("left").setTicks([ticks, []])
        top = (channels - 1) * LANE_SPACING / 2 + 1.05
        self.setYRange(-top, top, padding=0)
        self.setLimits(xMin=0, xMax=max(clip.duration_seconds, 1e-3),
                       minXRange=32 / clip.sample_rate)
        self.setXRange(0, clip.duration_seconds, padding=0)
        self.playhead.setValue(0)
        self._redraw()

    def set_playhead(self, seconds: float) -> None:
        self.playhead.setValue(seconds)

    def drawn_points(self) -> int:
        """How many points the curves hold now (a measure of drawing cost)."""
        return sum(len(c.xData) if c.xData is not None else 0 for c in self._curves)

    def _redraw(self, *_):
        clip = self._clip
        if clip is None or not self._curves:
            return
        (x0, x1) = self.getViewBox().viewRange()[0]
        rate = clip.sample_rate
        start, stop = int(max(0.0, x0) * rate), int(np.ceil(max(0.0, x1) * rate)) + 1
        columns = max(64, int(self.getViewBox().width()))
        pos, mins, maxs = clip.pyramid.envelope(start, stop, columns)
        channels = clip.pyramid.channels
        xs = np.repeat(pos / rate, 2)
        for ch, curve in enumerate(self._curves):
            offset = self._lane_offset(ch, channels)
            ys = np.empty(2 * len(pos), np.float32)
            ys[0::2] = mins[:, ch]
            ys[1::2] = maxs[:, ch]
            curve.setData(xs, ys + offset)

    @staticmethod
    def _lane_offset(channel: int, channels: int) -> float:
        """Vertical centre of a channel's lane: the first channel on top."""
        return ((channels - 1) / 2 - channel) * LANE_SPACING

    def _on_click(self, event):
        if self._clip is None or event.button() != 1:
            return
        point = self.getViewBox().mapSceneToView(event.scenePos())
        seconds = float(np.clip(point.x(), 0.0, self._clip.duration_seconds))
        self.playhead.setValue(seconds)
        self.seek_requested.emit(seconds)
