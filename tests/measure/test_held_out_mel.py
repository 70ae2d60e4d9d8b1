"""The held-out mel proxy reads a shipped model and a training checkpoint alike."""

import numpy as np
import torch

from sketchpad.engine.mel_vae import MelVAE, MelVAEConfig
from sketchpad.engine.registry import find_model
from sketchpad.training.checkpoint import save_checkpoint
from sketchpad.training.run_latent import mel_errors
from sketchpad_measure.quality.eval_data import EvalItem
from sketchpad_measure.quality.held_out_mel import held_out_mel, load_latent


def _tone(hz: float) -> np.ndarray:
    t = np.arange(44100) / 44100
    return (sum(0.2 / k * np.sin(2 * np.pi * hz * k * t) for k in range(1, 7)) * np.exp(-3 * t)).astype(np.float32)


def test_a_trained_model_beats_an_untrained_checkpoint_on_held_out_sounds(tmp_path):
    items = [EvalItem(f"tone{hz}", "oneshots", "test", _tone(hz)) for hz in (110.0, 196.0, 330.0)]
    shipped, what = load_latent(str(find_model("sketch-mel")))
    assert "model at step" in what
    fresh = MelVAE(MelVAEConfig(latent_channels=8, dim=16, encoder_blocks=1, decoder_blocks=1))
    optimizer = torch.optim.AdamW(fresh.parameters())
    save_checkpoint(tmp_path / "checkpoint", {"mel_vae": (fresh, optimizer)}, 7, np.random.default_rng(0), [],
                    {"training": {"architecture": fresh.config.to_dict()}})
    untrained, what = load_latent(str(tmp_path))  # a run folder: its checkpoint is read
    assert what == "checkpoint at step 7" and untrained.config.latent_channels == 8
    good, bad = held_out_mel(shipped, items), held_out_mel(untrained, items)
    assert good["items"] == 3 and good["mel_l1"] < bad["mel_l1"] and good["mel_l1_loud"] < bad["mel_l1_loud"]
    l1, loud, means = mel_errors(shipped, items[0].audio)
    assert means.shape[0] == 32 and 0 < l1 and 0 < loud
