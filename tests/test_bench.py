"""The benchmark's parts that can run quickly here; the full run is `sketchpad bench`."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from sketchpad.bench import KEYS, percentiles, rate_stats

ISSUE_KEYS = ["prompt_to_8_oneshots_ms", "slider_to_audio_ms", "oneshot_decode_ms",
              "song_roundtrip_rtf", "blend_rtf", "vocoder_rtf", "griffinlim_rtf",
              "ui_max_stall_ms", "peak_rss_mb", "cold_start_s"]


def test_json_keys_are_exactly_the_documented_ones():
    assert list(KEYS) == ISSUE_KEYS


def test_percentiles_and_rate_tails():
    stats = percentiles([5.0, 1.0, 3.0, 2.0, 4.0])
    assert stats == {"p50": 3.0, "p95": 5.0, "runs": 5}
    rates = rate_stats([40.0, 50.0, 45.0])
    assert rates["p50"] == 45.0 and rates["p95"] == 40.0  # the slow tail of a speed


def test_app_session_reports_ready_and_memory():
    from sketchpad.bench.app_session import measure_app_session

    with tempfile.TemporaryDirectory() as folder:
        result = measure_app_session(Path(folder), runs=1)
    assert 0.1 < result["cold_start_s"][0] < 120
    assert 100 < result["peak_rss_mb"][0] < 8000
