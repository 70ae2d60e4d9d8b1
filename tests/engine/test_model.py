import json

import numpy as np
import pytest
import torch

from sketchpad.engine import model as model_module
from sketchpad.engine.model import SoundModel, save_sound_model
from sketchpad.engine.model_files import ModelFileError, read_model_folder
from sketchpad.engine.vae import SoundVAE, VAEConfig
from sketchpad.errors import SketchpadError

TINY = VAEConfig(encoder_dim=32, encoder_blocks=1, decoder_dim=32, decoder_blocks=2)


@pytest.fixture(params=["transposed", "linear"])
def tiny_model(tmp_path, request):  # two decoder blocks: a wider receptive field for the chunking tests
    from dataclasses import replace

    torch.manual_seed(0)
    folder = save_sound_model(tmp_path / "tiny", SoundVAE(replace(TINY, upsample=request.param)),
                              name="tiny")
    return SoundModel.load(folder, device="cpu")


def test_shapes_match_the_docstrings(tiny_model):
    rate = tiny_model.sample_rate
    stereo = np.random.default_rng(0).standard_normal((rate * 2 + 37, 2)).astype(np.float32) * 0.1
    z = tiny_model.encode(stereo)
    frames = tiny_model.latent_frames_for(stereo.shape[0])
    assert z.shape == (2, TINY.latent_channels, frames) and z.dtype == np.float32
    audio = tiny_model.decode(z)
    assert audio.shape == (frames * tiny_model.samples_per_latent, 2) and audio.dtype == np.float32
    assert tiny_model.reconstruct(stereo).shape == stereo.shape
    assert tiny_model.reconstruct(stereo[:, 0]).shape == (stereo.shape[0],)
    assert tiny_model.decode(z[0]).shape[1] == 1  # a single latent sequence is mono


def test_chunked_processing_matches_one_pass(tiny_model, monkeypatch):
    rate = tiny_model.sample_rate
    t = np.arange(rate * 6) / rate
    song = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(t * 5))).astype(np.float32)
    whole_z = tiny_model.encode(song)
    whole_audio = tiny_model.decode(whole_z)
    monkeypatch.setattr(model_module, "CHUNK_LATENT_FRAMES", 40)
    monkeypatch.setattr(model_module, "CONTEXT_LATENT_FRAMES", 24)
    chunked_z = tiny_model.encode(song)
    np.testing.assert_allclose(chunked_z, whole_z, atol=1e-4)
    chunked_audio = tiny_model.decode(whole_z)
    np.testing.assert_allclose(chunked_audio, whole_audio, atol=1e-4)


def test_round_trip_of_saved_weights(tiny_model, tmp_path):
    tiny_model.save(tmp_path / "copy", extra_tensors={"directions.vectors": np.eye(3, dtype=np.float32)})
    again = SoundModel.load(tmp_path / "copy", device="cpu")
    x = np.random.default_rng(1).standard_normal(8192).astype(np.float32)
    np.testing.assert_array_equal(again.encode(x), tiny_model.encode(x))
    np.testing.assert_array_equal(again.extras["directions.vectors"], np.eye(3))


def test_pickle_checkpoint_is_refused(tiny_model, tmp_path):
    folder = tiny_model.save(tmp_path / "m")
    (folder / "model.pt").write_bytes(b"\x80\x04not really")
    with pytest.raises(ModelFileError, match="pickle"):
        SoundModel.load(folder)


@pytest.mark.parametrize("damage, message", [
    ("version", "format version"),
    ("json", "not valid JSON"),
    ("missing", "missing tensors"),
    ("shape", "has shape"),
    ("weights", "damaged"),
    ("no-weights", "incomplete"),
])
def test_damaged_model_folders_give_one_line(tiny_model, tmp_path, damage, message):
    folder = tiny_model.save(tmp_path / "m")
    config_path = folder / "config.json"
    config = json.loads(config_path.read_text())
    if damage == "version":
        config["format_version"] = 99
        config_path.write_text(json.dumps(config))
    elif damage == "json":
        config_path.write_text("{not json")
    elif damage in ("missing", "shape"):
        from safetensors.torch import save_file

        _, tensors = read_model_folder(folder)
        key = sorted(tensors)[0]
        if damage == "missing":
            tensors.pop(key)
        else:
            tensors[key] = torch.zeros(3, 3, 3)
        save_file(tensors, str(folder / "weights.safetensors"))
    elif damage == "weights":
        (folder / "weights.safetensors").write_bytes(b"garbage" * 10)
    elif damage == "no-weights":
        (folder / "weights.safetensors").unlink()
    with pytest.raises(ModelFileError, match=message) as info:
        SoundModel.load(folder)
    assert "\n" not in str(info.value)


def _steady_spectrum(vae: SoundVAE) -> torch.Tensor:
    """Decoder magnitudes for a latent that never changes, away from the edges."""
    latent = torch.randn(1, vae.config.latent_channels, 1).repeat(1, 1, 40)
    with torch.no_grad():
        return vae.decoder.spectrum(latent).abs()[0, :, 20:60]


@pytest.mark.parametrize("upsample, buzzes", [("linear", False), ("transposed", True)])
def test_a_steady_latent_decodes_without_frame_rate_buzz(upsample, buzzes):
    from dataclasses import replace

    torch.manual_seed(0)
    spectrum = _steady_spectrum(SoundVAE(replace(TINY, upsample=upsample)))
    even, odd = spectrum[:, 0::2], spectrum[:, 1::2]
    change = float((even - odd).abs().mean() / spectrum.mean())
    assert (change > 1e-2) == buzzes, change


def test_transposed_weights_upgrade_to_the_linear_upsampler():
    from dataclasses import replace

    from sketchpad.engine.vae import upgrade_upsampler

    torch.manual_seed(0)
    old = SoundVAE(replace(TINY, upsample="transposed"))
    new = SoundVAE(replace(TINY, upsample="linear"))
    new.load_state_dict(upgrade_upsampler(old.state_dict()), strict=True)
    latent = torch.randn(1, TINY.latent_channels, 1).repeat(1, 1, 12)
    with torch.no_grad():
        before = old.decoder.up(old.decoder.stem(latent))[..., 8:16]
        after = new.decoder.up(new.decoder.stem(latent))[..., 8:16]
    # The mix starts as the average of what the transposed conv did to even and odd frames.
    torch.testing.assert_close(after[..., 0], (before[..., 0] + before[..., 1]) / 2)
    torch.testing.assert_close(new.encoder.head.weight, old.encoder.head.weight)


def test_older_configs_load_with_their_upsampler_and_unknown_ones_are_refused(tmp_path):
    from dataclasses import replace

    torch.manual_seed(0)
    folder = save_sound_model(tmp_path / "v0", SoundVAE(replace(TINY, upsample="transposed")),
                              name="v0")
    config_path = folder / "config.json"
    config = json.loads(config_path.read_text())
    del config["architecture"]["upsample"]  # as written before the setting existed
    config_path.write_text(json.dumps(config))
    assert SoundModel.load(folder, device="cpu").config.upsample == "transposed"

    config["architecture"]["upsample"] = "cubic"
    config_path.write_text(json.dumps(config))
    with pytest.raises(SketchpadError, match="architecture settings are invalid") as info:
        SoundModel.load(folder)
    assert "\n" not in str(info.value)
