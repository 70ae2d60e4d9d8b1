"""Helpers for UI tests: real files on disk and real Qt drag-and-drop events."""

from pathlib import Path

import numpy as np
import soundfile as sf
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

RATE = 44100


def write_tone(path, seconds=2.0, rate=RATE, channels=2, freq=440.0):
    t = np.arange(int(seconds * rate)) / rate
    tone = 0.5 * np.sin(2 * np.pi * freq * t)
    data = np.stack([tone, -tone * 0.5], axis=1)[:, :channels]
    codec = {".ogg": "VORBIS", ".opus": "OPUS", ".mp3": "MPEG_LAYER_III"}
    subtype = codec.get(Path(path).suffix.lower(), "PCM_16")
    sf.write(path, data.astype(np.float32), rate, subtype=subtype)
    return path


def drop_files(widget, paths):
    """Send a real drag-enter + drop event pair carrying file URLs."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    drop_mime(widget, mime)


def drop_mime(widget, mime):
    """Send a real drag-enter + drop event pair carrying ``mime``."""
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)
