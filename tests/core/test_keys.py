"""Tests for sketchpad.core.keys: note routing, transposition and the computer keyboard layout."""

import numpy as np
import pytest

from sketchpad.audio.voices import VoiceMixer
from sketchpad.core.clip import Origin, make_clip
from sketchpad.core.keys import Keys
from sketchpad.core.kit import FIRST_PAD_NOTE, Kit
from tests.audio.test_voices import render as render_blocks
from tests.core.test_kit import dominant_hz

RATE = 44100


def tone(freq=440.0, seconds=1.0, prompt=None):
    t = np.arange(int(seconds * RATE)) / RATE
    wave = (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return make_clip("tone", wave, RATE, origin=Origin(prompt=prompt) if prompt else None)


def render(mixer, frames, block=512):
    return render_blocks(mixer, frames, block)


@pytest.fixture
def keys():
    kit = Kit()
    mixer = VoiceMixer(2)
    kit.attach(mixer)
    keys = Keys(kit, mixer)
    return keys


def test_the_sound_on_show_plays_transposed_from_its_root_note(keys):
    keys.set_sound(tone(440.0, prompt="sine A4"))  # A4 = MIDI 69
    assert keys.note_on(69 + 7, 127)
    out = render(keys.mixer, 22050)
    assert abs(dominant_hz(out[2000:20000, 0]) - 440.0 * 2 ** (7 / 12)) < 8.0
    keys.note_off(69 + 7)
    tail = render(keys.mixer, 4096)
    assert np.abs(tail[1000:]).max() == 0.0  # released, with its fade, within a few ms


def test_a_sound_of_unknown_pitch_plays_as_it_is_on_middle_c(keys):
    clip = tone(300.0)
    keys.set_sound(clip)
    keys.note_on(60, 127)
    out = render(keys.mixer, 4096)
    np.testing.assert_allclose(out[:, 0], clip.playback[:4096, 0], atol=1e-6)


def test_kit_mode_plays_one_pad_per_note_and_ignores_note_off(keys):
    keys.kit.assign(2, tone(200.0, 0.5))
    keys.set_mode("kit")
    assert not keys.note_on(FIRST_PAD_NOTE + 1)  # an empty pad
    assert keys.note_on(FIRST_PAD_NOTE + 2, 64)
    keys.note_off(FIRST_PAD_NOTE + 2)
    out = render(keys.mixer, 8192)
    expected = keys.kit.sound(2).buffer[:8192] * np.float32(64 / 127)
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_computer_keyboard_layout_octaves_and_velocity(keys):
    played = []
    keys.note_on = lambda note, velocity=100, at=None: played.append((note, velocity))
    keys.note_off = lambda note: played.append(("off", note))
    assert keys.key_down("a") and keys.key_down("A")  # the second is auto-repeat: ignored
    assert keys.key_up("a")
    assert keys.key_down("k")
    keys.key_up("k")
    assert keys.key_down("x") and keys.key_down("w")
    keys.key_up("w")
    assert keys.key_down("c") and keys.key_down("e")
    keys.key_up("e")
    assert not keys.key_down("q") and not keys.key_down("1")
    # a = C4 (60), k = C5; x moves up an octave (w = C#5); c lowers the velocity by 20 (e = D#5).
    assert played == [(60, 100), ("off", 60), (72, 100), ("off", 72), (73, 100), ("off", 73),
                      (75, 80), ("off", 75)]


def test_kit_mode_puts_pad_one_under_a(keys):
    keys.set_mode("kit")
    assert keys.base_note() == FIRST_PAD_NOTE


def test_release_all_lets_go_of_held_keys(keys):
    keys.set_sound(tone())
    keys.key_down("a")
    keys.key_down("s")
    keys.release_all()
    render(keys.mixer, 512)
    render(keys.mixer, 2048)
    assert keys.mixer.active_voices == 0
