"""A minimal observer list, so Qt-free state can announce changes to views."""

from __future__ import annotations

from typing import Callable


class Event:
    """Callbacks run synchronously, in connection order, on the emitting thread."""

    def __init__(self) -> None:
        self._callbacks: list[Callable] = []

    def connect(self, callback: Callable) -> None:
        self._callbacks.append(callback)

    def emit(self, *args) -> None:
        for callback in list(self._callbacks):
            callback(*args)
