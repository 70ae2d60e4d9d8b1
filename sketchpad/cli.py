"""Command line: the GUI by default, headless subcommands for scripted work.

Every user-facing problem raises SketchpadError somewhere below; here it
becomes one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sketchpad import __version__
from sketchpad.errors import SketchpadError

EXIT_USAGE = 2


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sketchpad",
        description="Sketchpad: generate, blend and shape sounds with local neural models. "
        "Without a subcommand the desktop app opens.",
    )
    parser.add_argument("--version", action="version", version=f"sketchpad {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND")

    gui = sub.add_parser("gui", help="open the desktop app (the default)")
    gui.add_argument("files", nargs="*", type=Path, help="audio files to open")

    info = sub.add_parser("info", help="describe audio files as Sketchpad loads them")
    info.add_argument("files", nargs="+", type=Path)

    convert = sub.add_parser("convert", help="load any supported file and export it as WAV")
    convert.add_argument("input", type=Path)
    convert.add_argument("--out", type=Path, required=True, help="destination .wav file")
    convert.add_argument("--bit-depth", default="pcm24", choices=["pcm16", "pcm24", "float32"])
    convert.add_argument("--rate", type=int, default=44100, choices=[44100, 48000])

    bench = sub.add_parser("bench", help="measure what producers feel (prints numbers)")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--minutes", type=float, default=10.0,
                       help="length of the long file used for the UI load measurement")
    return parser


def _cmd_info(args) -> int:
    from sketchpad.audio.io import load_audio

    for path in args.files:
        audio = load_audio(path)
        notes = f"  ({'; '.join(audio.notes)})" if audio.notes else ""
        print(f"{path}: {audio.duration_seconds:.3f} s, {audio.channels} ch, "
              f"{audio.sample_rate} Hz{notes}")
    return 0


def _cmd_convert(args) -> int:
    from sketchpad.audio.export import write_wav
    from sketchpad.audio.io import load_audio

    audio = load_audio(args.input)
    out = write_wav(args.out, audio.samples, audio.sample_rate,
                    bit_depth=args.bit_depth, out_rate=args.rate)
    print(out)
    return 0


def _cmd_bench(args) -> int:
    from sketchpad.bench import run_benchmarks

    return run_benchmarks(as_json=args.json, long_file_minutes=args.minutes)


def _cmd_gui(args) -> int:
    from sketchpad.ui.app import run_app

    return run_app([str(p) for p in getattr(args, "files", [])])


_COMMANDS = {"gui": _cmd_gui, "info": _cmd_info, "convert": _cmd_convert, "bench": _cmd_bench}


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    command = _COMMANDS[args.command or "gui"]
    try:
        return command(args)
    except SketchpadError as err:
        print(f"sketchpad: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
