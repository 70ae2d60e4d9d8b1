"""Round-trip evaluation of an audio codec against the Griffin-Lim baseline.

A *roundtrip* is any callable ``f(audio) -> audio`` on mono float32 arrays at
44.1 kHz (encode then decode; our model later). For every evaluation item
(:mod:`sketchpad_measure.quality.eval_data`) the roundtrip and the baseline
(:func:`sketchpad_measure.quality.metrics.griffin_lim_from_mel`: the item's true
log-mel, inverted by 32 Griffin-Lim iterations) are run in the same process
and scored against the original with the multi-resolution STFT distance
(lower is better), ViSQOL audio mode (MOS-LQO, higher is better) and the
loudness wobble at the latent rate (a frame-rate buzz; see
:func:`sketchpad_measure.quality.metrics.modulation_db`). The
real-time factor (RTF) is processing seconds / audio seconds (below 1 is
faster than real time; measured on whatever the roundtrip runs on).

Command line::

    python -m sketchpad_measure.quality.evaluate --roundtrip griffin_lim --json out.json
    python -m sketchpad_measure.quality.evaluate --model-dir PATH

Cost (2 CPU cores): ViSQOL takes about 1 s per 10 s clip (about 0.15 s for
a 2 s one-shot) once numba's compiled kernels are cached (the first run ever
compiles them, about 10 s extra); Griffin-Lim about 0.35 s per 10 s. The
defaults (59 one-shots, about 85 s of audio, and 12 ten-second music
excerpts) took 65 s with the identity roundtrip and 118 s with the
Griffin-Lim roundtrip (baseline included in both), i.e. about 1 minute plus
the codec's own time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from sketchpad.errors import SketchpadError
from sketchpad.engine.vae import VAEConfig
from sketchpad_measure.quality.metrics import (attack_rise_ms, griffin_lim_from_mel, modulation_db,
                                        multi_resolution_stft_distance, visqol_score)

Roundtrip = Callable[[np.ndarray], np.ndarray]

BASELINE_NAME = "griffin_lim"
SETS = ("oneshots", "music")


def identity_roundtrip(audio: np.ndarray) -> np.ndarray:
    """The perfect codec: scores are the metrics' best values."""
    return np.array(audio, dtype=np.float32, copy=True)


def griffin_lim_roundtrip(audio: np.ndarray) -> np.ndarray:
    """The baseline as a roundtrip: true log-mel, 32 Griffin-Lim iterations."""
    return griffin_lim_from_mel(audio)


BUILTIN_ROUNDTRIPS: dict[str, Roundtrip] = {
    "identity": identity_roundtrip,
    "griffin_lim": griffin_lim_roundtrip,
}


def model_roundtrip(model_dir: str | Path) -> Roundtrip:
    """The roundtrip of the sound model in ``model_dir`` (a folder or a model name):
    mono float32 at 44.1 kHz through encoder and decoder, same length back."""
    from sketchpad.engine.model import SoundModel
    from sketchpad.engine.registry import find_model

    model = SoundModel.load(find_model(model_dir))
    return model.reconstruct


def _run(roundtrip: Roundtrip, audio: np.ndarray) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    out = roundtrip(np.ascontiguousarray(audio, dtype=np.float32))
    elapsed = time.perf_counter() - start
    out = np.asarray(out, dtype=np.float32)
    if out.ndim == 2 and out.shape[1] in (1, 2):
        out = out.mean(axis=1)
    if out.ndim != 1:
        raise SketchpadError(f"Roundtrip returned shape {out.shape}; expected mono (samples,).")
    if not np.all(np.isfinite(out)):
        raise SketchpadError("Roundtrip returned NaN or infinite samples.")
    return out, elapsed


BUZZ_HZ = VAEConfig().latent_rate_hz
"""Where a frame-rate buzz would sit: the latent rate of the default architecture."""

SCORES = ("mrstft", "visqol", "rtf", "buzz_db")
"""Per-codec scores summarised as medians."""


def _score(reference: np.ndarray, estimate: np.ndarray, elapsed: float, sample_rate: int) -> dict:
    seconds = max(len(reference) / sample_rate, 1e-9)
    return {
        "mrstft": multi_resolution_stft_distance(reference, estimate, sample_rate),
        "visqol": visqol_score(reference, estimate, sample_rate),
        "rtf": elapsed / seconds,
        "length_ratio": len(estimate) / max(len(reference), 1),
        "buzz_db": modulation_db(reference, estimate, BUZZ_HZ, sample_rate)[1],
    }


def _median(values: Iterable[float]) -> float | None:
    values = [v for v in values if v is not None and np.isfinite(v)]
    return float(statistics.median(values)) if values else None


def evaluate_roundtrip(roundtrip: Roundtrip, items, sample_rate: int = 44100, *,
                       baseline: Roundtrip | None = griffin_lim_roundtrip,
                       progress: Callable[[str], None] | None = None) -> dict:
    """Score ``roundtrip`` (and ``baseline``, default Griffin-Lim) on ``items``.

    ``items``: :class:`~sketchpad_measure.quality.eval_data.EvalItem` objects (or
    anything with ``name``, ``set``, ``category`` and mono ``audio`` at
    ``sample_rate``). Returns a JSON-ready dict::

        {"sample_rate": 44100,
         "items": [{"name", "set", "category", "seconds",
                    "roundtrip": {"mrstft", "visqol", "rtf", "length_ratio"},
                    "baseline":  {...same...}}, ...],
         "summary": {set_name: {"n": count,
                                "roundtrip": {"mrstft", "visqol", "rtf"},  # medians
                                "baseline":  {...}}, ...,
                     "all": {...same over every item...}},
         "seconds": wall time of the whole evaluation}

    ``baseline=None`` skips the baseline ("baseline" entries are then None).
    ``progress`` gets one line per item.
    """
    started = time.perf_counter()
    rows = []
    items = list(items)
    for index, item in enumerate(items):
        audio = np.ascontiguousarray(item.audio, dtype=np.float32)
        out, elapsed = _run(roundtrip, audio)
        row = {"name": item.name, "set": item.set, "category": item.category,
               "seconds": len(audio) / sample_rate,
               "reference": {"buzz_db": modulation_db(audio, audio, BUZZ_HZ, sample_rate)[0]},
               "roundtrip": _score(audio, out, elapsed, sample_rate), "baseline": None}
        if baseline is not None:
            base, base_elapsed = _run(baseline, audio)
            row["baseline"] = _score(audio, base, base_elapsed, sample_rate)
        rows.append(row)
        if progress is not None:
            r = row["roundtrip"]
            progress(f"[{index + 1}/{len(items)}] {item.set}/{item.name}: "
                     f"MR-STFT {r['mrstft']:.3f} ViSQOL {r['visqol']:.2f}")

    def summarise(subset: list[dict]) -> dict:
        out = {"n": len(subset),
               "reference": {"buzz_db": _median(r["reference"]["buzz_db"] for r in subset)}}
        for codec in ("roundtrip", "baseline"):
            scored = [r[codec] for r in subset if r[codec] is not None]
            out[codec] = ({key: _median(s[key] for s in scored) for key in SCORES}
                          if scored else None)
        return out

    summary = {}
    for set_name in sorted({r["set"] for r in rows}, key=lambda s: (SETS.index(s) if s in SETS else len(SETS), s)):
        summary[set_name] = summarise([r for r in rows if r["set"] == set_name])
    summary["all"] = summarise(rows)
    return {"sample_rate": sample_rate, "items": rows, "summary": summary,
            "seconds": time.perf_counter() - started}


# --- the stages table: where the loss is --------------------------------------

STAGE_SCORES = ("mrstft", "visqol", "rise_ms", "buzz_db", "rtf")


def vocoder_from_true_mel(stage) -> Roundtrip:
    """Audio -> its true log-mel -> ``stage`` (a vocoder stage) -> audio of the same length."""
    from sketchpad.engine.phase import audio_mel

    spectral = getattr(stage, "config", None)
    spectral = getattr(spectral, "spectral", spectral)

    def roundtrip(audio: np.ndarray) -> np.ndarray:
        return stage.render(audio_mel(audio, spectral), audio.shape[0])

    return roundtrip


def stage_codecs(vocoder: str | Path | None, refine: Iterable[int] = (0,),
                 models: Iterable[str | Path] = (), shapes: Iterable[float] = (0.0,)
                 ) -> dict[str, Roundtrip]:
    """Every codec of the stages table, in order: the Griffin-Lim baseline, the fallback,
    the vocoder from the true mel (raw, and with each number of refinement iterations at each
    refinement shape weight), and the full round trip of each model."""
    from sketchpad.engine.model import SoundModel
    from sketchpad.engine.registry import find_model
    from sketchpad.engine.vocoder import PhaseGradientVocoder, Vocoder

    codecs: dict[str, Roundtrip] = {"Griffin-Lim 32 from true mel (baseline)": griffin_lim_roundtrip,
                                    "fallback: phase gradient + 32 fast GL": vocoder_from_true_mel(
                                        PhaseGradientVocoder())}
    if vocoder is not None:
        folder = find_model(vocoder)
        for iterations in refine:
            for shape in (shapes if iterations else (0.0,)):
                stage = Vocoder.load(folder, refine_iterations=iterations, refine_shape=shape)
                label = f"vocoder {stage.name}" + (f" + {iterations} GL" if iterations else "")
                label += f" shape {shape:g}" if iterations and shape else ""
                codecs[label + " from true mel"] = vocoder_from_true_mel(stage)
    for model in models:
        loaded = SoundModel.load(find_model(model))
        latent = loaded.info.get("latent", {})
        label = f"round trip {loaded.name} ({latent.get('compression', 0):.0f}x)"
        if label in codecs:  # two versions of one model: tell them apart by where they are
            label += f" from {model}"
        codecs[label] = loaded.reconstruct
    return codecs


def evaluate_codecs(codecs: dict[str, Roundtrip], items, sample_rate: int = 44100,
                    progress: Callable[[str], None] | None = None) -> dict:
    """Score every codec on every item in one run; medians per set.

    Rise times (:func:`attack_rise_ms`) are measured on one-shots only;
    ``rise_smear_ms`` is the median of (codec's rise - original's rise).
    """
    started = time.perf_counter()
    rows = []
    items = list(items)
    for index, item in enumerate(items):
        audio = np.ascontiguousarray(item.audio, dtype=np.float32)
        oneshot = item.set == "oneshots"
        row = {"name": item.name, "set": item.set, "category": item.category,
               "seconds": len(audio) / sample_rate,
               "reference": {"buzz_db": modulation_db(audio, audio, BUZZ_HZ, sample_rate)[0],
                             "rise_ms": attack_rise_ms(audio, sample_rate) if oneshot else None},
               "codecs": {}}
        for name, codec in codecs.items():
            out, elapsed = _run(codec, audio)
            score = _score(audio, out, elapsed, sample_rate)
            score["rise_ms"] = attack_rise_ms(out, sample_rate) if oneshot else None
            row["codecs"][name] = score
        rows.append(row)
        if progress is not None:
            progress(f"[{index + 1}/{len(items)}] {item.set}/{item.name}")
    summary = {}
    for set_name in sorted({r["set"] for r in rows}, key=lambda n: SETS.index(n) if n in SETS else 99):
        subset = [r for r in rows if r["set"] == set_name]
        entry = {"n": len(subset), "reference": {
            "rise_ms": _median(r["reference"]["rise_ms"] for r in subset),
            "buzz_db": _median(r["reference"]["buzz_db"] for r in subset)}, "codecs": {}}
        for name in codecs:
            scores = [r["codecs"][name] for r in subset]
            medians = {key: _median(s[key] for s in scores) for key in STAGE_SCORES}
            smear = [s["rise_ms"] - r["reference"]["rise_ms"] for s, r in zip(scores, subset)
                     if s["rise_ms"] is not None and r["reference"]["rise_ms"] is not None]
            medians["rise_smear_ms"] = _median(smear)
            entry["codecs"][name] = medians
        summary[set_name] = entry
    return {"sample_rate": sample_rate, "codecs": list(codecs), "items": rows, "summary": summary,
            "seconds": time.perf_counter() - started}


def detail_comparison(model, song: np.ndarray, amount: float = 0.5) -> tuple[str, dict]:
    """A small slider move (the first direction by ``amount``) on ``song`` (mono) with
    Detail at 100 % and at 0 %, and the MR-STFT distance of each to the song."""
    from sketchpad.engine.detail import add_detail, round_trip_residual
    from sketchpad.engine.latent_ops import SliderState, apply_sliders

    latents = model.encode(song)
    residual = round_trip_residual(model, song, latents)
    direction = model.directions[0].name
    moved = model.decode(apply_sliders(latents, SliderState(directions={direction: amount}),
                                       model.directions), frames=len(song))
    with_detail, without = add_detail(moved, residual, 1.0)[:, 0], moved[:, 0]
    scores = {"detail_on_mrstft": multi_resolution_stft_distance(song, with_detail),
              "detail_off_mrstft": multi_resolution_stft_distance(song, without)}
    label = f"{direction} {amount:+g}"
    return label, {"audio": {"original": song, f"{label}, Detail 100 %": with_detail,
                             f"{label}, Detail 0 %": without}, "scores": scores}


PICTURE_CATEGORIES = ("piano", "snare", "music")


def picture_rows(codecs: dict[str, Roundtrip], items) -> list[tuple[str, dict[str, np.ndarray]]]:
    """For the stages pictures: the lowest piano note, the first snare and the first music
    excerpt (those present), each as it is and through every codec."""
    def pick(category):
        found = [i for i in items if i.category == category or (category == "music" and i.set == "music")]
        if category == "piano":
            found.sort(key=lambda i: i.name.split("_n")[-1])  # lowest note first
        return found[0] if found else None

    rows = []
    for item in filter(None, map(pick, PICTURE_CATEGORIES)):
        audio = np.ascontiguousarray(item.audio, dtype=np.float32)
        rows.append((f"{item.set}/{item.name}", {"original": audio, **{
            name: _run(codec, audio)[0] for name, codec in codecs.items()}}))
    return rows


def stages_table(result: dict) -> str:
    """The stages table as markdown: one row per set and codec."""
    lines = ["| set | codec | MR-STFT (lower better) | ViSQOL | attack rise, ms (smear) | "
             f"{BUZZ_HZ:.0f} Hz wobble, dB | RTF |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for set_name, entry in result["summary"].items():
        ref = entry["reference"]
        rise = f"{_fmt(ref['rise_ms'], 1)}" if ref["rise_ms"] is not None else ""
        lines.append(f"| {set_name} (n={entry['n']}) | original | | | {rise} | {_fmt(ref['buzz_db'], 2)} | |")
        for name, m in entry["codecs"].items():
            rise = "" if m["rise_ms"] is None else f"{_fmt(m['rise_ms'], 1)} ({_fmt(m['rise_smear_ms'], 1)})"
            lines.append(f"| {set_name} | {name} | {_fmt(m['mrstft'], 3)} | {_fmt(m['visqol'], 2)} | "
                         f"{rise} | {_fmt(m['buzz_db'], 2)} | {_fmt(m['rtf'], 3)} |")
    return "\n".join(lines)


def _fmt(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def markdown_table(result: dict, roundtrip_name: str = "roundtrip") -> str:
    """Medians per set as a markdown table, roundtrip and baseline side by side."""
    lines = ["| set | codec | n | MR-STFT (median, lower better) | ViSQOL MOS-LQO (median) | "
             f"{BUZZ_HZ:.0f} Hz wobble, dB (median) | RTF (median) |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for set_name, stats in result["summary"].items():
        lines.append(f"| {set_name} | original | {stats['n']} | | | "
                     f"{_fmt(stats['reference']['buzz_db'], 2)} | |")
        for codec, label in (("roundtrip", roundtrip_name), ("baseline", BASELINE_NAME + " (baseline)")):
            s = stats[codec]
            if s is None:
                continue
            lines.append(f"| {set_name} | {label} | {stats['n']} | {_fmt(s['mrstft'], 3)} | "
                         f"{_fmt(s['visqol'], 2)} | {_fmt(s['buzz_db'], 2)} | {_fmt(s['rtf'], 3)} |")
    return "\n".join(lines)


def load_items(oneshots: bool = True, music: bool = True, *, per_category: int | None = None,
               music_count: int = 12, music_seconds: float = 10.0, eval_dir: str | Path | None = None,
               warn: Callable[[str], None] | None = None) -> list:
    """Both evaluation sets; a set whose material is missing is skipped with ``warn(reason)``
    (or raises SketchpadError when ``warn`` is None)."""
    from sketchpad_measure.quality import eval_data

    items = []
    loaders = []
    if oneshots:
        cache = Path(eval_dir) / "oneshots" if eval_dir is not None else None
        loaders.append(("oneshots", lambda: eval_data.held_out_oneshots(cache, per_category)))
    if music and music_count > 0:
        loaders.append(("music", lambda: eval_data.music_excerpts(music_count, music_seconds)))
    for name, load in loaders:
        try:
            items.extend(load())
        except SketchpadError as err:
            if warn is None:
                raise
            warn(f"skipping {name}: {err}")
    return items


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sketchpad_measure.quality.evaluate",
                                     description="Round-trip evaluation against the Griffin-Lim baseline.")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--roundtrip", choices=sorted(BUILTIN_ROUNDTRIPS), default="identity",
                       help="built-in roundtrip to evaluate (default: identity)")
    which.add_argument("--model-dir", help="evaluate the model stored in this folder")
    parser.add_argument("--per-category", type=int, default=None,
                        help="one-shots per category (default: all, 3-4)")
    parser.add_argument("--music", type=int, default=12, help="number of music excerpts (default 12)")
    parser.add_argument("--music-seconds", type=float, default=10.0, help="excerpt length (default 10)")
    parser.add_argument("--no-oneshots", action="store_true", help="skip the one-shot set")
    parser.add_argument("--eval-dir", help="cache folder for rendered one-shots (default: user data/eval)")
    parser.add_argument("--no-baseline", action="store_true", help="do not run the Griffin-Lim baseline")
    parser.add_argument("--json", help="also write all results to this JSON file")
    parser.add_argument("--quiet", action="store_true", help="no per-item progress on stderr")
    args = parser.parse_args(argv)

    def err(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        if args.model_dir:
            roundtrip, name = model_roundtrip(args.model_dir), Path(args.model_dir).name
        else:
            roundtrip, name = BUILTIN_ROUNDTRIPS[args.roundtrip], args.roundtrip
        items = load_items(not args.no_oneshots, True, per_category=args.per_category,
                           music_count=args.music, music_seconds=args.music_seconds,
                           eval_dir=args.eval_dir, warn=err)
        if not items:
            raise SketchpadError("No evaluation material available.")
        result = evaluate_roundtrip(roundtrip, items, baseline=None if args.no_baseline else griffin_lim_roundtrip,
                                    progress=None if args.quiet else err)
    except SketchpadError as exc:
        err(f"error: {exc}")
        return 2
    result["roundtrip"] = name
    print(markdown_table(result, name))
    print(f"\n{len(items)} items evaluated in {result['seconds']:.1f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
