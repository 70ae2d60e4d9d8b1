"""One input of the blend view (A or B): a drop target that shows what it holds."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout

from sketchpad.audio.io import SUPPORTED_EXTENSIONS


def dropped_audio_path(mime) -> Path | None:
    """The first local audio file among a drag's URLs, or None."""
    for url in mime.urls() if mime.hasUrls() else []:
        path = Path(url.toLocalFile())
        if url.isLocalFile() and path.suffix.lower() in SUPPORTED_EXTENSIONS:
            return path
    return None


class BlendSlot(QFrame):
    """``file_dropped(Path)`` when an audio file (or a tile) is dropped on it;
    ``open_requested()`` when its Open button is pressed."""

    file_dropped = Signal(object)
    open_requested = Signal()

    def __init__(self, letter: str, parent=None):
        super().__init__(parent)
        self.letter = letter
        self.setObjectName("blendSlot")
        self.setAcceptDrops(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumHeight(64)
        badge = QLabel(letter)
        badge.setObjectName("slotBadge")
        badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        badge.setFixedWidth(28)
        self.title = QLabel()
        self.title.setObjectName("slotTitle")
        self.detail = QLabel()
        self.detail.setObjectName("slotDetail")
        self.detail.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.setMaximumHeight(8)
        self.bar.setTextVisible(False)
        self.bar.hide()
        text = QVBoxLayout()
        text.setSpacing(1)
        text.addWidget(self.title)
        text.addWidget(self.detail)
        text.addWidget(self.bar)
        self.open_button = QPushButton("Open…")
        self.open_button.setToolTip(f"Choose the audio file for {letter}")
        self.open_button.clicked.connect(self.open_requested.emit)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 4, 6, 4)
        row.addWidget(badge)
        row.addLayout(text, 1)
        row.addWidget(self.open_button)
        self.set_empty()

    def set_empty(self) -> None:
        self.title.setText(f"Drop sound {self.letter} here")
        self.detail.setText("a file (WAV, FLAC, OGG, Opus, MP3, AIFF) or a tile from above")
        self.bar.hide()

    def set_busy(self, name: str, text: str, fraction: float) -> None:
        self.title.setText(name)
        self.detail.setText(text)
        self.bar.setValue(int(round(fraction * 100)))
        self.bar.show()

    def set_ready(self, name: str, detail: str) -> None:
        self.title.setText(name)
        self.detail.setText(detail)
        self.bar.hide()

    def set_failed(self, message: str) -> None:
        self.detail.setText(f"⚠ {message}")
        self.bar.hide()

    def dragEnterEvent(self, event) -> None:
        if dropped_audio_path(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        path = dropped_audio_path(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            self.file_dropped.emit(path)
