"""The Sound tab: the current sound's waveform over its spectrogram, or a hint when there is none."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QSplitter, QStackedWidget

from sketchpad.ui.spectrogram_view import SpectrogramView
from sketchpad.ui.waveform_view import WaveformView

HINT = ("Type a prompt above and press Enter,\n"
        "or drop audio files here (WAV, FLAC, OGG, Opus, MP3, AIFF)\n\n"
        "(Help > Open Demo Sound plays a bundled groove)")


VIEW_DELAY_MS = 16  # one display frame


class SoundView(QStackedWidget):
    """``waveform`` and ``spectrogram`` share their time axis; ``splitter`` holds both
    (its state is saved with the window's layout)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.waveform = WaveformView()
        self.spectrogram = SpectrogramView()
        self.spectrogram.setXLink(self.waveform)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("viewSplitter")
        self.splitter.addWidget(self.waveform)
        self.splitter.addWidget(self.spectrogram)
        self.splitter.setSizes([400, 300])
        hint = QLabel(HINT)
        hint.setObjectName("dropHint")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.addWidget(hint)
        self.addWidget(self.splitter)
        self._pending = None
        self._scheduled = False
        self._playhead_s = 0.0

    def set_clip(self, clip) -> None:
        """Show ``clip`` a frame later (the latest one asked for wins).

        A new generation repaints the tile grid and these two views; painted together
        that is one 35-55 ms stretch on this project's CPU, long enough to be felt and
        to starve the audio callback of the interpreter lock. A zero-time timer still
        lands in the same pass of the event loop as the tiles' paint; a frame's delay
        puts the views' paint in a pass of its own."""
        self._pending = clip
        if not self._scheduled:
            self._scheduled = True
            QTimer.singleShot(VIEW_DELAY_MS, self, self._show_pending)  # dropped if the view is gone

    def _show_pending(self) -> None:
        self._scheduled = False
        clip = self._pending
        self._pending = None
        # The spectrogram first: its new limits must be in place before the waveform's
        # new time range reaches it through the link, or a longer clip is clamped to the
        # previous clip's length.
        self.spectrogram.set_clip(clip)
        self.waveform.set_clip(clip)
        self.set_playhead(self._playhead_s)
        self.setCurrentIndex(1 if clip is not None else 0)

    def set_playhead(self, seconds: float) -> None:
        self._playhead_s = seconds
        self.waveform.set_playhead(seconds)
        self.spectrogram.set_playhead(seconds)

    @property
    def playhead_seconds(self) -> float:
        return self.waveform.playhead.value()
