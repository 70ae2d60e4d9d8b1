"""The state the window shows. Views subscribe to its events; they never own it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sketchpad.core.clip import Clip, with_sources
from sketchpad.core.events import Event
from sketchpad.core.history import UndoHistory


UNDO_BUDGET_BYTES = 256 << 20  # sounds undo may keep alive: about 20 generations of eight


@dataclass(frozen=True)
class ProjectState:
    """What undo puts back: the tiles, the kept tray and the sound on show."""

    tiles: tuple[Clip, ...] = ()
    kept: tuple[Clip, ...] = ()
    clip: Clip | None = None

    def replacing(self, old: Clip, new: Clip) -> "ProjectState":
        """This state with ``new`` wherever ``old`` is (itself when ``old`` is not in it)."""
        def swap(clip):
            return new if clip is old else clip

        if not any(clip is old for clip in (*self.tiles, *self.kept, self.clip)):
            return self
        return ProjectState(tuple(map(swap, self.tiles)), tuple(map(swap, self.kept)), swap(self.clip))

    def footprint(self) -> dict[str, int]:
        """Bytes of each clip the state keeps alive (sources included), by uid."""
        return self._footprint

    @cached_property
    def _footprint(self) -> dict[str, int]:
        # A state never changes, so the undo budget counts each one once, not at every step.
        clips = with_sources([*self.tiles, *self.kept, self.clip])
        return {uid: clip.nbytes for uid, clip in clips.items()}


class Project:
    """Holds the current clip, the latest tiles and the kept tray, with undo.

    Events: ``clip_changed(clip | None)``; ``tiles_changed(list[Clip])``;
    ``kept_changed(list[Clip])``; ``changed()`` after any undoable change (for autosave).
    Changes made through :meth:`edit` are undoable as one step.
    """

    def __init__(self) -> None:
        self._clip: Clip | None = None
        self.tiles: list[Clip] = []
        self.kept: list[Clip] = []
        self.prompt_history: list[str] = []
        self.history: UndoHistory[ProjectState] = UndoHistory(
            budget_bytes=UNDO_BUDGET_BYTES, footprint=ProjectState.footprint)
        self.clip_changed = Event()
        self.tiles_changed = Event()
        self.kept_changed = Event()
        self.changed = Event()

    # -- state ---------------------------------------------------------------------
    def state(self) -> ProjectState:
        return ProjectState(tuple(self.tiles), tuple(self.kept), self._clip)

    def restore(self, state: ProjectState) -> None:
        """Put ``state`` back (not itself recorded in the history)."""
        if tuple(self.tiles) != state.tiles:
            self.set_tiles(list(state.tiles))
        if tuple(self.kept) != state.kept:
            self.kept = list(state.kept)
            self.kept_changed.emit(self.kept)
        if self._clip is not state.clip:
            self.set_clip(state.clip)
        self.changed.emit()

    def checkpoint(self, label: str, before: ProjectState | None = None) -> None:
        """Record ``before`` (default: now) as the state an undo of ``label`` returns to."""
        self.history.record(label, before if before is not None else self.state())
        self.changed.emit()

    def undo(self) -> bool:
        state = self.history.undo(self.state())
        if state is not None:
            self.restore(state)
        return state is not None

    def redo(self) -> bool:
        state = self.history.redo(self.state())
        if state is not None:
            self.restore(state)
        return state is not None

    # -- changes -------------------------------------------------------------------
    def set_tiles(self, tiles: list[Clip]) -> None:
        self.tiles = list(tiles)
        self.tiles_changed.emit(self.tiles)

    def add_tiles(self, clips: list[Clip]) -> None:
        self.set_tiles(self.tiles + list(clips))

    def is_kept(self, clip: Clip) -> bool:
        return any(kept is clip for kept in self.kept)

    def toggle_kept(self, clip: Clip) -> bool:
        """Star or unstar ``clip``; returns whether it is kept now."""
        if self.is_kept(clip):
            self.kept = [kept for kept in self.kept if kept is not clip]
        else:
            self.kept = self.kept + [clip]
        self.kept_changed.emit(self.kept)
        return self.is_kept(clip)

    def replace_clip(self, old: Clip, new: Clip) -> None:
        """Swap ``old`` for ``new`` wherever it is (tiles, kept, on show)."""
        if any(tile is old for tile in self.tiles):
            self.set_tiles([new if tile is old else tile for tile in self.tiles])
        if self.is_kept(old):
            self.kept = [new if kept is old else kept for kept in self.kept]
            self.kept_changed.emit(self.kept)
        if self._clip is old:
            self.set_clip(new)

    def finish_clip(self, old: Clip, new: Clip) -> None:
        """``new`` is ``old``'s finished rendering (the same sound): swap it everywhere,
        the undo history's states included, so undo never brings the draft back."""
        self.replace_clip(old, new)
        self.history.map_states(lambda state: state.replacing(old, new))

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
