"""Codec metrics, the Griffin-Lim baseline and the evaluation loop, on short synthetic signals."""

import numpy as np
import pytest
import scipy.signal

from sketchpad.engine.features import SpectralConfig, log_mel_numpy
from sketchpad.errors import SketchpadError
from sketchpad_measure.quality import eval_data
from sketchpad_measure.quality.evaluate import evaluate_roundtrip, identity_roundtrip, markdown_table
from sketchpad_measure.quality.metrics import (griffin_lim_from_mel, modulation_db, multi_resolution_stft_distance,
                                        visqol_score)

RATE = 44100


def _music(seconds=2.0, seed=0):
    """Plucked harmonic notes over a few noisy drum hits: broadband, with onsets."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    out = np.zeros(n)
    for i, midi in enumerate((48, 55, 60, 64, 67, 72, 60, 52)):
        start = int(i * n / 8)
        tt = t[: n - start]
        f0 = 440.0 * 2 ** ((midi - 69) / 12)
        note = sum(np.sin(2 * np.pi * f0 * k * tt) / k for k in range(1, 12) if f0 * k < 18000)
        out[start:] += 0.25 * np.exp(-4 * tt) * note
    for start in np.arange(0, n, n // 4):
        hit = rng.standard_normal(min(4000, n - start)) * np.exp(-np.arange(min(4000, n - start)) / 600)
        out[start:start + len(hit)] += 0.3 * hit
    return (0.8 * out / np.max(np.abs(out))).astype(np.float32)


def _noise(like, level, seed=1):
    return (level * np.random.default_rng(seed).standard_normal(len(like))).astype(np.float32)


@pytest.fixture(scope="module")
def music():
    return _music()


# --- MR-STFT -----------------------------------------------------------------


def test_mrstft_zero_for_identical_and_grows_with_noise(music):
    assert multi_resolution_stft_distance(music, music) == 0.0
    distances = [multi_resolution_stft_distance(music, music + _noise(music, level))
                 for level in (1e-4, 1e-3, 1e-2, 1e-1)]
    assert distances[0] > 0
    assert all(a < b for a, b in zip(distances, distances[1:])), distances


def test_mrstft_is_roughly_symmetric_and_trims_to_shorter(music):
    noisy = music + _noise(music, 0.02)
    forward = multi_resolution_stft_distance(music, noisy)
    backward = multi_resolution_stft_distance(noisy, music)
    assert abs(forward - backward) / forward < 0.25
    longer = np.concatenate([music, np.ones(5000, np.float32)])
    assert multi_resolution_stft_distance(music, longer) == 0.0
    stereo = np.stack([music, music], axis=1)
    assert multi_resolution_stft_distance(music, stereo) == pytest.approx(0.0, abs=1e-9)


def test_mrstft_of_two_silences_is_zero():
    silence = np.zeros(RATE // 2, np.float32)
    assert multi_resolution_stft_distance(silence, silence) == 0.0
    assert multi_resolution_stft_distance(silence, _noise(silence, 0.1)) > 1.0


# --- ViSQOL --------------------------------------------------------------------


def test_visqol_identical_is_near_top_and_degraded_is_clearly_lower(music):
    identical = visqol_score(music, music)
    assert identical > 4.5
    b, a = scipy.signal.butter(8, 1000, fs=RATE)
    degraded = scipy.signal.lfilter(b, a, music).astype(np.float32) + _noise(music, 0.03)
    bad = visqol_score(music, degraded)
    assert bad < 3.0
    assert identical - bad > 1.5


def test_visqol_handles_short_one_shots_and_silence(music):
    short = music[: int(0.3 * RATE)]  # below ViSQOL's 0.9 s minimum: tiled
    assert visqol_score(short, short) > 4.5
    silence = np.zeros(RATE, np.float32)
    assert visqol_score(silence, silence) == 5.0
    assert visqol_score(music, np.zeros_like(music)) == 1.0
    assert visqol_score(silence, _noise(silence, 0.1)) == 1.0
    assert visqol_score(np.zeros(0, np.float32), np.zeros(0, np.float32)) == 5.0


# --- Griffin-Lim baseline --------------------------------------------------------


def test_griffin_lim_keeps_length_and_log_mel(music):
    config = SpectralConfig()
    odd = music[: RATE + 123]
    out = griffin_lim_from_mel(odd)
    assert out.dtype == np.float32 and out.shape == odd.shape
    assert np.all(np.isfinite(out))
    mel_in, mel_out = log_mel_numpy(odd, config), log_mel_numpy(out, config)
    # Where there is sound (above the log floor), the mel matches to a few dB,
    # far closer than the same signal with noise 20 dB below its peak.
    loud = mel_in > np.log(1e-3)
    error = np.mean(np.abs(mel_out - mel_in)[loud])
    noisy = log_mel_numpy(odd + _noise(odd, 0.08), config)
    assert error < 0.4
    assert error < 0.5 * np.mean(np.abs(noisy - mel_in)[loud])
    assert np.array_equal(out, griffin_lim_from_mel(odd))  # deterministic


def test_griffin_lim_distance_between_identity_and_noise(music):
    out = griffin_lim_from_mel(music)
    baseline = multi_resolution_stft_distance(music, out)
    noise = multi_resolution_stft_distance(music, _noise(music, 0.1))
    assert 0.0 < baseline < noise


def test_griffin_lim_handles_tiny_and_empty_inputs():
    assert griffin_lim_from_mel(np.zeros(0, np.float32)).shape == (0,)
    tiny = _music(0.01)
    assert griffin_lim_from_mel(tiny).shape == tiny.shape


# --- evaluation loop and data ----------------------------------------------------


def test_evaluate_roundtrip_scores_sets_and_baseline():
    items = [eval_data.EvalItem("a", "oneshots", "piano", _music(1.0, 2)),
             eval_data.EvalItem("b", "oneshots", "piano", _music(1.2, 3)),
             eval_data.EvalItem("c", "music", "track", _music(1.5, 4))]
    result = evaluate_roundtrip(identity_roundtrip, items)
    assert [row["name"] for row in result["items"]] == ["a", "b", "c"]
    assert list(result["summary"]) == ["oneshots", "music", "all"]
    ones = result["summary"]["oneshots"]
    assert ones["n"] == 2
    assert ones["roundtrip"]["mrstft"] == 0.0 and ones["roundtrip"]["visqol"] > 4.5
    assert ones["baseline"]["mrstft"] > 0.0
    assert result["items"][2]["baseline"]["rtf"] > 0
    assert ones["roundtrip"]["buzz_db"] == ones["reference"]["buzz_db"]
    table = markdown_table(result, "identity")
    assert "| music | identity | 1 |" in table and "griffin_lim (baseline)" in table
    assert "| music | original | 1 |" in table


def test_modulation_db_finds_a_frame_rate_buzz_and_nothing_else():
    rate = 44100
    t = np.arange(2 * rate) / rate
    note = (0.5 * np.sin(2 * np.pi * 220 * t) * np.exp(-1.5 * t)).astype(np.float32)
    buzzing = note * (1 + 0.2 * np.sin(2 * np.pi * 43.07 * t))
    clean_ref, clean = modulation_db(note, note, 43.07)
    assert clean_ref == clean and clean < 0.05  # a plain decay does not wobble
    ref, buzz = modulation_db(note, buzzing, 43.07)
    assert ref == clean_ref and 1.4 < buzz < 1.9  # 20 % AM: about 1.7 dB either way
    assert modulation_db(note, buzzing, 61.0)[1] < 0.1  # only the asked rate counts
    assert modulation_db(note[:2000], buzzing[:2000], 43.07) == (0.0, 0.0)  # too short to tell


def test_evaluate_rejects_broken_roundtrip():
    items = [eval_data.EvalItem("a", "oneshots", "piano", _music(0.5))]
    with pytest.raises(SketchpadError):
        evaluate_roundtrip(lambda x: np.full_like(x, np.nan), items, baseline=None)


def test_missing_music_package_names_it(tmp_path):
    with pytest.raises(SketchpadError, match=eval_data.MUSIC_PACKAGE):
        eval_data.music_excerpts(2, root=tmp_path)


def test_oneshot_spec_covers_every_category_three_times():
    counts = {}
    for category, *_ in eval_data.ONESHOT_SPEC:
        counts[category] = counts.get(category, 0) + 1
    expected = {"kick", "snare", "clap", "hi-hat", "tom", "cymbal", "piano", "electric piano",
                "mallet/bell", "organ", "guitar", "bass", "strings", "brass", "reed", "flute",
                "synth lead", "synth pad"}
    assert set(counts) == expected
    assert min(counts.values()) >= 3


def test_two_versions_of_one_model_get_a_row_each(tiny_model_dir, tmp_path):
    import shutil

    from sketchpad_measure.quality.evaluate import stage_codecs

    copy = shutil.copytree(tiny_model_dir, tmp_path / "tiny-later")
    codecs = stage_codecs(None, models=[tiny_model_dir, copy])
    assert len([name for name in codecs if name.startswith("round trip tiny")]) == 2
