"""Undo and redo over whole project states.

Clips are immutable, so a state is a handful of references and undo simply
puts an older state back. What old states keep alive (sounds generated long
ago and since replaced) is bounded twice, by the number of steps and by the
memory their sounds take, so a long session's memory levels off.
"""

from __future__ import annotations

from typing import Callable, Generic, TypeVar

State = TypeVar("State")


class UndoHistory(Generic[State]):
    """Two stacks of states. ``record(before)`` is called just before a change.

    ``footprint(state)`` -> ``{key: bytes}`` of what a state holds; with
    ``budget_bytes`` the oldest steps are dropped while everything the undo
    stack holds, counted once per key, exceeds the budget (the newest step is
    always kept).
    """

    def __init__(self, limit: int = 100, *, budget_bytes: int | None = None,
                 footprint: Callable[[State], dict] | None = None) -> None:
        self.limit = limit
        self.budget_bytes = budget_bytes
        self._footprint = footprint
        self._undo: list[tuple[str, State]] = []
        self._redo: list[tuple[str, State]] = []

    def record(self, label: str, before: State) -> None:
        self._undo.append((label, before))
        del self._undo[: -self.limit]
        self._redo.clear()
        if self.budget_bytes is not None and self._footprint is not None:
            while len(self._undo) > 1 and self.held_bytes() > self.budget_bytes:
                del self._undo[0]

    def states(self) -> list[State]:
        """Every state undo or redo can bring back, oldest undo first."""
        return [state for _, state in self._undo + self._redo]

    def held_bytes(self) -> int:
        """Memory of everything the undo stack's states hold, each item counted once."""
        held: dict = {}
        for _, state in self._undo:
            held.update(self._footprint(state))
        return sum(held.values())

    def map_states(self, change: Callable[[State], State]) -> None:
        """Put ``change(state)`` in place of every state undo or redo can bring back."""
        self._undo = [(label, change(state)) for label, state in self._undo]
        self._redo = [(label, change(state)) for label, state in self._redo]

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
