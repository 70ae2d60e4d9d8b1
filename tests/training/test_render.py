import numpy as np

from sketchpad.audio import pitch
from sketchpad.training import phrases, render

RATE = render.RATE


def _f0(x: np.ndarray, rate: int = RATE) -> float:
    """Fundamental estimate by autocorrelation (with parabolic peak interpolation)."""
    x = x - x.mean()
    n = 1 << int(np.ceil(np.log2(2 * len(x))))
    spec = np.fft.rfft(x, n)
    ac = np.fft.irfft(np.abs(spec) ** 2)[: len(x)]
    lo, hi = int(rate / 2000), int(rate / 50)
    lag = lo + int(np.argmax(ac[lo:hi]))
    a, b, c = ac[lag - 1], ac[lag], ac[lag + 1]
    lag = lag + 0.5 * (a - c) / (a - 2 * b + c)
    return rate / lag


def test_piano_a4_renders_at_440(timgm):
    audio = render.render_note(timgm.path, 0, 0, 69, 100, hold_seconds=1.0)
    assert audio.dtype == np.float32 and audio.ndim == 2 and audio.shape[1] == 2
    assert np.abs(audio).max() > 0.005
    f0 = _f0(audio[int(0.05 * RATE): int(0.45 * RATE)].mean(axis=1))
    assert abs(f0 - 440.0) / 440.0 < 0.02


def test_release_tail_exists_and_decays(timgm):
    hold = 0.5
    audio = render.render_note(timgm.path, 0, 48, 60, 100, hold_seconds=hold, total_seconds=2.0)
    x = audio.mean(axis=1)
    assert len(x) > int((hold + 0.1) * RATE), "no release after note-off"
    assert len(x) <= 2 * RATE
    before = np.sqrt(np.mean(x[int((hold - 0.1) * RATE): int(hold * RATE)] ** 2))
    after = np.sqrt(np.mean(x[int((hold + 0.05) * RATE): int((hold + 0.15) * RATE)] ** 2))
    end = np.sqrt(np.mean(x[-int(0.05 * RATE):] ** 2))
    assert after > 0 and end < after < before * 1.5
    assert abs(x[-1]) < 1e-3  # faded out, no click


def test_renders_do_not_bleed(timgm):
    r = render.renderer_for(timgm.path)
    r.note(0, 89, 60, 127, hold_seconds=1.0, total_seconds=1.05)  # pad cut while loud
    quiet = r.note(0, 0, 60, 20, hold_seconds=0.05, total_seconds=0.1)
    fresh = render.SoundfontRenderer(timgm.path)
    try:
        ref = fresh.note(0, 0, 60, 20, hold_seconds=0.05, total_seconds=0.1)
    finally:
        fresh.close()
    # Chorus modulation phase differs between synths, so compare energy, not samples:
    # a bleeding pad at velocity 127 would swamp a velocity-20 piano note.
    assert quiet.shape == ref.shape and len(ref) > 0
    rms = lambda a: float(np.sqrt(np.mean(a.astype(np.float64) ** 2)))  # noqa: E731
    assert abs(rms(quiet) / rms(ref) - 1.0) < 0.1


def test_drum_kit_renders(timgm):
    kick = render.render_note(timgm.path, 128, 0, 36, 110, hold_seconds=0.2)
    assert np.abs(kick).max() > 0.005 and len(kick) < 2 * RATE


def test_render_midi_phrase(timgm):
    ph = phrases.make_phrase(1, 0)
    audio = render.render_midi(timgm.path, ph.midi)
    assert audio.shape[1] == 2 and np.abs(audio).max() > 0.005
    assert len(audio) / RATE >= ph.seconds - 0.5


def test_finish_tail_trims_silence():
    x = np.zeros((RATE, 2), np.float32)
    x[:1000] = 0.5
    out = render.finish_tail(x)
    assert 1000 <= len(out) <= 1000 + int(0.011 * RATE)
    assert len(render.finish_tail(np.zeros((100, 2), np.float32))) == 0
    assert pitch.midi_to_hz(69) == 440.0
