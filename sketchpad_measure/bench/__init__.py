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
    return {"p50": statistics.median(ordered), "p95": ordered[p95_index], "max": ordered[-1],
            "runs": len(ordered)}


def machine_summary() -> str:
    return f"{platform.machine()} {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def rate_stats(values: list[float]) -> dict:
    """Percentiles of a real-time factor: higher is better, so p95 is the slow tail."""
    ordered = sorted(values)
    return {"p50": statistics.median(ordered), "p95": ordered[max(0, int(0.05 * (len(values) - 1)))],
            "slowest": ordered[0], "runs": len(ordered)}


# The JSON keys, in order, with the unit and what each measures (for the text output).
KEYS = {
    "prompt_to_8_oneshots_ms": "ms, text to 8 playable 2 s one-shots (the default prompt engine)",
    "prompt_to_8_finished_ms": "ms, the same 8 one-shots finished (vocoder refinement included)",
    "slider_to_audio_ms": "ms, end of a slider drag to the re-decoded sound at the player",
    "oneshot_decode_ms": "ms, decode of a 2 s one-shot",
    "oneshot_draft_decode_ms": "ms, the same decode as a draft (the vocoder network alone)",
    "song_roundtrip_rtf": "x real time, encode + decode of a 3-minute stereo song",
    "blend_rtf": "x real time, a full 3-minute blend (encode both, render a curve)",
    "vocoder_rtf": "x real time, our model back from the log-mel (encoder + decoder)",
    "griffinlim_rtf": "x real time, Griffin-Lim (32 iterations) from the same log-mel",
    "ui_max_stall_ms": "ms, worst event-loop stall while a blend and a generation run",
    "peak_rss_mb": "MB, peak memory of a short app session",
    "cold_start_s": "s, process start to a window ready for a prompt",
}
KIT_KEYS = {
    "kit_note_latency_ms": "ms, MIDI note-on reaching the app to its first sample in the output "
                           "buffer (period {period_ms:.1f} ms)",
    "kit_callback_ms": "ms, audio callback with the pattern and up to {max_voices} voices",
    "kit_ui_max_stall_ms": "ms, worst UI stall per 8-sound generation while the pattern plays",
    "kit_ui_max_stall_ms_stopped": "ms, the same with the pattern stopped (baseline, same run)",
}


def run_kit_benchmark(*, minutes: float, as_json: bool) -> dict:
    """Kit and keys under load (see :mod:`sketchpad_measure.bench.kit_bench`); prints unless ``as_json``."""
    from sketchpad_measure.bench.kit_bench import underruns
    from sketchpad_measure.window.kit_soak_bench import measure_kit_soak

    with tempfile.TemporaryDirectory(prefix="sketchpad-kit-bench-") as tmp:
        soak = measure_kit_soak(Path(tmp), minutes=minutes)
    period = soak["period_ms"]
    results = {
        "kit_note_latency_ms": {mode: percentiles(values) for mode, values in soak["latency_ms"].items()},
        "kit_callback_ms": percentiles(soak["callback_ms"]),
        "kit_ui_max_stall_ms": percentiles(soak["ui_stall_ms"]),
        "kit_ui_max_stall_ms_stopped": percentiles(soak["ui_stall_ms_pattern_stopped"]),
        "kit_underruns": {**{f"buffer_{n}_periods": underruns(soak["lateness_ms"], period, n) for n in (2, 3, 4, 8)},
                          "worst_lateness_ms": max(soak["lateness_ms"], default=0.0)},
        "kit_soak": {key: soak[key] for key in ("minutes", "tempo_bpm", "periods", "period_ms",
                                                  "max_voices", "generations")},
    }
    if not as_json:
        info = results["kit_soak"]
        print(f"Kit soak: {info['minutes']:g} min at {info['tempo_bpm']:g} BPM, {info['periods']} periods "
              f"of {period:.1f} ms, up to {info['max_voices']} voices, {info['generations']} generations")
        for key, unit in KIT_KEYS.items():
            stats = results[key]
            rows = stats.items() if key == "kit_note_latency_ms" else [("", stats)]
            for mode, row in rows:
                label = f"{key}[{mode}]" if mode else key
                print(f"  {label:30s} p50 {row['p50']:9.1f}   p95 {row['p95']:9.1f}   max {row['max']:7.1f}   "
                      f"{unit.format(**info)}, {row['runs']} runs")
        counts = results["kit_underruns"]
        print(f"  {'kit_underruns':30s} device buffer of 2 / 3 / 4 (default) / 8 periods "
              f"({period:.1f} ms each): {counts['buffer_2_periods']} / {counts['buffer_3_periods']} / "
              f"{counts['buffer_4_periods']} / {counts['buffer_8_periods']}; "
              f"latest period {counts['worst_lateness_ms']:.1f} ms late")
    return results


def run_benchmarks(*, as_json: bool, long_file_minutes: float = 10.0, repeats: int = 3,
                   device: str | None = None, model_name: str | None = None,
                   kit_minutes: float = 0.5, kit_only: bool = False) -> int:
    from sketchpad.audio.io import load_audio
    from sketchpad_measure.bench.app_session import measure_app_session
    from sketchpad_measure.bench.model_speed import (measure_blend_rtf, measure_model_speed,
                                             measure_prompt_speed, measure_vocoder_vs_griffinlim)
    from sketchpad.paths import resources_dir
    from sketchpad.engine.device import compute_device
    from sketchpad.engine.prompt_engines import load_prompt_engine
    from sketchpad_measure.window.stall_bench import measure_window

    if kit_only:
        results = run_kit_benchmark(minutes=kit_minutes, as_json=as_json)
        if as_json:
            print(json.dumps(results))
        return 0
    if device == "cpu":
        os.environ["SKETCHPAD_DEVICE"] = "cpu"  # the window and the app session too
    elif device == "cuda" and compute_device() != "cuda":
        raise SketchpadError("--device cuda: no working CUDA GPU here.")
    device = device or compute_device()
    engine = load_prompt_engine(None, model_name, device=device, fallback=True)
    model = engine.model
    # The window plays drafts first where the model refines; the finished sounds follow.
    results: dict = {"prompt_to_8_oneshots_ms": percentiles(
        measure_prompt_speed(engine, draft=model.refines))}
    if model.refines:
        results["prompt_to_8_finished_ms"] = percentiles(measure_prompt_speed(engine))
    speed = measure_model_speed(model)
    demo = load_audio(resources_dir() / "sounds" / "demo-groove.flac").samples.mean(axis=1)
    codec = measure_vocoder_vs_griffinlim(model, demo)
    with tempfile.TemporaryDirectory(prefix="sketchpad-bench-") as tmp:
        window = measure_window(Path(tmp), minutes=0 if as_json else long_file_minutes,
                                repeats=repeats)
        session = measure_app_session(Path(tmp))
    results.update({
        "slider_to_audio_ms": percentiles(window["slider_to_audio_ms"]),
        "oneshot_decode_ms": percentiles(speed["oneshot_decode_ms"]),
        "oneshot_draft_decode_ms": percentiles(speed["oneshot_draft_decode_ms"]),
        "song_roundtrip_rtf": rate_stats(speed["song_roundtrip_rtf"]),
        "blend_rtf": rate_stats(measure_blend_rtf(model)),
        "vocoder_rtf": {**rate_stats(codec["vocoder"]["rtf"]), "visqol": codec["vocoder"]["visqol"]},
        "griffinlim_rtf": {**rate_stats(codec["griffinlim"]["rtf"]),
                           "visqol": codec["griffinlim"]["visqol"]},
        "ui_max_stall_ms": percentiles(window["jobs_stall_ms"]),
        "peak_rss_mb": percentiles(session["peak_rss_mb"]),
        "cold_start_s": percentiles(session["cold_start_s"]),
        "device": device, "machine": machine_summary()})
    if as_json:
        results.update(run_kit_benchmark(minutes=kit_minutes, as_json=True))
        print(json.dumps(results))
        return 0
    print(f"Sketchpad {__version__}, model {model.name}, {device} on {results['machine']}, "
          f"{time.strftime('%Y-%m-%d')}")
    extra = {}
    if window["load_stall_ms"]:
        extra["ui_load_max_stall_ms"] = (percentiles(window["load_stall_ms"]),
                                         f"ms, worst stall loading a {long_file_minutes:g}-minute file")
        extra["ui_load_seconds"] = (percentiles(window["load_seconds"]), "s, drop to drawn")
    extra["slider_drag_max_stall_ms"] = (percentiles(window["slider_stall_ms"]),
                                         "ms, worst stall during a slider drag")
    rows = [(key, results[key], KEYS[key]) for key in KEYS if key in results] + \
        [(key, stats, unit) for key, (stats, unit) in extra.items()]
    for key, stats, unit in rows:
        visqol = f"   ViSQOL {stats['visqol']:.2f}" if "visqol" in stats else ""
        print(f"  {key:26s} p50 {stats['p50']:9.1f}   p95 {stats['p95']:9.1f}   "
              f"{unit}, {stats['runs']} runs{visqol}")
    run_kit_benchmark(minutes=kit_minutes, as_json=False)
    return 0
