"""`sketchpad train-vocoder`: data, training and export of the mel vocoder in one command."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sketchpad.atomic import atomic_write_text
from sketchpad.engine.vocoder import MelVocoderNet, Vocoder, VocoderConfig, save_vocoder
from sketchpad.errors import SketchpadError
from sketchpad.training.checkpoint import checkpoint_step, read_json
from sketchpad.training.dataset import Manifest, read_dataset_summary
from sketchpad.training.music import INSTALL_HINT, load_training_music
from sketchpad.training.train import AudioBank, stderr_log
from sketchpad.training.train_vocoder import MixedBank, VocoderTrainConfig, train_vocoder

DATA_SUMMARY_NAME = "data.json"


def training_banks(data_dir: Path, music_cache: Path, music_fraction: float, log=stderr_log,
                   extra_data: tuple[Path, ...] = ()):
    """(bank, data summary): the dataset's training split plus the training music.

    ``extra_data``: more dataset folders (other soundfonts) whose training splits
    join the one-shot side of the bank, for timbre variety; each item is drawn
    equally often, whichever folder holds it."""
    sounds, counts = [], {}
    for folder in (data_dir, *extra_data):
        if not (Path(folder) / "manifest.jsonl").is_file():
            hint = ("render one with `sketchpad build-dataset --soundfont FONT.sf2`" if folder != data_dir
                    else "run `sketchpad train` once to build it, or pass --data")
            raise SketchpadError(f"No dataset in {folder}: {hint}.")
        manifest = Manifest.load(folder)
        train_items, _ = manifest.split(0.05)  # the latent model's split: the same items stay held back
        items = [i for i in train_items if i.kind in ("note", "drum", "phrase")]
        sounds += [manifest.audio_path(i) for i in items]
        parameters = (read_dataset_summary(Path(folder)) or {}).get("parameters", {})
        counts[Path(folder).name] = {"items": len(items), "soundfont": parameters.get("soundfont"),
                                     "licence": parameters.get("soundfont_licence")}
    began = time.perf_counter()
    bank = AudioBank.from_files(sounds)
    log(f"{len(sounds)} dataset items loaded in {time.perf_counter() - began:.0f} s")
    waves, music = load_training_music(music_cache) if music_fraction > 0 else ([], {})
    if not waves and music_fraction > 0:
        log(f"no training music installed ({INSTALL_HINT}); training on the dataset alone")
    music_bank = AudioBank(waves, kind="music") if waves else None
    summary = {"dataset_items": len(sounds), "music": music,
               "music_hours": round(sum(w.shape[0] for w in waves) / 44100 / 3600, 2),
               "music_crops": "anywhere in a track; tracks drawn in proportion to their length"}
    if extra_data:
        summary["dataset_items_by_folder"] = counts
    return MixedBank([bank, music_bank], [1.0 - music_fraction, music_fraction]), summary


def run_vocoder_training(*, data_dir, music_cache, run_dir, out_dir, name: str,
                         config: VocoderTrainConfig, initial: str | Path | None = None,
                         max_minutes: float | None = None, extra_data=(), log=stderr_log) -> Path:
    """Train (resuming from ``run_dir``) and write the vocoder to ``out_dir``;
    ``extra_data``: more dataset folders to train on beside ``data_dir``."""
    data_dir, run_dir, out_dir = Path(data_dir), Path(run_dir), Path(out_dir)
    bank, summary = training_banks(data_dir, Path(music_cache), config.music_fraction, log,
                                   extra_data=tuple(Path(d) for d in extra_data))
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run_dir / DATA_SUMMARY_NAME, json.dumps(summary))  # for --export later
    start, start_step = None, 0
    if initial is not None and checkpoint_step(run_dir) == 0:
        shipped = Vocoder.load(initial, device="cpu")
        # Continue the shipped model's schedule where it stopped.
        start, start_step = shipped.net, int(shipped.info.get("training", {}).get("steps_done", 0))
        log(f"warm start from {initial} at step {start_step}")
    net = train_vocoder(bank, run_dir, config, log=log, initial=start, start_step=start_step,
                        max_seconds=None if max_minutes is None else max_minutes * 60)
    return export_vocoder(run_dir, out_dir, name=name, net=net, data_summary=summary, log=log)


def export_vocoder(run_dir, out_dir, *, name: str, net: MelVocoderNet | None = None,
                   data_summary: dict | None = None, refine_iterations: int = 0,
                   half: bool = False, log=stderr_log) -> Path:
    """Write the vocoder of ``run_dir``'s checkpoint (or ``net``) as a model folder.

    ``refine_iterations``: Griffin-Lim iterations the stage runs after the network
    by default (stored in the config); ``half``: float16 weights (for shipping)."""
    from safetensors.torch import load_file

    ckpt = Path(run_dir) / "checkpoint"
    state = read_json(ckpt / "state.json")
    if data_summary is None:
        data_summary = read_json(Path(run_dir) / DATA_SUMMARY_NAME)
    if not state:
        raise SketchpadError(f"No vocoder checkpoint in {run_dir}.")
    config = state.get("training", {})
    if net is None:
        net = MelVocoderNet(VocoderConfig.from_dict(config["architecture"]))
        net.load_state_dict(load_file(str(ckpt / "vocoder.safetensors")))
    save_vocoder(out_dir, net, name=name, extra_config={
        "sample_rate": net.config.spectral.sample_rate,
        "training": {**config, "steps_done": state.get("step", 0)},
        "training_data": data_summary or {}, "refine_iterations": int(refine_iterations),
        "metrics": {}}, half=half)
    log(f"vocoder written to {out_dir} (step {state.get('step', 0)})")
    return Path(out_dir)
