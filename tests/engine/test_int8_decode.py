"""int8 linear layers for decoding on the CPU, where a model's config asks for them."""

import numpy as np
import torch

from sketchpad.engine.model import SoundModel, save_sound_model
from sketchpad.engine.mel_vae import MelVAE, MelVAEConfig
from sketchpad.engine.vocoder import MelVocoderNet, VocoderConfig, save_vocoder


def _pair(root, int8: bool) -> SoundModel:
    torch.manual_seed(0)
    flag = {"cpu_int8": True} if int8 else {}
    voc = save_vocoder(root / "voc", MelVocoderNet(VocoderConfig(dim=32, blocks=2)), name="voc",
                       extra_config={"refine_iterations": 2, **flag})
    vae = MelVAE(MelVAEConfig(latent_channels=8, dim=32, encoder_blocks=1, decoder_blocks=2))
    folder = save_sound_model(root / "mel", vae, name="mel", extra_config={"vocoder": str(voc), **flag})
    return SoundModel.load(folder, device="cpu")


def test_int8_decodes_close_to_float_and_leaves_the_float_modules_alone(tmp_path):
    plain, fast = _pair(tmp_path / "a", False), _pair(tmp_path / "b", True)
    quantised = torch.ao.nn.quantized.dynamic.Linear
    assert not any(isinstance(m, quantised) for m in plain.decoder.modules())
    assert any(isinstance(m, quantised) for m in fast.decoder.modules())
    assert any(isinstance(m, quantised) for m in fast.vocoder.inference_net.modules())
    # training and saving see float32 layers only
    for module in (fast.vae, fast.vocoder.net):
        assert not any(isinstance(m, quantised) for m in module.modules())
    latents = np.random.default_rng(0).standard_normal((1, 8, 40)).astype(np.float32)
    for refine in (False, True):
        a, b = plain.decode(latents, refine=refine), fast.decode(latents, refine=refine)
        assert a.shape == b.shape
        assert not np.array_equal(a, b)  # the int8 layers really ran
        assert np.corrcoef(a[:, 0], b[:, 0])[0, 1] > 0.95
