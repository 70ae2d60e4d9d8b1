"""Mel error of a latent model on the held-out font and held-out music: a one-minute proxy.

``train-latent`` reports the mel L1 on held-out items of its own training font,
which does not follow the round trip (a larger decoder fitted FluidR3 better
and round-tripped TimGM6mb worse). This measures the decoder's mel L1 (all
bins, and the bins within 40 dB of each sound's loudest) on the evaluation's
held-out TimGM6mb one-shots and Muldjord excerpts, from a model folder or
from a training run's checkpoint while the run goes on. Judge a model by
``sketchpad evaluate --stages``; use this to watch a run.

Run: ``python -m sketchpad_measure.quality.held_out_mel MODEL_OR_CHECKPOINT [...] [--music N]``.
"""

from __future__ import annotations

import sketchpad  # noqa: F401  (sets the BLAS thread count before NumPy loads)

import argparse
from pathlib import Path

import numpy as np


def load_latent(source: str):
    """A MelVAE (float32, eval) from a model name/folder or a training checkpoint folder."""
    from sketchpad.engine.mel_vae import MelVAE, MelVAEConfig
    from sketchpad.engine.model import SoundModel
    from sketchpad.errors import SketchpadError
    from sketchpad.training.checkpoint import STATE_NAME, load_checkpoint, read_json

    folder = Path(source)
    for candidate in (folder, folder / "checkpoint"):
        state = read_json(candidate / STATE_NAME)
        if state.get("step") and (candidate / "mel_vae.safetensors").is_file():
            vae = MelVAE(MelVAEConfig.from_dict(state["training"]["architecture"]))
            step, _, _ = load_checkpoint(candidate, {"mel_vae": (vae, None)}, np.random.default_rng())
            return vae.eval(), f"checkpoint at step {step}"
    model = SoundModel.load(source, device="cpu", vocoder="fallback")
    if not isinstance(model.vae, MelVAE):
        raise SketchpadError(f"{source} is not a mel latent model.")
    return model.vae.float().eval(), f"model at step {model.info.get('training', {}).get('steps_done')}"


def held_out_mel(vae, items) -> dict:
    """Medians of (mel L1, loud-bin mel L1) over ``items`` (EvalItems)."""
    from sketchpad.training.run_latent import mel_errors

    errors = np.array([mel_errors(vae, item.audio)[:2] for item in items])
    return {"items": len(items), "mel_l1": round(float(np.median(errors[:, 0])), 4),
            "mel_l1_loud": round(float(np.median(errors[:, 1])), 4)}


def main(argv=None) -> int:
    from sketchpad_measure.quality.eval_data import held_out_oneshots, music_excerpts

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="+", help="model names or folders, or training run folders")
    parser.add_argument("--music", type=int, default=6, help="music excerpts (10 s); 0 for none")
    args = parser.parse_args(argv)
    sets = {"held-out one-shots": held_out_oneshots()}
    if args.music:
        sets["held-out music"] = music_excerpts(count=args.music)
    print("| source | set | mel L1 | loud bins |\n| --- | --- | ---: | ---: |")
    for source in args.sources:
        vae, what = load_latent(source)
        for name, items in sets.items():
            result = held_out_mel(vae, items)
            print(f"| {source} ({what}) | {name} (n={result['items']}) | {result['mel_l1']:.4f} | "
                  f"{result['mel_l1_loud']:.4f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
