"""Note names and frequencies. MIDI 60 = C4 (so 48 = C3 and 69 = A4 = 440 Hz)."""

from __future__ import annotations

import re

_NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def note_name(midi_note: int) -> str:
    """Scientific pitch name with MIDI 60 = C4 (48 = C3, 69 = A4); sharps, no flats."""
    return f"{_NOTE_NAMES[midi_note % 12]}{midi_note // 12 - 1}"


def midi_to_hz(midi_note: float) -> float:
    """Equal-tempered frequency in Hz, A4 (69) = 440 Hz."""
    return 440.0 * 2.0 ** ((midi_note - 69) / 12.0)


_NOTE_PATTERN = re.compile(r"(?<![A-Za-z])([A-Ga-g])(#|b|\u266f|\u266d)?(-?[0-8])(?![0-9])")
_SEMITONES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_ACCIDENTALS = {"#": 1, "\u266f": 1, "b": -1, "\u266d": -1}


def parse_note(text: str) -> int | None:
    """MIDI number of the first note name in ``text`` ('warm pad C3' -> 48), else None.

    Accepts sharps and flats (F#2, Bb4). A lower-case letter counts only with
    an accidental, so 'a4 paper' is not read as A4 by accident.
    """
    for match in _NOTE_PATTERN.finditer(text):
        letter, accidental, octave = match.groups()
        if letter.islower() and not accidental:
            continue
        midi = 12 * (int(octave) + 1) + _SEMITONES[letter.upper()] + _ACCIDENTALS.get(accidental or "", 0)
        if 0 <= midi <= 127:
            return midi
    return None
