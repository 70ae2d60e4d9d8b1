"""Spectrogram view: a clip's log-mel spectrogram as an image, time on x.

The image is computed on a worker (``sketchpad.audio.analysis``); this view
only places it, labels the mel axis in Hz and draws the playhead.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from sketchpad.core.clip import Clip
from sketchpad.ui.plots import cache_axes
from sketchpad.ui.waveform_view import PLAYHEAD_COLOR


class _MelAxis(pg.AxisItem):
    """Left axis that labels mel-bin positions with their frequency."""

    def __init__(self):
        super().__init__("left")
        self.mel_hz: np.ndarray | None = None

    def tickStrings(self, values, scale, spacing):
        if self.mel_hz is None or len(self.mel_hz) == 0:
            return ["" for _ in values]
        out = []
        for v in values:
            i = int(np.clip(round(v), 0, len(self.mel_hz) - 1))
            hz = self.mel_hz[i]
            out.append(f"{hz / 1000:.1f}k" if hz >= 1000 else f"{hz:.0f}")
        return out


class SpectrogramView(pg.PlotWidget):
    def __init__(self, parent=None):
        self._axis = _MelAxis()
        super().__init__(parent=parent, axisItems={"left": self._axis})
        self.setObjectName("spectrogramView")
        self.setMenuEnabled(False)
        self.hideButtons()
        self.getPlotItem().getAxis("left").setWidth(48)
        cache_axes(self)
        self.setMouseEnabled(x=True, y=False)
        self.image = pg.ImageItem(axisOrder="col-major")
        self.image.setColorMap(pg.colormap.get("inferno"))
        self.addItem(self.image)
        self.playhead = pg.InfiniteLine(pos=0, angle=90, movable=False,
                                        pen=pg.mkPen(PLAYHEAD_COLOR, width=2))
        self.addItem(self.playhead, ignoreBounds=True)
        self._clip: Clip | None = None
        self.setToolTip("Spectrogram (mel scale): follows the waveform's zoom")

    @property
    def clip(self) -> Clip | None:
        return self._clip

    def set_clip(self, clip: Clip | None) -> None:
        self._clip = clip
        if clip is None:
            self.image.clear()
            return
        spec = clip.spectrogram
        self._axis.mel_hz = spec.mel_hz
        self.image.setImage(spec.db, levels=(spec.floor_db * 0.8, 0.0), autoLevels=False)
        seconds_per_column = spec.hop_samples / spec.sample_rate
        columns, bins = spec.db.shape
        self.image.setRect(0.0, 0.0, columns * seconds_per_column, float(bins))
        self.setYRange(0, bins, padding=0)
        self.setLimits(xMin=0, xMax=max(clip.duration_seconds, 1e-3), yMin=0, yMax=bins)
        self.playhead.setValue(0)

    def set_playhead(self, seconds: float) -> None:
        self.playhead.setValue(seconds)
