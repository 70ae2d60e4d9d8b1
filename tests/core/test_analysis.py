import numpy as np
import pytest

from sketchpad.audio.analysis import BASE_BLOCK, PeakPyramid, display_spectrogram

RATE = 44100


@pytest.fixture(scope="module")
def noise_stereo():
    rng = np.random.default_rng(1)
    return rng.uniform(-1, 1, size=(RATE * 7 + 123, 2)).astype(np.float32)


def test_pyramid_envelope_matches_brute_force(noise_stereo):
    pyramid = PeakPyramid.build(noise_stereo)
    start, stop, columns = 10_000, 250_000, 300
    pos, mins, maxs = pyramid.envelope(start, stop, columns)
    assert mins.shape == maxs.shape == (len(pos), 2)
    assert 0 < len(pos) <= columns * 2
    # Each column covers [pos[i], pos[i+1]) in whole blocks; compare with the raw data.
    for i in range(len(pos) - 1):
        a, b = int(pos[i]), int(pos[i + 1])
        block = noise_stereo[a:b]
        np.testing.assert_array_equal(mins[i], block.min(axis=0))
        np.testing.assert_array_equal(maxs[i], block.max(axis=0))


def test_pyramid_whole_file_extremes_and_levels(noise_stereo):
    pyramid = PeakPyramid.build(noise_stereo)
    assert pyramid.block_sizes[0] == BASE_BLOCK
    coarsest_lo, coarsest_hi = pyramid.levels[-1]
    assert coarsest_lo.shape == (1, 2)
    np.testing.assert_array_equal(coarsest_lo[0], noise_stereo.min(axis=0))
    np.testing.assert_array_equal(coarsest_hi[0], noise_stereo.max(axis=0))


def test_close_zoom_returns_raw_samples(noise_stereo):
    pyramid = PeakPyramid.build(noise_stereo)
    pos, mins, maxs = pyramid.envelope(1000, 1100, 400)
    np.testing.assert_array_equal(pos, np.arange(1000, 1100))
    np.testing.assert_array_equal(mins, noise_stereo[1000:1100])


def test_ten_minute_envelope_is_small():
    samples = np.zeros((RATE * 600, 1), np.float32)
    samples[RATE * 300, 0] = 0.9  # one click in the middle must survive
    pyramid = PeakPyramid.build(samples)
    pos, mins, maxs = pyramid.envelope(0, samples.shape[0], 1500)
    assert len(pos) <= 3000
    assert maxs.max() == pytest.approx(0.9)


def test_spectrogram_puts_a_sine_in_the_right_band():
    t = np.arange(RATE * 2) / RATE
    sine = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    spec = display_spectrogram(sine, RATE)
    columns, bins = spec.db.shape
    assert bins == 128 and columns == pytest.approx(len(sine) / spec.hop_samples, abs=2)
    peak_bin = int(np.argmax(spec.db[columns // 2]))
    assert abs(spec.mel_hz[peak_bin] - 1000) / 1000 < 0.1
    assert spec.db[columns // 2].max() > -15  # about -6 dB for a 0.5 sine, mel-smeared
    assert np.isfinite(spec.db).all() and spec.db.min() >= spec.floor_db


def test_long_spectrogram_has_bounded_columns():
    long = np.zeros(RATE * 600, np.float32)
    spec = display_spectrogram(long, RATE, max_columns=6000)
    assert spec.db.shape[0] <= 6000
