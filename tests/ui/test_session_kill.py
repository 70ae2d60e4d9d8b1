"""A session killed with SIGKILL at a random moment comes back on the next start.

Each round starts the real app in a child process (:mod:`tests.ui.session_child`)
on the same folder, lets it make random edits for a random while, and kills it
with SIGKILL. The session on disk must then load without a note and hold one of
the states the child was in during its last few seconds (autosave runs within
a second of a change), and the next start must restore exactly that.
"""

import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sketchpad.core.session_store import load_session
from tests.ui.session_child import digest

ROOT = Path(__file__).resolve().parents[2]
STALE_S = 4.0  # autosave delay (1 s) plus a save, with room for a busy CI machine
ROUNDS = 3


def _start(folder: Path, seed: int):
    child = subprocess.Popen([sys.executable, "-m", "tests.ui.session_child", str(folder), str(seed)],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in child.stdout:
            lines.put((time.monotonic(), line))

    threading.Thread(target=pump, daemon=True).start()
    return child, lines


def _read(lines: queue.Queue, timeout: float):
    at, line = lines.get(timeout=timeout)
    return at, json.loads(line)


def test_sigkill_at_random_moments_loses_at_most_the_last_second(tmp_path):
    rng = random.Random(5)
    expected = None
    for round_ in range(ROUNDS + 1):
        child, lines = _start(tmp_path, round_)
        try:
            _, first = _read(lines, timeout=180)
            assert "restored" in first, first
            if expected is not None:  # the next start shows what was on disk after the kill
                assert first["restored"] == expected
            if round_ == ROUNDS:
                break
            history = [(time.monotonic(), first["restored"])]
            deadline = time.monotonic() + rng.uniform(3.0, 9.0)
            while time.monotonic() < deadline:
                try:
                    at, message = _read(lines, timeout=max(0.01, deadline - time.monotonic()))
                    history.append((at, message["now"]))
                except queue.Empty:
                    break
            child.send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            child.wait(timeout=10)
            while not lines.empty():  # printed before the kill landed
                at, message = _read(lines, timeout=1)
                history.append((at, message["now"]))
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(timeout=10)
        assert len(history) > 2, f"the child made no edits: {child.stderr.read()[-2000:]}"
        session = load_session(tmp_path / "session")
        assert session.notes == []
        on_disk = digest(session)
        recent = [d for at, d in history if at >= killed_at - STALE_S]
        older = [d for at, d in history if at < killed_at - STALE_S]
        assert on_disk in recent + older[-1:], (
            f"round {round_}: the session on disk is none of the states of the last {STALE_S} s")
        expected = on_disk
    assert expected["tiles"], "no round got as far as a saved generation"
