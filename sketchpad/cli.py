"""Command line: the GUI by default, headless subcommands for scripted work.

Every user-facing problem raises SketchpadError somewhere below; here it
becomes one line on stderr and exit status 2, never a traceback. Running out
of memory is said the same way. A bug (any other exception) is one line too,
with exit status 1; its traceback goes to ``crash.log`` in the user data folder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sketchpad import __version__, cli_kit
from sketchpad.engine.prompt_engines import PROMPT_ENGINES
from sketchpad.errors import SketchpadError

EXIT_USAGE = 2
EXIT_BUG = 1


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
    recon.add_argument("--fit-steps", type=int, default=None, metavar="N",
                       help="analysis-by-synthesis steps after the encoder (default: the model's own, "
                       "which skips long songs; more is closer and slower)")

    gen = sub.add_parser("generate", help="type a description, get one-shots as WAV files")
    gen.add_argument("prompt", help='e.g. "punchy 808 kick" or "warm pad C3"')
    gen.add_argument("--count", type=int, default=8)
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--seconds", type=float, default=None,
                     help="fixed length (default: the sound's own, trailing silence trimmed)")
    gen.add_argument("--pitch", default=None, help="note name such as C3 (default: from the prompt)")
    gen.add_argument("--engine", default=None, choices=PROMPT_ENGINES,
                     help="generator: the trained text-to-sound model (the default where the "
                          "sound model has one); retrieval: blends of the closest training sounds")
    gen.add_argument("--guidance", type=float, default=None,
                     help="generator only: how strictly to follow the prompt, 1-10 (default 3)")
    gen.add_argument("--steps", type=int, default=None, help="generator only: sampling steps, 1-100 (default 12)")
    gen.add_argument("--velocity", default=None,
                     help="generator only: soft, medium, hard or a MIDI velocity 1-127 (default: any)")
    gen.add_argument("--out", type=Path, required=True, help="folder for the WAV files")
    gen.add_argument("--model", default=None,
                     help="sound model name or folder; its prompt engine ('-flow' or "
                          "'-retrieval') must sit beside it")

    cli_kit.add_parser(sub)

    bl = sub.add_parser("blend", help="blend two sounds or songs in latent space")
    bl.add_argument("a", type=Path, help="sound A (content, and the output length)")
    bl.add_argument("b", type=Path, help="sound B")
    how = bl.add_mutually_exclusive_group(required=True)
    how.add_argument("--mix", type=float, metavar="X", help="one blend, 0 = A .. 1 = B")
    how.add_argument("--steps", type=int, metavar="N", help="N files from A to B, evenly spaced")
    how.add_argument("--curve", metavar="T:X,...", help="automation, e.g. 0:0,30:1,60:0.5 (seconds:alpha)")
    how.add_argument("--style", action="store_true", help="A's content with B's timbre")
    bl.add_argument("--strength", type=float, default=1.0, help="style strength 0..1 (with --style)")
    bl.add_argument("--slerp", action="store_true", help="spherical instead of linear interpolation")
    bl.add_argument("--align-beats", action="store_true",
                    help="stretch B in time so its beats fall on A's (beat tracking)")
    bl.add_argument("--detail", type=float, default=100.0, metavar="PERCENT",
                    help="how much of A's and B's own detail (what the model's round trip loses) "
                    "is kept, 0-100 (default 100: --mix 0 gives back A, --mix 1 gives back B)")
    bl.add_argument("--out", type=Path, required=True, help="OUT.wav, or a folder with --steps")
    bl.add_argument("--model", default=None, help="model name or folder (default: shipped)")

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
    tr.add_argument("--phrases", type=int, default=None,
                    help="multi-instrument phrases to render (default 200; an existing dataset "
                    "is reused as it is unless this or --soundfont is given)")
    tr.add_argument("--steps", type=int, default=None)
    tr.add_argument("--batch-size", type=int, default=None)
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--upsample", choices=["transposed", "linear"], default=None,
                    help="the decoder's upsampler (default: transposed for a new model, the "
                    "base's with --refine-decoder); linear cannot buzz at the latent rate")
    tr.add_argument("--refine-decoder", default=None, metavar="MODEL",
                    help="train only the decoder of MODEL (name or folder) on the dataset; its "
                    "latent space, sliders and prompt engines stay valid and are copied along")

    tv = sub.add_parser("train-vocoder", help="train the mel vocoder on the dataset and "
                        "recorded music (resumes; reconstruction losses, then adversarial)")
    tv.add_argument("--name", default="my-vocoder", help="name of the new vocoder")
    tv.add_argument("--out", type=Path, default=None,
                    help="model folder to write (default: your models folder)")
    tv.add_argument("--data", type=Path, default=None, help="dataset folder (from `sketchpad train`)")
    tv.add_argument("--extra-data", type=Path, nargs="+", default=[], metavar="DIR",
                    help="more dataset folders (other soundfonts) to train on as well")
    tv.add_argument("--checkpoints", type=Path, default=None,
                    help="checkpoint folder (resumed if present)")
    tv.add_argument("--from", dest="initial", default=None, metavar="VOCODER",
                    help="warm start from this vocoder (name or folder), continuing its schedule")
    tv.add_argument("--steps", type=int, default=None, help="length of the whole schedule")
    tv.add_argument("--minutes", type=float, default=None,
                    help="stop after this long (a checkpoint is kept; run again to go on)")
    tv.add_argument("--adversarial-from", type=int, default=None, metavar="STEP",
                    help="step at which the discriminators join (default: never)")
    tv.add_argument("--export", action="store_true",
                    help="only write the model from the last checkpoint (while a run goes on)")
    tv.add_argument("--refine", type=int, default=0, metavar="N",
                    help="with --export: Griffin-Lim iterations after the network by default")
    tv.add_argument("--half", action="store_true", help="with --export: float16 weights")
    tv.add_argument("--bf16", choices=["auto", "on", "off"], default="auto",
                    help="bfloat16 network (auto: where the hardware runs it natively)")

    bd = sub.add_parser("build-dataset", help="render a soundfont into a dataset folder (for "
                        "train-latent --extra-data); reuses what is already rendered")
    bd.add_argument("--soundfont", type=Path, required=True, help="the .sf2 to render")
    bd.add_argument("--data", type=Path, default=None,
                    help="dataset folder (default: your datasets folder, named after the font)")
    bd.add_argument("--phrases", type=int, default=100, help="generated phrases beside the one-shots")
    bd.add_argument("--limit", type=int, default=None, metavar="N",
                    help="only N evenly spread one-shots (a quick trial)")

    tl = sub.add_parser("train-latent", help="train the sketch latent over the mel (its vocoder "
                        "is trained apart with train-vocoder); resumes")
    tl.add_argument("--name", default="my-sketch-mel", help="name of the new sound model")
    tl.add_argument("--out", type=Path, default=None,
                    help="model folder to write (default: your models folder)")
    tl.add_argument("--data", type=Path, default=None, help="dataset folder (from `sketchpad train`)")
    tl.add_argument("--extra-data", type=Path, nargs="+", default=[], metavar="DIR",
                    help="more dataset folders (other soundfonts) to train on as well")
    tl.add_argument("--checkpoints", type=Path, default=None,
                    help="checkpoint folder (resumed if present)")
    tl.add_argument("--channels", type=int, default=64,
                    help="latent channels at 43 latent frames/s (64 = 16x compression)")
    tl.add_argument("--width", type=int, default=None,
                    help="channels inside the encoder and decoder (default 192)")
    tl.add_argument("--decoder-blocks", type=int, default=None,
                    help="ConvNeXt blocks in the decoder (default 5)")
    tl.add_argument("--steps", type=int, default=None, help="length of the whole schedule")
    tl.add_argument("--minutes", type=float, default=None,
                    help="stop after this long (a checkpoint is kept; run again to go on)")
    tl.add_argument("--vocoder", default="sketch-vocoder", help="vocoder the model plays through")
    tl.add_argument("--from", dest="initial", default=None, metavar="MODEL",
                    help="warm start from this latent model (name or folder), continuing its schedule")
    tl.add_argument("--export", action="store_true",
                    help="only write the model from the last checkpoint (e.g. after stopping a run)")
    tl.add_argument("--bf16", choices=["auto", "on", "off"], default="auto",
                    help="bfloat16 network (auto: where the hardware runs it natively)")
    tl.add_argument("--random-eq", type=float, default=0.0, metavar="NATS",
                    help="a random smooth EQ of up to this size on each training crop "
                    "(timbre variety; 0.5 nats is 4.3 dB; default off)")
    tl.add_argument("--encoder-only", action="store_true",
                    help="train only the encoder, its decoder frozen, on the decoder's rendering of "
                    "the posterior mean (no sampling): the latents of files decode closer to them, "
                    "generated latents decode as before")
    tl.add_argument("--decoder-only", action="store_true",
                    help="train only the decoder, its encoder frozen: the latent space stays, so "
                    "the index, generator and directions built on it stay valid")
    tl.add_argument("--adversarial", type=float, default=0.0, metavar="WEIGHT",
                    help="add a mel discriminator's loss times this to the decoder's (default off)")

    ms = sub.add_parser("build-model-set", help="one coherent model set from a latent model and a "
                        "vocoder: float16 copies, the retrieval index and the prompt generator")
    ms.add_argument("--latent", required=True, help="latent model over the mel (name or folder)")
    ms.add_argument("--vocoder", required=True, help="vocoder (name or folder)")
    ms.add_argument("--name", required=True, help="name of the set's sound model")
    ms.add_argument("--vocoder-name", default="sketch-vocoder", help="name of the set's vocoder")
    ms.add_argument("--refine", type=int, default=None, metavar="N",
                    help="Griffin-Lim iterations after the vocoder (default: the vocoder's own)")
    ms.add_argument("--refine-shape", type=float, default=None, metavar="W",
                    help="how much of the vocoder's fine structure the refinement keeps, 0-1 "
                    "(default: the vocoder's own)")
    ms.add_argument("--out", type=Path, default=None, help="folder (default: your models folder)")
    ms.add_argument("--data", type=Path, default=None, help="dataset folder (from `sketchpad train`)")
    ms.add_argument("--flow-steps", type=int, default=6000, help="prompt generator training steps")
    ms.add_argument("--encode-fit", type=int, default=20, metavar="N",
                    help="analysis-by-synthesis steps after the encoder, for sounds up to 30 s "
                    "(default 20; 0 = the encoder alone)")
    ms.add_argument("--cpu-int8", action=argparse.BooleanOptionalAction, default=True,
                    help="decode drafts with int8 linear layers on the CPU (default: on)")

    ft = sub.add_parser("finetune", help="fine-tune a sound model and its prompt index on a "
                        "folder of your own sounds; saved as a new model in your models folder")
    ft.add_argument("folder", type=Path, help="folder of audio files (subfolders included; "
                    "file and folder names become the captions)")
    ft.add_argument("--name", required=True, help="name of the new model")
    ft.add_argument("--steps", type=int, default=None,
                    help="training steps (default 600, a few minutes on a CPU; "
                    "run again with the same name to resume or to train further)")
    ft.add_argument("--base", default=None, help="model to start from (default: shipped)")
    ft.add_argument("--shipped-sounds", type=int, default=None, metavar="N",
                    help="sounds of the base model's prompt index to keep in the new one "
                    "(default: all of them; 0 = only yours)")

    bench = sub.add_parser("bench", help="measure what producers feel (prints numbers)")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--minutes", type=float, default=10.0,
                       help="length of the long file used for the UI load measurement")
    bench.add_argument("--device", choices=["cpu", "cuda"], default=None,
                       help="compute device for the models (default: CUDA when present)")
    bench.add_argument("--model", default=None, help="model name or folder (default: shipped)")
    bench.add_argument("--kit-minutes", type=float, default=0.5,
                       help="length of the kit soak (16 voices, a pattern, prompts generating)")
    bench.add_argument("--kit-only", action="store_true", help="only the kit and keys measurements")

    shot = sub.add_parser("screenshot", help="save a PNG of the window mid-session "
                          "(offscreen; no display needed)")
    shot.add_argument("out", type=Path, help="OUT.png")
    shot.add_argument("--prompt", default="warm pad C3", help="what the window generates first")
    shot.add_argument("--scale", type=float, default=1.0,
                      help="device pixel ratio, e.g. 2 for a 4K screen at 200%%")
    shot.add_argument("--size", default="1280x800", help="window size in logical pixels, WxH")

    ev = sub.add_parser("evaluate", help="score a sound model against the Griffin-Lim baseline "
                        "(MR-STFT distance, ViSQOL) on held-out one-shots and real music")
    ev.add_argument("--model", default=None, help="model name or folder (default: shipped)")
    ev.add_argument("--json", type=Path, default=None, help="also write the results here")
    ev.add_argument("--music", type=int, default=12, help="music excerpts (10 s each)")
    ev.add_argument("--stages", action="store_true",
                    help="the stages table instead: Griffin-Lim and the fallback from the true mel, "
                    "the vocoder from the true mel, and the round trip of each --models")
    ev.add_argument("--vocoder", default="sketch-vocoder", help="vocoder of the stages table")
    ev.add_argument("--refine", type=int, nargs="+", default=[0, 8],
                    help="Griffin-Lim iterations after the vocoder to compare (default: 0 8)")
    ev.add_argument("--refine-shape", type=float, nargs="+", default=[0.0], metavar="W",
                    help="how much of the vocoder's own fine structure the refinement keeps, 0-1, "
                    "each compared (default: 0, the mel's pseudo-inverse)")
    ev.add_argument("--models", nargs="*", default=None,
                    help="sound models whose round trips the stages table shows (default: --model)")
    ev.add_argument("--detail-picture", type=Path, default=None, metavar="PNG",
                    help="draw spectrograms of a small slider move on a held-out song with "
                    "Detail on and off into this PNG (and print both distances)")
    ev.add_argument("--pictures", type=Path, default=None, metavar="PNG",
                    help="with --stages: also draw spectrograms of three held-out items (a low "
                    "piano note, a snare, a music excerpt) through each codec into this PNG")
    evb = sub.add_parser("evaluate-blend", help="measure blending on real recorded songs: step "
                         "spacing, mix, style, beat alignment, render speed, time to first audio")
    evb.add_argument("--model", default=None, help="model name or folder (default: shipped)")
    evb.add_argument("--json", type=Path, default=None, help="also write the results here")
    evb.add_argument("--no-window", action="store_true",
                     help="skip the measurement in the real (offscreen) window")

    idx = sub.add_parser("index", help="import a sample folder into its library cache "
                         "(recursive; only new or changed files are analysed)")
    idx.add_argument("folder", type=Path)
    idx.add_argument("--model", default=None, help="model name or folder (default: shipped)")
    idx.add_argument("--map", action="store_true",
                     help="also lay the library out in 2D and report how well neighbours are kept")
    evm = sub.add_parser("evaluate-map", help="measure the library map on a folder: import "
                         "speed, neighbour preservation, expanders, 10,000-dot map widget")
    evm.add_argument("folder", type=Path)
    evm.add_argument("--model", default=None, help="model name or folder (default: shipped)")
    evm.add_argument("--json", type=Path, default=None, help="also write the results here")
    evm.add_argument("--no-window", action="store_true", help="skip the map widget measurement")
    evp = sub.add_parser("evaluate-prompts", help="measure the prompt box: an instrument judge "
                         "trained on the held-out soundfont scores each prompt engine (accuracy, "
                         "Frechet distance, spread, pitch, speed)")
    evp.add_argument("--engine", action="append", default=None, metavar="NAME",
                     help="engine to evaluate; repeat for several (default: all)")
    evp.add_argument("--model", default=None, help="sound model name or folder (default: shipped)")
    evp.add_argument("--count", type=int, default=8, help="results per prompt")
    evp.add_argument("--json", type=Path, default=None, help="also write the results here")
    evp.add_argument("--quick", action="store_true", help=argparse.SUPPRESS)  # tests: few prompts
    return parser


def make_folder(path: Path) -> None:
    """Create an output folder, or say in one line why it can't be."""
    if path.exists() and not path.is_dir():
        raise SketchpadError(f"'{path}' is a file; --out needs a folder here.")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise SketchpadError(f"Can't create folder '{path}': {err.strerror or err}.") from None


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


MAX_FIT_STEPS = 500


def _check_fit_steps(steps: int | None, flag: str) -> None:
    if steps is not None and not 0 <= steps <= MAX_FIT_STEPS:
        raise SketchpadError(f"{flag} must be between 0 and {MAX_FIT_STEPS}, got {steps}.")


def _cmd_reconstruct(args) -> int:
    from sketchpad.audio.export import WavMetadata, write_wav
    from sketchpad.audio.io import load_audio

    from sketchpad.engine.model import MEL_MODEL_KIND

    _check_fit_steps(args.fit_steps, "--fit-steps")
    model = _load_sound_model(args.model)
    if args.fit_steps and model.info.get("kind") != MEL_MODEL_KIND:
        raise SketchpadError(f"--fit-steps needs a latent model over the mel; '{model.name}' is not one.")
    audio = load_audio(args.input)
    out = model.reconstruct(audio.samples, fit_steps=args.fit_steps)
    metadata = WavMetadata(model=model.name, title=f"{args.input.stem} (reconstructed)")
    print(write_wav(args.out, out, audio.sample_rate, bit_depth=args.bit_depth, metadata=metadata))
    return 0


def _cmd_generate(args) -> int:
    import re

    from sketchpad.audio.export import WavMetadata, write_wav
    from sketchpad.audio.pitch import parse_note
    from sketchpad.engine.prompt_engines import load_prompt_engine
    from sketchpad.engine.text import clean_prompt

    prompt = clean_prompt(args.prompt)
    if args.seed < 0:
        raise SketchpadError(f"--seed must be 0 or more, got {args.seed}.")
    if not 1 <= args.count <= 64:
        raise SketchpadError(f"--count must be between 1 and 64, got {args.count}.")
    if args.seconds is not None and not 0.05 <= args.seconds <= 30:
        raise SketchpadError(f"--seconds must be between 0.05 and 30, got {args.seconds}.")
    pitch = None
    if args.pitch is not None:
        pitch = parse_note(args.pitch)
        if pitch is None:
            raise SketchpadError(f"--pitch '{args.pitch}' is not a note name such as C3 or F#2.")
    options = _generator_options(args)
    engine = load_prompt_engine(args.engine, args.model, fallback=args.engine is None)
    if engine.model.notice:
        print(f"note: {engine.model.notice}", file=sys.stderr)
    sounds = engine.generate(prompt, count=args.count, seed=args.seed, seconds=args.seconds,
                             pitch=pitch, **options)
    make_folder(args.out)
    slug = re.sub(r"[^a-z0-9]+", "-", prompt.lower()).strip("-")[:40] or "sound"
    note = pitch if pitch is not None else parse_note(prompt)
    for i, sound in enumerate(sounds):
        meta = WavMetadata(prompt=prompt, seed=args.seed, model=f"{engine.name}:{engine.model.name}",
                           root_note=note, title=f"{prompt} #{i + 1}")
        print(write_wav(args.out / f"{slug}-s{args.seed}-{i + 1:02d}.wav", sound.audio,
                        engine.model.sample_rate, metadata=meta))
    return 0


def _generator_options(args) -> dict:
    """--guidance, --steps and --velocity checked; only the generator engine takes them."""
    from sketchpad.engine.flow import VELOCITIES

    options = {}
    if args.guidance is not None:
        if not 1.0 <= args.guidance <= 10.0:
            raise SketchpadError(f"--guidance must be between 1 and 10, got {args.guidance}.")
        options["guidance"] = args.guidance
    if args.steps is not None:
        if not 1 <= args.steps <= 100:
            raise SketchpadError(f"--steps must be between 1 and 100, got {args.steps}.")
        options["steps"] = args.steps
    if args.velocity is not None:
        word = args.velocity.strip().lower()
        velocity = VELOCITIES.get(word) or (int(word) if word.isdigit() else 0)
        if not 1 <= velocity <= 127:
            raise SketchpadError(f"--velocity must be soft, medium, hard or 1-127, got '{args.velocity}'.")
        options["velocity"] = velocity
    if options and args.engine == "retrieval":
        raise SketchpadError("--guidance, --steps and --velocity work with the generator engine only.")
    return options


def _load_sound_model(name):
    """The sound model ``name`` (or the shipped one); a notice (say, that its vocoder is
    missing and the fallback plays) goes to stderr as one line."""
    from sketchpad.engine.model import SoundModel
    from sketchpad.engine.registry import find_model

    model = SoundModel.load(find_model(name))
    if model.notice:
        print(f"note: {model.notice}", file=sys.stderr)
    return model


def _cmd_blend(args) -> int:
    import numpy as np

    from sketchpad.audio.export import WavMetadata, write_wav
    from sketchpad.audio.io import load_audio
    from sketchpad.engine.interpolation import parse_curve
    from sketchpad.engine.blender import Blender

    if args.mix is not None and not 0.0 <= args.mix <= 1.0:
        raise SketchpadError(f"--mix must be between 0 and 1, got {args.mix}.")
    if args.steps is not None and not 2 <= args.steps <= 64:
        raise SketchpadError(f"--steps must be between 2 and 64, got {args.steps}.")
    if not 0.0 <= args.detail <= 100.0:
        raise SketchpadError(f"--detail must be between 0 and 100, got {args.detail:g}.")
    detail = args.detail / 100.0
    curve = parse_curve(args.curve) if args.curve is not None else None
    model = _load_sound_model(args.model)
    audio_a, audio_b = load_audio(args.a), load_audio(args.b)
    for name, audio in (("A", audio_a), ("B", audio_b)):
        if audio.samples.shape[0] > 1 and not np.any(audio.samples):
            print(f"note: {name} is silent, so the blend moves towards silence.", file=sys.stderr)
    blender = Blender.from_audio(model, audio_a.samples, audio_b.samples, keep_detail=detail > 0)
    if args.align_beats:
        from sketchpad.audio.beats import beat_times

        beats_a = beat_times(audio_a.samples, audio_a.sample_rate)
        beats_b = beat_times(audio_b.samples, audio_b.sample_rate)
        if not blender.align_beats(beats_a, beats_b):
            print("note: too few beats to align (A or B has no steady beat); blending as is.",
                  file=sys.stderr)
    mode = "slerp" if args.slerp else "linear"
    title = f"{args.a.stem} x {args.b.stem}"

    def save(path, audio, what):
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        if peak > 0.999:  # keep the blend from clipping in the file
            audio = audio * (0.999 / peak)
        meta = WavMetadata(model=model.name, title=f"{title} ({what})")
        print(write_wav(path, audio, model.sample_rate, metadata=meta))

    if args.steps is not None:
        make_folder(args.out)
        for i, (alpha, audio) in enumerate(blender.steps(args.steps, mode, detail=detail)):
            name = f"{args.a.stem}-to-{args.b.stem}-{i + 1:02d}-alpha{alpha:.3f}.wav"
            save(args.out / name, audio, f"step {i + 1} of {args.steps}, alpha {alpha:.3f}")
    elif args.style:
        save(args.out, blender.style(args.strength, detail), f"style, strength {args.strength:g}")
    elif curve is not None:
        save(args.out, blender.curve(curve, mode, detail), f"curve {args.curve}")
    else:
        save(args.out, blender.mix(args.mix, mode, detail), f"mix {args.mix:g}")
    return 0


def _cmd_evaluate_blend(args) -> int:
    from sketchpad_measure.bench.blend_eval import main

    return main(model_name=args.model, json_path=args.json, window=not args.no_window)


def _cmd_train(args) -> int:
    from sketchpad.paths import user_data_dir
    from sketchpad.engine.registry import user_models_dir
    from sketchpad.training.run import default_threads, run_training
    from sketchpad.training.train import TrainConfig

    for name, value, low in (("--steps", args.steps, 1), ("--batch-size", args.batch_size, 1),
                             ("--phrases", args.phrases, 0), ("--seed", args.seed, 0)):
        if value is not None and value < low:
            raise SketchpadError(f"{name} must be {low} or more, got {value}.")
    default_threads()
    config = TrainConfig(seed=args.seed)
    if args.steps is not None:
        config.steps = args.steps
    if args.batch_size is not None:
        config.batch_size = args.batch_size
    font = (args.soundfont.stem if args.soundfont else "default").lower()
    folders = {"data_dir": args.data or user_data_dir() / "datasets" / font,
               "run_dir": args.checkpoints or user_data_dir() / "runs" / args.name,
               "out_dir": args.out or user_models_dir() / args.name}
    if args.refine_decoder is not None:
        return _refine_decoder(args, config, folders)
    if args.upsample is not None:
        from dataclasses import replace

        config.architecture = replace(config.architecture, upsample=args.upsample)
    run_training(**folders, name=args.name, config=config, soundfont=args.soundfont,
                 user_folder=args.user_folder, phrases=args.phrases)
    return 0


def _cmd_build_dataset(args) -> int:
    from sketchpad.paths import user_data_dir
    from sketchpad.training.dataset import build_dataset

    if args.phrases < 0 or (args.limit is not None and args.limit < 1):
        raise SketchpadError("--phrases must be 0 or more and --limit 1 or more.")
    folder = args.data or user_data_dir() / "datasets" / args.soundfont.stem.lower()
    manifest = build_dataset(folder, soundfont=args.soundfont, phrases=args.phrases, limit=args.limit)
    print(f"{len(manifest)} items in {folder}")
    return 0


def _cmd_train_vocoder(args) -> int:
    from sketchpad.paths import user_data_dir
    from sketchpad.engine.registry import find_model, user_models_dir
    from sketchpad.training.run import default_threads
    from sketchpad.training.run_vocoder import run_vocoder_training
    from sketchpad.engine.device import native_bf16
    from sketchpad.training.train_vocoder import VocoderTrainConfig

    for name, value in (("--steps", args.steps), ("--minutes", args.minutes)):
        if value is not None and value <= 0:
            raise SketchpadError(f"{name} must be positive, got {value}.")
    run_dir = args.checkpoints or user_data_dir() / "runs" / args.name
    out_dir = args.out or user_models_dir() / args.name
    if args.export:
        from sketchpad.training.run_vocoder import export_vocoder

        if args.refine < 0:
            raise SketchpadError(f"--refine must be 0 or more, got {args.refine}.")
        export_vocoder(run_dir, out_dir, name=args.name, refine_iterations=args.refine, half=args.half)
        return 0
    default_threads()
    config = VocoderTrainConfig(bf16={"auto": native_bf16(), "on": True, "off": False}[args.bf16],
                                adversarial_from=args.adversarial_from)
    if args.steps is not None:
        config.steps = args.steps
    run_vocoder_training(
        data_dir=args.data or user_data_dir() / "datasets" / "default",
        music_cache=user_data_dir() / "music-cache",
        run_dir=run_dir, out_dir=out_dir, name=args.name, config=config,
        initial=find_model(args.initial) if args.initial else None, max_minutes=args.minutes,
        extra_data=args.extra_data)
    return 0


def _cmd_train_latent(args) -> int:
    from sketchpad.paths import user_data_dir
    from sketchpad.engine.registry import user_models_dir
    from sketchpad.training.run import default_threads
    from sketchpad.engine.registry import find_model
    from sketchpad.training.run_latent import run_latent_training

    config = latent_train_config(args)
    default_threads()
    run_dir = args.checkpoints or user_data_dir() / "runs" / args.name
    if args.export:
        from sketchpad.engine.mel_vae import MelVAEConfig
        from sketchpad.training.checkpoint import read_json

        state = read_json(run_dir / "checkpoint" / "state.json")
        if not state.get("step"):
            raise SketchpadError(f"No latent model checkpoint in {run_dir}: train it first.")
        # The checkpoint's own shape and step: nothing is trained, the model is written.
        config.architecture = MelVAEConfig.from_dict(state["training"]["architecture"])
        config.steps = int(state["step"])
    run_latent_training(
        data_dir=args.data or user_data_dir() / "datasets" / "default",
        music_cache=user_data_dir() / "music-cache",
        run_dir=run_dir, out_dir=args.out or user_models_dir() / args.name, name=args.name,
        config=config, vocoder=args.vocoder, max_minutes=args.minutes,
        initial=find_model(args.initial) if args.initial else None, extra_data=args.extra_data)
    return 0


def latent_train_config(args):
    """The latent model's training settings from ``train-latent``'s options (checked)."""
    from dataclasses import replace

    from sketchpad.training.train_mel_vae import MelTrainConfig

    for name, value in (("--steps", args.steps), ("--minutes", args.minutes), ("--channels", args.channels),
                        ("--width", args.width), ("--decoder-blocks", args.decoder_blocks)):
        if value is not None and value <= 0:
            raise SketchpadError(f"{name} must be positive, got {value}.")
    from sketchpad.engine.device import native_bf16

    config = MelTrainConfig(bf16={"auto": native_bf16(), "on": True, "off": False}[args.bf16])
    shape = {"latent_channels": args.channels, "dim": args.width, "decoder_blocks": args.decoder_blocks}
    config.architecture = replace(config.architecture,
                                  **{key: value for key, value in shape.items() if value is not None})
    if args.steps is not None:
        config.steps = args.steps
    if not 0.0 <= args.random_eq <= 3.0:
        raise SketchpadError(f"--random-eq must be between 0 and 3 nats, got {args.random_eq}.")
    config.random_eq_nats = args.random_eq
    if args.encoder_only and args.decoder_only:
        raise SketchpadError("--encoder-only and --decoder-only exclude each other.")
    if not 0.0 <= args.adversarial <= 10.0:
        raise SketchpadError(f"--adversarial must be between 0 and 10, got {args.adversarial}.")
    config.encoder_only = args.encoder_only
    config.decoder_only = args.decoder_only
    config.adversarial_weight = args.adversarial
    return config


def _refine_decoder(args, config, folders: dict) -> int:
    from sketchpad.engine.registry import find_model
    from sketchpad.training.run import REFINE_SETTINGS, refine_decoder

    for flag, value in (("--soundfont", args.soundfont), ("--user-folder", args.user_folder),
                        ("--phrases", args.phrases)):
        if value is not None:
            raise SketchpadError(f"{flag} cannot be combined with --refine-decoder "
                                 "(it trains on an existing dataset).")
    from sketchpad.engine.device import native_bf16

    for key, value in REFINE_SETTINGS.items():
        if not (key == "steps" and args.steps is not None):
            setattr(config, key, value)
    config.bf16 = native_bf16()  # emulated bf16 is slower than float32
    refine_decoder(base_dir=find_model(args.refine_decoder), **folders, name=args.name,
                   config=config, upsample=args.upsample)
    return 0


def _cmd_build_model_set(args) -> int:
    from sketchpad.paths import user_data_dir
    from sketchpad.engine.registry import find_model, user_models_dir
    from sketchpad.training.model_set import build_model_set
    from sketchpad.training.run import default_threads

    if args.refine_shape is not None and not 0.0 <= args.refine_shape <= 1.0:
        raise SketchpadError(f"--refine-shape must be within 0-1, got {args.refine_shape}.")
    if args.flow_steps < 1 or (args.refine is not None and args.refine < 0):
        raise SketchpadError("--flow-steps must be 1 or more and --refine 0 or more.")
    _check_fit_steps(args.encode_fit, "--encode-fit")
    default_threads()
    paths = build_model_set(latent_dir=find_model(args.latent), vocoder_dir=find_model(args.vocoder),
                            data_dir=args.data or user_data_dir() / "datasets" / "default",
                            out_root=args.out or user_models_dir(), name=args.name,
                            vocoder_name=args.vocoder_name, refine_iterations=args.refine,
                            refine_shape=args.refine_shape,
                            flow_steps=args.flow_steps, cpu_int8=args.cpu_int8,
                            encode_fit_steps=args.encode_fit)
    for path in paths.values():
        print(path)
    return 0


def _cmd_finetune(args) -> int:
    from sketchpad.training import finetune as ft
    from sketchpad.training.run import default_threads

    default_threads()
    out = ft.finetune(args.folder, name=args.name, base=args.base,
                      steps=ft.DEFAULT_STEPS if args.steps is None else args.steps,
                      shipped_sounds=args.shipped_sounds)
    print(out)
    return 0


def _cmd_bench(args) -> int:
    from sketchpad_measure.bench import run_benchmarks

    if args.kit_minutes <= 0:
        raise SketchpadError(f"--kit-minutes must be positive, got {args.kit_minutes}.")
    return run_benchmarks(as_json=args.json, long_file_minutes=args.minutes,
                          device=args.device, model_name=args.model, kit_minutes=args.kit_minutes,
                          kit_only=args.kit_only)


def _cmd_evaluate(args) -> int:
    from sketchpad.engine.registry import find_model
    from sketchpad_measure.quality.evaluate import main as evaluate_main

    if args.stages:
        return _evaluate_stages(args)
    if args.detail_picture is not None:
        return _detail_picture(args)

    argv = ["--model-dir", str(find_model(args.model)), "--music", str(args.music)]
    if args.json is not None:
        argv += ["--json", str(args.json)]
    return evaluate_main(argv)


def _detail_picture(args) -> int:
    from sketchpad_measure.quality.eval_data import music_excerpts
    from sketchpad_measure.quality.evaluate import detail_comparison
    from sketchpad_measure.window.stage_pictures import write_stage_pictures

    model = _load_sound_model(args.model)
    if not model.directions:
        raise SketchpadError(f"Model '{model.name}' has no slider directions.")
    excerpt = music_excerpts(2, 10.0)[1]
    label, result = detail_comparison(model, excerpt.audio)
    for name, value in result["scores"].items():
        print(f"{name}: {value:.3f}")
    print(write_stage_pictures(args.detail_picture, [(f"{excerpt.name}, {label}", result["audio"])]))
    return 0


def _evaluate_stages(args) -> int:
    import json

    from sketchpad_measure.quality.evaluate import evaluate_codecs, load_items, stage_codecs, stages_table

    if any(n < 0 for n in args.refine):
        raise SketchpadError("--refine takes iteration counts of 0 or more.")
    if any(not 0.0 <= w <= 1.0 for w in args.refine_shape):
        raise SketchpadError("--refine-shape takes weights from 0 to 1.")
    from sketchpad.engine.registry import DEFAULT_SOUND_MODEL

    models = args.models if args.models is not None else [args.model or DEFAULT_SOUND_MODEL]
    codecs = stage_codecs(args.vocoder, args.refine, models, args.refine_shape)
    items = load_items(True, True, music_count=args.music,
                       warn=lambda line: print(line, file=sys.stderr))
    if not items:
        raise SketchpadError("No evaluation material available.")
    result = evaluate_codecs(codecs, items, progress=lambda line: print(line, file=sys.stderr, flush=True))
    print(stages_table(result))
    print(f"\n{len(items)} items, {len(codecs)} codecs, {result['seconds']:.0f} s")
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=1))
    if args.pictures is not None:
        from sketchpad_measure.quality.evaluate import picture_rows
        from sketchpad_measure.window.stage_pictures import write_stage_pictures

        print(write_stage_pictures(args.pictures, picture_rows(codecs, items)))
    return 0


def _cmd_evaluate_map(args) -> int:
    from sketchpad_measure.bench.map_eval import main

    return main(args.folder, model_name=args.model, json_path=args.json, window=not args.no_window)


def _cmd_evaluate_prompts(args) -> int:
    from sketchpad_measure.quality.prompt_eval import main

    return main(engines=args.engine, model_name=args.model, count=args.count, json_path=args.json,
                quick=args.quick)


def _cmd_index(args) -> int:
    from sketchpad.engine.library import index_folder
    from sketchpad.engine.text import shared_text_encoder

    if not args.folder.is_dir():
        raise SketchpadError(f"Not a folder: {args.folder}")
    model = _load_sound_model(args.model)
    library, summary = index_folder(args.folder, model, shared_text_encoder())
    print("\n".join(summary.lines()))
    if args.map and len(library) >= 8:
        from sketchpad.engine.projection import choose_projection, kmeans_elbow

        choice = choose_projection(library.features)
        for method, score in choice.scores.items():
            print(f"  {method:5s} keeps {score['preservation']:.1%} of 10 nearest neighbours "
                  f"(trustworthiness {score['trustworthiness']:.3f}, {score['seconds']:.1f} s "
                  f"on {choice.sample} sounds)")
        _, k = kmeans_elbow(library.features)
        print(f"  map: {choice.method}; k-means elbow at {k} clusters")
    return 0


def _cmd_screenshot(args) -> int:
    from sketchpad.ui.screenshot import take_screenshot

    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise SketchpadError(f"--size must look like 1280x800, not '{args.size}'.") from None
    if not 0.5 <= args.scale <= 4 or not (320 <= width <= 8000 and 240 <= height <= 8000):
        raise SketchpadError("--scale must be 0.5..4 and --size between 320x240 and 8000x8000.")
    if args.out.suffix.lower() != ".png":
        raise SketchpadError(f"'{args.out}' should end in .png.")
    path = take_screenshot(args.out, prompt=args.prompt, scale=args.scale, width=width, height=height)
    print(path)
    return 0


def _cmd_gui(args) -> int:
    from sketchpad.ui.app import run_app

    return run_app([str(p) for p in getattr(args, "files", [])])


_COMMANDS = {"gui": _cmd_gui, "info": _cmd_info, "convert": _cmd_convert,
             "reconstruct": _cmd_reconstruct, "train": _cmd_train,
             "train-vocoder": _cmd_train_vocoder, "train-latent": _cmd_train_latent,
             "build-dataset": _cmd_build_dataset,
             "build-model-set": _cmd_build_model_set, "bench": _cmd_bench,
             "blend": _cmd_blend, "generate": _cmd_generate, "evaluate-blend": _cmd_evaluate_blend,
             "evaluate": _cmd_evaluate, "screenshot": _cmd_screenshot, "kit": cli_kit.run,
             "finetune": _cmd_finetune, "index": _cmd_index,
             "evaluate-map": _cmd_evaluate_map, "evaluate-prompts": _cmd_evaluate_prompts}


# Modules of the optional extras (pyproject.toml) and the extra that brings each.
_EXTRA_OF_MODULE = {"visqol": "eval", "torchaudio": "eval", "fluidsynth": "train",
                    "pretty_midi": "train"}


def _missing_extra(err: ModuleNotFoundError) -> str | None:
    """One line for a command that needs an extra that is not installed, else None."""
    extra = _EXTRA_OF_MODULE.get((err.name or "").split(".")[0])
    if extra is None:
        return None
    return (f"this command needs the '{extra}' extra ({err.name} is not installed): "
            f".venv/bin/pip install -e '.[{extra}]', or bash packaging/setup.sh --test")


def main(argv: list[str] | None = None) -> int:
    from sketchpad.process_setup import set_up_process

    set_up_process()
    parser = _build_parser()
    args = parser.parse_args(argv)
    command = _COMMANDS[args.command or "gui"]
    try:
        return command(args)
    except SketchpadError as err:
        print(f"sketchpad: {err}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError:
        print("sketchpad: not enough memory for this; try a shorter file or close other programs.",
              file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # noqa: BLE001 - a bug: one line here, the details in the log
        extra = _missing_extra(err) if isinstance(err, ModuleNotFoundError) else None
        if extra is not None:
            print(f"sketchpad: {extra}", file=sys.stderr)
            return EXIT_USAGE
        log = _log_crash(args.command or "gui")
        where = f"; details in {log}" if log else ""
        print(f"sketchpad: internal error ({type(err).__name__}: "
              f"{' '.join(str(err).split())[:200]}){where}", file=sys.stderr)
        return EXIT_BUG


def _log_crash(command: str) -> Path | None:
    """Append the current exception's traceback to crash.log; its path, or None if unwritable."""
    import time
    import traceback

    from sketchpad.paths import user_data_dir

    try:
        path = user_data_dir() / "crash.log"
        with open(path, "a", encoding="utf-8") as log:
            log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} sketchpad {__version__} {command}\n")
            log.write(traceback.format_exc())
        return path
    except OSError:
        return None
