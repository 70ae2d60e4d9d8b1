"""`sketchpad train`: dataset, training, directions and export in one command.

Under ``torchrun`` every process runs this; rank 0 builds the dataset and
writes the model, the others wait at barriers.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from sketchpad.engine.directions import (descriptors, directions_to_files, find_directions,
                                         latent_summary)
from sketchpad.engine.model import SoundModel
from sketchpad.errors import SketchpadError
from sketchpad.training.checkpoint import read_json
from sketchpad.training.dataset import Manifest, add_user_folder, build_dataset
from sketchpad.training.train import AudioBank, TrainConfig, _distributed, stderr_log, train

DIRECTION_ITEMS = 600  # sounds encoded to find the slider directions

REFINE_SETTINGS = {"steps": 9000, "learning_rate": 1e-4, "final_learning_rate": 1e-5,
                   "warmup_steps": 200, "log_every": 50}
"""The decoder refinement of the model card (about 45 minutes on a 2-core AVX-512 CPU, in
bfloat16 where the CPU runs it natively: the command chooses by hardware)."""


def _barrier(world: int) -> None:
    if world > 1:
        import torch.distributed as dist

        dist.barrier()


def compute_directions(model: SoundModel, manifest: Manifest, items, seed: int = 0):
    """Slider directions from up to DIRECTION_ITEMS items (one-shots first)."""
    from sketchpad.audio.io import load_audio

    rng = np.random.default_rng(seed)
    pool = [i for i in items if i.kind in ("note", "drum")] or list(items)
    chosen = [pool[i] for i in rng.permutation(len(pool))[:DIRECTION_ITEMS]]
    summaries, table = [], []
    for item in chosen:
        audio = load_audio(manifest.audio_path(item)).samples.mean(axis=1)
        summaries.append(latent_summary(model.encode(audio)))
        table.append(descriptors(audio, model.sample_rate, item.midi_note))
    return find_directions(np.stack(summaries), table)


def run_training(*, data_dir, run_dir, out_dir, name: str, config: TrainConfig,
                 soundfont=None, user_folder=None, phrases: int | None = None,
                 log=stderr_log) -> Path:
    rank, world = _distributed()
    data_dir, run_dir, out_dir = Path(data_dir), Path(run_dir), Path(out_dir)
    if rank == 0:
        began = time.perf_counter()
        last = [0.0]

        def progress(fraction, text=""):
            if time.perf_counter() - last[0] > 10:
                last[0] = time.perf_counter()
                log(f"dataset {fraction * 100:5.1f}%  {text}")

        if (read_json(data_dir / "dataset.json").get("status") == "complete"
                and soundfont is None and phrases is None):
            log(f"reusing the dataset in {data_dir}")
        else:  # builds, resumes, or adds what the new settings ask for
            build_dataset(data_dir, soundfont=soundfont,
                          phrases=200 if phrases is None else phrases, progress=progress)
        if user_folder is not None:
            add_user_folder(data_dir, user_folder, progress=progress)
        log(f"dataset ready in {time.perf_counter() - began:.0f} s")
    _barrier(world)
    manifest = Manifest.load(data_dir)
    train_items, validation_items = manifest.split(0.05)
    if rank == 0:
        log(f"loading {len(train_items)} training items ({len(validation_items)} held back)")
    bank = AudioBank.from_files([manifest.audio_path(i) for i in train_items])
    vae = train(bank, run_dir, config, log=log if rank == 0 else (lambda _line: None))
    if rank == 0:
        model = SoundModel(vae, name=name, config={}, device="cpu")
        log("finding slider directions")
        directions = compute_directions(model, manifest, train_items, seed=config.seed)
        entries, tensors = directions_to_files(directions)
        summary = read_json(data_dir / "dataset.json")
        model.save(out_dir, extra_config={
            "sample_rate": model.sample_rate,
            "latent": {"channels": model.latent_channels, "rate_hz": vae.config.latent_rate_hz,
                       "compression": vae.config.compression},
            "training": config.to_dict(),
            "training_data": {k: summary.get(k) for k in (
                "items", "counts_by_kind", "counts_by_family", "total_seconds", "soundfont",
                "parameters") if k in summary},
            "validation_items": len(validation_items),
            "directions": entries,
            "metrics": {},
        }, extra_tensors=tensors)
        log(f"model written to {out_dir}")
        from sketchpad.training.build_index import build_retrieval_index

        index_dir = out_dir.with_name(f"{out_dir.name}-retrieval")
        build_retrieval_index(out_dir, data_dir, index_dir, log=log)
        log(f"retrieval index written to {index_dir}")
    _barrier(world)
    return out_dir


def refine_decoder(*, base_dir, data_dir, run_dir, out_dir, name: str, config: TrainConfig,
                   upsample: str | None = None, log=stderr_log) -> Path:
    """Train only the decoder of the model in ``base_dir`` on an existing dataset.

    The encoder is frozen, so the latent space does not move: the base's slider
    directions, prompt index and generator stay valid and are copied along.
    ``upsample`` switches the decoder's upsampler (warm-started from the base's,
    see ``sketchpad.engine.vae.upgrade_upsampler``); None keeps the base's.
    """
    import dataclasses

    from sketchpad.engine.model_files import read_model_folder, save_model_folder
    from sketchpad.engine.registry import COMPANION_SUFFIXES

    base_dir, data_dir, out_dir = Path(base_dir), Path(data_dir), Path(out_dir)
    base = SoundModel.load(base_dir, device="cpu")
    if read_json(data_dir / "dataset.json").get("status") != "complete":
        raise SketchpadError(f"No complete dataset in {data_dir}: run `sketchpad train` once "
                             "to build it, or pass --data.")
    config = dataclasses.replace(config, freeze_encoder=True,
                                 architecture=dataclasses.replace(
                                     base.config, upsample=upsample or base.config.upsample))
    manifest = Manifest.load(data_dir)
    train_items, _ = manifest.split(0.05)
    log(f"loading {len(train_items)} training items")
    bank = AudioBank.from_files([manifest.audio_path(i) for i in train_items])
    vae = train(bank, run_dir, config, log=log, initial_weights=base_dir)
    refined = SoundModel(vae, name=name, config=base.info, device="cpu")
    refined.extras = base.extras
    training = {**config.to_dict(), "refined_from": base.info.get("training")}
    refined.save(out_dir, extra_config={"training": training, "metrics": {}})
    for suffix in COMPANION_SUFFIXES:  # same latent space, so the prompt engines carry over
        companion = base_dir.with_name(base_dir.name + suffix)
        target = out_dir.with_name(out_dir.name + suffix)
        if companion.is_dir() and companion.resolve() != target.resolve():
            info, tensors = read_model_folder(companion)
            info["sound_model"] = name
            if "name" in info:
                info["name"] = target.name
            save_model_folder(target, info, tensors)
    log(f"model written to {out_dir}")
    return out_dir


def default_threads() -> None:
    """Use every core for one process; share them out under torchrun.
    ``SKETCHPAD_THREADS`` sets the count, for runs that share the machine
    (two 2-thread runs on 2 cores spin against each other)."""
    import torch

    world = int(os.environ.get("WORLD_SIZE", "1"))
    wanted = int(os.environ.get("SKETCHPAD_THREADS", "0") or 0)
    torch.set_num_threads(wanted if wanted > 0 else max(1, (os.cpu_count() or 1) // world))
