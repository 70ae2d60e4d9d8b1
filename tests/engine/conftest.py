"""One small, randomly initialised sound model for the engine tests.

Untrained on purpose: these tests check plumbing (shapes, chunking, files,
blending maths), which does not need good sound, and a tiny model keeps them fast.
"""

import pytest
import torch

from sketchpad.engine.model import SoundModel, save_sound_model
from sketchpad.engine.vae import SoundVAE, VAEConfig

TINY = VAEConfig(encoder_dim=32, encoder_blocks=1, decoder_dim=32, decoder_blocks=1)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    torch.manual_seed(0)
    return save_sound_model(tmp_path_factory.mktemp("m") / "tiny", SoundVAE(TINY), name="tiny")


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir):
    return SoundModel.load(tiny_model_dir, device="cpu")
