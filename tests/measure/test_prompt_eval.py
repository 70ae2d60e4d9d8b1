"""The prompt-box evaluation: its judge, its measures and its command, on real renders."""

import json
import subprocess
import sys

import numpy as np
import pytest

from sketchpad.audio.descriptors import spectral_centroid
from sketchpad_measure.quality.character_eval import (PAIRS, attack_ms, noisiness, register_hz,
                                                      sounding_seconds)
from sketchpad.audio.pitch import midi_to_hz, parse_note
from sketchpad_measure.quality import prompt_eval as pe

DISTINCT = ("kick", "hi-hat", "piano", "bass", "strings", "flute")


def test_prompts_cover_every_category_and_their_notes_parse():
    for category in pe.CATEGORIES:
        mine = [p for p in pe.PROMPTS if p[1] == category]
        assert len(mine) >= 3, category
    for prompt, _category, note in pe.PROMPTS:
        assert parse_note(prompt) == note, prompt


def test_the_judges_protocol_does_not_tell_the_category():
    spec = pe.judge_spec()
    for category in pe.MELODIC_PROGRAMS:
        rows = [row for row in spec if row[0] == category]
        for column, values in ((4, pe.MELODIC_VELOCITIES), (5, pe.MELODIC_HOLDS)):
            counts = [sum(row[column] == v for row in rows) for v in values]
            assert min(counts) > 0 and max(counts) <= 2 * min(counts), category  # every category meets each
        for program in {row[2] for row in rows}:  # no shared grid of notes for the judge to learn
            notes = [row[3] for row in rows if row[2] == program]
            assert len(set(notes)) >= 0.8 * len(notes), (category, program)


def test_judge_recognises_held_out_presets_of_distinct_categories(timgm):
    sounds = pe.render_judge_set(timgm, per_category=24)
    keep = np.isin(sounds.categories, DISTINCT)
    x = pe.feature_matrix([a for a, k in zip(sounds.audio, keep) if k])
    y, groups = sounds.categories[keep], sounds.groups[keep]
    assert set(y) == set(DISTINCT) and x.shape == (len(y), sum(n for _, n in pe.FEATURE_GROUPS))
    # Every fold holds out whole programs / kits: these are instruments the judge never heard.
    accuracy = pe.cross_validate(x, y, groups, "logistic", 0.1)
    assert accuracy >= 0.8


def test_frechet_distance_is_zero_for_one_set_and_grows_with_a_shift():
    a = np.random.default_rng(0).standard_normal((300, 10))
    assert abs(pe.frechet_distance(a, a)) < 1e-6
    one, two = pe.frechet_distance(a, a + 1.0), pe.frechet_distance(a, a + 2.0)
    assert one == pytest.approx(10.0, rel=1e-6)  # a mean shift of 1 in each of 10 dimensions
    assert two == pytest.approx(40.0, rel=1e-6)
    assert pe.frechet_distance(a, 3.0 * a) > 10.0  # a wider set is further too


def test_spread_of_identical_copies_is_zero():
    real = np.random.default_rng(1).standard_normal((20, 5))
    copies = np.repeat(real[:1], 8, axis=0)
    assert pe.spread_ratio(copies, real) == 0.0
    assert pe.spread_ratio(real, real) == pytest.approx(1.0)


@pytest.mark.parametrize("note", [36, 60, 79])
def test_cents_error_of_a_sine(note):
    t = np.arange(2 * pe.RATE) / pe.RATE
    for detune in (0.0, 30.0):
        freq = midi_to_hz(note) * 2 ** (detune / 1200)
        tone = (0.5 * np.sin(2 * np.pi * freq * t) * np.exp(-t)).astype(np.float32)
        assert abs(pe.cents_error(tone, note) - detune) < 5.0
    assert pe.cents_error(np.zeros(pe.RATE, np.float32), note) is None


def test_evaluate_prompts_command_writes_every_figure(tmp_path):
    out = tmp_path / "prompts.json"
    done = subprocess.run([sys.executable, "-m", "sketchpad", "evaluate-prompts", "--engine", "retrieval",
                           "--count", "2", "--quick", "--json", str(out)],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert "retrieval" in done.stdout and "accuracy" in done.stdout
    result = json.loads(out.read_text())
    judge = result["judge"]
    assert 0 < judge["cv_accuracy"] <= 1 and 0 < judge["fluidr3_accuracy"] <= 1
    r = result["engines"]["retrieval"]
    assert r["results"] == 2 * len(pe.QUICK["prompts"])
    assert set(r["per_category"]) == {p[1] for p in pe.QUICK["prompts"]}
    for key in ("accuracy", "fd", "fd_real", "fd_ratio", "spread_ratio_median"):
        assert np.isfinite(r[key]), key
    assert r["fd"] > 0 and r["fd_real"] > 0
    assert 0 <= r["accuracy"] <= 1 and r["spread_ratio_median"] > 0
    assert r["pitch"]["results"] == 2 * sum(p[2] is not None for p in pe.QUICK["prompts"]) > 0
    assert r["speed_ms"]["runs"] == pe.QUICK["speed_runs"]
    assert r["speed_ms"]["p95"] >= r["speed_ms"]["p50"] > 0
    assert r["cold_start_s"] > 0
    assert 0 <= r["fluidr3_through_sound_model"]["accuracy"] <= 1
    assert [p["prompt"] for p in r["per_prompt"]] == [p[0] for p in pe.QUICK["prompts"]]
    assert [row["pair"] for row in r["character"]] == [f"{p[0]} / {p[1]}" for p in PAIRS]
    assert all(0 <= row["moved"] <= 1 and len(row["per_instrument"]) == 1 for row in r["character"])
    assert "character words" in done.stdout


def test_character_descriptors_order_simple_sounds():
    t = np.arange(pe.RATE) / pe.RATE
    sine = 0.5 * np.sin(2 * np.pi * 220 * t)
    buzzy = 0.5 * np.sign(np.sin(2 * np.pi * 220 * t))
    assert spectral_centroid(buzzy, pe.RATE) > spectral_centroid(sine, pe.RATE)
    assert sounding_seconds(sine * np.exp(-t * 2), pe.RATE) > sounding_seconds(sine * np.exp(-t * 20), pe.RATE)
    ramp = np.minimum(t / 0.05, 1.0)
    assert attack_ms(sine * ramp, pe.RATE) > 30 > attack_ms(sine, pe.RATE)
    low = register_hz(0.5 * np.sin(2 * np.pi * 110 * t), pe.RATE)
    assert abs(low - 110) < 6 and register_hz(sine, pe.RATE) > low
    noise = np.random.default_rng(0).standard_normal(t.size)
    assert noisiness(noise, pe.RATE) > 10 * noisiness(sine, pe.RATE)
