"""Undo and redo over whole project states.

Clips are immutable, so a state is a handful of references and keeping a
hundred of them costs almost nothing; undo simply puts an older state back.
"""

from __future__ import annotations

from typing import Generic, TypeVar

State = TypeVar("State")


class UndoHistory(Generic[State]):
    """Two stacks of states. ``record(before)`` is called just before a change."""

    def __init__(self, limit: int = 100) -> None:
        self.limit = limit
        self._undo: list[tuple[str, State]] = []
        self._redo: list[tuple[str, State]] = []

    def record(self, label: str, before: State) -> None:
        self._undo.append((label, before))
        del self._undo[: -self.limit]
        self._redo.clear()

    def undo(self, current: State) -> State | None:
        """The state to go back to (``current`` becomes redoable), or None."""
        if not self._undo:
            return None
        label, state = self._undo.pop()
        self._redo.append((label, current))
        return state

    def redo(self, current: State) -> State | None:
        if not self._redo:
            return None
        label, state = self._redo.pop()
        self._undo.append((label, current))
        return state

    @property
    def undo_label(self) -> str | None:
        return self._undo[-1][0] if self._undo else None

    @property
    def redo_label(self) -> str | None:
        return self._redo[-1][0] if self._redo else None

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()
