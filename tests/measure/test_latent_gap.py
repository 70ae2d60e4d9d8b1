"""The amortisation-gap measure: refining a latent lowers the decoder's own error."""

import numpy as np
import torch

from sketchpad.engine.mel_vae import MelVAE, MelVAEConfig
from sketchpad_measure.quality.latent_gap import refined_mel_l1


def test_refining_the_latent_lowers_the_mel_error():
    torch.manual_seed(0)
    vae = MelVAE(MelVAEConfig(latent_channels=4, dim=16, encoder_blocks=1, decoder_blocks=1)).eval()
    for p in vae.parameters():
        p.requires_grad_(False)
    t = np.arange(22050) / 44100
    errors = refined_mel_l1(vae, (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), steps=30)
    assert sorted(errors) == [0, 25, 30]
    assert errors[30] < errors[25] < 0.97 * errors[0]  # keeps falling: the gradient reaches the latent
