"""Fine-tuning on the user's own one-shots: real WAV files, a tiny base model, a few steps."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from sketchpad.jobs import Job, JobCancelled, JobContext
from sketchpad.engine.model import SoundModel, save_sound_model
from sketchpad.engine.registry import list_models, user_models_dir
from sketchpad.engine.retrieval import RetrievalIndex, load_retrieval_engine
from sketchpad.engine.text import shared_text_encoder
from sketchpad.engine.vae import SoundVAE, VAEConfig
from sketchpad.errors import SketchpadError
from sketchpad.training.finetune import finetune
from sketchpad.training.train import AudioBank

TINY = VAEConfig(encoder_dim=32, encoder_blocks=1, decoder_dim=32, decoder_blocks=1)
RATE = 44100
BASE_CAPTIONS = ["acoustic keyboard, Acoustic Grand Piano, C4, medium",
                 "electronic bass, Synth Bass 1, C2, hard",
                 "drum kit, Standard, Acoustic Snare, hard"]
FAST = {"batch_size": 2}


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory):
    """A tiny random model 'tiny-base' with a three-sound '-retrieval' index beside it."""
    root = tmp_path_factory.mktemp("base")
    torch.manual_seed(0)
    folder = save_sound_model(root / "tiny-base", SoundVAE(TINY), name="tiny-base")
    rng = np.random.default_rng(0)
    lengths = [20, 30, 12]
    latents = rng.standard_normal((TINY.latent_channels, sum(lengths))).astype(np.float32)
    RetrievalIndex(shared_text_encoder().embed(BASE_CAPTIONS), latents,
                   np.concatenate([[0], np.cumsum(lengths)]), [60, 36, -1], BASE_CAPTIONS,
                   ["note", "note", "drum"]).save(root / "tiny-base-retrieval", sound_model="tiny-base")
    return folder


def _write(path: Path, seconds: float, kind: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    if kind == "tone":
        x = np.sin(2 * np.pi * 220 * (1 + seed % 5) * t)
    else:
        x = rng.standard_normal(t.size)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, (0.8 * x * np.exp(-t * 12 / seconds)).astype(np.float32), RATE)


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """Six one-shots from 0.15 s to 1 s in producer-style folders."""
    folder = tmp_path_factory.mktemp("my sounds")
    for i, (rel, seconds, kind) in enumerate([
            ("Drums/Kicks/Boom Kick.wav", 0.4, "tone"), ("Drums/Hats/tick_hat.wav", 0.15, "noise"),
            ("Drums/Snares/crack snare.wav", 0.25, "noise"), ("Keys/glass pluck.wav", 1.0, "tone"),
            ("Keys/soft pluck.wav", 0.6, "tone"), ("zap.wav", 0.2, "noise")]):
        _write(folder / rel, seconds, kind, i)
    return folder


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("SKETCHPAD_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _weights(folder) -> dict:
    return {k: v.detach().clone() for k, v in SoundModel.load(folder, device="cpu").vae.state_dict().items()}


def test_short_one_shots_are_zero_padded_crops():
    short = np.hanning(4410).astype(np.float32)  # 0.1 s
    batch = AudioBank([short]).batch(np.random.default_rng(0), 3, 22050)
    assert batch.shape == (3, 22050)
    assert np.all(np.abs(batch[:, 100:4300]).max(axis=1) > 0) and not np.any(batch[:, 4410:])


def test_finetune_starts_from_the_base_and_saves_a_model_and_index(home, tiny_base, shots):
    lines = []
    out = finetune(shots, name="my kit", base=tiny_base, steps=3, log=lines.append, settings=FAST)
    assert out == user_models_dir() / "my kit" and out.parent.parent == home
    assert any("step 3/3" in line for line in lines)

    # Started from the base: three small low-rate steps leave every weight near it, not equal.
    base, tuned = _weights(tiny_base), _weights(out)
    diff = max(float((tuned[k] - base[k]).abs().max()) for k in base)
    assert 0 < diff < 1e-3
    torch.manual_seed(1)
    fresh = SoundVAE(TINY).state_dict()
    assert max(float((fresh[k] - base[k]).abs().max()) for k in base) > 0.05

    info = json.loads((out / "config.json").read_text())
    assert info["name"] == "my kit" and info["finetune"]["base"]["name"] == "tiny-base"
    assert info["finetune"]["user_sounds"] == 6 and info["training"]["steps"] == 3
    assert info["finetune"]["replayed_base_sounds"] == 3  # the base index's sounds, mixed in
    assert SoundModel.load(out, device="cpu").directions  # slider directions recomputed
    assert out in list_models() and (tiny_base.parent / "tiny-base").is_dir()

    index = RetrievalIndex.load(user_models_dir() / "my kit-retrieval")
    assert len(index) == 9 and index.kinds.count("user") == 6
    assert "drums kicks boom kick" in index.captions and "keys glass pluck" in index.captions
    assert set(BASE_CAPTIONS) <= set(index.captions)  # base sounds, re-encoded by the new model
    assert index.latent(index.captions.index(BASE_CAPTIONS[1])).shape[2] == 30
    engine = load_retrieval_engine("my kit", device="cpu")
    assert engine.model.name == "my kit"
    sounds = engine.generate("boom kick", count=2, seed=0)
    assert "drums kicks boom kick" in sounds[0].neighbours and sounds[0].audio.size > 0


def test_cancel_mid_training_then_resume(home, tiny_base, shots):
    seen = []

    def on_progress(fraction, text):
        seen.append((fraction, text))
        if text.startswith("Fine-tuning step 2/"):
            job.cancel()

    job = Job("finetune", lambda ctx: None, on_progress=on_progress)
    with pytest.raises(JobCancelled):
        finetune(shots, name="resumable", base=tiny_base, steps=5, shipped_sounds=0,
                 ctx=JobContext(job), log=lambda _: None, settings=FAST)
    run = home / "finetune" / "resumable" / "run" / "checkpoint"
    assert json.loads((run / "state.json").read_text())["step"] == 2
    assert not (user_models_dir() / "resumable").exists()
    assert any(text.startswith("Reading") for _, text in seen)  # the dataset phase reported

    seen.clear()
    lines = []
    job = Job("finetune", lambda ctx: None, on_progress=lambda f, t: seen.append((f, t)))
    out = finetune(shots, name="resumable", base=tiny_base, steps=5, shipped_sounds=0,
                   ctx=JobContext(job), log=lines.append, settings=FAST)
    assert any("resuming from step 2" in line for line in lines)
    assert not any("step 2/5" in line for line in lines) and any("step 5/5" in line for line in lines)
    assert json.loads((run / "state.json").read_text())["step"] == 5
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(t.startswith("Fine-tuning step") for _, t in seen)
    assert any(t.startswith("Encoding your sounds") for _, t in seen)
    assert len(RetrievalIndex.load(user_models_dir() / "resumable-retrieval")) == 6  # only yours
    assert SoundModel.load(out, device="cpu").name == "resumable"


@pytest.mark.parametrize("name, words", [
    ("sketch-mel", "ships with Sketchpad"), ("Sketch-MEL", "ships with Sketchpad"),
    ("sketch-mel-retrieval", "-retrieval"), ("drums/mine", "can't contain '/'"),
    ("..", "can't start with '.'"), ("", "Give the new model a name"),
])
def test_refuses_bad_names(home, shots, name, words):
    with pytest.raises(SketchpadError, match=words):
        finetune(shots, name=name, steps=1)
    assert not list(user_models_dir().iterdir())


@pytest.mark.parametrize("steps", [0, -3, 1.5, True, 10 ** 9])
def test_refuses_bad_step_counts(home, shots, steps):
    with pytest.raises(SketchpadError, match="Steps must be"):
        finetune(shots, name="x", steps=steps)


def test_refuses_folders_without_usable_audio(home, tmp_path, tiny_base):
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    (empty / "notes.txt").write_text("no audio here")
    with pytest.raises(SketchpadError, match="No audio files in"):
        finetune(empty, name="x", base=tiny_base)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "zero.wav").write_bytes(b"")
    (broken / "text.flac").write_text("not audio")
    with pytest.raises(SketchpadError, match="None of the 2 audio files"):
        finetune(broken, name="x", base=tiny_base)
    with pytest.raises(SketchpadError, match="is not a folder"):
        finetune(tmp_path / "missing", name="x", base=tiny_base)


def test_never_overwrites_a_model_it_did_not_make(home, tiny_base, shots):
    torch.manual_seed(0)
    save_sound_model(user_models_dir() / "trained", SoundVAE(TINY), name="trained")
    with pytest.raises(SketchpadError, match="not made by fine-tuning"):
        finetune(shots, name="trained", base=tiny_base, steps=1)


def test_cli_bad_folder_exits_2_with_one_line(tmp_path):
    env = {**os.environ, "SKETCHPAD_HOME": str(tmp_path / "home")}
    (tmp_path / "empty").mkdir()
    cmd = [sys.executable, "-m", "sketchpad", "finetune", str(tmp_path / "empty"), "--name", "mine"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("sketchpad: No audio files")


def test_finetune_a_mel_model_keeps_its_vocoder(home, shots, tmp_path):
    """A v2 base (latent over the mel) fine-tunes its latent model; the vocoder stays the base's."""
    from sketchpad.engine.mel_vae import MelVAE, MelVAEConfig

    tiny = MelVAEConfig(latent_channels=8, dim=16, encoder_blocks=1, decoder_blocks=1)
    torch.manual_seed(0)
    base = save_sound_model(tmp_path / "mel-base", MelVAE(tiny), name="mel-base",
                            extra_config={"vocoder": "fallback", "training": {"kl_weight": 1e-4}})
    lines = []
    out = finetune(shots, name="my mel kit", base=base, steps=2, log=lines.append, settings=FAST)
    assert any("step 2/2" in line for line in lines)
    info = json.loads((out / "config.json").read_text())
    assert info["kind"] == "mel-vae" and info["vocoder"] == "fallback"
    before, after = _weights(base), _weights(out)
    assert 0 < max(float((after[k] - before[k]).abs().max()) for k in before) < 1e-2
    model = SoundModel.load(out, device="cpu")
    assert model.directions and model.reconstruct(np.zeros(4410, np.float32)).shape == (4410,)
