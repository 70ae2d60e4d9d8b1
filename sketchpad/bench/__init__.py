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
import time
from pathlib import Path

from sketchpad import __version__
from sketchpad.errors import SketchpadError


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    p95_index = min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))
    return {"p50": statistics.median(ordered), "p95": ordered[p95_index], "runs": len(ordered)}


def machine_summary() -> str:
    return f"{platform.machine()} {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def run_benchmarks(*, as_json: bool, long_file_minutes: float = 10.0, repeats: int = 3,
                   device: str | None = None, model_name: str | None = None) -> int:
    from sketchpad.bench.model_speed import measure_model_speed
    from sketchpad.ui.stall_bench import measure_ui_stalls
    from sketchpad.engine.device import compute_device
    from sketchpad.engine.model import SoundModel
    from sketchpad.engine.registry import find_model

    device = device or compute_device()
    results: dict = {}
    model = SoundModel.load(find_model(model_name), device=device)
    speed = measure_model_speed(model)
    results["oneshot_decode_ms"] = percentiles(speed["oneshot_decode_ms"])
    # A real-time factor is better when higher: its p95 is the slow tail (5th percentile).
    rtf = speed["song_roundtrip_rtf"]
    results["song_roundtrip_rtf"] = {**percentiles(rtf), "p95": min(rtf)}
    try:
        from sketchpad.bench.model_speed import measure_prompt_speed
        from sketchpad.engine.retrieval import load_retrieval_engine

        engine = load_retrieval_engine(model_name, device=device)
        results["prompt_to_8_oneshots_ms"] = percentiles(measure_prompt_speed(engine))
    except SketchpadError as err:  # no index beside this model: measure the rest
        results["prompt_to_8_oneshots_ms"] = {"skipped": str(err)}
    with tempfile.TemporaryDirectory(prefix="sketchpad-bench-") as tmp:
        ui = measure_ui_stalls(Path(tmp), minutes=long_file_minutes, repeats=repeats)
    results["ui_load_max_stall_ms"] = percentiles(ui["load_stall_ms"])
    results["ui_load_seconds"] = percentiles(ui["load_seconds"])
    if ui["generate_stall_ms"]:
        results["ui_generate_max_stall_ms"] = percentiles(ui["generate_stall_ms"])
        results["ui_prompt_to_tiles_seconds"] = percentiles(ui["generate_seconds"])
    results.update({"model": model.name, "device": device, "machine": machine_summary(),
                    "version": __version__, "date": time.strftime("%Y-%m-%d")})
    if as_json:
        print(json.dumps(results))
        return 0
    print(f"Sketchpad {__version__}, model {model.name}, {device} on {results['machine']}")
    for key, unit in (("oneshot_decode_ms", "ms (2 s one-shot)"),
                      ("prompt_to_8_oneshots_ms", "ms (retrieval engine, 8 results)"),
                      ("song_roundtrip_rtf", "x real time (3-minute stereo song)"),
                      ("ui_load_max_stall_ms", f"ms ({long_file_minutes:g}-minute file load)"),
                      ("ui_load_seconds", "s"),
                      ("ui_generate_max_stall_ms", "ms (8 sounds from a prompt)"),
                      ("ui_prompt_to_tiles_seconds", "s (Enter to 8 tiles)")):
        if key not in results or "p50" not in results[key]:
            continue
        stats = results[key]
        print(f"  {key:24s} p50 {stats['p50']:9.1f}   p95 {stats['p95']:9.1f}   "
              f"{unit}, {stats['runs']} runs")
    return 0
