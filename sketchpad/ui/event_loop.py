"""Running the real Qt event loop until something is done (screenshots, benches, tests)."""

from __future__ import annotations

import time


def run_event_loop_until(done, timeout_s: float = 600.0, poll_ms: int = 5) -> None:
    """Run the real Qt event loop until ``done()`` is true or the timeout passes."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    deadline = time.perf_counter() + timeout_s
    timer = QTimer()
    timer.timeout.connect(lambda: (done() or time.perf_counter() > deadline) and loop.quit())
    timer.start(poll_ms)
    loop.exec()
    timer.stop()
