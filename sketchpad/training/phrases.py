"""Short programmatic multi-instrument phrases (as ``pretty_midi.PrettyMIDI``).

Each phrase is 4-8 s of music in 4/4: a drum groove, a bass line, a chord
progression on a pad/piano/organ/strings/guitar, or a mixture, chosen and
filled in deterministically from ``(seed, index)``. Times are seconds,
pitches MIDI notes. The caption says what is in it, e.g.
"drum groove, 120 bpm, rock, with bass and piano chords, in A minor".
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sketchpad.training import gm
from sketchpad.training.render import import_quietly

if TYPE_CHECKING:
    import pretty_midi


def _pretty_midi():
    """pretty_midi, imported on first use: it is a training extra (``pip install '.[train]'``)."""
    return import_quietly("pretty_midi")

# 16-step patterns (one bar of sixteenths), "x" = hit, "o" = accented hit.
GROOVES = {
    "rock": {gm.KICK: "o-------o-x-----", gm.SNARE: "----o-------o---", gm.CLOSED_HAT: "x-x-x-x-x-x-x-x-"},
    "four on the floor": {gm.KICK: "o---o---o---o---", gm.CLAP: "----o-------o---",
                          gm.OPEN_HAT: "--x---x---x---x-", gm.CLOSED_HAT: "x---x---x---x---"},
    "funk": {gm.KICK: "o-----x---o--x--", gm.SNARE: "----o--x-x--o---", gm.CLOSED_HAT: "xxxxxxxxxxxxxxxx"},
    "half-time": {gm.KICK: "o-------------x-", gm.SNARE: "--------o-------", gm.CLOSED_HAT: "x-x-x-x-x-x-x-x-"},
    "hip hop": {gm.KICK: "o-----x---x-----", gm.SNARE: "----o-------o---", gm.CLOSED_HAT: "x-x-x-x-x-x-x-xx"},
    "jazz ride": {gm.RIDE: "x--xx--xx--xx--x", gm.PEDAL_HAT: "----x-------x---", gm.KICK: "o---------------"},
}
TEMPO_RANGE = {"rock": (100, 140), "four on the floor": (115, 130), "funk": (90, 115),
               "half-time": (70, 90), "hip hop": (80, 98), "jazz ride": (100, 160)}
KITS = {"rock": (0, 8, 16), "four on the floor": (24, 25), "funk": (0, 8), "half-time": (0, 16, 25),
        "hip hop": (25, 0), "jazz ride": (32, 40)}

CHORD_INSTRUMENTS = {"piano": (0, 1, 4), "pad": (88, 89, 91, 94), "organ": (16, 17, 19),
                     "strings": (48, 49, 50), "guitar": (24, 25, 27)}
BASS_PROGRAMS = (32, 33, 34, 35, 38, 39)
_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_MINOR = (0, 2, 3, 5, 7, 8, 10)
# Progressions as scale degrees (0-based) per mode.
PROGRESSIONS = {"major": ((0, 4, 5, 3), (0, 3, 0, 4), (1, 4, 0, 0), (0, 5, 3, 4)),
                "minor": ((0, 5, 2, 6), (0, 3, 4, 0), (0, 6, 5, 4), (0, 3, 6, 2))}
ARRANGEMENTS = ("drums", "drums+bass", "drums+bass+chords", "drums+chords", "bass+chords", "chords")


@dataclass(frozen=True)
class Phrase:
    """A generated phrase: the MIDI, its caption, tempo (bpm), length (s) and parts."""

    midi: pretty_midi.PrettyMIDI
    caption: str
    tempo: float
    seconds: float
    parts: tuple[str, ...]


def _note(inst, pitch, start, end, velocity):
    pretty_midi = _pretty_midi()
    inst.notes.append(pretty_midi.Note(velocity=int(max(1, min(127, velocity))), pitch=int(pitch),
                                       start=float(start), end=float(end)))


def _chord(key: int, mode: str, degree: int) -> list[int]:
    scale = _MAJOR if mode == "major" else _MINOR
    return [key + scale[(degree + k) % 7] + 12 * ((degree + k) // 7) for k in (0, 2, 4)]


def make_phrase(seed: int, index: int = 0) -> Phrase:
    """Phrase number ``index`` of the family generated from ``seed``; same inputs, same phrase."""
    pretty_midi = _pretty_midi()
    rng = random.Random(f"sketchpad-phrase:{seed}:{index}")
    arrangement = rng.choice(ARRANGEMENTS)
    style = rng.choice(sorted(GROOVES))
    tempo = float(rng.randint(*TEMPO_RANGE[style]))
    bar = 240.0 / tempo
    bars = int(8.0 // bar)  # tempos 70-160 bpm: 2-5 bars, 4.5-8 s
    step = bar / 16
    mode = rng.choice(("major", "minor"))
    key = 45 + rng.randrange(12)  # chord root octave around A2-G#3
    progression = rng.choice(PROGRESSIONS[mode])
    pm = pretty_midi.PrettyMIDI(initial_tempo=tempo)
    parts: list[str] = []
    chord_kind = None

    if "drums" in arrangement:
        drums = pretty_midi.Instrument(program=rng.choice(KITS[style]), is_drum=True, name="drums")
        for b in range(bars):
            for note, pattern in GROOVES[style].items():
                for i, ch in enumerate(pattern):
                    if ch == "-" or (ch == "x" and rng.random() < 0.05):
                        continue
                    vel = (110 if ch == "o" else 80) + rng.randint(-8, 8)
                    t = (b * 16 + i) * step
                    _note(drums, note, t, t + step * 0.9, vel)
        crash = rng.random() < 0.5
        if crash:
            _note(drums, gm.CRASH, 0.0, step * 4, 100)
        pm.instruments.append(drums)
        parts.append("drums")

    if "bass" in arrangement:
        bass = pretty_midi.Instrument(program=rng.choice(BASS_PROGRAMS), name="bass")
        figure = rng.choice(("roots", "root-fifth", "octaves", "eighths"))
        for b in range(bars):
            root = _chord(key, mode, progression[b % 4])[0] - 12
            if figure == "eighths":
                hits = [(i * 2, root) for i in range(8)]
            elif figure == "octaves":
                hits = [(i * 2, root + 12 * (i % 2)) for i in range(8)]
            elif figure == "root-fifth":
                hits = [(0, root), (6, root), (8, root + 7), (12, root + 7)]
            else:
                hits = [(0, root), (8, root), (10, root)]
            for i, (s, pitch) in enumerate(hits):
                end = hits[i + 1][0] if i + 1 < len(hits) else 16
                t = (b * 16 + s) * step
                _note(bass, pitch, t, (b * 16 + end) * step * 0.98, 95 + rng.randint(-10, 10))
        pm.instruments.append(bass)
        parts.append("bass")

    if "chords" in arrangement:
        chord_kind = rng.choice(sorted(CHORD_INSTRUMENTS))
        chords = pretty_midi.Instrument(program=rng.choice(CHORD_INSTRUMENTS[chord_kind]), name=chord_kind)
        rhythm = "sustained" if chord_kind in ("pad", "organ", "strings") else rng.choice(("sustained", "stabs"))
        for b in range(bars):
            pitches = [p + 12 for p in _chord(key, mode, progression[b % 4])]
            starts = [0] if rhythm == "sustained" else [0, 6, 10]
            for k, s in enumerate(starts):
                end = starts[k + 1] if k + 1 < len(starts) else 16
                for p in pitches:
                    _note(chords, p, (b * 16 + s) * step, (b * 16 + end) * step * 0.99, 70 + rng.randint(-8, 8))
        pm.instruments.append(chords)
        parts.append(f"{chord_kind} chords")

    key_name = pretty_midi.note_number_to_name(key)[:-1] + (" major" if mode == "major" else " minor")
    tempo_text = f"{tempo:.0f} bpm"
    if "drums" in arrangement:
        head = ["drum groove", tempo_text, style]
        rest = [p for p in parts if p != "drums"]
    elif "bass" in arrangement:
        head = ["bass line", tempo_text]
        rest = parts[1:]
    else:
        head = [f"{chord_kind} chord progression", tempo_text]
        rest = []
    caption = ", ".join(head)
    if rest:
        caption += ", with " + " and ".join(rest)
    if "bass" in parts or chord_kind:
        caption += f", in {key_name}"
    return Phrase(pm, caption, tempo, bars * bar, tuple(parts))
