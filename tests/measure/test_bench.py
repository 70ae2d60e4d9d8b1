"""The benchmark's parts that can run quickly here; the full run is `sketchpad bench`."""

import tempfile
from pathlib import Path

import numpy as np

from sketchpad_measure.bench import KEYS, percentiles, rate_stats

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_benchmark_figure_is_in_the_readme_table():
    table = README.read_text(encoding="utf-8").split("## Measured", 1)[1]
    missing = [key for key in KEYS if f"| `{key}` |" not in table]
    assert missing == []


def test_percentiles_and_rate_tails():
    stats = percentiles([5.0, 1.0, 3.0, 2.0, 4.0])
    assert stats == {"p50": 3.0, "p95": 5.0, "max": 5.0, "runs": 5}
    rates = rate_stats([40.0, 50.0, 45.0])
    assert rates["p50"] == 45.0 and rates["p95"] == 40.0  # the slow tail of a speed
    assert rates["slowest"] == 40.0 and "max" not in rates


def test_app_session_reports_ready_and_memory():
    from sketchpad_measure.bench.app_session import measure_app_session

    with tempfile.TemporaryDirectory() as folder:
        result = measure_app_session(Path(folder), runs=1)
    assert 0.1 < result["cold_start_s"][0] < 120
    assert 100 < result["peak_rss_mb"][0] < 8000


def test_blend_evaluation_measures():
    import numpy as np

    from sketchpad_measure.bench.blend_eval import beat_hits, knn_style, mel_distance

    reference = np.array([1.0, 2.0, 3.0, 4.0])
    assert beat_hits(reference, reference + 0.05) == 1.0
    assert beat_hits(reference, np.array([1.0, 2.5])) == 0.25
    assert beat_hits(reference, np.zeros(0)) == 0.0
    x = np.zeros((4, 10))
    assert mel_distance(x, x + 3.0) == 3.0
    assert mel_distance(x, np.zeros((4, 6))) == 0.0  # compared over the common frames
    rng = np.random.default_rng(0)
    style = rng.standard_normal((1, 8, 50)).astype(np.float32)
    out = knn_style(style[:, :, :20].copy(), style, k=1)
    np.testing.assert_allclose(out, style[:, :, :20], atol=1e-6)  # each frame is its own nearest


def test_underruns_count_each_time_the_device_buffer_runs_dry():
    from sketchpad_measure.bench.kit_bench import underruns

    lateness = [1.0, 2.0, 30.0, 40.0, 1.0, 12.0, 25.0, 0.5]
    assert underruns(lateness, 10.0, 2) == 2   # allowed 10 ms late: two dry spells
    assert underruns(lateness, 10.0, 4) == 1   # allowed 30 ms late: one
    assert underruns([], 10.0, 2) == 0


def test_the_paced_output_runs_the_app_callback_in_real_time():
    import time

    from sketchpad.audio.voices import plain_sound
    from sketchpad_measure.bench.kit_bench import PacedPlayer

    engine = PacedPlayer()
    try:
        assert engine.open()
        engine.voices.note_on("a", plain_sound(np.ones(1000, np.float32)))
        time.sleep(0.35)
        periods = engine.periods
    finally:
        engine.close()
    assert 20 <= periods <= 40  # 0.35 s of 11.6 ms periods, not as fast as the CPU allows
    assert engine.voices.latencies_ms().size == 1
