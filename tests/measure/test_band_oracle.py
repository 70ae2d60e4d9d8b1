"""The band-energy oracle: three renderings of one sound through the shipped model."""

import numpy as np
import torch

from sketchpad.engine.model import SoundModel
from sketchpad.engine.registry import find_model
from sketchpad_measure.quality.band_oracle import three_renderings
from sketchpad_measure.quality.metrics import multi_resolution_stft_distance


def test_the_oracle_is_a_third_rendering_between_the_stage_and_the_round_trip():
    model = SoundModel.load(find_model("sketch-mel"), device="cpu")
    t = np.arange(44100) / 44100
    tone = (sum(0.2 / k * np.sin(2 * np.pi * 196 * k * t) for k in range(1, 7)) * np.exp(-3 * t)).astype(np.float32)
    with torch.inference_mode():
        stage, trip, oracle = three_renderings(model, tone)
    assert len(stage) == len(trip) == len(oracle) >= 44100 - model.vocoder.config.spectral.hop_samples
    n = min(len(tone), len(stage))
    distance = [multi_resolution_stft_distance(tone[:n], r[:n]) for r in (stage, trip, oracle)]
    assert distance[0] < distance[1]  # the latent model loses something the vocoder stage keeps
    assert not np.allclose(oracle, trip, atol=1e-4) and not np.allclose(oracle, stage, atol=1e-4)
