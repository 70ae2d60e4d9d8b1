"""The decoded-mel oracle of encode_fit: renderings between the true and the decoded mel."""

import numpy as np

from sketchpad.engine.model import SoundModel
from sketchpad.engine.registry import find_model
from sketchpad_measure.quality.encode_fit import interpolated_renderings
from sketchpad_measure.quality.metrics import multi_resolution_stft_distance


def test_renderings_move_from_the_true_mel_to_the_round_trip():
    model = SoundModel.load(find_model("sketch-mel"), device="cpu")
    t = np.arange(44100) / 44100
    tone = (sum(0.2 / k * np.sin(2 * np.pi * 110 * k * t) for k in range(1, 9)) * np.exp(-3 * t)).astype(np.float32)
    renders = interpolated_renderings(model, tone, alphas=(0.0, 0.5, 1.0))
    assert all(r.shape == tone.shape for r in renders)
    distance = [multi_resolution_stft_distance(tone, r) for r in renders]
    assert distance[0] < distance[2]  # the decoded mel loses what the true mel keeps
    assert not np.allclose(renders[1], renders[0], atol=1e-4) and not np.allclose(renders[1], renders[2], atol=1e-4)
