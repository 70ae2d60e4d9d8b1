"""`sketchpad kit`: build a kit from WAVs and prompts, give it a pattern, export it.

For scripted use: the same pads, pattern and export as the Kit tab
(:mod:`sketchpad.core.kit`, :mod:`sketchpad.core.kit_export`).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from sketchpad.engine.prompt_engines import PROMPT_ENGINES
from sketchpad.errors import SketchpadError

_PATTERN = re.compile(r"^(\d+):([xXo.\-]{16})$")
_PAD_SETTING = re.compile(r"^(\d+):(.+)$")
_SETTING_NAMES = {"gain": "gain_db", "pan": "pan", "tune": "tune_semitones", "choke": "choke_group"}
_STEP_VELOCITY = {"x": 1.0, "X": 1.0, "o": 0.5, ".": 0.0, "-": 0.0}


def add_parser(sub) -> None:
    kit = sub.add_parser(
        "kit", help="build a kit from WAVs and prompts and export it (WAVs, SFZ, MIDI pattern)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  sketchpad kit --prompt 'punchy 808 kick' --prompt 'tight snare' "
               "--wav hat.wav \\\n      --pattern '1:x...x...x...x...' --pattern '2:....x.......x...' "
               "--pattern '3:x.x.x.x.x.x.x.x.' \\\n      --tempo 174 --out ~/kits")
    kit.add_argument("--out", type=Path, required=True, help="folder the kit folder is written into")
    kit.add_argument("--name", default="Sketchpad kit", help="name of the kit folder and its files")
    kit.add_argument("--wav", type=Path, action="append", default=[], metavar="FILE",
                     help="an audio file for the next pad (repeatable; pads fill in order)")
    kit.add_argument("--prompt", action="append", default=[], metavar="TEXT",
                     help="a prompt whose first result goes on the next pad (after the files)")
    kit.add_argument("--seed", type=int, default=0, help="seed of the prompt results")
    kit.add_argument("--engine", default=None, choices=PROMPT_ENGINES, help="prompt engine (default: the model's own)")
    kit.add_argument("--model", default=None, help="sound model name or folder")
    kit.add_argument("--pattern", action="append", default=[], metavar="PAD:STEPS",
                     help="16 steps for a pad, e.g. 1:x...x...x...x... (x hit, o soft hit, . rest)")
    kit.add_argument("--pad", action="append", default=[], metavar="N:SETTINGS",
                     help="pad settings, e.g. 3:gain=-3,pan=0.2,tune=2,choke=1")
    kit.add_argument("--tempo", type=float, default=120.0, help="pattern tempo in BPM (40-300)")
    kit.add_argument("--swing", type=float, default=50.0, help="swing in percent (50 straight .. 75)")
    kit.add_argument("--format", default="pcm24", choices=["pcm16", "pcm24", "float32"],
                     help="WAV format of the pads")
    kit.add_argument("--rate", type=int, default=44100, choices=[44100, 48000], help="WAV sample rate")


def _pad_index(text: str, flag: str) -> int:
    index = int(text) - 1
    if not 0 <= index < 16:
        raise SketchpadError(f"{flag}: pad numbers run from 1 to 16, got {text}.")
    return index


def parse_pattern(specs, pattern):
    """``pattern`` with the hits of each ``PAD:STEPS`` spec."""
    for spec in specs:
        match = _PATTERN.match(spec.strip())
        if match is None:
            raise SketchpadError(f"--pattern '{spec}': write PAD:STEPS with 16 steps of x, o or ., "
                                 "e.g. 1:x...x...x...x...")
        pad = _pad_index(match.group(1), "--pattern")
        for step, mark in enumerate(match.group(2)):
            pattern = pattern.with_hit(pad, step, _STEP_VELOCITY[mark])
    return pattern


def parse_pad_settings(spec: str) -> tuple[int, dict]:
    match = _PAD_SETTING.match(spec.strip())
    if match is None:
        raise SketchpadError(f"--pad '{spec}': write N:name=value,..., e.g. 3:gain=-3,choke=1.")
    settings = {}
    for part in match.group(2).split(","):
        key, _, value = part.partition("=")
        if key.strip() not in _SETTING_NAMES:
            raise SketchpadError(f"--pad '{spec}': unknown setting '{key.strip()}' "
                                 f"(use {', '.join(_SETTING_NAMES)}).")
        try:
            number = float(value)
        except ValueError:
            raise SketchpadError(f"--pad '{spec}': '{value}' is not a number.") from None
        name = _SETTING_NAMES[key.strip()]
        settings[name] = int(number) if name == "choke_group" else number
    return _pad_index(match.group(1), "--pad"), settings


def run(args) -> int:
    from dataclasses import replace

    from sketchpad.core.clip import load_clip
    from sketchpad.core.kit import PAD_COUNT, SWING_RANGE, TEMPO_RANGE, Kit
    from sketchpad.core.kit_export import export_kit

    count = len(args.wav) + len(args.prompt)
    if count == 0:
        raise SketchpadError("A kit needs sounds: give --wav FILE or --prompt TEXT (each fills a pad).")
    if count > PAD_COUNT:
        raise SketchpadError(f"A kit has {PAD_COUNT} pads; {count} sounds were given.")
    if not TEMPO_RANGE[0] <= args.tempo <= TEMPO_RANGE[1]:
        raise SketchpadError(f"--tempo must be between {TEMPO_RANGE[0]:g} and {TEMPO_RANGE[1]:g} BPM.")
    if not SWING_RANGE[0] <= args.swing <= SWING_RANGE[1]:
        raise SketchpadError(f"--swing must be between {SWING_RANGE[0]:g} and {SWING_RANGE[1]:g} %.")
    settings = [parse_pad_settings(spec) for spec in args.pad]
    kit = Kit()
    pattern = parse_pattern(args.pattern, replace(kit.pattern, tempo_bpm=args.tempo, swing=args.swing))
    clips = [load_clip(path) for path in args.wav]
    if args.prompt:
        clips += _prompt_clips(args)
    for index, clip in enumerate(clips):
        kit.assign(index, clip)
    for index, values in settings:
        if kit.pads[index].empty:
            raise SketchpadError(f"--pad {index + 1}: that pad has no sound.")
        kit.update_pad(index, **values)
    kit.set_pattern(pattern)
    args.out.mkdir(parents=True, exist_ok=True)
    print(export_kit(kit.state(), args.out, args.name, bit_depth=args.format, rate=args.rate))
    return 0


def _prompt_clips(args):
    import sys

    from sketchpad.audio.pitch import parse_note
    from sketchpad.core.clip import Origin, make_clip
    from sketchpad.engine.prompt_engines import load_prompt_engine

    engine = load_prompt_engine(args.engine, args.model, fallback=args.engine is None)
    if engine.model.notice:
        print(f"note: {engine.model.notice}", file=sys.stderr)
    clips = []
    for prompt in args.prompt:
        if not prompt.strip():
            raise SketchpadError("--prompt: an empty prompt; describe the sound, e.g. 'tight snare'.")
        sound = engine.generate(prompt, count=1, seed=args.seed)[0]
        origin = Origin(prompt=prompt, seed=args.seed, model=f"{engine.name}:{engine.model.name}",
                        root_note=parse_note(prompt))
        clips.append(make_clip(prompt, sound.audio, engine.model.sample_rate, origin=origin))
    return clips
