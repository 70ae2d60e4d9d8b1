"""Training end to end on a tiny real dataset: one process, then DDP with gloo."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from sketchpad.engine.model import SoundModel
from sketchpad.engine.vae import VAEConfig
from sketchpad.training.dataset import build_dataset
from sketchpad.training.run import run_training
from sketchpad.training.train import TrainConfig

TINY = VAEConfig(encoder_dim=32, encoder_blocks=1, decoder_dim=32, decoder_blocks=1)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory, timgm):
    folder = tmp_path_factory.mktemp("data")
    build_dataset(folder, soundfont=timgm, limit=16, phrases=1)
    return folder


def test_train_resume_and_export(tiny_data, tmp_path):
    config = TrainConfig(steps=4, batch_size=2, checkpoint_every=2, log_every=1,
                         warmup_steps=2, architecture=TINY)
    lines = []
    out = run_training(data_dir=tiny_data, run_dir=tmp_path / "run", out_dir=tmp_path / "model",
                       name="tiny", config=config, log=lines.append)
    assert any("step 4/4" in line for line in lines)
    state = json.loads((tmp_path / "run" / "checkpoint" / "state.json").read_text())
    assert state["step"] == 4 and len(state["history"]) == 4
    # Resuming continues from the checkpoint instead of starting again.
    config.steps = 6
    lines.clear()
    run_training(data_dir=tiny_data, run_dir=tmp_path / "run", out_dir=tmp_path / "model",
                 name="tiny", config=config, log=lines.append)
    assert any("resuming from step 4" in line for line in lines)
    assert not any("step 2/" in line for line in lines)

    model = SoundModel.load(out, device="cpu")
    info = json.loads((out / "config.json").read_text())
    assert info["name"] == "tiny" and info["training"]["steps"] == 6
    assert info["training_data"]["soundfont"] == "TimGM6mb"
    count = len(info["directions"])
    assert 1 <= count <= TINY.latent_channels  # at most one per item or latent channel
    assert model.extras["directions.vectors"].shape == (count, TINY.latent_channels)
    x = np.random.default_rng(0).standard_normal(44100).astype(np.float32) * 0.1
    assert model.reconstruct(x).shape == x.shape


def test_same_seed_gives_same_weights(tiny_data, tmp_path):
    config = TrainConfig(steps=2, batch_size=2, log_every=1, architecture=TINY)
    outs = []
    for name in ("a", "b"):
        out = run_training(data_dir=tiny_data, run_dir=tmp_path / f"run-{name}",
                           out_dir=tmp_path / name, name=name, config=config, log=lambda _: None)
        outs.append(SoundModel.load(out, device="cpu"))
    x = np.random.default_rng(1).standard_normal(22050).astype(np.float32) * 0.1
    np.testing.assert_array_equal(outs[0].encode(x), outs[1].encode(x))


def test_bf16_runs_the_network_in_bfloat16(tiny_data, tmp_path):
    """bf16 gives the same first loss within rounding, but not bit-identical
    training (so the flag really switched precision), and a usable float32 model."""
    runs = {}
    for bf16 in (False, True):
        config = TrainConfig(steps=2, batch_size=2, log_every=1, bf16=bf16, architecture=TINY)
        out = run_training(data_dir=tiny_data, run_dir=tmp_path / f"run-{bf16}",
                           out_dir=tmp_path / f"m-{bf16}", name="m", config=config, log=lambda _: None)
        state = json.loads((tmp_path / f"run-{bf16}" / "checkpoint" / "state.json").read_text())
        runs[bf16] = (np.array(state["history"]), SoundModel.load(out, device="cpu"))
    (fp32_history, _), (bf16_history, model) = runs[False], runs[True]
    assert np.all(np.isfinite(bf16_history))
    np.testing.assert_allclose(bf16_history[0, 1:3], fp32_history[0, 1:3], rtol=0.05)
    assert not np.array_equal(bf16_history[:, 1:3], fp32_history[:, 1:3])
    info = json.loads((tmp_path / "m-True" / "config.json").read_text())
    assert info["training"]["bf16"] is True
    x = np.random.default_rng(3).standard_normal(22050).astype(np.float32) * 0.1
    y = model.reconstruct(x)
    assert y.dtype == np.float32 and np.all(np.isfinite(y))


def test_torchrun_ddp_with_two_gloo_processes(tiny_data, tmp_path):
    env = {**os.environ, "SKETCHPAD_HOME": str(tmp_path / "home"), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
           "--master_port", "29517", "-m", "sketchpad", "train", "--name", "ddp",
           "--data", str(tiny_data), "--checkpoints", str(tmp_path / "run"), "--out", str(tmp_path / "m"),
           "--steps", "2", "--batch-size", "2"]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "step 2/2" in result.stderr
    assert SoundModel.load(tmp_path / "m", device="cpu").name == "ddp"


def test_refine_decoder_keeps_the_latent_space(tiny_data, tmp_path):
    """`train --refine-decoder`: only the decoder moves, and what depends on the
    latent space (sliders, prompt index) comes along pointing at the new model."""
    base_dir = run_training(data_dir=tiny_data, run_dir=tmp_path / "run-base",
                            out_dir=tmp_path / "models" / "base", name="base",
                            config=TrainConfig(steps=2, batch_size=2, log_every=1,
                                               architecture=TINY),
                            log=lambda _: None)
    env = {**os.environ, "SKETCHPAD_HOME": str(tmp_path / "home")}
    cmd = [sys.executable, "-m", "sketchpad", "train", "--refine-decoder", str(base_dir),
           "--name", "refined", "--data", str(tiny_data), "--checkpoints", str(tmp_path / "run"),
           "--out", str(tmp_path / "models" / "refined"), "--steps", "3", "--batch-size", "2",
           "--upsample", "linear"]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]

    base = SoundModel.load(base_dir, device="cpu")
    refined = SoundModel.load(tmp_path / "models" / "refined", device="cpu")
    assert (base.config.upsample, refined.config.upsample) == ("transposed", "linear")
    x = np.random.default_rng(2).standard_normal(22050).astype(np.float32) * 0.1
    z = base.encode(x)
    np.testing.assert_array_equal(refined.encode(x), z)
    assert not np.allclose(refined.decode(z), base.decode(z), atol=1e-4)
    assert [d.name for d in refined.directions] == [d.name for d in base.directions]
    info = json.loads((tmp_path / "models" / "refined" / "config.json").read_text())
    assert info["training"]["freeze_encoder"] and info["training"]["steps"] == 3
    assert info["training"]["refined_from"]["steps"] == 2
    index = json.loads((tmp_path / "models" / "refined-retrieval" / "config.json").read_text())
    assert index["sound_model"] == "refined"


@pytest.mark.parametrize("extra, message", [
    (["--phrases", "3"], "--phrases cannot be combined with --refine-decoder"),
    ([], "No complete dataset"),
])
def test_refine_decoder_refuses_bad_requests(tmp_path, tiny_model_dir, extra, message):
    env = {**os.environ, "SKETCHPAD_HOME": str(tmp_path / "home")}
    cmd = [sys.executable, "-m", "sketchpad", "train", "--refine-decoder", str(tiny_model_dir),
           "--name", "r", "--data", str(tmp_path / "nothing"), *extra]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stdout == "" and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
