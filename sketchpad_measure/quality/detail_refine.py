"""Edits of a file with its detail added back: the vocoder network alone (what the app
does) against the refined vocoder stage (what it did before), in one run.

For two held-out songs (10 s from 1:00), a +0.5 Brightness move: its MR-STFT
distance to the original, the untouched identity (largest difference), the time
of the first move (encode, residual, decode), and the real-time factor of a
full 60 s blend with Detail.

Run: python -m sketchpad_measure.quality.detail_refine [MODEL]   (a v2 sound model)
"""

from __future__ import annotations

import sketchpad  # noqa: F401  (sets the thread limits before numpy loads)

import argparse
import time

import numpy as np

SONGS = ("chaos_god", "internal_degeneration")
START_S, SECONDS = 60, 10
MOVE = {"Brightness": 0.5}


def _always_refining(model):
    """``model`` with refine=False ignored: every decode refined, as before the change."""
    plain_decode, plain_span = model.decode, model.decode_span
    model.decode = lambda z, frames=None, refine=True: plain_decode(z, frames, True)
    model.decode_span = lambda z, first, last, refine=True: plain_span(z, first, last, True)
    return model


def measure(model) -> list[dict]:
    from sketchpad.audio.io import load_audio
    from sketchpad.core.clip import make_clip
    from sketchpad.core.generation import reshape_clip
    from sketchpad.engine.latent_ops import SliderState
    from sketchpad_measure.bench.model_speed import measure_blend_rtf
    from sketchpad_measure.quality.eval_data import MUSIC_DIR
    from sketchpad_measure.quality.metrics import multi_resolution_stft_distance

    rate = model.sample_rate
    rows = []
    for track in SONGS:
        path = MUSIC_DIR / track / "song.ogg"
        x = np.ascontiguousarray(load_audio(path).samples[START_S * rate: (START_S + SECONDS) * rate])
        clip = make_clip(track, x, rate, source_path=path)
        began = time.perf_counter()
        moved = reshape_clip(model, clip, SliderState(directions=dict(MOVE)))
        seconds = time.perf_counter() - began
        still = reshape_clip(model, clip, SliderState(), latents=moved.latents, residual=moved.residual)
        body = slice(0, x.shape[0] - 2048)  # the 10 ms end fade aside
        rows.append({"song": track,
                     "move_mrstft": multi_resolution_stft_distance(x.mean(1), moved.samples.mean(1)),
                     "untouched_max_diff": float(np.max(np.abs(still.samples[body] - x[body]))),
                     "first_move_s": seconds})
    rows.append({"blend_rtf_60s": measure_blend_rtf(model, seconds=60.0, runs=2)})
    return rows


def main(argv=None) -> int:
    from sketchpad.engine.model import SoundModel
    from sketchpad.engine.registry import find_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", default=None, help="sound model name or folder")
    args = parser.parse_args(argv)
    folder = find_model(args.model)
    for label, model in (("refined (before)", _always_refining(SoundModel.load(folder, device="cpu"))),
                         ("network alone (now)", SoundModel.load(folder, device="cpu"))):
        rows = measure(model)
        songs, blend = rows[:-1], rows[-1]["blend_rtf_60s"]
        print(f"{label:20s} move MR-STFT {[round(r['move_mrstft'], 3) for r in songs]}  "
              f"untouched {[format(r['untouched_max_diff'], '.1e') for r in songs]}  "
              f"first move {[round(r['first_move_s'], 2) for r in songs]} s  "
              f"60 s blend {[round(r, 1) for r in blend]}x", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
