"""Measures how long the Qt event loop goes without turning.

A precise timer asks to fire every ``interval_ms``; whenever it fires late,
the lateness is a stall the user would have felt (frozen playhead, ignored
clicks). ``max_stall_ms`` is the worst since ``reset``.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer


class StallMonitor(QObject):
    def __init__(self, interval_ms: int = 2, parent: QObject | None = None):
        super().__init__(parent)
        self.interval_ms = interval_ms
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self.reset()

    def reset(self) -> None:
        self._last = time.perf_counter()
        self.max_stall_ms = 0.0
        self.ticks = 0

    def start(self) -> None:
        self.reset()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        late = (now - self._last) * 1000.0 - self.interval_ms
        self._last = now
        self.ticks += 1
        if late > self.max_stall_ms:
            self.max_stall_ms = late
