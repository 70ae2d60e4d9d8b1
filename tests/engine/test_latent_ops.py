import numpy as np

from sketchpad.engine.directions import Direction
from sketchpad.engine.latent_ops import SliderState, apply_sliders, smooth

rng = np.random.default_rng(0)
Z = rng.standard_normal((2, 4, 30)).astype(np.float32)
DIRECTION = Direction("Brightness", np.array([1, 0, 0, 0], np.float32), scale=0.5, correlation=0.8)


def test_neutral_sliders_change_nothing():
    np.testing.assert_array_equal(apply_sliders(Z, SliderState(), [DIRECTION]), Z)


def test_direction_moves_every_frame_by_amount_times_scale():
    out = apply_sliders(Z, SliderState(directions={"Brightness": 2.0}), [DIRECTION])
    np.testing.assert_allclose(out[:, 0] - Z[:, 0], 1.0, atol=1e-6)
    np.testing.assert_array_equal(out[:, 1:], Z[:, 1:])


def test_gain_noise_smoothing():
    np.testing.assert_allclose(apply_sliders(Z, SliderState(gain=1.5), []), Z * 1.5, rtol=1e-6)
    noisy = apply_sliders(Z, SliderState(noise=0.5, noise_seed=3), [])
    again = apply_sliders(Z, SliderState(noise=0.5, noise_seed=3), [])
    np.testing.assert_array_equal(noisy, again)
    assert 0.4 < np.std(noisy - Z) < 0.6
    smoothed = smooth(Z, 1.0)
    assert smoothed.shape == Z.shape
    assert np.abs(np.diff(smoothed, axis=2)).mean() < 0.5 * np.abs(np.diff(Z, axis=2)).mean()
