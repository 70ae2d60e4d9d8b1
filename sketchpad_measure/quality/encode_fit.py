"""How far the decoded mel is from good enough, and how many encode-time fit steps to take.

Two tables of median MR-STFT distances, rendered through the model's vocoder
stage as the app renders:

* ``oracle``: the evaluation's held-out one-shots and music excerpts rendered
  from ``true mel + a x (decoded mel - true mel)``. The ``a`` at which a row
  meets its target is the share of the decoded mel's error that may stay.
* ``tune``: the round trip after 0, 10, 20 and 50 fit steps
  (:meth:`sketchpad.engine.mel_vae.MelVAE.fit_latents`) on sounds the
  evaluation never uses: held-out items of the training fonts and 10 s
  excerpts of the training music. The shipped step count is chosen here,
  never on the evaluation's sounds.

Run: ``python -m sketchpad_measure.quality.encode_fit {oracle,tune} [--model M]``.
"""

from __future__ import annotations

import sketchpad  # noqa: F401  (sets the BLAS thread count before NumPy loads)

import argparse
import time
from pathlib import Path

import numpy as np
import torch

ALPHAS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
FIT_STEPS = (0, 10, 20, 50)
TRAINING_FONTS = ("default", "sf_GMbank", "OPL-3_FM_128M")


def interpolated_renderings(model, audio: np.ndarray, alphas=ALPHAS) -> list[np.ndarray]:
    """``audio`` (mono) rendered by the model's vocoder stage from the true mel moved
    ``a`` of the way to the decoded mel, for each ``a``; trimmed to ``audio``'s length."""
    vae, vocoder = model.vae, model.vocoder
    wave = np.pad(np.asarray(audio, np.float32), (0, -len(audio) % model.samples_per_latent))
    with torch.inference_mode():
        true = vae.features(torch.from_numpy(wave)[None])
        mean, _ = vae.encoder(true)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=model.bf16_decode):
            decoded = vae.decoder(mean).float()
        samples = true.shape[-1] * vocoder.config.spectral.hop_samples
        out = []
        for a in alphas:
            mel = (true + a * (decoded - true)).contiguous()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=vocoder.bf16):
                spectrum = vocoder.net.spectrum(mel)
            out.append(vocoder.spectrum_to_wave(mel, spectrum, samples).numpy()[0][: len(audio)])
    return out


def tuning_sounds(datasets: Path, music_cache: Path, per_font: int = 14, excerpts: int = 4,
                  seed: int = 7) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(one-shots, music): the first 2 s of held-out items of each training font found
    under ``datasets``, and 10 s (from 0:20) of training tracks in ``music_cache``."""
    from sketchpad.audio.io import load_audio
    from sketchpad.training.dataset import Manifest

    rng = np.random.default_rng(seed)
    oneshots = []
    for name in TRAINING_FONTS:
        if not (datasets / name).is_dir():
            continue
        manifest = Manifest.load(datasets / name)
        held = [i for i in manifest.split(0.05)[1] if i.kind in ("note", "drum")]
        for k in rng.permutation(len(held))[:per_font]:
            oneshots.append(load_audio(manifest.audio_path(held[k])).samples.mean(axis=1)[: 2 * 44100])
    tracks = sorted(music_cache.rglob("*.npy"))
    music = []
    for k in rng.permutation(len(tracks)):
        track = np.load(tracks[k]).astype(np.float32) / 32768
        if len(track) >= 30 * 44100:
            music.append(track[20 * 44100: 30 * 44100])
        if len(music) == excerpts:
            break
    return oneshots, music


def _table(header: str, columns, sets: dict, score) -> None:
    print(f"| {header} | " + " | ".join(str(c) for c in columns) + " |")
    print("| --- |" + " ---: |" * len(columns))
    for name, sounds in sets.items():
        if sounds:
            medians = np.median(np.array([score(s) for s in sounds]), axis=0)
            print(f"| {name} ({len(sounds)}) | " + " | ".join(f"{m:.3f}" for m in medians) + " |")


def main(argv=None) -> int:
    from sketchpad.paths import user_data_dir
    from sketchpad.process_setup import set_up_process
    from sketchpad_measure.quality.band_oracle import neural_vocoder_model
    from sketchpad_measure.quality.eval_data import held_out_oneshots, music_excerpts
    from sketchpad_measure.quality.metrics import multi_resolution_stft_distance as distance

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("table", choices=["oracle", "tune"])
    parser.add_argument("--model", default="sketch-mel")
    args = parser.parse_args(argv)
    set_up_process()
    model = neural_vocoder_model(args.model)
    began = time.perf_counter()
    if args.table == "oracle":
        sets = {"one-shots": [i.audio for i in held_out_oneshots()],
                "music": [i.audio for i in music_excerpts(4)]}
        _table("set, by a", ALPHAS, sets,
               lambda audio: [distance(audio, r) for r in interpolated_renderings(model, audio)])
    else:
        oneshots, music = tuning_sounds(user_data_dir() / "datasets", user_data_dir() / "music-cache")
        _table("set, by fit steps", FIT_STEPS, {"training fonts, held-out items": oneshots,
                                                "training music": music},
               lambda audio: [distance(audio, model.reconstruct(audio, fit_steps=k)) for k in FIT_STEPS])
    print(f"{time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
