"""Cold start and peak memory of the real app, measured in a fresh process.

The parent starts ``python -m sketchpad_measure.window.session_bench FOLDER`` (the child
lives in the UI package, the only one that imports Qt) and times it until the
child prints ``ready``: the window is shown and the prompt box takes
prompts (models loaded). The child then does what a short session does
(generate eight sounds, drag a slider, run a 30 s blend on the worker pool)
and prints its peak resident memory as JSON before it exits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path


def measure_app_session(folder: Path, runs: int = 3, timeout_s: float = 300.0) -> dict:
    """Per run: seconds from process start to ready, and the peak RSS in MB."""
    cold, rss = [], []
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    for run in range(runs):
        began = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "sketchpad_measure.window.session_bench",
                                  str(folder / f"run{run}")], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True, env=env)
        ready_s, report = None, None
        deadline = began + timeout_s
        for line in child.stdout:
            if line.strip() == "ready" and ready_s is None:
                ready_s = time.perf_counter() - began
            elif line.startswith("{"):
                report = json.loads(line)
            if time.perf_counter() > deadline:
                child.kill()
                break
        child.wait(timeout=30)
        if ready_s is None or report is None:
            raise RuntimeError(f"the app session benchmark failed (exit {child.returncode})")
        cold.append(ready_s)
        rss.append(report["peak_rss_mb"])
    return {"cold_start_s": cold, "peak_rss_mb": rss}


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over from the
    parent across fork and exec, so a child of a big process reports the
    parent's peak instead of its own.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
