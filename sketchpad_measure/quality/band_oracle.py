"""Does the round trip lose in the band energies or in the fine structure?

For each held-out one-shot (and music excerpt), three finished renderings
through the model's vocoder, scored by MR-STFT against the original:

* the vocoder stage from the true mel;
* the round trip: the latent decoder's mel through the vocoder;
* an oracle: the vocoder's spectrum drawn from the *true* mel (its fine
  structure: harmonics, attacks) and refined towards the *decoded* mel's
  band energies.

The oracle is what a vocoder could reach from decoded mels if it drew the
fine structure as well as from true ones (a vocoder fine-tuned on decoded
mels). Its distance from the round trip bounds what that could win; its
distance from the stage is what only a better latent model can.

Run: ``python -m sketchpad_measure.quality.band_oracle [MODEL] [--music N]``.
"""

from __future__ import annotations

import sketchpad  # noqa: F401  (sets the BLAS thread count before NumPy loads)

import argparse
import time

import numpy as np
import torch


def three_renderings(model, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(stage, round trip, oracle) of mono ``audio``, each as long as the mel allows."""
    from sketchpad.engine.phase import audio_mel

    vocoder = model.vocoder
    true_mel = torch.from_numpy(audio_mel(audio, vocoder.config.spectral))[None]
    latents = torch.from_numpy(np.asarray(model.encode(audio), np.float32))
    # in bf16 where the app decodes in bf16, so the round trip here is the shipped one
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=model.bf16_decode):
        decoded = model.vae.decoder(latents if latents.ndim == 3 else latents[None]).float()
    frames = min(true_mel.shape[-1], decoded.shape[-1])
    true_mel, decoded = true_mel[..., :frames].contiguous(), decoded[..., :frames].contiguous()
    samples = frames * vocoder.config.spectral.hop_samples
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=vocoder.bf16):
        from_true, from_decoded = vocoder.net.spectrum(true_mel), vocoder.net.spectrum(decoded)
    return tuple(vocoder.spectrum_to_wave(mel, spec, samples).numpy()[0]
                 for mel, spec in ((true_mel, from_true), (decoded, from_decoded), (decoded, from_true)))


def neural_vocoder_model(name: str):
    """The sound model ``name`` on the CPU; exits when it does not play through a neural vocoder."""
    from sketchpad.engine.model import SoundModel
    from sketchpad.engine.registry import find_model

    model = SoundModel.load(find_model(name), device="cpu")
    if model.vocoder is None or not hasattr(model.vocoder, "net"):
        raise SystemExit(f"{name} does not play through a neural vocoder")
    return model


def main(argv=None) -> int:
    from sketchpad.process_setup import set_up_process
    from sketchpad_measure.quality.eval_data import held_out_oneshots, music_excerpts
    from sketchpad_measure.quality.metrics import multi_resolution_stft_distance

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", default="sketch-mel")
    parser.add_argument("--music", type=int, default=4, help="music excerpts (10 s) beside the one-shots")
    args = parser.parse_args(argv)
    set_up_process()
    model = neural_vocoder_model(args.model)
    began = time.perf_counter()
    print("| set | stage (true mel) | round trip | oracle: true fine structure, decoded band energies |")
    print("| --- | ---: | ---: | ---: |")
    with torch.inference_mode():
        for name, items in (("one-shots", held_out_oneshots()), ("music", music_excerpts(args.music))):
            rows = []
            for item in items:
                renders = three_renderings(model, item.audio)
                n = min(len(item.audio), len(renders[0]))
                rows.append([multi_resolution_stft_distance(item.audio[:n], r[:n]) for r in renders])
            stage, trip, oracle = np.median(np.array(rows), axis=0)
            print(f"| {name} ({len(rows)}) | {stage:.3f} | {trip:.3f} | {oracle:.3f} |")
    print(f"{time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
