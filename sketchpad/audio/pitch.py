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


def strip_note(text: str) -> str:
    """``text`` without note names ("warm pad C3" -> "warm pad"), where the note is given apart."""
    parts = (" ".join(part.split()) for part in _NOTE_PATTERN.sub(" ", text).split(","))
    return ", ".join(part for part in parts if part)


def estimate_midi(audio, rate: int, near: int, span: float = 7.0) -> float | None:
    """The played note of a mono one-shot as a fractional MIDI number, searched within
    ``span`` semitones of ``near`` (YIN over the second after the peak), or None if unclear.

    The narrow window keeps harmonics and the codec's 43 Hz frame buzz out of the answer.
    """
    import librosa
    import numpy as np

    audio = np.asarray(audio, np.float32)
    if audio.size < 4096 or not np.any(audio):
        return None
    start = int(np.argmax(np.abs(audio)))
    piece = audio[start: start + rate]
    if piece.size < 4096:
        piece = audio[-rate:]
    low, high = midi_to_hz(near - span), midi_to_hz(near + span)
    frame = max(2048, int(2 ** np.ceil(np.log2(3 * rate / low))))
    if piece.size < frame:
        piece = np.pad(piece, (0, frame - piece.size))
    f0 = librosa.yin(piece, fmin=low, fmax=high, sr=rate, frame_length=frame)
    f0 = f0[(f0 > low * 1.01) & (f0 < high * 0.99)]
    if f0.size < 3:
        return None
    return float(69 + 12 * np.log2(np.median(f0) / 440.0))


def warm_pitch_estimation() -> None:
    """Import (and so compile) librosa's pitch tracking now, on the calling thread.

    Its first use costs about a second of imports and numba compilation; the app
    pays it while the model loads, not in the first pitched prompt."""
    import librosa

    librosa.yin  # noqa: B018 - resolving the lazy attribute imports librosa.core.pitch
