"""Tests for sketchpad.audio.playback: exact mixer output and a real PortAudio stream.

The stream tests run on ALSA's null device (set up by tests/conftest.py),
which consumes audio far faster than real time.
"""

import sys
import time
import tracemalloc

import numpy as np
import pytest

from sketchpad.audio.playback import ClipMixer, Player, available_outputs

F = 16  # short fades keep the expected arrays readable


def ramp(n, channels=None, offset=0.0):
    """Distinct float32 value per frame (and per channel): easy to locate."""
    x = np.arange(n, dtype=np.float32) + np.float32(offset)
    if channels is None:
        return x
    return np.stack([x + np.float32(1000 * c) for c in range(channels)], axis=1)


def render(mixer, n, block):
    """Call fill in blocks of ``block`` frames; return all n frames."""
    out = np.full((n, mixer.channels), np.nan, np.float32)
    for i in range(0, n, block):
        mixer.fill(out[i:i + block])
    return out


def gains(k):
    """The documented linear crossfade gains for fade frames k (float32)."""
    k = np.asarray(k, dtype=np.float64)
    return (k / F).astype(np.float32)[:, None], (1.0 - k / F).astype(np.float32)[:, None]


# ------------------------------------------------------------------ ClipMixer
@pytest.mark.parametrize("block", [1, 7, 64, 100, 333, 1000, 5000])
def test_exact_output_across_block_sizes(block):
    clip = ramp(1000, 2)
    m = ClipMixer(channels=2, fade_frames=F, max_block_frames=256)
    m.set_clip(clip)
    out = render(m, 1400, block)  # blocks straddle the end; n > max_block_frames
    np.testing.assert_array_equal(out[:1000], clip)
    np.testing.assert_array_equal(out[1000:], 0)
    assert m.finished and not m.is_playing
    assert m.position_frames == m.clip_frames == 1000


def test_fill_larger_than_max_block_in_one_call():
    clip = ramp(50_000, 2)
    m = ClipMixer(channels=2, fade_frames=F, max_block_frames=1024)
    m.set_clip(clip)
    out = np.empty((60_000, 2), np.float32)
    m.fill(out)
    np.testing.assert_array_equal(out[:50_000], clip)
    np.testing.assert_array_equal(out[50_000:], 0)


def test_mono_duplicated_and_stereo_averaged():
    m = ClipMixer(channels=2, fade_frames=F)
    m.set_clip(ramp(10))
    out = render(m, 10, 10)
    np.testing.assert_array_equal(out, np.stack([ramp(10)] * 2, axis=1))

    stereo = np.stack([ramp(10), ramp(10) * 3 + 1], axis=1)
    mono = ClipMixer(channels=1, fade_frames=F)
    mono.set_clip(stereo)
    out = render(mono, 10, 4)
    np.testing.assert_array_equal(out[:, 0], (stereo[:, 0] + stereo[:, 1]) / np.float32(2))


def test_clip_is_a_private_copy():
    data = ramp(8, 2)
    m = ClipMixer(channels=2, fade_frames=F)
    m.set_clip(data)
    data[:] = -1  # the caller reusing its buffer must not change what plays
    np.testing.assert_array_equal(render(m, 8, 8), ramp(8, 2))


def test_silent_before_any_clip():
    m = ClipMixer(channels=2, fade_frames=F)
    out = render(m, 100, 30)
    np.testing.assert_array_equal(out, 0)
    assert not m.is_playing and m.position_frames == 0 and m.clip_frames == 0


@pytest.mark.parametrize("block", [3, 10, 64, 257])
def test_loop_wraps_exactly(block):
    clip = ramp(10, 2)
    m = ClipMixer(channels=2, fade_frames=F, max_block_frames=64)
    m.set_clip(clip, loop=True)
    out = render(m, 1000, block)
    np.testing.assert_array_equal(out, np.tile(clip, (100, 1)))
    assert m.is_playing and not m.finished
    assert m.position_frames == 0


def test_loop_off_plays_to_end():
    clip = ramp(10, 2)
    m = ClipMixer(channels=2, fade_frames=F)
    m.set_clip(clip, loop=True)
    first = render(m, 25, 25)
    m.set_loop(False)
    rest = render(m, 10, 10)
    np.testing.assert_array_equal(first, np.tile(clip, (3, 1))[:25])
    np.testing.assert_array_equal(rest[:5], clip[5:])
    np.testing.assert_array_equal(rest[5:], 0)
    assert m.finished


def test_seek_crossfades_then_lands_on_exact_frame():
    clip = ramp(1000, 2)
    m = ClipMixer(channels=2, fade_frames=F)
    m.set_clip(clip)
    render(m, 100, 50)
    m.seek(500)
    assert m.position_frames == 500  # visible at once, before the audio thread picks it up
    out = render(m, 100, 32)
    g_in, g_out = gains(np.arange(F))
    expected_fade = clip[500:500 + F] * g_in + clip[100:100 + F] * g_out
    np.testing.assert_array_equal(out[:F], expected_fade)
    np.testing.assert_array_equal(out[F:], clip[500 + F:600])
    assert m.position_frames == 600


def test_seek_while_stopped_moves_position_silently():
    clip = ramp(100, 2)
    m = ClipMixer(channels=2, fade_frames=F)
    m.set_clip(clip)
    m.stop()
    render(m, 10, 10)
    m.seek(40)
    out = render(m, 10, 10)
    np.testing.assert_array_equal(out, 0)
    assert m.position_frames == 40 and not m.is_playing


def test_switch_clip_crossfade_exact_values():
    a = ramp(1000, 2)
    b = ramp(1000, 2, offset=-5000.0)
    m = ClipMixer(channels=2, fade_frames=F)
    m.set_clip(a)
    render(m, 200, 100)
    m.set_clip(b)
    out = render(m, 100, 7)
    g_in, g_out = gains(np.arange(F))
    np.testing.assert_array_equal(out[:F], b[:F] * g_in + a[200:200 + F] * g_out)
    np.testing.assert_array_equal(out[F:], b[F:100])
    assert m.position_frames == 100


def test_switch_during_fade_waits_for_it():
    a, b, c = ramp(100, 2), ramp(100, 2, 500.0), ramp(100, 2, 900.0)
    m = ClipMixer(channels=2, fade_frames=F)
    m.set_clip(a)
    render(m, 10, 10)
    m.set_clip(b)
    first = render(m, 4, 4)  # fade a -> b in progress
    m.set_clip(c)  # adopted when that fade ends
    out = render(m, 40, 40)
    g_in, g_out = gains(np.arange(F))
    fade_ab = b[:F] * g_in + a[10:10 + F] * g_out
    np.testing.assert_array_equal(first, fade_ab[:4])
    np.testing.assert_array_equal(out[:F - 4], fade_ab[4:])
    np.testing.assert_array_equal(out[F - 4:2 * F - 4], c[:F] * g_in + b[F:2 * F] * g_out)


@pytest.mark.parametrize("second", ["dc", "sine"])
def test_switch_has_no_click(second):
    sr, n = 44100, 4096
    t = np.arange(n) / sr
    a = np.full(n, 0.5, np.float32)
    b = (-0.5 * np.ones(n) if second == "dc" else 0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    m = ClipMixer(channels=2, fade_frames=256)
    m.set_clip(a)
    before = render(m, 1000, 500)
    m.set_clip(b)
    after = render(m, 1000, 500)
    y = np.concatenate([before, after])[:, 0]
    # Without the fade the step would be 0.5..1.0; 440 Hz at 0.5 moves <= 0.032 per frame.
    assert np.max(np.abs(np.diff(y))) < 0.04


def test_stop_fades_to_zero_then_silence():
    clip = np.full((10_000, 2), 0.8, np.float32)
    m = ClipMixer(channels=2, fade_frames=F)
    m.set_clip(clip)
    render(m, 100, 100)
    m.stop()
    assert not m.is_playing
    out = render(m, 200, 13)
    _, g_out = gains(np.arange(F))
    np.testing.assert_array_equal(out[:F], clip[100:100 + F] * g_out)
    assert np.all(np.diff(out[:F, 0]) < 0)
    np.testing.assert_array_equal(out[F:], 0)
    assert m.position_frames == 100  # position kept for a resume


def test_resume_after_stop_fades_in():
    clip = ramp(1000, 2)
    m = ClipMixer(channels=2, fade_frames=F)
    m.set_clip(clip)
    render(m, 100, 100)
    m.stop()
    render(m, 50, 50)
    m.set_clip(m.clip, start_frame=m.position_frames)  # reuses the prepared clip
    out = render(m, 50, 50)
    g_in, _ = gains(np.arange(F))
    np.testing.assert_array_equal(out[:F], clip[100:100 + F] * g_in)
    np.testing.assert_array_equal(out[F:], clip[100 + F:150])


def test_fill_allocates_nothing():
    m = ClipMixer(channels=2, fade_frames=256, max_block_frames=1024)
    out = np.zeros((4096, 2), np.float32)  # a temporary of this size would be 32 KiB
    m.set_clip(np.random.default_rng(0).standard_normal((20_000, 2)), loop=True)
    for _ in range(5):  # warm up numpy's internal caches
        m.fill(out)
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for i in range(300):
            # Crossfades, fades and loop wraps all happen inside measured fills;
            # these requests reuse the prepared clip, so they prepare nothing.
            if i % 50 == 10:
                m.seek(1234 * i % 20_000)
            elif i % 50 == 30:
                m.stop()
            elif i % 50 == 40:
                m.set_clip(m.clip, start_frame=i)
            m.fill(out)
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - before < 1024
    assert peak - before < 2048


# --------------------------------------------------------- Player
def test_available_outputs_lists_null_devices():
    names = available_outputs()
    assert "sketchpad_null" in names and "default" in names


@pytest.mark.parametrize("device", [None, "sketchpad_null"])
def test_real_stream_plays_clip(device):
    engine = Player(sample_rate=44100, channels=2, device=device, blocksize=512)
    clip = (0.1 * np.sin(2 * np.pi * 440 * np.arange(44100) / 44100)).astype(np.float32)
    try:
        assert engine.play(clip), engine.status_text
        assert engine.output_name and engine.output_name in engine.status_text
        deadline = time.monotonic() + 3.0
        while not engine.mixer.finished and time.monotonic() < deadline:
            time.sleep(0.01)
        assert engine.mixer.finished
        assert engine.position_seconds == pytest.approx(1.0)
        assert engine.poll()  # a healthy stream is left alone
        # toggle restarts a finished clip, then stops it.
        assert engine.toggle() is True
        assert engine.toggle() is False
        engine.stop()
        assert isinstance(engine.underruns, int)
    finally:
        engine.close()
    assert not engine.is_playing and engine.output_name is None


def test_missing_device_reports_and_does_not_raise():
    bad = Player(device="no such device")
    assert bad.play(np.zeros(1000, np.float32)) is False
    assert "\n" not in bad.status_text
    assert bad.status_text.startswith("No audio output:")
    assert "no such device" in bad.status_text
    assert not bad.is_playing and bad.output_name is None
    assert bad.toggle() is False
    bad.stop(), bad.seek(10), bad.set_loop(True), bad.close()  # all harmless

    good = Player()
    try:
        assert good.play(np.zeros(1000, np.float32), loop=True)
        assert good.is_playing
    finally:
        good.close()


def test_missing_portaudio_reports(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # makes `import sounddevice` fail
    engine = Player()
    assert engine.play(np.zeros(10, np.float32)) is False
    assert engine.status_text.startswith("No audio output: PortAudio unavailable")
    assert available_outputs() == []


def test_poll_recovers_from_dead_stream():
    engine = Player()
    clip = np.zeros(1000, np.float32)
    try:
        assert engine.play(clip, loop=True)
        # Simulate the device going away: the stream stops underneath the engine.
        engine._stream.abort()
        assert engine.poll() is False
        assert "stopped unexpectedly" in engine.status_text
        assert not engine.is_playing and engine.output_name is None
        # The next play opens a fresh stream.
        assert engine.play(clip, loop=True), engine.status_text
        assert engine.poll() is True and engine.is_playing
    finally:
        engine.close()


def test_read_only_prepared_buffer_is_adopted_without_copy():
    # Clip.playback buffers are read-only float32 stereo: starting a ten-minute
    # clip must not copy it on the UI thread.
    from sketchpad.core.clip import playback_buffer

    buffer = playback_buffer(np.zeros((44100, 1), np.float32))
    mixer = ClipMixer(channels=2)
    mixer.set_clip(buffer)
    assert mixer.clip is buffer
    writable = np.zeros((10, 2), np.float32)
    mixer.set_clip(writable)
    assert mixer.clip is not writable and not np.shares_memory(mixer.clip, writable)
