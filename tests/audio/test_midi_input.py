"""Tests for sketchpad.audio.midi_input: real ports where the kernel has a sequencer,
the one-line message where it does not, and message decoding either way."""

import os
import time

import mido
import pytest

from sketchpad.audio.midi_input import MidiInput, input_ports, midi_unavailable_reason
from sketchpad.errors import AudioDeviceError


def recorder():
    events = []
    midi = MidiInput(lambda note, velocity, at: events.append(("on", note, velocity, at)),
                     lambda note: events.append(("off", note)))
    return midi, events


def test_note_messages_are_decoded_and_stamped_on_arrival():
    midi, events = recorder()
    before = time.perf_counter()
    midi._received(mido.Message("note_on", note=60, velocity=90))
    midi._received(mido.Message("note_on", note=60, velocity=0))  # running-status note-off
    midi._received(mido.Message("note_off", note=62, velocity=40))
    midi._received(mido.Message("control_change", control=64, value=127))
    assert [e[:3] for e in events] == [("on", 60, 90), ("off", 60), ("off", 62)]
    assert before <= events[0][3] <= time.perf_counter()


def test_a_port_opens_where_the_kernel_has_a_sequencer_and_says_why_where_not():
    midi, events = recorder()
    if not os.path.exists("/dev/snd/seq"):  # as on this project's machines
        reason = midi_unavailable_reason()
        assert reason and "\n" not in reason
        assert input_ports() == []
        with pytest.raises(AudioDeviceError) as err:
            midi.open()
        assert "\n" not in str(err.value) and "MIDI" in str(err.value)
        assert not midi.is_open
        return
    name = midi.open("Sketchpad test", virtual=True)
    try:
        with mido.open_output(next(n for n in mido.get_output_names() if name in n)) as out:
            out.send(mido.Message("note_on", note=64, velocity=100))
            deadline = time.monotonic() + 2
            while not events and time.monotonic() < deadline:
                time.sleep(0.01)
        assert events and events[0][:3] == ("on", 64, 100)
    finally:
        midi.close()
