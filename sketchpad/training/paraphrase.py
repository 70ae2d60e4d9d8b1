"""Producer-style rewordings of dataset captions, for training the text-conditioned generator.

A dataset caption reads like a catalogue entry ("acoustic drum kit, TR-808,
kick (Bass Drum 1), hard, percussive"); producers type "punchy 808 kick".
Training on many rewordings of each caption (the instrument under its
common names, the qualities as the adjectives people use, shuffled and
partly dropped) lets free wording land near the right sounds in the
sentence-embedding space. Note names are left out: the pitch is its own
condition (see :func:`strip_note`).
"""

from __future__ import annotations

import re

import numpy as np

from sketchpad.audio.pitch import strip_note
from sketchpad.engine.prompt_words import QUALITY_WORDS

# Common names of GM programs, by a word of the program name (lower case).
_PROGRAM_WORDS = {
    "grand piano": ["grand piano", "piano", "acoustic piano"],
    "acoustic piano": ["piano", "bright piano"],
    "honky-tonk": ["honky tonk piano", "saloon piano"],
    "electric piano": ["electric piano", "rhodes", "ep", "e-piano", "wurli"],
    "harpsichord": ["harpsichord"], "clavinet": ["clavinet", "clav", "funky clav"],
    "celesta": ["celesta", "bell"], "glockenspiel": ["glockenspiel", "glock", "bell"],
    "music box": ["music box", "bell"], "vibraphone": ["vibraphone", "vibes", "mallet"],
    "marimba": ["marimba", "mallet"], "xylophone": ["xylophone", "mallet"],
    "tubular bells": ["tubular bells", "chimes", "bell"], "dulcimer": ["dulcimer"],
    "drawbar organ": ["hammond organ", "drawbar organ", "b3 organ", "organ"],
    "percussive organ": ["percussive organ", "organ"], "rock organ": ["rock organ", "organ"],
    "church organ": ["church organ", "pipe organ", "organ"], "reed organ": ["reed organ", "organ"],
    "accordion": ["accordion"], "harmonica": ["harmonica", "blues harp"],
    "guitar (nylon)": ["nylon guitar", "classical guitar", "acoustic guitar"],
    "guitar (steel)": ["steel guitar", "acoustic guitar", "folk guitar"],
    "guitar (jazz)": ["jazz guitar", "electric guitar"], "guitar (clean)": ["clean guitar", "electric guitar"],
    "guitar (muted)": ["muted guitar", "palm muted guitar"],
    "overdriven guitar": ["overdriven guitar", "crunchy guitar", "rock guitar"],
    "distortion guitar": ["distorted guitar", "heavy guitar", "metal guitar"],
    "acoustic bass": ["upright bass", "acoustic bass", "double bass"],
    "bass (finger)": ["fingered bass", "electric bass", "bass guitar"],
    "bass (pick)": ["picked bass", "electric bass", "bass guitar"],
    "fretless bass": ["fretless bass", "bass"], "slap bass": ["slap bass", "funky bass"],
    "synth bass": ["synth bass", "analog bass", "bass synth"],
    "violin": ["violin", "fiddle"], "viola": ["viola"], "cello": ["cello"], "contrabass": ["contrabass", "double bass"],
    "tremolo strings": ["tremolo strings", "strings"], "pizzicato": ["pizzicato strings", "plucked strings"],
    "harp": ["harp"], "timpani": ["timpani"],
    "string ensemble": ["string ensemble", "strings", "string section", "orchestral strings"],
    "synth strings": ["synth strings", "string pad"],
    "choir": ["choir", "voices"], "voice oohs": ["ooh vocal", "choir"], "synth voice": ["synth voice", "vox"],
    "orchestra hit": ["orchestra hit", "orch stab"],
    "trumpet": ["trumpet", "horn"], "trombone": ["trombone"], "tuba": ["tuba"],
    "french horn": ["french horn", "horn"], "brass section": ["brass section", "brass stab", "horns"],
    "synth brass": ["synth brass", "brass stab"],
    "sax": ["saxophone", "sax"], "oboe": ["oboe"], "english horn": ["english horn", "cor anglais"],
    "bassoon": ["bassoon"], "clarinet": ["clarinet"],
    "piccolo": ["piccolo", "flute"], "flute": ["flute"], "recorder": ["recorder", "flute"],
    "pan flute": ["pan flute", "pan pipes"], "blown bottle": ["blown bottle"],
    "shakuhachi": ["shakuhachi", "bamboo flute"], "whistle": ["whistle"], "ocarina": ["ocarina"],
    "(square)": ["square lead", "square wave lead", "chiptune lead"],
    "(sawtooth)": ["saw lead", "sawtooth lead", "supersaw lead"],
    "lead": ["synth lead", "lead synth", "lead"], "pad": ["synth pad", "pad", "ambient pad"],
    "(warm)": ["warm pad", "analog pad"], "(new age)": ["new age pad", "dreamy pad"],
    "(choir)": ["choir pad", "vocal pad"], "(sweep)": ["sweep pad", "filter sweep pad"],
    "(halo)": ["halo pad", "airy pad"], "(bowed)": ["bowed pad"], "(metallic)": ["metallic pad"],
    "(polysynth)": ["polysynth pad", "poly synth"],
}
# Drum categories and the words for them; kits that change the word.
_DRUM_WORDS = {
    "kick": ["kick", "kick drum", "bass drum", "kick hit"],
    "snare": ["snare", "snare drum", "snare hit"], "clap": ["clap", "hand clap", "handclap"],
    "tom": ["tom", "tom drum", "tom fill hit"], "hi-hat": ["hi-hat", "hihat", "hat"],
    "cymbal": ["cymbal", "cymbal hit"], "percussion": ["percussion", "perc hit"],
}
_DRUM_NAME_WORDS = {
    "closed hi-hat": ["closed hat", "closed hi-hat"], "open hi-hat": ["open hat", "open hi-hat"],
    "pedal hi-hat": ["pedal hat", "foot hi-hat"], "crash": ["crash", "crash cymbal"],
    "ride": ["ride", "ride cymbal"], "splash": ["splash cymbal"], "china": ["china cymbal"],
    "floor tom": ["floor tom"], "rimshot": ["rimshot"], "side stick": ["side stick", "rim click"],
    "electric snare": ["electronic snare"], "cowbell": ["cowbell"], "tambourine": ["tambourine"],
    "conga": ["conga"], "bongo": ["bongo"], "shaker": ["shaker"], "clave": ["clave"],
}
_KIT_WORDS = {"tr-808": ["808", "tr-808", "trap"], "electronic": ["electronic", "electro", "909"],
              "power": ["big", "power"], "room": ["room", "roomy"], "jazz": ["jazz"],
              "brush": ["brushed", "brush"], "orchestra": ["orchestral", "concert"]}
_QUALITY_WORDS = QUALITY_WORDS
_SOURCE_WORDS = {"acoustic": ["acoustic", "real", ""], "electronic": ["electric", "electronic", ""],
                 "synthetic": ["synth", "synthetic", "analog", ""]}
_TEMPLATES = ("{adj} {noun}", "{noun}", "{adj} {noun}", "{adj}, {adj2} {noun}", "{noun}, {adj}",
              "{adj} {adj2} {noun}", "{noun} one-shot", "{adj} {noun} sample")


def _choices(table: dict, text: str) -> list[str]:
    out = []
    for key, words in table.items():
        if key in text:
            out += words
    return out


def caption_parts(caption: str) -> tuple[list[str], list[str]]:
    """(nouns, adjectives): the ways to name the sound and the words that describe it."""
    fields = [f.strip() for f in strip_note(caption).split(",") if f.strip()]
    low = [f.lower() for f in fields]
    adjectives = [w for f in low[1:] for w in _QUALITY_WORDS.get(f, []) if w]
    if low[0].endswith("drum kit") and len(low) >= 3:
        category = low[2].split(" (")[0]
        name = low[2][low[2].find("(") + 1:].rstrip(")") if "(" in low[2] else ""
        nouns = (_choices(_DRUM_WORDS, category) or [category]) + _choices(_DRUM_NAME_WORDS, name)
        kits = _choices(_KIT_WORDS, low[1])
        nouns = nouns + [f"{kit} {noun}" for kit in kits for noun in nouns[:3]]
        if name:
            nouns.append(name)
    else:
        program = low[1] if len(low) > 1 else low[0]
        family = low[0].split(" ", 1)
        nouns = _choices(_PROGRAM_WORDS, program) or [program]
        nouns.append(family[-1])
        source = _SOURCE_WORDS.get(family[0], [""])
        adjectives += [w for w in source if w]
    return nouns, adjectives


def paraphrases(caption: str, rng: np.random.Generator, count: int) -> list[str]:
    """``count`` rewordings of ``caption`` (the first is the caption itself without its note)."""
    nouns, adjectives = caption_parts(caption)
    out = [strip_note(caption)]
    while len(out) < count:
        template = _TEMPLATES[rng.integers(len(_TEMPLATES))]
        adj = adjectives[rng.integers(len(adjectives))] if adjectives else ""
        adj2 = adjectives[rng.integers(len(adjectives))] if adjectives else ""
        text = template.format(noun=nouns[rng.integers(len(nouns))], adj=adj,
                               adj2=adj2 if adj2 != adj else "")
        out.append(re.sub(r"\s+", " ", text).strip(" ,"))
    return out
