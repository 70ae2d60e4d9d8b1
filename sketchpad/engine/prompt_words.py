"""The words of a prompt that ask for character, and the conditions they set.

Captions name a sound's measured qualities (:mod:`sketchpad.training.captions`)
and :data:`QUALITY_WORDS` lists the words producers use for each; training
paraphrases captions with them, and the prompt engines read them back here.
The text embedding alone hears most of these words only weakly, while the
engines also take a note and the generator a velocity, so:

- velocity words ("soft", "punchy", ...) set the velocity condition;
- register words ("low", "high") pick a note from the range of the training
  sounds whose captions are nearest the rest of the prompt: a low piano is
  low for a piano, a high bass high for a bass. For drums they pick the
  General MIDI drum of that register among the nearest captions ("high tom"
  is High Tom, not High Floor Tom);
- the remaining character words are applied to the sound itself
  (:mod:`sketchpad.engine.character`).

An explicit note or velocity always wins over these words.
"""

from __future__ import annotations

import re

import numpy as np

from sketchpad.audio.gm_drums import GM_DRUMS

QUALITY_WORDS = {
    "hard": ["hard", "punchy", "loud", "strong", "aggressive"],
    "medium": ["", "medium"], "soft": ["soft", "gentle", "quiet", "light"],
    "bright": ["bright", "crisp", "sparkly", "airy"], "dark": ["dark", "deep", "warm", "mellow"],
    "percussive": ["percussive", "plucky", "snappy"], "fast decay": ["short", "tight", "dry"],
    "long release": ["long", "sustained", "lush"], "reverberant": ["roomy", "reverby", "wet", "spacious"],
    "distorted": ["distorted", "gritty", "dirty"],
}
"""Caption quality -> the words producers use for it."""

VELOCITIES = {"hard": 118, "soft": 40}
REGISTER_QUANTILES = {"low": 0.1, "high": 0.9}
"""Where in the neighbours' note range each register word lands."""
DRUM_REGISTER_SEMITONES = {"low": -3.0, "high": 3.0}
"""A drum asked for "low" or "high" is also tuned that way, as a sampler's tune knob would:
the generator's High Tom and Low Floor Tom of one seed came out in either order (38 % of
pairs in the asked order; ``sketchpad evaluate-prompts``, character words)."""
REGISTER_NEIGHBOURS = 200
_NOT_REGISTER = {"hat", "hats", "hihat"}  # "high hat" is a hi-hat


def words(prompt: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", prompt.lower())


def qualities_asked(prompt: str) -> list[str]:
    """Caption qualities whose producer words appear in ``prompt``, in prompt order."""
    found = []
    for word in words(prompt):
        for quality, spellings in QUALITY_WORDS.items():
            if word in spellings and quality not in found:
                found.append(quality)
    return found


def velocity_from_words(prompt: str) -> int | None:
    """The velocity a prompt's words ask for, or None (the last such word counts)."""
    asked = [VELOCITIES[q] for q in qualities_asked(prompt) if q in VELOCITIES]
    return asked[-1] if asked else None


def register_word(prompt: str) -> tuple[str | None, str]:
    """``(register word or None, the prompt without it)``."""
    found = words(prompt)
    for i, word in enumerate(found):
        following = found[i + 1] if i + 1 < len(found) else ""
        if word in REGISTER_QUANTILES and following not in _NOT_REGISTER:
            rest = re.sub(rf"\b{word}\b", " ", prompt, count=1, flags=re.IGNORECASE)
            return word, " ".join(rest.split())
    return None, prompt


def drum_register_semitones(words: str) -> float:
    """The tuning a register word in ``words`` asks of a drum (0 without one)."""
    register, _ = register_word(words)
    return DRUM_REGISTER_SEMITONES.get(register, 0.0) if register else 0.0


def register_for(words: str, index, text_encoder) -> tuple[int | None, str | None]:
    """``(note, drum text)`` that a register word in ``words`` asks for, looked up among a
    RetrievalIndex's captions (see :func:`resolve_register`); ``(None, None)`` without one."""
    register, rest = register_word(words)
    if register is None:
        return None, None
    return resolve_register(index.embeddings, index.midi_notes, index.captions,
                            text_encoder.embed([rest])[0], register, rest)


def resolve_register(embeddings: np.ndarray, midi_notes: np.ndarray, captions: list[str],
                     query: np.ndarray, word: str, rest: str,
                     neighbours: int = REGISTER_NEIGHBOURS) -> tuple[int | None, str | None]:
    """``(note, text)`` for a register ``word``: a MIDI note at that end of the note range of
    the training sounds whose caption embeddings are nearest ``query`` (the prompt without
    the word; the ``neighbours`` nearest); or, when most of them are drums, the prompt text naming the General MIDI
    drum at that end of their range. ``(None, None)`` when neither applies."""
    nearest = np.argsort(-(embeddings @ query))[:neighbours]
    notes = midi_notes[nearest]
    pitched = notes[notes >= 0]
    if len(pitched) >= len(nearest) / 2:
        return int(round(float(np.quantile(pitched, REGISTER_QUANTILES[word])))), None
    by_name = {name: note for note, (name, _) in GM_DRUMS.items()}
    drums = {}  # GM note -> name, among the nearest captions
    for i in nearest:
        match = re.search(r"\(([^)]+)\)", captions[i])
        if match and match.group(1) in by_name:
            drums[by_name[match.group(1)]] = match.group(1)
    if len(drums) < 2:
        return None, None
    pick = min(drums) if word == "low" else max(drums)
    return None, f"{rest} ({drums[pick]})"
