"""int8 linear layers for drafts on the CPU, where a model's config asks for them."""

import numpy as np
import torch

from sketchpad.engine.model import SoundModel, save_sound_model
from sketchpad.engine.mel_vae import MelVAE, MelVAEConfig
from sketchpad.engine.vocoder import MelVocoderNet, VocoderConfig, save_vocoder

QUANTISED = torch.ao.nn.quantized.dynamic.Linear


def _pair(root, int8: bool) -> SoundModel:
    torch.manual_seed(0)
    flag = {"cpu_int8": True} if int8 else {}
    voc = save_vocoder(root / "voc", MelVocoderNet(VocoderConfig(dim=32, blocks=2)), name="voc",
                       extra_config={"refine_iterations": 2, **flag})
    vae = MelVAE(MelVAEConfig(latent_channels=8, dim=32, encoder_blocks=1, decoder_blocks=2))
    folder = save_sound_model(root / "mel", vae, name="mel", extra_config={"vocoder": str(voc), **flag})
    return SoundModel.load(folder, device="cpu")


def _quantised(module) -> bool:
    return any(isinstance(m, QUANTISED) for m in module.modules())


def test_drafts_decode_with_int8_and_everything_else_stays_float(tmp_path):
    plain, fast = _pair(tmp_path / "a", False), _pair(tmp_path / "b", True)
    assert not _quantised(plain.draft_decoder) and not _quantised(plain.vocoder.draft_net)
    assert _quantised(fast.draft_decoder) and _quantised(fast.vocoder.draft_net)
    for module in (fast.vae, fast.vocoder.net):  # training, saving and finished decodes
        assert not _quantised(module)
    latents = np.random.default_rng(0).standard_normal((1, 8, 40)).astype(np.float32)
    np.testing.assert_array_equal(plain.decode(latents), fast.decode(latents))
    np.testing.assert_array_equal(plain.decode(latents, refine=False), fast.decode(latents, refine=False))
    a = plain.decode(latents, refine=False, fast=True)
    b = fast.decode(latents, refine=False, fast=True)
    assert not np.array_equal(a, b)  # the int8 layers really ran
    assert np.corrcoef(a[:, 0], b[:, 0])[0, 1] > 0.95


def test_a_finished_decode_does_not_depend_on_its_batch(tmp_path):
    """Why int8 is kept to drafts: its activations are scaled per batch. Finished decodes
    (and the decodes a file's residual cancels against) must not change with company."""
    model = _pair(tmp_path, True)
    rng = np.random.default_rng(1)
    one = rng.standard_normal((1, 8, 40)).astype(np.float32)
    loud = 4 * rng.standard_normal((1, 8, 40)).astype(np.float32)
    alone = model.decode(one, refine=False)[:, 0]
    together = model.decode(np.concatenate([one, loud]), refine=False)[:, 0]
    np.testing.assert_allclose(alone, together, atol=1e-5)
