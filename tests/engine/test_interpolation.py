import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sketchpad.engine import interpolation
from sketchpad.errors import SketchpadError

rng = np.random.default_rng(0)


def _z(channels=1, frames=20):
    return rng.standard_normal((channels, 16, frames)).astype(np.float32)


def test_mix_endpoints_and_midpoint():
    za, zb = _z(), _z()
    np.testing.assert_array_equal(interpolation.mix(za, zb, 0.0), za)
    np.testing.assert_array_equal(interpolation.mix(za, zb, 1.0), zb)
    np.testing.assert_allclose(interpolation.mix(za, zb, 0.5), (za + zb) / 2, atol=1e-6)
    np.testing.assert_allclose(interpolation.mix(za, zb, 0.0, "slerp"), za, atol=1e-5)
    np.testing.assert_allclose(interpolation.mix(za, zb, 1.0, "slerp"), zb, atol=1e-5)


def test_slerp_keeps_norm_between_equal_norm_vectors():
    za = _z()
    zb = np.roll(za, 3, axis=1)  # same norms per frame, other directions
    mid = interpolation.slerp(za, zb, 0.5)
    np.testing.assert_allclose(np.linalg.norm(mid, axis=1), np.linalg.norm(za, axis=1), rtol=1e-4)
    lerp_norm = np.linalg.norm(interpolation.mix(za, zb, 0.5), axis=1)
    assert np.all(lerp_norm <= np.linalg.norm(za, axis=1) + 1e-5)


def test_curve_parsing_and_values():
    points = interpolation.parse_curve("30:1, 0:0,60:0.5")
    assert points == [(0.0, 0.0), (30.0, 1.0), (60.0, 0.5)]
    values = interpolation.curve_values(points, frames=91, frame_rate_hz=1.0)
    assert values[0] == 0 and values[15] == pytest.approx(0.5) and values[30] == 1
    assert values[45] == pytest.approx(0.75) and values[90] == pytest.approx(0.5)
    for bad in ("", "a:b", "1:2:3", "-1:0.5"):
        with pytest.raises(SketchpadError):
            interpolation.parse_curve(bad)


def test_style_transfer_matches_style_statistics():
    content = _z(2, 50) * 0.5 + 1.0
    style = _z(2, 80) * 2.0 - 3.0
    moved = interpolation.style_transfer(content, style, 1.0)
    np.testing.assert_allclose(moved.mean(axis=(0, 2)), style.mean(axis=(0, 2)), atol=1e-4)
    np.testing.assert_allclose(moved.std(axis=(0, 2)), style.std(axis=(0, 2)), rtol=1e-3)
    np.testing.assert_array_equal(interpolation.style_transfer(content, style, 0.0), content)


def test_pair_matches_channels_and_length():
    silence = np.full(16, -0.5, np.float32)
    za, zb = interpolation.pair(_z(2, 30), _z(1, 10), silence)
    assert za.shape == zb.shape == (2, 16, 30)
    np.testing.assert_array_equal(zb[0, :, 10:], np.broadcast_to(silence[:, None], (16, 20)))
    np.testing.assert_array_equal(zb[0], zb[1])


def test_even_alphas_equalise_a_warped_path():
    # Features that move fast near alpha 0 and slowly near 1: linear alphas would be uneven.
    steps = interpolation.even_alphas(lambda a: np.sqrt(a)[:, None], 5, grid=257)
    hops = np.diff(np.sqrt(steps))
    assert steps[0] == 0 and steps[-1] == pytest.approx(1.0)
    assert hops.std() / hops.mean() < 0.02


def _run(*args):
    exe = Path(sys.executable).with_name("sketchpad")
    return subprocess.run([str(exe), "blend", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def test_blend_command_modes(tiny_model_dir, tmp_path):
    t = np.arange(44100) / 44100
    a, b = tmp_path / "a.wav", tmp_path / "b.flac"
    sf.write(a, (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 44100)
    sf.write(b, np.stack([np.sin(2 * np.pi * 880 * t[:30000])] * 2, 1).astype(np.float32) * 0.3,
             48000)
    out = _run(a, b, "--mix", "0.5", "--out", tmp_path / "mix.wav", "--model", tiny_model_dir)
    assert out.returncode == 0, out.stderr
    info = sf.info(tmp_path / "mix.wav")
    assert info.channels == 2 and abs(info.duration - 1.0) < 1e-3  # A's length, stereo from B
    out = _run(a, b, "--steps", "4", "--out", tmp_path / "steps", "--model", tiny_model_dir)
    assert out.returncode == 0, out.stderr
    names = sorted(p.name for p in (tmp_path / "steps").iterdir())
    assert len(names) == 4 and "alpha0.000" in names[0] and "alpha1.000" in names[-1]
    for extra in (["--style", "--strength", "0.7"], ["--curve", "0:0,0.5:1"]):
        out = _run(a, b, *extra, "--out", tmp_path / "x.wav", "--model", tiny_model_dir)
        assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("args, message", [
    (["--mix", "1.5"], "between 0 and 1"),
    (["--steps", "1"], "between 2 and 64"),
    (["--curve", "oops"], "Bad curve point"),
])
def test_blend_command_refuses_bad_options(tiny_model_dir, tmp_path, args, message):
    a = tmp_path / "a.wav"
    sf.write(a, np.zeros(4410, np.float32), 44100)
    out = _run(a, a, *args, "--out", tmp_path / "o.wav", "--model", tiny_model_dir)
    assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr


def test_blend_command_refuses_one_sample_input(tiny_model_dir, tmp_path):
    a, b = tmp_path / "a.wav", tmp_path / "one.wav"
    sf.write(a, np.zeros(4410, np.float32), 44100)
    sf.write(b, np.zeros(1, np.float32), 44100)
    out = _run(a, b, "--mix", "0.5", "--out", tmp_path / "o.wav", "--model", tiny_model_dir)
    assert out.returncode == 2 and "too short" in out.stderr


def test_beat_warp_puts_each_beat_of_b_on_the_matching_beat_of_a():
    rate = 43.0
    beats_a = np.arange(1.0, 20.0, 0.5)  # 120 BPM from 1 s
    beats_b = np.arange(0.3, 30.0, 0.6)  # 100 BPM from 0.3 s
    positions = interpolation.beat_warp(int(25 * rate), rate, beats_a, beats_b)
    for i in (0, 5, 20):  # A's beat i reads B at B's beat i
        frame = int(round(beats_a[i] * rate))
        assert positions[frame] / rate == pytest.approx(beats_b[i], abs=1.5 / rate)
    assert np.all(np.diff(positions) > 0)  # time runs forwards, also outside the paired beats
    assert interpolation.beat_warp(100, rate, beats_a[:3], beats_b) is None


def test_warp_latents_interpolates_inside_and_reads_silence_outside():
    z = np.arange(2 * 16 * 10, dtype=np.float32).reshape(2, 16, 10)
    silence = np.full(16, -7.0, np.float32)
    out = interpolation.warp_latents(z, np.array([-1.0, 0.0, 2.5, 9.0, 9.5]), silence)
    np.testing.assert_allclose(out[:, :, 0], -7.0)
    np.testing.assert_allclose(out[:, :, 1], z[:, :, 0])
    np.testing.assert_allclose(out[:, :, 2], 0.5 * (z[:, :, 2] + z[:, :, 3]))
    np.testing.assert_allclose(out[:, :, 3], z[:, :, 9])
    np.testing.assert_allclose(out[:, :, 4], -7.0)


def test_blender_recipes_and_beat_alignment(tiny_model):
    from sketchpad.engine.blender import Blender, BlendRecipe

    za, zb = _z(2, 400), _z(1, 300)
    blender = Blender(tiny_model, za, zb, 400 * tiny_model.samples_per_latent)
    np.testing.assert_allclose(blender.latents(BlendRecipe("mix", alpha=0.0)), za, atol=1e-6)
    curve = blender.latents(BlendRecipe("curve", points=((0.0, 0.0), (1.0, 1.0))))
    np.testing.assert_allclose(curve[:, :, 0], za[:, :, 0], atol=1e-6)
    np.testing.assert_allclose(curve[:, :, 200], blender.zb[:, :, 200], atol=1e-6)  # past 1 s: all B
    assert blender.zb.shape == za.shape  # mono B joins stereo A, padded to A's length
    beats = np.arange(0.5, 8.0, 0.5)
    assert blender.align_beats(beats, beats * 0.8)
    assert blender.beats_aligned and not np.allclose(blender.zb, blender._zb_plain)
    assert not blender.align_beats(None, None) and blender.zb is blender._zb_plain
    with pytest.raises(SketchpadError, match="Unknown blend mode"):
        BlendRecipe("morph")


def test_blend_command_aligns_beats_and_notes_silence(tiny_model_dir, tmp_path):
    rate = 44100
    t = np.arange(6 * rate) / rate
    groove_a = (0.5 * np.exp(-(t % 0.5) * 12) * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    groove_b = (0.5 * np.exp(-(t % 0.6) * 12) * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
    a, b, silent = tmp_path / "a.wav", tmp_path / "b.wav", tmp_path / "silent.wav"
    sf.write(a, groove_a, rate)
    sf.write(b, groove_b, rate)
    sf.write(silent, np.zeros(rate, np.float32), rate)
    out = _run(a, b, "--mix", "0.5", "--align-beats", "--out", tmp_path / "o.wav",
               "--model", tiny_model_dir)
    assert out.returncode == 0 and "too few beats" not in out.stderr, out.stderr
    out = _run(a, silent, "--mix", "0.5", "--align-beats", "--out", tmp_path / "o.wav",
               "--model", tiny_model_dir)
    assert out.returncode == 0
    assert "B is silent" in out.stderr and "too few beats to align" in out.stderr
