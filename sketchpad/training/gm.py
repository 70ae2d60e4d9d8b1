"""General MIDI tables: program names, NSynth-style families, ranges, drum map.

Families follow NSynth (bass, brass, flute, guitar, keyboard, mallet, organ,
reed, string, synth_lead, synth_pad, vocal) plus ``fx`` (sound effects) and
``percussive`` (unpitched or barely pitched programs such as Woodblock).
Sources are NSynth's: ``acoustic`` (recorded instrument), ``electronic``
(electric/electronic instrument), ``synthetic`` (synthesizer).

Note numbers are MIDI note numbers; names use MIDI 60 = C4 (so 48 = C3,
69 = A4 = 440 Hz).
"""

from __future__ import annotations

from dataclasses import dataclass

from sketchpad.audio.gm_drums import GM_DRUMS

PROGRAM_NAMES: tuple[str, ...] = (
    "Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano", "Honky-tonk Piano",
    "Electric Piano 1", "Electric Piano 2", "Harpsichord", "Clavinet",
    "Celesta", "Glockenspiel", "Music Box", "Vibraphone",
    "Marimba", "Xylophone", "Tubular Bells", "Dulcimer",
    "Drawbar Organ", "Percussive Organ", "Rock Organ", "Church Organ",
    "Reed Organ", "Accordion", "Harmonica", "Tango Accordion",
    "Acoustic Guitar (nylon)", "Acoustic Guitar (steel)", "Electric Guitar (jazz)", "Electric Guitar (clean)",
    "Electric Guitar (muted)", "Overdriven Guitar", "Distortion Guitar", "Guitar Harmonics",
    "Acoustic Bass", "Electric Bass (finger)", "Electric Bass (pick)", "Fretless Bass",
    "Slap Bass 1", "Slap Bass 2", "Synth Bass 1", "Synth Bass 2",
    "Violin", "Viola", "Cello", "Contrabass",
    "Tremolo Strings", "Pizzicato Strings", "Orchestral Harp", "Timpani",
    "String Ensemble 1", "String Ensemble 2", "Synth Strings 1", "Synth Strings 2",
    "Choir Aahs", "Voice Oohs", "Synth Voice", "Orchestra Hit",
    "Trumpet", "Trombone", "Tuba", "Muted Trumpet",
    "French Horn", "Brass Section", "Synth Brass 1", "Synth Brass 2",
    "Soprano Sax", "Alto Sax", "Tenor Sax", "Baritone Sax",
    "Oboe", "English Horn", "Bassoon", "Clarinet",
    "Piccolo", "Flute", "Recorder", "Pan Flute",
    "Blown Bottle", "Shakuhachi", "Whistle", "Ocarina",
    "Lead 1 (square)", "Lead 2 (sawtooth)", "Lead 3 (calliope)", "Lead 4 (chiff)",
    "Lead 5 (charang)", "Lead 6 (voice)", "Lead 7 (fifths)", "Lead 8 (bass + lead)",
    "Pad 1 (new age)", "Pad 2 (warm)", "Pad 3 (polysynth)", "Pad 4 (choir)",
    "Pad 5 (bowed)", "Pad 6 (metallic)", "Pad 7 (halo)", "Pad 8 (sweep)",
    "FX 1 (rain)", "FX 2 (soundtrack)", "FX 3 (crystal)", "FX 4 (atmosphere)",
    "FX 5 (brightness)", "FX 6 (goblins)", "FX 7 (echoes)", "FX 8 (sci-fi)",
    "Sitar", "Banjo", "Shamisen", "Koto",
    "Kalimba", "Bagpipe", "Fiddle", "Shanai",
    "Tinkle Bell", "Agogo", "Steel Drums", "Woodblock",
    "Taiko Drum", "Melodic Tom", "Synth Drum", "Reverse Cymbal",
    "Guitar Fret Noise", "Breath Noise", "Seashore", "Bird Tweet",
    "Telephone Ring", "Helicopter", "Applause", "Gunshot",
)
assert len(PROGRAM_NAMES) == 128

FAMILIES = ("bass", "brass", "flute", "guitar", "keyboard", "mallet", "organ", "reed",
            "string", "synth_lead", "synth_pad", "vocal", "fx", "percussive")
SOURCES = ("acoustic", "electronic", "synthetic")

# (family, source) per program; "A"/"E"/"S" = acoustic/electronic/synthetic.
_CLASS = (
    "keyboard A, keyboard A, keyboard E, keyboard A, keyboard E, keyboard E, keyboard A, keyboard E,"
    "mallet A, mallet A, mallet A, mallet A, mallet A, mallet A, mallet A, mallet A,"
    "organ E, organ E, organ E, organ A, organ A, reed A, reed A, reed A,"
    "guitar A, guitar A, guitar E, guitar E, guitar E, guitar E, guitar E, guitar E,"
    "bass A, bass E, bass E, bass E, bass E, bass E, bass S, bass S,"
    "string A, string A, string A, string A, string A, string A, string A, percussive A,"
    "string A, string A, string S, string S, vocal A, vocal A, vocal S, fx S,"
    "brass A, brass A, brass A, brass A, brass A, brass A, brass S, brass S,"
    "reed A, reed A, reed A, reed A, reed A, reed A, reed A, reed A,"
    "flute A, flute A, flute A, flute A, flute A, flute A, flute A, flute A,"
    "synth_lead S, synth_lead S, synth_lead S, synth_lead S, synth_lead S, synth_lead S, synth_lead S, synth_lead S,"
    "synth_pad S, synth_pad S, synth_pad S, synth_pad S, synth_pad S, synth_pad S, synth_pad S, synth_pad S,"
    "fx S, fx S, fx S, fx S, fx S, fx S, fx S, fx S,"
    "guitar A, guitar A, guitar A, string A, mallet A, reed A, string A, reed A,"
    "mallet A, percussive A, mallet A, percussive A, percussive A, percussive A, percussive S, fx S,"
    "fx A, fx A, fx A, fx A, fx E, fx A, fx A, fx A"
)
_SOURCE_LETTER = {"A": "acoustic", "E": "electronic", "S": "synthetic"}
_PROGRAM_CLASS = tuple(
    (fam, _SOURCE_LETTER[src]) for fam, src in (entry.split() for entry in _CLASS.split(","))
)
assert len(_PROGRAM_CLASS) == 128

# Playable MIDI note ranges (inclusive) per family: what the instrument
# plausibly plays, so a dataset is not filled with squeaks and rumbles.
FAMILY_RANGES: dict[str, tuple[int, int]] = {
    "bass": (28, 67), "brass": (40, 84), "flute": (60, 96), "guitar": (40, 88),
    "keyboard": (21, 108), "mallet": (53, 96), "organ": (36, 96), "reed": (46, 88),
    "string": (36, 96), "synth_lead": (36, 96), "synth_pad": (36, 96), "vocal": (48, 79),
    "fx": (48, 72), "percussive": (36, 72),
}
# Programs whose real range differs a lot from their family's.
_PROGRAM_RANGES: dict[int, tuple[int, int]] = {
    40: (55, 100), 41: (48, 88), 42: (36, 76), 43: (28, 67), 46: (24, 103), 47: (40, 57),
    56: (54, 86), 57: (40, 72), 58: (28, 65), 59: (54, 86), 60: (34, 77),
    64: (56, 88), 65: (49, 81), 66: (44, 76), 67: (36, 69), 68: (58, 91), 69: (52, 81),
    70: (34, 75), 71: (50, 91), 72: (74, 108), 9: (79, 108), 12: (45, 96), 13: (65, 108),
}


@dataclass(frozen=True)
class GMProgram:
    """A GM melodic program: number 0-127, name, family, source, playable (low, high) MIDI notes."""

    program: int
    name: str
    family: str
    source: str
    note_range: tuple[int, int]


def program_info(program: int) -> GMProgram:
    """GM facts about a melodic program number (0-127)."""
    if not 0 <= program < 128:
        raise ValueError(f"GM program must be 0-127, got {program}")
    family, source = _PROGRAM_CLASS[program]
    rng = _PROGRAM_RANGES.get(program, FAMILY_RANGES[family])
    return GMProgram(program, PROGRAM_NAMES[program], family, source, rng)


def playable_notes(program: int, step: int = 1) -> list[int]:
    """MIDI notes to sample for a program: its range on a grid of ``step`` semitones anchored at C4 (60)."""
    low, high = program_info(program).note_range
    return [n for n in range(low, high + 1) if (n - 60) % step == 0]


# --- GM percussion map (channel 10 / bank 128), notes 35-81 -----------------

DRUM_CATEGORIES = ("kick", "snare", "clap", "hi-hat", "tom", "cymbal", "percussion")

_DRUMS = GM_DRUMS
DRUM_NOTES: tuple[int, ...] = tuple(sorted(_DRUMS))
"""GM percussion key numbers, 35 (Acoustic Bass Drum) to 81 (Open Triangle)."""

# How a category reads in a caption.
CATEGORY_WORDS = {"kick": "kick drum", "snare": "snare drum", "clap": "clap", "hi-hat": "hi-hat",
                  "tom": "tom", "cymbal": "cymbal", "percussion": "percussion"}

# Named notes used by the phrase generator.
KICK, SNARE, CLAP, CLOSED_HAT, PEDAL_HAT, OPEN_HAT, CRASH, RIDE = 36, 38, 39, 42, 44, 46, 49, 51


@dataclass(frozen=True)
class GMDrum:
    """A GM percussion key: MIDI note, name, category (one of DRUM_CATEGORIES)."""

    note: int
    name: str
    category: str


def drum_info(note: int) -> GMDrum:
    """GM facts about a percussion key (35-81); raises KeyError outside the map."""
    name, category = _DRUMS[note]
    return GMDrum(note, name, category)


_ELECTRONIC_KITS = ("electronic", "808", "909", "techno", "dance")


def kit_source(kit_name: str) -> str:
    """'electronic' for drum machine kits (by preset name), else 'acoustic'."""
    low = kit_name.lower()
    return "electronic" if any(word in low for word in _ELECTRONIC_KITS) else "acoustic"
