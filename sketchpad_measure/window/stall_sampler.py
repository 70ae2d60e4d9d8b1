"""Where the UI thread's stalls come from: stacks sampled while the event loop is late.

A precise 2 ms timer on the UI thread marks that the loop turned; a sampler
thread looks every 2 ms, and while the loop is more than ``late_ms`` behind it
records the Python stack of the UI thread and of every other thread (a
worker holding the GIL in a long C call stalls the UI as surely as a slow
paint). Run ``python -m sketchpad_measure.window.stall_sampler [generations]``:
back-to-back 8-sound generations in the real window, offscreen, then the
most frequent stacks.
"""

from __future__ import annotations

import collections
import sys
import threading
import time
import traceback
from pathlib import Path

SAMPLE_S = 0.002


def _describe(frame, depth: int) -> str:
    stack = [f for f in traceback.extract_stack(frame) if "event_loop.py" not in f.filename]
    return " <- ".join(f"{Path(f.filename).name}:{f.lineno}:{f.name}" for f in reversed(stack[-depth:]))


class StallSampler:
    """Counts stacks seen during stalls: ``ui`` for the UI thread, ``others`` for the rest."""

    def __init__(self, late_ms: float = 12.0, depth: int = 6):
        from PySide6.QtCore import Qt, QTimer

        self.late_s, self.depth = late_ms / 1000.0, depth
        self.ui = collections.Counter()
        self.others = collections.Counter()
        self._ui_thread = threading.get_ident()
        self._last_turn = time.perf_counter()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(2)
        self._timer.timeout.connect(self._turned)
        self._running = False

    def _turned(self) -> None:
        self._last_turn = time.perf_counter()

    def start(self) -> None:
        self._running = True
        self._timer.start()
        threading.Thread(target=self._sample, daemon=True, name="stall-sampler").start()

    def stop(self) -> None:
        self._running = False
        self._timer.stop()

    def _sample(self) -> None:
        me = threading.get_ident()
        while self._running:
            time.sleep(SAMPLE_S)
            if time.perf_counter() - self._last_turn < self.late_s:
                continue
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                target = self.ui if ident == self._ui_thread else self.others
                target[_describe(frame, self.depth)] += 1


def main(argv: list[str] | None = None) -> int:
    import os
    import tempfile

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import numpy as np
    from PySide6.QtCore import QSettings

    from sketchpad.process_setup import set_up_process
    from sketchpad.ui.app import create_app
    from sketchpad.ui.event_loop import run_event_loop_until
    from sketchpad.ui.main_window import MainWindow
    from sketchpad_measure.window.stall_monitor import StallMonitor

    argv = sys.argv[1:] if argv is None else argv
    generations = int(argv[0]) if argv else 40
    set_up_process()
    create_app()
    with tempfile.TemporaryDirectory(prefix="sketchpad-stalls-") as tmp:
        settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings, session_folder=Path(tmp) / "session")
        window.show()
        run_event_loop_until(lambda: window.pool.pending == 0 and window.prompt_engine is not None,
                             timeout_s=180)
        monitor, sampler = StallMonitor(parent=window), StallSampler()
        sampler.start()
        prompts = ("warm pad C3", "punchy 808 kick", "bright bell", "plucky bass E2")
        stalls = []
        for i in range(generations):
            monitor.start()
            window.generate(prompts[i % len(prompts)], 8, 100 + i)
            run_event_loop_until(lambda: window.pool.pending == 0, timeout_s=120)
            stalls.append(monitor.max_stall_ms)
        sampler.stop()
        window.close()
    print(f"worst stall per generation: p50 {np.median(stalls):.1f} ms, "
          f"p95 {np.percentile(stalls, 95):.1f} ms, max {max(stalls):.1f} ms ({generations} generations)")
    for title, counter in (("UI thread", sampler.ui), ("other threads", sampler.others)):
        print(f"--- {title}, samples taken during stalls ({SAMPLE_S * 1000:.0f} ms apart)")
        for stack, count in counter.most_common(10):
            print(f"{count:5d}  {stack}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
