"""Sound engine v2 training, end to end on a tiny real dataset: the vocoder (with its
adversarial phase), the latent over the mel, resuming, export, and the music list."""

import json

import numpy as np
import pytest
import soundfile as sf

from sketchpad.engine.mel_vae import MelVAE, MelVAEConfig
from sketchpad.engine.model import SoundModel
from sketchpad.engine.vocoder import Vocoder, VocoderConfig
from sketchpad.training import music
from sketchpad.training.dataset import build_dataset
from sketchpad.training.run_latent import run_latent_training
from sketchpad.training.run_vocoder import export_vocoder, run_vocoder_training
from sketchpad.training.train_mel_vae import MelTrainConfig
from sketchpad.training.train_vocoder import VocoderTrainConfig

TINY_VOCODER = VocoderConfig(dim=16, blocks=1)
TINY_LATENT = MelVAEConfig(latent_channels=8, dim=16, encoder_blocks=1, decoder_blocks=1)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory, timgm):
    folder = tmp_path_factory.mktemp("data")
    build_dataset(folder, soundfont=timgm, limit=12, phrases=1)
    return folder


def test_vocoder_trains_adversarially_resumes_and_exports(tiny_data, tmp_path):
    config = VocoderTrainConfig(steps=4, batch_size=2, segment_samples=8192, adversarial_from=2,
                                adversarial_window=4096, checkpoint_every=2, log_every=1,
                                warmup_steps=2, music_fraction=0.0, architecture=TINY_VOCODER)
    lines = []
    out = run_vocoder_training(data_dir=tiny_data, music_cache=tmp_path / "cache",
                               run_dir=tmp_path / "run", out_dir=tmp_path / "voc", name="voc",
                               config=config, log=lines.append)
    state = json.loads((tmp_path / "run" / "checkpoint" / "state.json").read_text())
    history = np.array(state["history"])
    assert state["step"] == 4 and history.shape == (4, 6)
    assert np.all(history[:2, 3] == 0) and np.all(history[2:, 3] > 0)  # discriminators from step 2
    assert (tmp_path / "run" / "checkpoint" / "discriminators.safetensors").is_file()
    config.steps = 6
    lines.clear()
    run_vocoder_training(data_dir=tiny_data, music_cache=tmp_path / "cache", run_dir=tmp_path / "run",
                         out_dir=tmp_path / "voc", name="voc", config=config, log=lines.append)
    assert any("resuming from step 4" in line for line in lines)
    vocoder = Vocoder.load(out, device="cpu")
    assert vocoder.info["training"]["steps_done"] == 6
    mel = np.full((128, 20), -5.0, np.float32)
    assert vocoder.render(mel, 19 * 512).shape == (19 * 512,)
    # A warm start from the exported model continues its schedule.
    lines.clear()
    config.steps = 7
    run_vocoder_training(data_dir=tiny_data, music_cache=tmp_path / "cache", run_dir=tmp_path / "run2",
                         out_dir=tmp_path / "voc2", name="voc2", config=config, log=lines.append,
                         initial=out)
    assert any("warm start" in line and "step 6" in line for line in lines)
    assert json.loads((tmp_path / "run2" / "checkpoint" / "state.json").read_text())["step"] == 7
    export_vocoder(tmp_path / "run2", tmp_path / "voc3", name="voc3", log=lines.append)
    exported = Vocoder.load(tmp_path / "voc3", device="cpu").info
    assert exported["training"]["steps_done"] == 7 and exported["training_data"]["dataset_items"] > 0


def test_latent_model_trains_and_plays_through_its_vocoder(tiny_data, tmp_path):
    config = MelTrainConfig(steps=3, batch_size=2, segment_samples=8192, log_every=1, warmup_steps=1,
                            music_fraction=0.0, architecture=TINY_LATENT)
    out = run_latent_training(data_dir=tiny_data, music_cache=tmp_path / "cache", run_dir=tmp_path / "run",
                              out_dir=tmp_path / "mel", name="mel", config=config,
                              vocoder="fallback", log=lambda _: None)
    info = json.loads((out / "config.json").read_text())
    assert info["kind"] == "mel-vae" and info["vocoder"] == "fallback"
    assert len(info["latent_statistics"]["channel_variance"]) == 8
    assert info["latent"]["compression"] == pytest.approx(44100 / (44100 / 1024 * 8))
    model = SoundModel.load(out, device="cpu")
    x = (0.2 * np.sin(np.arange(30000) * 0.05)).astype(np.float32)
    z = model.encode(x)
    assert z.shape == (1, 8, model.latent_frames_for(len(x)))
    assert model.reconstruct(x).shape == x.shape
    assert model.directions  # slider directions were found on the new latent
    # A new machine warm-starts from the written model and continues its schedule.
    lines = []
    config.steps = 5
    run_latent_training(data_dir=tiny_data, music_cache=tmp_path / "cache", run_dir=tmp_path / "run2",
                        out_dir=tmp_path / "mel2", name="mel2", config=config, vocoder="fallback",
                        directions=False, initial=out, log=lines.append)
    assert any("warm start" in line and "step 3" in line for line in lines)
    assert json.loads((tmp_path / "mel2" / "config.json").read_text())["training"]["steps_done"] == 5
    # A stopped run is written from its checkpoint, with its own shape, training nothing.
    from sketchpad.cli import main

    assert main(["train-latent", "--name", "mel3", "--export", "--checkpoints", str(tmp_path / "run2"),
                 "--data", str(tiny_data), "--out", str(tmp_path / "mel3"), "--vocoder", "fallback"]) == 0
    written = json.loads((tmp_path / "mel3" / "config.json").read_text())
    assert written["training"]["steps_done"] == 5 and written["latent"]["channels"] == 8
    assert written["training_data"]["dataset_items"] > 0
    assert main(["train-latent", "--export", "--checkpoints", str(tmp_path / "nothing"),
                 "--data", str(tiny_data), "--out", str(tmp_path / "mel4")]) == 2


def test_encoder_only_training_leaves_the_decoder_as_it_was(tiny_data, tmp_path):
    import torch

    from sketchpad.training.run_vocoder import training_banks
    from sketchpad.training.train_mel_vae import train_mel_vae

    bank, _ = training_banks(tiny_data, tmp_path / "cache", 0.0, lambda _: None)
    torch.manual_seed(1)
    start = MelVAE(TINY_LATENT)
    config = MelTrainConfig(steps=3, batch_size=2, segment_samples=8192, log_every=1, warmup_steps=1,
                            music_fraction=0.0, encoder_only=True, architecture=TINY_LATENT)
    trained = train_mel_vae(bank, tmp_path / "run", config, log=lambda _: None, initial=start)
    assert all(torch.equal(v, trained.state_dict()[k]) for k, v in start.state_dict().items()
               if k.startswith("decoder."))
    assert not torch.equal(start.encoder.head.weight, trained.encoder.head.weight)


def test_adversarial_decoder_only_training_keeps_the_latent_space_and_resumes(tiny_data, tmp_path):
    import torch

    from sketchpad.training.run_vocoder import training_banks
    from sketchpad.training.train_mel_vae import train_mel_vae

    bank, _ = training_banks(tiny_data, tmp_path / "cache", 0.0, lambda _: None)
    torch.manual_seed(1)
    start = MelVAE(TINY_LATENT)
    lines = []
    config = MelTrainConfig(steps=2, batch_size=2, segment_samples=8192, log_every=1, warmup_steps=1,
                            music_fraction=0.0, decoder_only=True, adversarial_weight=0.1,
                            architecture=TINY_LATENT)
    trained = train_mel_vae(bank, tmp_path / "run", config, log=lines.append, initial=start)
    assert all(torch.equal(v, trained.state_dict()[k]) for k, v in start.state_dict().items()
               if k.startswith("encoder."))
    assert not torch.equal(start.decoder.head.weight, trained.decoder.head.weight)
    assert "judge" in lines[-1] and (tmp_path / "run" / "checkpoint" / "mel_discriminator.safetensors").is_file()
    # the judge resumes with the decoder
    config.steps = 3
    train_mel_vae(bank, tmp_path / "run", config, log=lines.append, initial=start)
    assert any("resuming from step 2" in line for line in lines)


def test_missing_vocoder_falls_back_with_a_notice(tiny_data, tmp_path):
    config = MelTrainConfig(steps=1, batch_size=2, segment_samples=8192, log_every=1, warmup_steps=1,
                            music_fraction=0.0, architecture=TINY_LATENT)
    out = run_latent_training(data_dir=tiny_data, music_cache=tmp_path / "cache", run_dir=tmp_path / "run",
                              out_dir=tmp_path / "mel", name="mel", config=config,
                              vocoder=str(tmp_path / "no-such-vocoder"), directions=False,
                              log=lambda _: None)
    model = SoundModel.load(out, device="cpu")
    assert model.notice is not None and "phase-gradient" in model.notice
    assert model.decode(np.zeros((1, 8, 10), np.float32)).shape == (10 * 1024, 1)


def test_training_music_never_lists_reserved_or_held_out_packages(tmp_path, monkeypatch):
    names = {p.package for p in music.TRAINING_MUSIC}
    assert not names & set(music.RESERVED_PACKAGES) and not names & set(music.HELD_OUT_PACKAGES)
    folder = tmp_path / "pkg" / "sub"
    folder.mkdir(parents=True)
    sf.write(folder / "a.wav", 0.5 * np.sin(np.arange(8000) * 0.1), 22050)
    (folder / "broken.ogg").write_bytes(b"not audio")
    monkeypatch.setattr(music, "TRAINING_MUSIC", (music.MusicPackage("fake-music", str(tmp_path / "pkg"), "CC0"),))
    waves, summary = music.load_training_music(tmp_path / "cache")
    assert len(waves) == 1 and waves[0].dtype == np.int16 and abs(int(waves[0].max())) > 30000
    assert summary["fake-music"]["files"] == 1 and summary["fake-music"]["licence"] == "CC0"
    again, _ = music.load_training_music(tmp_path / "cache")  # from the cache
    np.testing.assert_array_equal(again[0], waves[0])


def test_training_music_reads_tracks_inside_a_zip_archive(tmp_path, monkeypatch):
    import zipfile
    track = tmp_path / "track.wav"
    sf.write(track, 0.25 * np.sin(np.arange(22050) * 0.05), 22050)
    archive = tmp_path / "music.pk3"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(track, "sound/cdtracks/song.wav")
        zipped.writestr("sound/readme.txt", "not audio")
    broken = tmp_path / "broken.pk3"
    broken.write_bytes(b"not a zip")
    monkeypatch.setattr(music, "TRAINING_MUSIC", (music.MusicPackage("zip-music", str(archive), "CC0"),
                                                  music.MusicPackage("bad-zip", str(broken), "CC0")))
    files = music.training_music_files()
    assert [f.name for _, f in files] == ["song.wav"]
    waves, summary = music.load_training_music(tmp_path / "cache")
    assert len(waves) == 1 and waves[0].shape[0] == 44100  # resampled to 44.1 kHz
    assert summary == {"zip-music": {"licence": "CC0", "files": 1, "seconds": 1.0}}
    assert (tmp_path / "cache" / "zip-music" / "sound" / "cdtracks" / "song.npy").is_file()


def test_music_crops_start_anywhere_and_every_second_is_equally_likely():
    from sketchpad.training.train import AudioBank
    crop = 64
    long_ramp = np.arange(1, 20 * crop + 1, dtype=np.float32)  # positive, so a crop's start can be read back
    short = -np.ones(2 * crop, np.float32)
    rng = np.random.default_rng(0)

    def starts_and_share_long(bank):
        batch = bank.batch(rng, 2000, crop)
        from_long = batch[:, 0] > 0
        ratio = batch[from_long, 1] / batch[from_long, 0]  # (start + 2) / (start + 1): 2 at the start, then <= 1.5
        return float(np.mean(ratio > 1.75)), float(np.mean(from_long))

    at_start, share_long = starts_and_share_long(AudioBank([long_ramp, short]))
    assert 0.4 < at_start < 0.6 and 0.4 < share_long < 0.6  # one-shots: attacks and items equally often
    at_start, share_long = starts_and_share_long(AudioBank([long_ramp, short], kind="music"))
    assert at_start < 0.02 and 0.85 < share_long < 0.96  # music: anywhere, by length (20:2)


def test_model_set_is_built_on_one_latent(tiny_data, tmp_path):
    from sketchpad.engine.flow import FlowGenerator
    from sketchpad.engine.retrieval import RetrievalIndex
    from sketchpad.training.model_set import build_model_set

    voc = run_vocoder_training(data_dir=tiny_data, music_cache=tmp_path / "cache", run_dir=tmp_path / "vr",
                               out_dir=tmp_path / "voc", name="voc", log=lambda _: None,
                               config=VocoderTrainConfig(steps=1, batch_size=2, segment_samples=8192,
                                                         music_fraction=0.0, architecture=TINY_VOCODER))
    latent = run_latent_training(data_dir=tiny_data, music_cache=tmp_path / "cache", run_dir=tmp_path / "lr",
                                 out_dir=tmp_path / "lat", name="lat", vocoder="voc", log=lambda _: None,
                                 config=MelTrainConfig(steps=1, batch_size=2, segment_samples=8192,
                                                       music_fraction=0.0, architecture=TINY_LATENT))
    paths = build_model_set(latent_dir=latent, vocoder_dir=voc, data_dir=tiny_data, out_root=tmp_path / "set",
                            name="set-mel", vocoder_name="set-vocoder", refine_iterations=2,
                            flow_steps=8, log=lambda _: None)
    info = json.loads((paths["model"] / "config.json").read_text())
    assert info["name"] == "set-mel" and info["vocoder"] == "set-vocoder" and info["cpu_int8"]
    voc_info = json.loads((paths["vocoder"] / "config.json").read_text())
    assert voc_info["refine_iterations"] == 2 and voc_info["name"] == "set-vocoder"
    assert voc_info["cpu_int8"]
    from safetensors.numpy import load_file

    assert load_file(str(paths["vocoder"] / "weights.safetensors"))["net.stem.weight"].dtype == np.float16
    index = RetrievalIndex.load(paths["retrieval"])
    assert index.latents.shape[0] == 8 and len(index) > 0
    flow = json.loads((paths["flow"] / "config.json").read_text())
    assert flow["sound_model"] == "set-mel" and flow["latent"]["channels"] == 8
    assert FlowGenerator.load(paths["flow"]) is not None


def test_reconstruct_says_once_that_the_fallback_plays(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    import torch

    from sketchpad.engine.mel_vae import MelVAE
    from sketchpad.engine.model import save_sound_model

    torch.manual_seed(0)
    folder = save_sound_model(tmp_path / "mel", MelVAE(TINY_LATENT), name="mel",
                              extra_config={"vocoder": "no-such-vocoder"})
    source = tmp_path / "in.wav"
    sf.write(source, 0.3 * np.sin(np.arange(22050) * 0.05), 44100)
    exe = Path(sys.executable).with_name("sketchpad")
    run = subprocess.run([str(exe), "reconstruct", str(source), "--out", str(tmp_path / "out.wav"),
                          "--model", str(folder)], capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "SKETCHPAD_HOME": str(tmp_path / "home")})
    assert run.returncode == 0, run.stderr
    notes = [line for line in run.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "phase-gradient" in notes[0]
    assert sf.info(str(tmp_path / "out.wav")).frames == 22050


def test_a_wider_latent_warm_starts_from_a_narrower_one(tiny_data, tmp_path):
    import torch

    from sketchpad.training.train_mel_vae import widen_latent

    torch.manual_seed(1)
    narrow = MelVAE(TINY_LATENT).eval()
    wide = widen_latent(narrow, 12).eval()
    mel = narrow.features(0.1 * torch.randn(1, 8192))
    with torch.no_grad():
        old_mean, _ = narrow.encoder(mel)
        new_mean, new_logvar = wide.encoder(mel)
        # The old channels keep their meaning; the new ones start small and change the
        # decoded mel only a little, so training starts from the narrow model's quality.
        assert torch.allclose(new_mean[:, :8], old_mean)
        assert 0 < new_mean[:, 8:].abs().max() < 0.1 * old_mean.abs().max()
        assert torch.all(new_logvar[:, 8:] == new_logvar[:, 8:].flatten()[0])
        change = (wide.decoder(new_mean) - narrow.decoder(old_mean)).abs().mean()
        assert 0 < change < 0.05 * (narrow.decoder(old_mean) - mel).abs().mean()
    with pytest.raises(ValueError):
        widen_latent(narrow, 4)
    # The command line's warm start widens a written model when asked for more channels.
    config = MelTrainConfig(steps=2, batch_size=2, segment_samples=8192, log_every=1, warmup_steps=1,
                            music_fraction=0.0, architecture=TINY_LATENT)
    first = run_latent_training(data_dir=tiny_data, music_cache=tmp_path / "cache", run_dir=tmp_path / "run",
                                out_dir=tmp_path / "mel", name="mel", config=config, vocoder="fallback",
                                directions=False, log=lambda _: None)
    from dataclasses import replace

    lines = []
    config = replace(config, steps=4, architecture=replace(TINY_LATENT, latent_channels=12))
    out = run_latent_training(data_dir=tiny_data, music_cache=tmp_path / "cache", run_dir=tmp_path / "run2",
                              out_dir=tmp_path / "wide", name="wide", config=config, vocoder="fallback",
                              directions=False, initial=first, log=lines.append)
    assert any("widening the latent from 8 to 12" in line for line in lines)
    written = json.loads((out / "config.json").read_text())
    assert written["latent"]["channels"] == 12 and written["training"]["steps_done"] == 4
    assert len(written["latent_statistics"]["channel_variance"]) == 12


def test_the_latent_models_size_is_chosen_on_the_command_line(capsys):
    from sketchpad.cli import _build_parser, latent_train_config, main

    args = _build_parser().parse_args(["train-latent", "--channels", "4", "--width", "24",
                                       "--decoder-blocks", "2", "--steps", "9"])
    config = latent_train_config(args)
    shape = config.architecture
    assert (shape.latent_channels, shape.dim, shape.decoder_blocks, config.steps) == (4, 24, 2, 9)
    assert MelVAE(shape).decoder.blocks[1] is not None and len(MelVAE(shape).decoder.blocks) == 2
    from sketchpad.engine.device import native_bf16

    assert config.bf16 == native_bf16()  # auto: bf16 where the hardware has it natively
    assert latent_train_config(_build_parser().parse_args(["train-latent", "--bf16", "off"])).bf16 is False
    assert main(["train-latent", "--width", "0"]) == 2
    assert "--width must be positive" in capsys.readouterr().err
    adversarial = latent_train_config(_build_parser().parse_args(
        ["train-latent", "--decoder-only", "--adversarial", "0.1"]))
    assert adversarial.decoder_only and adversarial.adversarial_weight == 0.1
    assert main(["train-latent", "--encoder-only", "--decoder-only"]) == 2
    assert "exclude each other" in capsys.readouterr().err
    assert main(["train-latent", "--adversarial", "-1"]) == 2
    assert "--adversarial must be between" in capsys.readouterr().err


def test_extra_datasets_join_the_training_bank(tiny_data, tmp_path, timgm):
    from sketchpad.cli import _build_parser
    from sketchpad.errors import SketchpadError
    from sketchpad.training.run_vocoder import training_banks

    second = tmp_path / "second-font"
    build_dataset(second, soundfont=timgm, limit=5, phrases=0)
    _, alone = training_banks(tiny_data, tmp_path / "cache", 0.0, log=lambda _: None)
    bank, both = training_banks(tiny_data, tmp_path / "cache", 0.0, log=lambda _: None,
                                extra_data=(second,))
    by_folder = both["dataset_items_by_folder"]
    assert by_folder[tiny_data.name]["items"] == alone["dataset_items"] and by_folder["second-font"]["items"] > 0
    assert both["dataset_items"] == alone["dataset_items"] + by_folder["second-font"]["items"]
    assert by_folder["second-font"]["soundfont"] == "TimGM6mb" and by_folder["second-font"]["licence"] == "GPL-2.0"
    assert bank.batch(np.random.default_rng(0), 2, 4096).shape == (2, 4096)
    with pytest.raises(SketchpadError, match="no-such-folder"):
        training_banks(tiny_data, tmp_path / "cache", 0.0, extra_data=(tmp_path / "no-such-folder",))
    args = _build_parser().parse_args(["train-latent", "--extra-data", str(second), str(tiny_data)])
    assert args.extra_data == [second, tiny_data]


def test_random_eq_is_smooth_bounded_and_keeps_the_floor():
    import torch

    from sketchpad.cli import _build_parser, latent_train_config, main
    from sketchpad.training.train_mel_vae import EQ_TERMS, random_eq

    mel = torch.full((4, 128, 10), -2.0)
    mel[:, :, 5:] = -11.5  # a silent tail at the floor
    out = random_eq(mel, 0.5, torch.Generator().manual_seed(0), floor=-11.5)
    change = out[:, :, 0] - mel[:, :, 0]
    assert change.abs().max() <= 0.5 * EQ_TERMS + 1e-6 and change.abs().max() > 0.05
    assert not torch.allclose(change[0], change[1])  # each crop its own EQ
    assert torch.all(torch.diff(change, dim=1).abs() < 0.1)  # smooth across bands
    assert torch.all(out >= -11.5) and torch.allclose(out[:, :, 0], out[:, :, 4])  # one curve per crop
    assert latent_train_config(_build_parser().parse_args(["train-latent", "--random-eq", "0.4"])) \
        .random_eq_nats == 0.4
    assert main(["train-latent", "--random-eq", "-1"]) == 2


def test_build_dataset_renders_a_font_for_extra_data_and_refuses_bad_ones(tmp_path, timgm, capsys):
    from sketchpad.cli import main
    from sketchpad.training.dataset import Manifest

    folder = tmp_path / "font"
    assert main(["build-dataset", "--soundfont", str(timgm.path), "--data", str(folder),
                 "--phrases", "0", "--limit", "3"]) == 0
    assert len(Manifest.load(folder)) == 3 and f"3 items in {folder}" in capsys.readouterr().out
    assert main(["build-dataset", "--soundfont", str(tmp_path / "missing.sf2")]) == 2
    assert "Soundfont not found" in capsys.readouterr().err
    reserved = tmp_path / "MuseScore_General.sf2"
    reserved.write_bytes(b"RIFF")
    assert main(["build-dataset", "--soundfont", str(reserved)]) == 2
    assert "reserved as unseen test material" in capsys.readouterr().err
    assert main(["build-dataset", "--soundfont", str(timgm.path), "--limit", "0"]) == 2
