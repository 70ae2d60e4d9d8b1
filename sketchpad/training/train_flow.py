"""Train the flow-matching generator on a retrieval index's one-shots.

The index already holds what training needs: every training one-shot's
latents, caption and note. Each caption gets several producer-style
rewordings (:mod:`sketchpad.training.paraphrase`), embedded once with
MiniLM; each step draws one rewording per sound. Conditions are dropped at
random (text 10 %, note 20 %, velocity 50 %) so the model also works without
them and classifier-free guidance has an unconditioned branch to push from.

    python -m sketchpad.training.train_flow --index models/sketch-mel-retrieval \
        --out models/sketch-mel-flow --steps 6000
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from sketchpad.engine.flow import (FLOW_KIND, VELOCITIES, FlowConfig, FlowNet, LatentProjection,
                                   note_features, velocity_features)
from sketchpad.engine.model_files import save_model_folder
from sketchpad.engine.latent_frames import fit_frames
from sketchpad.engine.retrieval import RetrievalIndex
from sketchpad.training.paraphrase import paraphrases

FRAMES = 87  # 2 s of latents at 43 Hz: the longest training one-shot
REWORDINGS = 8


def velocity_of(caption: str) -> int | None:
    fields = {f.strip() for f in caption.lower().split(",")}
    return next((v for word, v in VELOCITIES.items() if word in fields), None)


def held_out(caption: str, share: float = 0.03) -> bool:
    digest = hashlib.sha1(caption.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < share


def fit_projection(latents: np.ndarray, components: int) -> LatentProjection:
    """PCA of (N, C, T) latents; coefficient k is divided by sqrt(std_k * mean std), a
    middle way between raw PCA (tail components near 0) and full whitening (all equal)."""
    n, channels, frames = latents.shape
    flat = latents.reshape(n, -1)
    mean = flat.mean(axis=0)
    _, _, vt = np.linalg.svd(flat - mean, full_matrices=False)
    basis = vt[:components]
    std = ((flat - mean) @ basis.T).std(axis=0)
    scale = np.sqrt(std * std.mean())
    return LatentProjection(basis, mean, scale, channels, frames)


def padded_latents(index: RetrievalIndex, silence: np.ndarray, frames: int = FRAMES) -> np.ndarray:
    """(N, C, frames) latents of every indexed sound, cut or padded with silence."""
    return np.concatenate([fit_frames(index.latent(i), frames, silence)
                           for i in range(len(index))]).astype(np.float32)


def embed_rewordings(captions: list[str], text_encoder, seed: int, log=print) -> tuple[np.ndarray, list]:
    """(N, REWORDINGS, 384) float16 embeddings and the texts."""
    rng = np.random.default_rng(seed)
    texts = [paraphrases(c, rng, REWORDINGS) for c in captions]
    unique = sorted({t for group in texts for t in group})
    started = time.perf_counter()
    vectors = text_encoder.embed(unique)
    log(f"embedded {len(unique)} distinct rewordings in {time.perf_counter() - started:.0f} s")
    row = {t: i for i, t in enumerate(unique)}
    out = np.stack([vectors[[row[t] for t in group]] for group in texts]).astype(np.float16)
    return out, texts


def train_flow(index_folder, out_folder, *, steps: int = 6000, batch: int = 256, lr: float = 1e-3,
               seed: int = 0, config: FlowConfig = FlowConfig(), log=print) -> dict:
    from sketchpad.engine.model import SoundModel
    from sketchpad.engine.text import TextEncoder

    torch.manual_seed(seed)
    index = RetrievalIndex.load(index_folder)
    index_config = json.loads((Path(index_folder) / "config.json").read_text())
    sound_model_name = index_config["sound_model"]
    model = SoundModel.load(Path(index_folder).parent / sound_model_name, device="cpu")
    latents = padded_latents(index, model.silence_frame())
    projection = fit_projection(latents, config.components)
    if projection.scale.shape[0] < config.components:  # a small index has fewer components
        import dataclasses

        config = dataclasses.replace(config, components=projection.scale.shape[0])
    coefficients = projection.to_coefficients(latents).astype(np.float32)
    text, _ = embed_rewordings(index.captions, TextEncoder(), seed, log)
    notes = note_features(index.midi_notes)
    velocities = velocity_features([velocity_of(c) for c in index.captions])

    validation = np.array([held_out(c) for c in index.captions])
    train_rows, val_rows = np.flatnonzero(~validation), np.flatnonzero(validation)
    x1_all = torch.from_numpy(coefficients)
    text_all = torch.from_numpy(text.astype(np.float32))
    note_all, vel_all = torch.from_numpy(notes), torch.from_numpy(velocities)

    net = FlowNet(config)
    ema = copy.deepcopy(net).requires_grad_(False)
    optimiser = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=0.01, betas=(0.9, 0.99))
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=lr, total_steps=steps,
                                                   pct_start=max(0.05, 4 / steps), final_div_factor=100)
    generator = torch.Generator().manual_seed(seed)

    def loss_on(module, rows, drop: bool):
        b = len(rows)
        x1 = x1_all[rows]
        pick = torch.randint(REWORDINGS, (b,), generator=generator)
        txt = text_all[rows, pick]
        note, vel = note_all[rows].clone(), vel_all[rows].clone()
        present = torch.ones(b, dtype=torch.bool)
        if drop:
            present = torch.rand(b, generator=generator) > 0.1
            note[torch.rand(b, generator=generator) < 0.2] = 0.0
            vel[torch.rand(b, generator=generator) < 0.5] = 0.0
        t = torch.sigmoid(torch.randn(b, generator=generator))
        x0 = torch.randn(x1.shape, generator=generator)
        xt = (1 - t[:, None]) * x0 + t[:, None] * x1
        return torch.mean((module(xt, t, txt, present, note, vel) - (x1 - x0)) ** 2)

    started = time.perf_counter()
    history = []
    for step in range(1, steps + 1):
        rows = train_rows[torch.randint(len(train_rows), (batch,), generator=generator).numpy()]
        loss = loss_on(net, torch.from_numpy(rows), drop=True)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        decay = min(0.999, (1 + step) / (10 + step))
        with torch.no_grad():
            for e, p in zip(ema.parameters(), net.parameters()):
                e.lerp_(p, 1 - decay)
        if step % 250 == 0 or step == steps:
            with torch.no_grad():
                val = float(np.mean([loss_on(ema, torch.from_numpy(val_rows), drop=False).item()
                                     for _ in range(4)]))
            history.append({"step": step, "train_loss": float(loss.detach()), "val_loss": val})
            log(f"step {step}/{steps}  loss {float(loss.detach()):.4f}  val {val:.4f}  "
                f"{(time.perf_counter() - started) / step:.3f} s/step")

    seconds = time.perf_counter() - started
    info = {
        "kind": FLOW_KIND, "name": Path(out_folder).name, "sound_model": sound_model_name,
        "architecture": asdict(config),
        "latent": {"channels": projection.channels, "frames": projection.frames},
        "training": {"index": Path(index_folder).name, "items": len(train_rows),
                     "validation_items": len(val_rows), "rewordings": REWORDINGS, "steps": steps,
                     "batch": batch, "learning_rate": lr, "seed": seed, "seconds": round(seconds, 1),
                     "final": history[-1] if history else None},
    }
    tensors = {f"net.{k}": v.half() for k, v in ema.state_dict().items()}
    tensors.update(basis=torch.from_numpy(projection.basis).half(),
                   mean=torch.from_numpy(projection.mean), scale=torch.from_numpy(projection.scale))
    save_model_folder(out_folder, info, tensors)
    log(f"saved {out_folder} after {seconds:.0f} s")
    return info


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="retrieval index folder")
    parser.add_argument("--out", type=Path, required=True, help="new generator folder")
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--blocks", type=int, default=FlowConfig.blocks)
    args = parser.parse_args(argv)
    train_flow(args.index, args.out, steps=args.steps, batch=args.batch, lr=args.lr, seed=args.seed,
               config=FlowConfig(blocks=args.blocks))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
