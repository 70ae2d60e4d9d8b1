"""Cold start and peak memory of the real app, measured in a fresh process.

The parent starts ``python -m sketchpad.bench.app_session FOLDER`` and times it
until the child prints ``ready``: the window is shown and the prompt box takes
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
        child = subprocess.Popen([sys.executable, "-m", "sketchpad.bench.app_session",
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


def _child(folder: Path) -> int:
    from sketchpad.threads import keep_numpy_blas_single_threaded

    keep_numpy_blas_single_threaded()
    from PySide6.QtCore import QSettings

    from sketchpad.ui.app import create_app
    from sketchpad.ui.main_window import MainWindow
    from sketchpad.ui.stall_bench import _blend_job, run_event_loop_until

    create_app()
    folder.mkdir(parents=True, exist_ok=True)
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, session_folder=folder / "session")
    window.show()
    run_event_loop_until(lambda: window.prompt_bar.button.isEnabled(), timeout_s=240, poll_ms=2)
    print("ready", flush=True)
    window.generate("punchy 808 kick", 8, 0)
    run_event_loop_until(lambda: len(window.project.tiles) == 8, timeout_s=120)
    names = [d.name for d in window.generator.model.directions]
    if names:
        before = window.project.clip
        window.slider_panel.slider(names[0]).setValue(150)
        run_event_loop_until(lambda: window.project.clip is not before, timeout_s=60)
    done = []
    window.pool.submit("blend", _blend_job(window.generator.model, 30.0), lane="model",
                       on_result=done.append)
    run_event_loop_until(lambda: bool(done), timeout_s=120)
    window.engine.stop()
    window.close()
    print(json.dumps({"peak_rss_mb": peak_rss_mb()}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_child(Path(sys.argv[1])))
