"""`sketchpad evaluate-map FOLDER`: the library map measured on a real folder.

* import throughput: a fresh import (empty cache) in files/s, overall and
  after decoding (encode + features + caption embedding), then a second,
  cached import;
* projections: neighbour preservation (share of each sound's 10 nearest
  latent neighbours kept among its 10 nearest on the map) and
  trustworthiness of PCA, t-SNE and UMAP on a sample of the library, and the
  one the app picks;
* expanders: for points between two random sounds, how far each expander's
  latent distances to its anchors are from the map distances (scaled), and
  the time from a point to its decoded sound;
* the map widget with 10,000 dots (the library's own layout, repeated with a
  small jitter when it has fewer sounds): repaint time while panning and
  zooming, and hover hit-test time.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np

from sketchpad_measure.bench import machine_summary, percentiles
from sketchpad.errors import SketchpadError

MAP_POINTS = 10_000


def _expander_checks(library, coords, model, trials: int = 60) -> dict:
    from sketchpad.engine.expanders import EXPANDERS, combine_latents, distance_error, expand

    rng = np.random.default_rng(0)
    features = library.features
    errors = {m: [] for m in EXPANDERS}
    synth_ms = []
    for t in range(trials):
        i, j = rng.choice(len(coords), 2, replace=False)
        point = coords[i] * 0.5 + coords[j] * 0.5
        for method in EXPANDERS:
            anchors, weights = expand(method, point, coords, features)
            errors[method].append(distance_error(point, anchors, weights, coords, features))
            if method == "multilateration" and t < 30:
                started = time.perf_counter()
                latents = combine_latents([library.latents[k] for k in anchors], weights,
                                          model.silence_frame())
                model.decode(latents)
                synth_ms.append(1000 * (time.perf_counter() - started))
    return {"distance_error": {m: float(np.median(v)) for m, v in errors.items()},
            "point_to_sound_ms": percentiles(synth_ms)}


def main(folder: Path, *, model_name: str | None = None, json_path: Path | None = None,
         window: bool = True) -> int:
    from sketchpad.engine.library import index_folder
    from sketchpad.engine.model import SoundModel
    from sketchpad.engine.projection import choose_projection, kmeans_elbow, project
    from sketchpad.engine.registry import find_model
    from sketchpad.engine.text import shared_text_encoder

    if not Path(folder).is_dir():
        raise SketchpadError(f"Not a folder: {folder}")
    model = SoundModel.load(find_model(model_name))
    text = shared_text_encoder()
    text.embed(["warm up"])
    results: dict = {"machine": machine_summary(), "folder": str(folder), "model": model.name}
    with tempfile.TemporaryDirectory() as cache:
        library, first = index_folder(folder, model, text, cache_root=Path(cache))
        _, second = index_folder(folder, model, text, cache_root=Path(cache))
    print("\n".join(first.lines()[:2]))
    results["import"] = {
        "files": first.files, "sounds": len(library), "skipped": len(first.skipped),
        "seconds": first.seconds, "files_per_s": first.analysed / max(first.seconds, 1e-9),
        "files_per_s_after_decoding": first.files_per_second_after_decoding,
        "cached_import_s": second.seconds}
    print(f"  cached re-import: {second.seconds:.2f} s")
    if len(library) < 8:
        raise SketchpadError(f"Only {len(library)} sounds in {folder}; the map needs 8 or more.")

    choice = choose_projection(library.features)
    results["projection"] = {"chosen": choice.method, "sample": choice.sample,
                             "scores": choice.scores}
    for method, score in choice.scores.items():
        print(f"  {method:5s} keeps {score['preservation']:.1%} of 10 nearest neighbours, "
              f"trustworthiness {score['trustworthiness']:.3f} ({score['seconds']:.1f} s, "
              f"{choice.sample} sounds)")
    started = time.perf_counter()
    coords = project(library.features, choice.method)
    layout_s = time.perf_counter() - started
    clusters, k = kmeans_elbow(library.features)
    results["projection"].update(full_layout_s=layout_s, kmeans_k=k)
    print(f"  chosen {choice.method}: whole library laid out in {layout_s:.1f} s; "
          f"k-means elbow at k={k}")

    results["expanders"] = _expander_checks(library, coords, model)
    errors = results["expanders"]["distance_error"]
    print("  expander distance error (latent units, median): "
          + ", ".join(f"{m} {e:.2f}" for m, e in errors.items()))
    synth = results["expanders"]["point_to_sound_ms"]
    print(f"  point to decoded sound: p50 {synth['p50']:.1f} ms, p95 {synth['p95']:.1f} ms")

    if window:
        from sketchpad_measure.window.map_bench import measure_map_frames

        repeats = int(np.ceil(MAP_POINTS / len(coords)))
        rng = np.random.default_rng(0)
        many = np.concatenate([coords + (rng.normal(0, 0.01, coords.shape) if r else 0)
                               for r in range(repeats)])[:MAP_POINTS]
        colours = np.tile(clusters, repeats)[:MAP_POINTS]
        frames = measure_map_frames(many.astype(np.float32), colours)
        results["map_widget"] = {"points": frames["points"],
                                 "set_points_ms": frames["set_points_ms"],
                                 "frame_ms": percentiles(frames["frame_ms"]),
                                 "hover_us": percentiles(frames["hover_us"])}
        f, h = results["map_widget"]["frame_ms"], results["map_widget"]["hover_us"]
        print(f"  map widget, {frames['points']} dots: repaint p50 {f['p50']:.1f} ms, "
              f"p95 {f['p95']:.1f} ms; hover test p50 {h['p50']:.0f} us; "
              f"set_points {frames['set_points_ms']:.0f} ms")
    if json_path is not None:
        Path(json_path).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0
