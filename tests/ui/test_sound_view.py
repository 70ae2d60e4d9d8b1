"""The waveform and spectrogram views share one time axis that fits each new sound."""

import numpy as np

from sketchpad.core.clip import make_clip
from sketchpad.ui.sound_view import SoundView

RATE = 44100


def _tone(seconds):
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def test_a_longer_sound_after_a_short_one_shows_whole_in_both_views(qtbot):
    view = SoundView()
    qtbot.addWidget(view)
    view.resize(800, 500)
    view.show()
    for seconds in (0.5, 2.0):
        view.set_clip(make_clip(f"{seconds} s", _tone(seconds), RATE))
        qtbot.waitUntil(lambda: view.spectrogram.clip is not None
                        and view.spectrogram.clip.duration_seconds == seconds, timeout=2000)
        for plot in (view.waveform, view.spectrogram):
            low, high = plot.viewRange()[0]
            assert abs(low) < 1e-6 and abs(high - seconds) < 0.02, (plot, seconds, low, high)
