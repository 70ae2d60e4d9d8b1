"""`sketchpad bench`: measures what producers feel and prints the numbers.

Targets live here and in the README, never in timed unit tests. Each figure
is a median (p50) and p95 over repeated warm runs.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
from pathlib import Path

from sketchpad import __version__


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    p95_index = min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))
    return {"p50": statistics.median(ordered), "p95": ordered[p95_index], "runs": len(ordered)}


def machine_summary() -> str:
    return f"{platform.machine()} {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def run_benchmarks(*, as_json: bool, long_file_minutes: float = 10.0, repeats: int = 3) -> int:
    from sketchpad.bench.ui_load import measure_ui_load

    with tempfile.TemporaryDirectory(prefix="sketchpad-bench-") as tmp:
        stalls, load_seconds = measure_ui_load(Path(tmp), minutes=long_file_minutes,
                                               repeats=repeats)
    results = {
        "ui_load_max_stall_ms": percentiles(stalls),
        "ui_load_seconds": percentiles(load_seconds),
        "long_file_minutes": long_file_minutes,
        "device": "cpu",
        "machine": machine_summary(),
        "version": __version__,
    }
    if as_json:
        print(json.dumps(results))
    else:
        print(f"Sketchpad {__version__} on {results['machine']}")
        for key in ("ui_load_max_stall_ms", "ui_load_seconds"):
            stats = results[key]
            print(f"  {key:24s} p50 {stats['p50']:8.1f}   p95 {stats['p95']:8.1f}   "
                  f"({stats['runs']} runs, {long_file_minutes:g}-minute stereo file)")
    return 0
