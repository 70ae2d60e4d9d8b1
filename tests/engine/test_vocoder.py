"""The mel vocoder's network, model file, chunked rendering and fallback."""

import numpy as np
import pytest
import torch

from sketchpad.engine import vocoder as vocoder_module
from sketchpad.engine.features import SpectralConfig, log_mel_numpy
from sketchpad.engine.vocoder import (MelVocoderNet, PhaseGradientVocoder, Vocoder, VocoderConfig,
                                      load_vocoder_stage, save_vocoder)
from sketchpad.errors import SketchpadError

TINY = VocoderConfig(dim=16, blocks=1)
HOP = TINY.spectral.hop_samples


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    net = MelVocoderNet(TINY)
    return save_vocoder(tmp_path / "voc", net, name="voc", extra_config={"refine_iterations": 0})


def _mel(seconds=0.5):
    t = np.arange(int(44100 * seconds)) / 44100
    wave = (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
    return log_mel_numpy(wave, SpectralConfig()), len(wave)


def test_network_shapes():
    net = MelVocoderNet(TINY)
    mel = torch.randn(2, 128, 33)
    assert net.spectrum(mel).shape == (2, 1025, 33)
    assert net(mel).shape == (2, 32 * HOP)


def test_file_round_trip_gives_the_same_audio(saved):
    mel, samples = _mel()
    first = Vocoder.load(saved, device="cpu").render(mel, samples)
    again = Vocoder.load(saved, device="cpu").render(mel, samples)
    assert first.shape == (samples,) and first.dtype == np.float32
    assert np.array_equal(first, again)
    stereo = Vocoder.load(saved, device="cpu").render(np.stack([mel, mel]), samples)
    assert stereo.shape == (2, samples) and np.allclose(stereo[0], first, atol=1e-6)


def test_chunked_render_matches_one_pass(saved, monkeypatch):
    mel, samples = _mel(1.5)
    model = Vocoder.load(saved, device="cpu")
    whole = model.render(mel, samples)
    monkeypatch.setattr(vocoder_module, "CHUNK_FRAMES", 20)
    monkeypatch.setattr(vocoder_module, "CONTEXT_FRAMES", 8)
    chunked = model.render(mel, samples)
    # Interior samples agree; the iSTFT's window overlap near chunk edges is covered by the context.
    assert np.max(np.abs(whole - chunked)) < 1e-4


def test_refinement_iterations_run(saved):
    mel, samples = _mel()
    refined = Vocoder.load(saved, device="cpu", refine_iterations=3).render(mel, samples)
    assert refined.shape == (samples,) and np.all(np.isfinite(refined))


@pytest.mark.parametrize("shape", [0.5, 1.0])
def test_shaped_refinement_lands_on_the_mel(saved, shape):
    # Whatever the (untrained) network wrote, the refined output's mel approaches the asked one,
    # and closer than the network alone.
    mel, samples = _mel()
    raw = Vocoder.load(saved, device="cpu").render(mel, samples)
    refined = Vocoder.load(saved, device="cpu", refine_iterations=16, refine_shape=shape).render(mel, samples)
    loud = mel > mel.max() - 4.0

    def error(audio):
        return np.median(np.abs(log_mel_numpy(audio, SpectralConfig()) - mel)[loud])

    assert error(refined) < 0.5 * error(raw)


@pytest.mark.parametrize("shape", [0.0, 0.5])
def test_refinement_reads_the_log_floor_as_silence(saved, shape):
    # A tone that stops halfway: the second half's mel sits at the log floor. The refinement
    # must leave it silent rather than write noise at the floor's level (which peak
    # normalisation of a quiet generated sound lifted into an audible tail).
    t = np.arange(44100) / 44100
    quiet = (0.003 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)  # -50 dBFS, as a soft kick decodes
    mel, samples = log_mel_numpy(quiet, SpectralConfig()), len(quiet)
    floor = float(np.log(SpectralConfig().log_floor))
    mel[:, mel.shape[1] // 2:] = floor
    refined = Vocoder.load(saved, device="cpu", refine_iterations=12, refine_shape=shape).render(mel, samples)
    tail = refined[int(0.75 * samples):]
    assert np.max(np.abs(tail)) < 1e-3 * np.max(np.abs(refined))


def test_refine_shape_comes_from_the_file_and_is_checked(tmp_path):
    net = MelVocoderNet(TINY)
    folder = save_vocoder(tmp_path / "v", net, name="v", extra_config={"refine_shape": 0.5})
    assert Vocoder.load(folder, device="cpu").refine_shape == 0.5
    bad = save_vocoder(tmp_path / "b", net, name="b", extra_config={"refine_shape": 3})
    with pytest.raises(SketchpadError, match="refine_shape"):
        Vocoder.load(bad, device="cpu")


def test_missing_or_damaged_file_falls_back_with_one_line(tmp_path, saved):
    notices = []
    stage = load_vocoder_stage(tmp_path / "nowhere", notice=notices.append)
    assert isinstance(stage, PhaseGradientVocoder) and len(notices) == 1
    (saved / "weights.safetensors").write_bytes(b"not a tensor file")
    stage = load_vocoder_stage(saved, notice=notices.append)
    assert isinstance(stage, PhaseGradientVocoder) and len(notices) == 2
    assert "\n" not in notices[1] and "damaged" in notices[1]
    mel, samples = _mel(0.3)
    audio = stage.render(mel, samples)
    assert audio.shape == (samples,) and np.max(np.abs(audio)) > 0.05  # the tone comes back


def test_vocoders_are_not_listed_as_sound_models(tmp_path, monkeypatch, saved):
    import shutil

    from sketchpad.engine.registry import list_models, user_models_dir

    monkeypatch.setenv("SKETCHPAD_HOME", str(tmp_path / "home"))
    shutil.copytree(saved, user_models_dir() / "my-vocoder")
    names = [p.name for p in list_models()]
    assert "my-vocoder" not in names and names  # the shipped sound model is still there


def test_refine_false_is_the_network_alone(saved):
    mel, samples = _mel()
    refining = Vocoder.load(saved, device="cpu", refine_iterations=4)
    alone = Vocoder.load(saved, device="cpu", refine_iterations=0).render(mel, samples)
    assert np.array_equal(refining.render(mel, samples, refine=False), alone)
    assert not np.allclose(refining.render(mel, samples), alone, atol=1e-4)
