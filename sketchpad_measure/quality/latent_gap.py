"""Is a mel latent model limited by its encoder or by its decoder?

For each held-out one-shot (and music excerpt), the encoder's latent is
refined by gradient descent on the decoder's own mel L1 to that sound (Adam,
the decoder frozen). What the best latent reaches is the decoder's limit; the
drop from the encoder's latent to it is the encoder's share of the error
(the "amortisation gap"). A large gap says encode-time optimisation or a
better encoder would help; a small one says only a better decoder will.

Run: ``python -m sketchpad_measure.quality.latent_gap [MODEL] [--steps N]``.
"""

from __future__ import annotations

import sketchpad  # noqa: F401  (sets the BLAS thread count before NumPy loads)

import argparse
import time

import numpy as np
import torch

CHECKPOINTS = (0, 25, 50, 100)


def refined_mel_l1(vae, wave: np.ndarray, steps: int = 100, lr: float = 0.03) -> dict[int, float]:
    """Mel L1 of the decoder from the encoder's latent (key 0) and after k refinement steps."""
    hop = vae.config.spectral.hop_samples * vae.config.time_downsample
    wave = np.pad(np.asarray(wave, np.float32), (0, -len(wave) % hop))
    mel = vae.features(torch.from_numpy(wave)[None])
    with torch.no_grad():
        mean, _ = vae.encoder(mel)
    z = mean.clone().requires_grad_(True)
    optimiser = torch.optim.Adam([z], lr=lr)
    errors = {}
    for step in range(steps + 1):
        error = torch.abs(vae.decoder(z) - mel).mean()
        if step in CHECKPOINTS or step == steps:
            errors[step] = error.item()
        if step == steps:
            break
        optimiser.zero_grad()
        error.backward()
        optimiser.step()
    return errors


def main(argv=None) -> int:
    from sketchpad.engine.mel_vae import MelVAE
    from sketchpad.engine.model import SoundModel
    from sketchpad_measure.quality.eval_data import held_out_oneshots, music_excerpts

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", default="checkpoints/sketch-mel")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--music", type=int, default=4, help="music excerpts (10 s) beside the one-shots")
    args = parser.parse_args(argv)
    model = SoundModel.load(args.model, device="cpu", vocoder="fallback")
    if not isinstance(model.vae, MelVAE):
        raise SystemExit(f"{args.model} is not a mel latent model")
    vae = model.vae.float().eval()
    for p in vae.parameters():
        p.requires_grad_(False)
    began = time.perf_counter()
    sets = {"one-shots": held_out_oneshots(), "music": music_excerpts(args.music)}
    for name, items in sets.items():
        rows = [refined_mel_l1(vae, item.audio, args.steps) for item in items]
        medians = {k: float(np.median([r[k] for r in rows])) for k in rows[0]}
        print(f"{name} ({len(rows)}): held-out mel L1, median, by refinement steps: "
              + ", ".join(f"{k}: {v:.4f}" for k, v in medians.items())
              + f"  (gap {1 - medians[max(medians)] / medians[0]:.0%})")
    print(f"{time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
