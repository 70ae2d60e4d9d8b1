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

    recon = sub.add_parser("reconstruct", help="round-trip a file through the sound model")
    recon.add_argument("input", type=Path)
    recon.add_argument("--out", type=Path, required=True, help="destination .wav file")
    recon.add_argument("--model", default=None, help="model name or folder (default: shipped)")
    recon.add_argument("--bit-depth", default="pcm24", choices=["pcm16", "pcm24", "float32"])

    tr = sub.add_parser("train", help="build the dataset and train a sound model "
                        "(CPU or CUDA; several processes under torchrun)")
    tr.add_argument("--name", default="my-sketch-vae", help="name of the new model")
    tr.add_argument("--out", type=Path, default=None,
                    help="model folder to write (default: your models folder)")
    tr.add_argument("--data", type=Path, default=None, help="dataset folder (built if missing)")
    tr.add_argument("--checkpoints", type=Path, default=None,
                    help="checkpoint folder (resumed if present)")
    tr.add_argument("--soundfont", type=Path, default=None, help="an .sf2 to render from")
    tr.add_argument("--user-folder", type=Path, default=None, help="add your own samples")
    tr.add_argument("--phrases", type=int, default=200, help="multi-instrument phrases to render")
    tr.add_argument("--steps", type=int, default=None)
    tr.add_argument("--batch-size", type=int, default=None)
    tr.add_argument("--seed", type=int, default=0)

    bench = sub.add_parser("bench", help="measure what producers feel (prints numbers)")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--minutes", type=float, default=10.0,
                       help="length of the long file used for the UI load measurement")
    bench.add_argument("--device", choices=["cpu", "cuda"], default=None,
                       help="compute device for the models (default: CUDA when present)")
    bench.add_argument("--model", default=None, help="model name or folder (default: shipped)")

    ev = sub.add_parser("evaluate", help="score a sound model against the Griffin-Lim baseline "
                        "(MR-STFT distance, ViSQOL) on held-out one-shots and real music")
    ev.add_argument("--model", default=None, help="model name or folder (default: shipped)")
    ev.add_argument("--json", type=Path, default=None, help="also write the results here")
    ev.add_argument("--music", type=int, default=12, help="music excerpts (10 s each)")
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


def _cmd_reconstruct(args) -> int:
    from sketchpad.audio.export import WavMetadata, write_wav
    from sketchpad.audio.io import load_audio
    from sketchpad.engine.model import SoundModel
    from sketchpad.engine.registry import find_model

    model = SoundModel.load(find_model(args.model))
    audio = load_audio(args.input)
    out = model.reconstruct(audio.samples)
    metadata = WavMetadata(model=model.name, title=f"{args.input.stem} (reconstructed)")
    print(write_wav(args.out, out, audio.sample_rate, bit_depth=args.bit_depth, metadata=metadata))
    return 0


def _cmd_train(args) -> int:
    from sketchpad.core.paths import user_data_dir
    from sketchpad.engine.registry import user_models_dir
    from sketchpad.training.run import default_threads, run_training
    from sketchpad.training.train import TrainConfig

    default_threads()
    config = TrainConfig(seed=args.seed)
    if args.steps is not None:
        config.steps = args.steps
    if args.batch_size is not None:
        config.batch_size = args.batch_size
    font = (args.soundfont.stem if args.soundfont else "default").lower()
    run_training(
        data_dir=args.data or user_data_dir() / "datasets" / font,
        run_dir=args.checkpoints or user_data_dir() / "runs" / args.name,
        out_dir=args.out or user_models_dir() / args.name,
        name=args.name, config=config, soundfont=args.soundfont,
        user_folder=args.user_folder, phrases=args.phrases)
    return 0


def _cmd_bench(args) -> int:
    from sketchpad.bench import run_benchmarks

    return run_benchmarks(as_json=args.json, long_file_minutes=args.minutes,
                          device=args.device, model_name=args.model)


def _cmd_evaluate(args) -> int:
    from sketchpad.engine.registry import find_model
    from sketchpad.training.evaluate import main as evaluate_main

    argv = ["--model-dir", str(find_model(args.model)), "--music", str(args.music)]
    if args.json is not None:
        argv += ["--json", str(args.json)]
    return evaluate_main(argv)


def _cmd_gui(args) -> int:
    from sketchpad.ui.app import run_app

    return run_app([str(p) for p in getattr(args, "files", [])])


_COMMANDS = {"gui": _cmd_gui, "info": _cmd_info, "convert": _cmd_convert,
             "reconstruct": _cmd_reconstruct, "train": _cmd_train, "bench": _cmd_bench,
             "evaluate": _cmd_evaluate}


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
