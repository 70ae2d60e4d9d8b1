"""The state the window shows. Views subscribe to its events; they never own it."""

from __future__ import annotations

from sketchpad.core.clip import Clip
from sketchpad.core.events import Event


class Project:
    """Holds the current clip. ``clip_changed(clip | None)`` fires on every change."""

    def __init__(self) -> None:
        self._clip: Clip | None = None
        self.clip_changed = Event()

    @property
    def clip(self) -> Clip | None:
        return self._clip

    def set_clip(self, clip: Clip | None) -> None:
        self._clip = clip
        self.clip_changed.emit(clip)
