"""Encode-time fitting: analysis by synthesis after the encoder, on the shipped model."""

import numpy as np
import pytest
import torch

from sketchpad.engine.mel_vae import LOUD_WEIGHT, loudness_weight
from sketchpad.engine.model import SoundModel
from sketchpad.engine.registry import find_model
from sketchpad.training import render


@pytest.fixture(scope="module")
def shipped():
    return SoundModel.load(find_model("sketch-mel"), device="cpu")


@pytest.fixture(scope="module")
def piano(timgm):  # a font the shipped latent never trained on
    return render.render_note(timgm.path, 0, 0, 45, 110, hold_seconds=1.0)[: 2 * 44100].mean(axis=1)


def _decoded_error(model, audio, latents):
    wave = np.pad(audio, (0, latents.shape[-1] * model.samples_per_latent - len(audio)))
    with torch.no_grad():
        mel = model.vae.features(torch.from_numpy(wave)[None])
        estimate = model.vae.decoder(torch.from_numpy(latents))
        return float((loudness_weight(mel, LOUD_WEIGHT) * torch.abs(estimate - mel)).mean())


def test_the_fit_finds_latents_the_decoder_renders_closer(shipped, piano):
    plain = shipped.encode(piano, fit_steps=0)
    fitted = shipped.encode(piano, fit_steps=20)
    assert fitted.shape == plain.shape
    assert _decoded_error(shipped, piano, fitted) < 0.9 * _decoded_error(shipped, piano, plain)
    np.testing.assert_array_equal(shipped.encode(piano, fit_steps=20), fitted)  # deterministic


def test_the_shipped_model_fits_short_sounds_and_not_long_ones(shipped, piano):
    fit = shipped.info["encode_fit"]
    assert fit["steps"] > 0 and fit["max_seconds"] >= 10
    assert shipped.fit_steps_for(len(piano)) == fit["steps"]
    assert shipped.fit_steps_for(int(fit["max_seconds"] * shipped.sample_rate) + 1) == 0
    np.testing.assert_array_equal(shipped.encode(piano), shipped.encode(piano, fit_steps=fit["steps"]))


def test_a_long_sound_is_encoded_by_the_encoder_alone(fitted_mel_model, monkeypatch):
    audio = (0.2 * np.sin(np.arange(44100) * 0.03)).astype(np.float32)
    fitted = fitted_mel_model.encode(audio)
    assert not np.allclose(fitted, fitted_mel_model.encode(audio, fit_steps=0))
    monkeypatch.setitem(fitted_mel_model.info["encode_fit"], "max_seconds", 0.5)
    np.testing.assert_array_equal(fitted_mel_model.encode(audio), fitted_mel_model.encode(audio, fit_steps=0))


def test_reconstruct_refuses_a_bad_fit_count(tmp_path, capsys):
    import soundfile as sf

    from sketchpad.cli import main

    source = tmp_path / "in.wav"
    sf.write(source, np.zeros(4410, np.float32), 44100)
    assert main(["reconstruct", str(source), "--out", str(tmp_path / "o.wav"), "--fit-steps", "-1"]) == 2
    assert "--fit-steps must be between 0 and" in capsys.readouterr().err


def test_the_fit_runs_inside_a_callers_inference_mode(fitted_mel_model):
    audio = (0.2 * np.sin(np.arange(22050) * 0.05)).astype(np.float32)
    with torch.inference_mode():
        inside = fitted_mel_model.encode(audio)
    np.testing.assert_array_equal(inside, fitted_mel_model.encode(audio))


def test_a_fitted_encode_reports_progress_step_by_step(fitted_mel_model):
    audio = (0.2 * np.sin(np.arange(22050) * 0.05)).astype(np.float32)
    seen = []
    fitted = fitted_mel_model.encode(audio, progress=seen.append)
    steps = fitted_mel_model.fit_steps_for(len(audio))
    assert len(seen) == steps + 1 and seen == sorted(seen) and seen[-1] == 1.0 and 0 < seen[0] < 1
    np.testing.assert_array_equal(fitted, fitted_mel_model.encode(audio))  # reporting changes nothing
