"""Tests for sketchpad.audio.voices: exact voice output, fades, chokes, stealing, the sequencer."""

import time
import tracemalloc

import numpy as np
import pytest

from sketchpad.audio.playback import Player
from sketchpad.audio.voices import SequencePlan, VoiceMixer, plain_sound


def render(mixer, n, block):
    out = np.zeros((n, mixer.channels), np.float32)
    for i in range(0, n, block):
        mixer.mix_into(out[i:i + block])
    return out


def decay(n, freq=220.0, seed=None):
    t = np.arange(n) / 44100
    wave = np.sin(2 * np.pi * freq * t) * np.exp(-t * 3)
    if seed is not None:
        wave = wave + 0.1 * np.random.default_rng(seed).standard_normal(n)
    return wave.astype(np.float32)


def down_ramp(frames):
    return (1.0 - np.arange(1, frames + 1, dtype=np.float64) / frames).astype(np.float32)


@pytest.mark.parametrize("block", [1, 64, 333, 4096])
def test_a_note_plays_its_sound_scaled_by_velocity_from_the_next_block(block):
    sound = plain_sound(decay(3000))
    m = VoiceMixer(2, max_block_frames=256)
    m.mix_into(np.zeros((block, 2), np.float32))  # a block with nothing posted yet
    m.note_on("a", sound, 0.5)
    out = render(m, 4000, block)
    np.testing.assert_array_equal(out[:3000], sound.buffer * np.float32(0.5))
    np.testing.assert_array_equal(out[3000:], 0)
    assert m.active_voices == 0


def test_mixing_adds_to_what_the_buffer_already_holds():
    m = VoiceMixer(2)
    m.note_on("a", plain_sound(np.full(100, 0.25, np.float32)))
    out = np.full((100, 2), 0.5, np.float32)
    m.mix_into(out)
    np.testing.assert_array_equal(out, 0.75)


def test_note_off_releases_a_gated_note_with_a_linear_fade_and_ignores_one_shots():
    release = 100
    m = VoiceMixer(1, release_frames=release)
    tone = np.full(10_000, 0.8, np.float32)
    m.note_on("key", plain_sound(tone, 1), gated=True)
    m.note_on("pad", plain_sound(tone * 0.5, 1), gated=False)
    first = render(m, 500, 500)
    m.note_off("key")
    m.note_off("pad")
    out = render(m, 1000, 50)
    expected = 0.4 + 0.8 * down_ramp(release)
    np.testing.assert_allclose(out[:release, 0], expected, atol=1e-6)
    np.testing.assert_allclose(out[release:, 0], 0.4, atol=1e-7)  # the one-shot plays on
    np.testing.assert_allclose(first[:, 0], 1.2, atol=1e-7)


def test_a_choke_group_cuts_the_earlier_note_at_the_new_hit_without_a_click():
    cut = 32
    m = VoiceMixer(1, cut_frames=cut)
    open_hat = plain_sound(np.full(5000, 0.6, np.float32), 1, choke_group=1)
    closed_hat = plain_sound(np.full(200, 0.2, np.float32), 1, choke_group=1)
    other = plain_sound(np.full(5000, 0.1, np.float32), 1)
    m.note_on("open", open_hat)
    m.note_on("other", other)
    render(m, 300, 300)
    m.note_on("closed", closed_hat)
    out = render(m, 400, 16)[:, 0]
    np.testing.assert_allclose(out[:cut], 0.6 * down_ramp(cut) + 0.2 + 0.1, atol=1e-6)
    np.testing.assert_allclose(out[cut:200], 0.3, atol=1e-6)
    np.testing.assert_allclose(out[200:], 0.1, atol=1e-6)


def test_voice_stealing_fades_the_oldest_note_and_never_clicks():
    m = VoiceMixer(1, polyphony=4, cut_frames=64)
    notes = [plain_sound(decay(30_000, 100.0 + 37 * i), 1) for i in range(6)]
    out = np.zeros((0, 1), np.float32)
    for i, sound in enumerate(notes):
        m.note_on(i, sound, 0.2)
        out = np.concatenate([out, render(m, 2000, 128)])
    sounding = sum(1 for v in range(len(m._buf)) if m._buf[v] is not None and m._fade[v] is None)
    assert sounding == 4
    steps = np.abs(np.diff(out[:, 0]))
    # Six decaying sines at 0.2 each: a stolen voice stopping dead would jump by up to 0.2.
    assert steps.max() < 0.06


def test_a_sequencer_plan_fires_each_hit_at_its_exact_frame():
    a = plain_sound(np.full(10, 1.0, np.float32), 1)
    b = plain_sound(np.full(10, 2.0, np.float32), 1)
    plan = SequencePlan(step_frames=(0, 25, 50, 77), hits=(((0, 1.0),), (), ((1, 0.5),), ((0, 1.0), (1, 1.0))),
                        loop_frames=100)
    m = VoiceMixer(1)
    m.set_sounds([a, b])
    m.set_plan(plan)
    m.start()
    out = render(m, 200, 7)[:, 0]
    expected = np.zeros(200, np.float32)
    for loop in (0, 100):
        expected[loop:loop + 10] += 1.0
        expected[loop + 50:loop + 60] += 1.0
        expected[loop + 77:loop + 87] += 3.0
    np.testing.assert_array_equal(out, expected)


def test_a_changed_sound_is_heard_at_the_next_hit_while_the_sounding_note_plays_on():
    plan = SequencePlan((0,), (((0, 1.0),),), 100)
    m = VoiceMixer(1)
    m.set_sounds([plain_sound(np.full(150, 1.0, np.float32), 1)])
    m.set_plan(plan)
    m.start()
    first = render(m, 50, 50)
    m.set_sounds([plain_sound(np.full(150, 3.0, np.float32), 1)])
    rest = render(m, 100, 50)[:, 0]
    np.testing.assert_array_equal(first[:, 0], 1.0)
    np.testing.assert_array_equal(rest[:50], 1.0)   # the old note goes on
    np.testing.assert_array_equal(rest[50:], 4.0)   # next hit: the new sound, over the old tail


def test_stopping_the_sequence_lets_notes_ring_and_fires_nothing_more():
    m = VoiceMixer(1)
    m.set_sounds([plain_sound(np.full(60, 1.0, np.float32), 1)])
    m.set_plan(SequencePlan((0, 50), (((0, 1.0),), ((0, 1.0),)), 100))
    m.start()
    render(m, 40, 40)
    m.stop_sequence()
    out = render(m, 200, 40)[:, 0]
    np.testing.assert_array_equal(out[:20], 1.0)
    np.testing.assert_array_equal(out[20:], 0.0)
    assert m.current_step == -1


def test_a_full_event_ring_drops_notes_and_counts_them():
    m = VoiceMixer(1, queue_size=4)
    sound = plain_sound(np.ones(10, np.float32), 1)
    assert all(m.note_on(i, sound) for i in range(4))
    assert not m.note_on(99, sound)
    assert m.dropped_events == 1
    render(m, 10, 10)
    assert m.note_on(5, sound)


def test_latency_is_recorded_from_the_time_a_note_reached_the_app():
    m = VoiceMixer(1)
    sound = plain_sound(np.ones(10, np.float32), 1)
    m.note_on("a", sound, at=time.perf_counter() - 0.010)
    render(m, 64, 64)
    latency = m.latencies_ms()
    assert latency.shape == (1,) and 10.0 <= latency[0] < 1000.0


def test_mixing_sixteen_voices_and_a_pattern_allocates_no_buffers():
    m = VoiceMixer(2, polyphony=16)
    sounds = [plain_sound(decay(20_000, 80.0 + 20 * i, seed=i)) for i in range(16)]
    m.set_sounds(sounds)
    m.set_plan(SequencePlan(tuple(range(0, 16 * 2205, 2205)),
                            tuple(((i, 0.7), ((i + 5) % 16, 0.3)) for i in range(16)), 16 * 2205))
    m.start()
    out = np.zeros((512, 2), np.float32)
    for _ in range(50):
        m.mix_into(out)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        for _ in range(300):
            m.mix_into(out)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert m.active_voices >= 10
    assert peak - before < 16 * 1024  # a block of audio is 4 KB: no buffer was made per call


def test_a_note_reaches_a_real_portaudio_stream():
    engine = Player()
    try:
        if not engine.open():
            pytest.fail(f"no output: {engine.status_text}")
        engine.voices.note_on("a", plain_sound(decay(4410)))
        deadline = time.monotonic() + 5
        while engine.voices.latencies_ms().size == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert engine.voices.latencies_ms().size == 1
    finally:
        engine.close()
