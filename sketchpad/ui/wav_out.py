"""WAV files leaving the app: Ctrl+E exports and drags out to a DAW or file manager.

Both write into the export folder, in the format chosen in the preferences,
with the prompt, seed and model in the file's metadata. A drag writes its file
before the drag starts (a 2 s one-shot takes a few milliseconds; a draft is
finished first, see ``MainWindow.drag_out``) and carries it
as a local file URL, which DAWs and file managers accept. Dragged files are
never cleaned up: a DAW may keep referring to them.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import QApplication, QLabel

from sketchpad.audio.export import safe_file_stem
from sketchpad.core.clip import Clip
from sketchpad.core.clip_wav import write_clip_wav

CLIP_MIME = "application/x-sketchpad-clip"  # a clip's uid, beside its WAV file URL


def drag_wav_path(folder, clip: Clip) -> Path:
    """Where a drag of ``clip`` writes: one file per clip, so dragging twice reuses it."""
    return Path(folder) / f"{safe_file_stem(clip.name)} {clip.uid[:6]}.wav"


def wav_mime_data(clip: Clip, folder, *, bit_depth: str, rate: int) -> QMimeData:
    """Write ``clip`` into ``folder`` and return mime data carrying its file URL."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = drag_wav_path(folder, clip)
    if not path.exists():
        write_clip_wav(clip, path, bit_depth=bit_depth, rate=rate)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    mime.setData(CLIP_MIME, clip.uid.encode())  # inside the app, a drop keeps the clip itself
    return mime


def start_wav_drag(source_widget, clip: Clip, folder, *, bit_depth: str, rate: int) -> None:
    drag = QDrag(source_widget)
    drag.setMimeData(wav_mime_data(clip, folder, bit_depth=bit_depth, rate=rate))
    drag.exec(Qt.DropAction.CopyAction)


class DragHandle(QLabel):
    """A grip in the toolbar: drag it to drop the sound on show into a DAW or folder.

    ``start_drag()`` is called once the mouse has moved far enough with the button down.
    """

    def __init__(self, start_drag, parent=None, *, text: str = "⠿ Drag WAV",
                 tip: str = "Drag the sound on show into your DAW or a folder (writes a WAV)"):
        super().__init__(text, parent)
        self.setObjectName("dragHandle")
        self.setToolTip(tip)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self._start_drag = start_drag
        self._press: QPoint | None = None

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()

    def mouseMoveEvent(self, event) -> None:
        if self._press is not None and (event.position().toPoint() - self._press).manhattanLength() \
                >= QApplication.startDragDistance():
            self._press = None
            self._start_drag(self)

    def mouseReleaseEvent(self, event) -> None:
        self._press = None
