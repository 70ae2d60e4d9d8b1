import numpy as np
import pytest

from sketchpad.audio.beats import beat_times

RATE = 44100


def click_track(bpm: float, seconds: float, offset: float = 0.0) -> np.ndarray:
    audio = np.zeros(int(seconds * RATE), np.float32)
    burst = (np.random.default_rng(0).standard_normal(800) * np.hanning(800)).astype(np.float32)
    for t in np.arange(offset, seconds - 0.05, 60.0 / bpm):
        i = int(t * RATE)
        audio[i: i + 800] += burst
    return np.stack([audio, audio], axis=1) * 0.5


@pytest.mark.parametrize("bpm", [100.0, 128.0])
def test_beats_of_a_click_track_fall_on_the_clicks(bpm):
    beats = beat_times(click_track(bpm, 12.0, offset=0.25), RATE)
    period = 60.0 / bpm
    assert len(beats) >= 12
    assert np.median(np.diff(beats)) == pytest.approx(period, rel=0.05)
    phase = (beats - 0.25) / period
    assert np.median(np.abs(phase - np.round(phase))) < 0.1  # on the clicks, not between them


def test_silence_and_tiny_sounds_have_no_beats():
    assert beat_times(np.zeros((RATE * 4, 2), np.float32), RATE).size == 0
    assert beat_times(np.ones(100, np.float32), RATE).size == 0
