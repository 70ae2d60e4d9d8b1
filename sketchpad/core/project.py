"""The state the window shows. Views subscribe to its events; they never own it."""

from __future__ import annotations

from sketchpad.core.clip import Clip
from sketchpad.core.events import Event


class Project:
    """Holds the current clip and the latest generated tiles.

    Events: ``clip_changed(clip | None)``; ``tiles_changed(list[Clip])``.
    """

    def __init__(self) -> None:
        self._clip: Clip | None = None
        self.tiles: list[Clip] = []
        self.prompt_history: list[str] = []
        self.clip_changed = Event()
        self.tiles_changed = Event()

    def set_tiles(self, tiles: list[Clip]) -> None:
        self.tiles = list(tiles)
        self.tiles_changed.emit(self.tiles)

    def remember_prompt(self, prompt: str, keep: int = 50) -> None:
        if prompt in self.prompt_history:
            self.prompt_history.remove(prompt)
        self.prompt_history.insert(0, prompt)
        del self.prompt_history[keep:]

    @property
    def clip(self) -> Clip | None:
        return self._clip

    def set_clip(self, clip: Clip | None) -> None:
        self._clip = clip
        self.clip_changed.emit(clip)
