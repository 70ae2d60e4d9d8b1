"""Choosing the latent rate and width by measurement.

Trains each candidate latent shape for the same number of steps on the same
data and seed, then scores the round trip of held-back items (MR-STFT
distance, lower is better). Every candidate keeps the same 64x compression,
so the question is only how to spend the numbers: more frames per second or
more channels per frame.

    python -m sketchpad_measure.quality.latent_sweep --data DATA_DIR --steps 800
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace

import numpy as np

from sketchpad.audio.io import load_audio
from sketchpad.engine.model import SoundModel
from sketchpad.engine.vae import VAEConfig
from sketchpad.training.dataset import Manifest
from sketchpad_measure.quality.metrics import multi_resolution_stft_distance
from sketchpad.training.train import AudioBank, TrainConfig, train

# (time_downsample, latent_channels): 86, 43 and 21.5 latent frames per second.
CANDIDATES = ((1, 8), (2, 16), (4, 32))


def sweep(data_dir, steps: int, validation_items: int = 60, log=print) -> list[dict]:
    manifest = Manifest.load(data_dir)
    train_items, held_back = manifest.split(0.05)
    bank = AudioBank.from_files([manifest.audio_path(i) for i in train_items])
    rng = np.random.default_rng(0)
    chosen = [held_back[i] for i in rng.permutation(len(held_back))[:validation_items]]
    references = [load_audio(manifest.audio_path(i)).samples.mean(axis=1) for i in chosen]
    rows = []
    for downsample, channels in CANDIDATES:
        architecture = replace(VAEConfig(), time_downsample=downsample, latent_channels=channels)
        config = TrainConfig(steps=steps, architecture=architecture, checkpoint_every=10 ** 9,
                             log_every=max(1, steps // 4))
        began = time.perf_counter()
        with tempfile.TemporaryDirectory() as run_dir:
            vae = train(bank, run_dir, config, log=log)
        model = SoundModel(vae, name="sweep", config={}, device="cpu")
        distances = [multi_resolution_stft_distance(ref, model.reconstruct(ref))
                     for ref in references]
        row = {"latent_rate_hz": round(architecture.latent_rate_hz, 2),
               "latent_channels": channels, "compression": architecture.compression,
               "steps": steps, "validation_items": len(references),
               "mr_stft_median": float(np.median(distances)),
               "train_minutes": round((time.perf_counter() - began) / 60, 1)}
        log(json.dumps(row))
        rows.append(row)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    rows = sweep(args.data, args.steps, log=lambda line: print(line, file=sys.stderr, flush=True))
    print("| latent rate (Hz) | channels | compression | MR-STFT (median) |")
    print("| --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['latent_rate_hz']} | {r['latent_channels']} | {r['compression']:.0f}x "
              f"| {r['mr_stft_median']:.3f} |")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(rows, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
