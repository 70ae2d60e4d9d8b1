"""Edits keep a real file's detail: the round-trip residual is added back."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from sketchpad.core.clip import load_clip
from sketchpad.core.generation import reshape_clip
from sketchpad.engine.blender import Blender, BlendRecipe
from sketchpad.engine.detail import add_detail, fit_residual, sample_weights
from sketchpad.engine.latent_ops import SliderState
from sketchpad_measure.quality.metrics import multi_resolution_stft_distance

RATE = 44100


BOTH_KINDS = pytest.mark.parametrize("model_fixture", ["tiny_model", "tiny_mel_model", "fitted_mel_model"])


def _song(seconds, pitch, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    beat = np.exp(-(t % 0.5) * 20)
    tone = 0.3 * np.sin(2 * np.pi * pitch * t) * beat + 0.02 * rng.standard_normal(t.size) * beat
    return np.stack([tone, np.roll(tone, 37)], axis=1).astype(np.float32)


def test_residual_helpers_fit_lengths_and_channels():
    r = np.arange(10, dtype=np.float32).reshape(5, 2)
    assert fit_residual(r, 7, 2).shape == (7, 2) and not fit_residual(r, 7, 2)[5:].any()
    np.testing.assert_allclose(fit_residual(r, 3, 1)[:, 0], r[:3].mean(axis=1))
    audio = np.ones((4, 1), np.float32)
    np.testing.assert_allclose(add_detail(audio, r, 0.5)[:, 0], 1 + 0.5 * r[:4].mean(axis=1))
    assert add_detail(audio, None, 1.0) is not audio
    w = sample_weights(np.array([0.0, 1.0]), 10, 20)
    assert w.shape == (20, 1) and w[0, 0] == 0 and w[-1, 0] == 1 and np.all(np.diff(w[:, 0]) >= 0)


@BOTH_KINDS
def test_mix_ends_give_back_the_files(model_fixture, request):
    tiny_model = request.getfixturevalue(model_fixture)
    a, b = _song(2.0, 220, 0), _song(2.5, 330, 1)
    blender = Blender.from_audio(tiny_model, a, b)
    np.testing.assert_allclose(blender.mix(0.0), a, atol=1e-4)
    np.testing.assert_allclose(blender.mix(1.0), b[: a.shape[0]], atol=1e-4)
    # Detail 0 is the model's own sound; half way keeps half of each file's detail.
    plain = blender.decode(blender.latents(BlendRecipe("mix", alpha=0.0)))
    np.testing.assert_allclose(blender.mix(0.0, detail=0.0), plain, atol=1e-6)
    assert np.max(np.abs(plain - a)) > 1e-2  # the tiny model is far from the file: the test can fail
    # A timeline that holds A, then moves to B: A's stretch is A itself.
    seconds = a.shape[0] / RATE
    held = blender.curve([(0.0, 0.0), (seconds / 2, 0.0), (seconds, 1.0)])
    quarter = a.shape[0] // 4
    np.testing.assert_allclose(held[:quarter], a[:quarter], atol=1e-4)


@BOTH_KINDS
def test_slider_detail_keeps_the_file(model_fixture, request, tmp_path):
    tiny_model = request.getfixturevalue(model_fixture)
    path = tmp_path / "song.wav"
    sf.write(path, _song(1.5, 262, 2), RATE, subtype="FLOAT")
    clip = load_clip(path)
    kept = reshape_clip(tiny_model, clip, SliderState(gain=1.0001))
    body = slice(0, clip.frames - 2048)  # the 10 ms end fade aside
    np.testing.assert_allclose(kept.samples[body], clip.samples[body], atol=2e-3)
    assert kept.residual is not None and kept.latents is not None
    plain = reshape_clip(tiny_model, clip, SliderState(gain=1.0001, detail=0.0),
                         latents=kept.latents, residual=kept.residual)
    far = multi_resolution_stft_distance(clip.samples[:, 0], plain.samples[:, 0])
    near = multi_resolution_stft_distance(clip.samples[:, 0], kept.samples[:, 0])
    assert near < 0.2 * far
    assert not SliderState(detail=0.5).is_neutral() and SliderState().is_neutral()


def test_generated_sounds_have_no_residual(tiny_model):
    from sketchpad.core.clip import make_clip

    z = tiny_model.encode(_song(1.0, 200, 3)[:, 0])
    clip = make_clip("gen", tiny_model.decode(z), RATE, latents=z)
    shaped = reshape_clip(tiny_model, clip, SliderState(gain=1.2))
    assert shaped.residual is None


def test_blend_command_mix_zero_gives_back_a(tiny_model_dir, tmp_path):
    a, b = tmp_path / "a.wav", tmp_path / "b.flac"
    sf.write(a, _song(1.2, 220, 4), 48000, subtype="FLOAT")  # resampled to 44.1 kHz on load
    sf.write(b, _song(1.0, 330, 5), RATE)
    out_path = tmp_path / "o.wav"
    exe = Path(sys.executable).with_name("sketchpad")
    run = subprocess.run([str(exe), "blend", str(a), str(b), "--mix", "0", "--out", str(out_path),
                          "--model", str(tiny_model_dir)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    from sketchpad.audio.io import load_audio

    expected = load_audio(a).samples
    got, rate = sf.read(out_path, dtype="float32", always_2d=True)
    assert rate == RATE and got.shape == expected.shape
    assert np.max(np.abs(got - expected)) < 1e-4
    bad = subprocess.run([str(exe), "blend", str(a), str(b), "--mix", "0", "--detail", "140",
                          "--out", str(out_path), "--model", str(tiny_model_dir)],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "--detail" in bad.stderr


def test_latents_of_another_model_are_encoded_again(tiny_model):
    from sketchpad.core.clip import make_clip

    audio = _song(0.5, 300, 6)
    foreign = np.zeros((2, tiny_model.latent_channels + 3, 20), np.float32)  # a session from another model
    clip = make_clip("old", audio, RATE, latents=foreign)
    shaped = reshape_clip(tiny_model, clip, SliderState(gain=1.1))
    assert shaped.latents.shape[1] == tiny_model.latent_channels


def test_a_distorted_sound_stays_distorted_when_shaped(tiny_model):
    from sketchpad.core.clip import Origin, make_clip
    from sketchpad.engine.character import saturate

    z = tiny_model.encode(_song(1.0, 200, 3)[:, 0])
    plain = reshape_clip(tiny_model, make_clip("gen", tiny_model.decode(z), RATE, latents=z),
                         SliderState(gain=1.2))
    driven_clip = make_clip("gen", saturate(tiny_model.decode(z), 4.0), RATE, latents=z,
                            origin=Origin(prompt="distorted bass", drive=4.0))
    driven = reshape_clip(tiny_model, driven_clip, SliderState(gain=1.2))
    assert driven.origin.drive == 4.0
    # The re-render saturates as generation did: a denser (less peaky) wave.
    def crest(x):
        return np.max(np.abs(x)) / np.sqrt(np.mean(x ** 2))

    body = slice(0, -RATE // 100)  # before the 10 ms end fade (this untrained model peaks there)
    assert crest(driven.samples[body]) < 0.7 * crest(plain.samples[body])
    assert Origin.from_json(driven.origin.to_json()).drive == 4.0


def test_a_soft_sound_keeps_its_slow_attack_when_shaped(tiny_model):
    from sketchpad.core.clip import Origin, make_clip
    from sketchpad.engine.character import shape_attack
    from sketchpad_measure.quality.metrics import attack_rise_ms

    t = np.arange(RATE) / RATE
    z = tiny_model.encode((np.sin(2 * np.pi * 110 * t) * np.exp(-t / 0.2)).astype(np.float32))
    decoded = tiny_model.decode(z)
    plain = reshape_clip(tiny_model, make_clip("gen", decoded, RATE, latents=z), SliderState(gain=1.2))
    soft_clip = make_clip("gen", shape_attack(decoded, RATE, "soft"), RATE, latents=z,
                          origin=Origin(prompt="soft bass", attack="soft"))
    soft = reshape_clip(tiny_model, soft_clip, SliderState(gain=1.2))
    assert soft.origin.attack == "soft"
    assert attack_rise_ms(soft.samples) > attack_rise_ms(plain.samples) + 40
    assert Origin.from_json(soft.origin.to_json()).attack == "soft"
