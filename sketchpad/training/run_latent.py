"""`sketchpad train-latent`: train the sketch latent over the mel and write it as a sound model.

The written model names its vocoder (``vocoder`` in its config), so it plays
through the neural vocoder when that loads and through the phase-gradient
fallback otherwise. Per-channel variance of the posterior means on held-out
items is measured and stored with the weights: a channel the KL term
switched off would show a variance near zero.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import torch

from sketchpad.atomic import atomic_write_text
from sketchpad.engine.mel_vae import MelVAE
from sketchpad.engine.model import SoundModel, save_sound_model
from sketchpad.errors import SketchpadError
from sketchpad.engine.vocoder import DEFAULT_VOCODER, PhaseGradientVocoder
from sketchpad.training.checkpoint import checkpoint_step, read_json
from sketchpad.training.dataset import Manifest
from sketchpad.training.run import compute_directions
from sketchpad.training.run_vocoder import DATA_SUMMARY_NAME, training_banks
from sketchpad.training.train import stderr_log
from sketchpad.training.train_mel_vae import MelTrainConfig, train_mel_vae, widen_latent

HELD_OUT_ITEMS = 200
LOUD_RANGE_NATS = float(np.log(100.0))  # 40 dB


def mel_errors(vae, wave: np.ndarray) -> tuple[float, float, np.ndarray]:
    """(mel L1, mel L1 of the bins within 40 dB of the loudest, latent means (C, L)) of one
    mono sound's round trip through ``vae``'s posterior mean (no sampling)."""
    step = vae.config.spectral.hop_samples * vae.config.time_downsample
    wave = np.pad(np.asarray(wave, np.float32), (0, -len(wave) % step))
    with torch.inference_mode():
        mel = vae.features(torch.from_numpy(wave)[None])
        mean, _ = vae.encoder(mel)
        error = torch.abs(vae.decoder(mean) - mel)
        loud = mel >= mel.max() - LOUD_RANGE_NATS
        return float(torch.mean(error)), float(error[loud].mean()), mean[0].numpy()


def held_out_statistics(vae, manifest: Manifest, items, seed: int = 0) -> dict:
    """Mel L1 of the round trip and per-channel variance of the latent means on held-out items."""
    from sketchpad.audio.io import load_audio

    rng = np.random.default_rng(seed)
    chosen = [items[i] for i in rng.permutation(len(items))[:HELD_OUT_ITEMS]]
    errors, loud_errors, means = [], [], []
    for item in chosen:
        error, loud_error, mean = mel_errors(vae, load_audio(manifest.audio_path(item)).samples.mean(axis=1))
        errors.append(error)
        loud_errors.append(loud_error)
        means.append(mean)
    stacked = np.concatenate(means, axis=1)
    variance = stacked.var(axis=1)
    return {"held_out_items": len(chosen), "mel_l1": round(float(np.median(errors)), 4),
            "mel_l1_loud": round(float(np.median(loud_errors)), 4),
            "channel_variance": [round(float(v), 4) for v in variance],
            "channels_below_0.01": int(np.sum(variance < 0.01))}


def run_latent_training(*, data_dir, music_cache, run_dir, out_dir, name: str, config: MelTrainConfig,
                        vocoder: str = DEFAULT_VOCODER, max_minutes: float | None = None,
                        directions: bool = True, initial=None, extra_data=(), log=stderr_log) -> Path:
    """Train (resuming from ``run_dir``, or warm-starting from the model folder ``initial``
    at the step it stopped) and write the model to ``out_dir``. ``extra_data``: more
    dataset folders (other soundfonts) to train on beside ``data_dir``; the held-out
    statistics stay on ``data_dir``'s held-out items."""
    data_dir, run_dir, out_dir = Path(data_dir), Path(run_dir), Path(out_dir)
    done = checkpoint_step(run_dir)
    if done and done >= config.steps:  # nothing left to train: only write the model
        bank, summary = None, read_json(run_dir / DATA_SUMMARY_NAME)
    else:
        bank, summary = training_banks(data_dir, Path(music_cache), config.music_fraction, log,
                                       extra_data=tuple(Path(d) for d in extra_data))
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(run_dir / DATA_SUMMARY_NAME, json.dumps(summary))  # for --export later
    start, start_step = None, 0
    if initial is not None and checkpoint_step(run_dir) == 0:
        shipped = SoundModel.load(initial, device="cpu", vocoder="fallback")
        channels = config.architecture.latent_channels
        if not isinstance(shipped.vae, MelVAE) or shipped.config.latent_channels > channels:
            raise SketchpadError(f"'{initial}' is not a latent model with at most "
                                 f"{channels} channels to start from.")
        start, start_step = shipped.vae, int(shipped.info.get("training", {}).get("steps_done", 0))
        if shipped.config.latent_channels < channels:
            log(f"widening the latent from {shipped.config.latent_channels} to {channels} channels")
            start = widen_latent(start, channels, seed=config.seed)
        config = dataclasses.replace(config, architecture=start.config)
        log(f"warm start from {initial} at step {start_step}")
    vae = train_mel_vae(bank, run_dir, config, log=log, initial=start, start_step=start_step,
                        max_seconds=None if max_minutes is None else max_minutes * 60)
    manifest = Manifest.load(data_dir)
    train_items, held_out = manifest.split(0.05)
    pool, source = [i for i in held_out if i.kind in ("note", "drum")], "held-out one-shots"
    if not pool:  # a tiny dataset may hold none back
        pool, source = (held_out, "held-out items") if held_out else (train_items, "training items")
    stats = {**held_out_statistics(vae, manifest, pool), "items_from": source}
    log(f"held-out mel L1 {stats['mel_l1']} (loud bins {stats['mel_l1_loud']}), "
        f"channels with variance < 0.01: "
        f"{stats['channels_below_0.01']} of {vae.config.latent_channels}")
    extra = {"vocoder": vocoder, "sample_rate": vae.config.spectral.sample_rate,
             "latent": {"channels": vae.config.latent_channels, "rate_hz": vae.config.latent_rate_hz,
                        "compression": vae.config.compression},
             "training": {**config.to_dict(), "steps_done": checkpoint_step(run_dir)},
             "training_data": summary, "latent_statistics": stats, "metrics": {}}
    tensors = {}
    if directions:
        from sketchpad.engine.directions import directions_to_files

        # Directions come from the latent alone; no need to render audio for them.
        model = SoundModel(vae, name=name, config={}, device="cpu", vocoder=PhaseGradientVocoder())
        log("finding slider directions")
        entries, tensors = directions_to_files(compute_directions(model, manifest, train_items,
                                                                  seed=config.seed))
        extra["directions"] = entries
    save_sound_model(out_dir, vae, name=name, extra_config=extra, extra_tensors=tensors)
    log(f"model written to {out_dir}")
    return out_dir
