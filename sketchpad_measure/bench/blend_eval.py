"""`sketchpad evaluate-blend`: the blend feature measured on real recorded songs.

Songs: the four Muldjord tracks of Debian's fretsonfire-songs-muldjord
(recorded metal, CC BY-SA 3.0), each the sum of its stems, stereo, peak at
-1 dBFS; every pair of them (6 pairs). Figures, each a median over pairs:

* morph steps (5 from A to B on a 30 s excerpt, spaced by the Blender):
  coefficient of variation of consecutive log-mel distances (target <= 0.25)
  and the largest step over the mean step (target <= 2). The distance here is
  librosa's 128-band log-mel, not the model's own features the Blender spaces
  the steps with, so the check is not graded by the thing it checks;
* a 0.5 mix against the recordings: d(mix, A) and d(mix, B) below d(A, B);
* style transfer (strength 1), A's full mix in the style of the guitar stem
  of B's song (a real change of timbre; the full mixes of one band differ
  little): distance of its long-term spectrum to the stem's, against A's own
  decoded spectrum, and how well it keeps A's rhythm (onset-envelope
  correlation); AdaIN on latents (shipped) against k-nearest-neighbour frame
  matching (kNN-VC style, measured here only);
* beat alignment: share of A's beats with a beat of B within 70 ms, B as
  recorded, B decoded without alignment, and B decoded aligned;
* speed on the full songs: encode, full render real-time factor, time to
  first audio in the engine (first piece at a random playhead) and in the
  real window (Play pressed to the player started, rendering idle).
"""

from __future__ import annotations

import itertools
import json
import random
import statistics
import time

import numpy as np

from sketchpad_measure.bench import machine_summary, percentiles

EXCERPT_SECONDS = 30.0
EXCERPT_START_SECONDS = 60.0
STEPS = 5
BEAT_TOLERANCE_SECONDS = 0.07
MEL = {"n_fft": 2048, "hop_length": 512, "n_mels": 128}


def full_songs() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(track, full mix, guitar stem) for each Muldjord track on disk: stereo float32
    at 44.1 kHz, each peak-normalised to -1 dBFS."""
    from sketchpad.audio.io import load_audio
    from sketchpad_measure.quality.eval_data import MUSIC_PEAK, MUSIC_STEMS, music_tracks

    def normalised(x):
        return np.ascontiguousarray(x * (MUSIC_PEAK / max(float(np.abs(x).max()), 1e-9)), np.float32)

    songs = []
    for track, stems in music_tracks():
        parts = [load_audio(path).samples for path in stems]
        length = min(p.shape[0] for p in parts)
        mix = np.sum([p[:length] for p in parts], axis=0)
        songs.append((track, normalised(mix), normalised(parts[MUSIC_STEMS.index("guitar.ogg")])))
    return songs


def knn_style(content: np.ndarray, style: np.ndarray, k: int = 8) -> np.ndarray:
    """Each latent frame of ``content`` replaced by the mean of its ``k`` most similar
    (cosine) frames of ``style``, per channel: the kNN-VC recipe, for comparison."""
    out = np.empty_like(content)
    for ch in range(content.shape[0]):
        c, s = content[ch].T, style[min(ch, style.shape[0] - 1)].T  # (frames, C)
        cn = c / np.maximum(np.linalg.norm(c, axis=1, keepdims=True), 1e-6)
        sn = s / np.maximum(np.linalg.norm(s, axis=1, keepdims=True), 1e-6)
        for i in range(0, len(c), 2048):
            nearest = np.argpartition(-(cn[i:i + 2048] @ sn.T), k, axis=1)[:, :k]
            out[ch, :, i:i + 2048] = s[nearest].mean(axis=1).T
    return out


def log_mel_db(audio: np.ndarray, rate: int) -> np.ndarray:
    import librosa

    x = audio.mean(axis=1) if audio.ndim == 2 else audio
    power = librosa.feature.melspectrogram(y=np.asarray(x, np.float32), sr=rate, **MEL)
    return np.maximum(10.0 * np.log10(np.maximum(power, 1e-10)), -80.0)


def mel_distance(x: np.ndarray, y: np.ndarray) -> float:
    """Mean absolute log-mel difference in dB, frame by frame."""
    frames = min(x.shape[1], y.shape[1])
    return float(np.mean(np.abs(x[:, :frames] - y[:, :frames])))


def onset_correlation(x: np.ndarray, y: np.ndarray, rate: int) -> float:
    import librosa

    ex, ey = (librosa.onset.onset_strength(y=a.mean(axis=1) if a.ndim == 2 else a, sr=rate)
              for a in (x, y))
    n = min(len(ex), len(ey))
    return float(np.corrcoef(ex[:n], ey[:n])[0, 1])


def beat_hits(reference: np.ndarray, beats: np.ndarray) -> float:
    """Share of ``reference`` beats with a beat in ``beats`` within the tolerance."""
    if len(reference) == 0 or len(beats) == 0:
        return 0.0
    gaps = np.min(np.abs(reference[:, None] - beats[None, :]), axis=1)
    return float(np.mean(gaps <= BEAT_TOLERANCE_SECONDS))


def evaluate_pair(model, a: np.ndarray, b: np.ndarray, b_guitar: np.ndarray) -> dict:
    """Steps, mix and style on a 30 s excerpt of each song."""
    from sketchpad.engine.interpolation import match_channels
    from sketchpad.engine.blender import Blender

    rate = model.sample_rate
    lo, hi = int(EXCERPT_START_SECONDS * rate), int((EXCERPT_START_SECONDS + EXCERPT_SECONDS) * rate)
    a, b, b_guitar = a[lo:hi], b[lo:hi], b_guitar[lo:hi]
    blender = Blender.from_audio(model, a, b)
    mel_a, mel_b = log_mel_db(a, rate), log_mel_db(b, rate)
    steps = [log_mel_db(audio, rate) for _, audio in blender.steps(STEPS)]
    hops = np.array([mel_distance(x, y) for x, y in zip(steps, steps[1:])])
    mix = log_mel_db(blender.mix(0.5), rate)

    styled = Blender.from_audio(model, a, b_guitar)
    adain = styled.style(1.0)
    knn = styled.decode(knn_style(styled.za, match_channels(styled.za, styled.zb)[1]))
    decoded_a = styled.mix(0.0)
    target = log_mel_db(b_guitar, rate).mean(axis=1)

    def spectrum_distance(x):
        return float(np.mean(np.abs(log_mel_db(x, rate).mean(axis=1) - target)))

    return {
        "steps_cv": float(hops.std() / hops.mean()),
        "steps_max_over_mean": float(hops.max() / hops.mean()),
        "mix_to_a_db": mel_distance(mix, mel_a),
        "mix_to_b_db": mel_distance(mix, mel_b),
        "a_to_b_db": mel_distance(mel_a, mel_b),
        "style_spectrum_to_b_db": spectrum_distance(adain),
        "knn_spectrum_to_b_db": spectrum_distance(knn),
        "a_spectrum_to_b_db": spectrum_distance(decoded_a),
        "style_rhythm_corr_with_a": onset_correlation(adain, a, rate),
        "knn_rhythm_corr_with_a": onset_correlation(knn, a, rate),
        "b_rhythm_corr_with_a": onset_correlation(b_guitar, a, rate),
    }


def evaluate_speed_and_beats(model, a: np.ndarray, b: np.ndarray, za, zb, rng) -> dict:
    """Full-song render speed, first-piece latency and beat alignment for one pair."""
    from sketchpad.audio.beats import beat_times
    from sketchpad.engine.blender import Blender, BlendRecipe
    from sketchpad.engine.progressive import ProgressiveRender, piece_spans

    rate = model.sample_rate
    blender = Blender(model, za, zb, a.shape[0])
    render = ProgressiveRender(blender.frames, model.samples_per_latent)
    latents = blender.latents(BlendRecipe("mix", alpha=0.5))
    start = time.perf_counter()
    render.render(model, latents)
    render_rtf = blender.seconds / (time.perf_counter() - start)
    first_piece_ms = []
    for _ in range(5):  # a Play press: the recipe's latents, then the piece under the playhead
        playhead = rng.randrange(0, latents.shape[2])
        start = time.perf_counter()
        first, last = piece_spans(latents.shape[2], playhead)[0]
        model.decode_span(blender.latents(BlendRecipe("mix", alpha=rng.random())), first, last)
        first_piece_ms.append((time.perf_counter() - start) * 1000)

    beats_a, beats_b = beat_times(a, rate), beat_times(b[: a.shape[0]], rate)
    plain_b = blender.render(BlendRecipe("mix", alpha=1.0))
    aligned = blender.align_beats(beats_a, beats_b)
    aligned_b = blender.render(BlendRecipe("mix", alpha=1.0))
    return {
        "render_rtf": render_rtf,
        "first_piece_ms": first_piece_ms,
        "beats_aligned": aligned,
        "beat_hits_b_recorded": beat_hits(beats_a, beats_b),
        "beat_hits_b_decoded": beat_hits(beats_a, beat_times(plain_b, rate)),
        "beat_hits_b_aligned": beat_hits(beats_a, beat_times(aligned_b, rate)),
    }


def run_blend_evaluation(*, model_name=None, window: bool = True) -> dict:
    from sketchpad.engine.model import SoundModel
    from sketchpad.engine.registry import find_model
    from sketchpad_measure.quality.eval_data import music_tracks

    model = SoundModel.load(find_model(model_name))
    songs = full_songs()
    encoded, encode_rtf = {}, []
    for track, song, _ in songs:
        start = time.perf_counter()
        encoded[track] = model.encode(song)
        encode_rtf.append(song.shape[0] / model.sample_rate / (time.perf_counter() - start))
    rng = random.Random(0)
    pairs = []
    for (ta, a, _), (tb, b, b_guitar) in itertools.combinations(songs, 2):
        row = {"a": ta, "b": tb, **evaluate_pair(model, a, b, b_guitar),
               **evaluate_speed_and_beats(model, a, b, encoded[ta], encoded[tb], rng)}
        pairs.append(row)

    def median(key):
        return statistics.median(row[key] for row in pairs)

    firsts = [ms for row in pairs for ms in row["first_piece_ms"]]
    result = {
        "model": model.name, "device": model.device, "machine": machine_summary(),
        "pairs": pairs,
        "steps_cv_median": median("steps_cv"), "steps_cv_max": max(r["steps_cv"] for r in pairs),
        "steps_max_over_mean_worst": max(r["steps_max_over_mean"] for r in pairs),
        "mix_closer_than_a_to_b": sum(r["mix_to_a_db"] < r["a_to_b_db"] and r["mix_to_b_db"] < r["a_to_b_db"]
                                      for r in pairs),
        "mix_to_a_db": median("mix_to_a_db"), "mix_to_b_db": median("mix_to_b_db"),
        "a_to_b_db": median("a_to_b_db"),
        "style_spectrum_to_b_db": median("style_spectrum_to_b_db"),
        "knn_spectrum_to_b_db": median("knn_spectrum_to_b_db"),
        "a_spectrum_to_b_db": median("a_spectrum_to_b_db"),
        "style_rhythm_corr_with_a": median("style_rhythm_corr_with_a"),
        "knn_rhythm_corr_with_a": median("knn_rhythm_corr_with_a"),
        "b_rhythm_corr_with_a": median("b_rhythm_corr_with_a"),
        "beat_hits_b_recorded": median("beat_hits_b_recorded"),
        "beat_hits_b_decoded": median("beat_hits_b_decoded"),
        "beat_hits_b_aligned": median("beat_hits_b_aligned"),
        "encode_rtf": statistics.median(encode_rtf),
        "render_rtf": median("render_rtf"),
        "engine_first_audio_ms": percentiles(firsts),
    }
    if window:
        tracks = dict(music_tracks())
        first, second = list(tracks)[:2]
        # The window blends the recorded backing tracks (song.ogg): a file drop, as a user makes it.
        from sketchpad_measure.window.blend_bench import measure_window_first_audio

        result["window_first_audio_ms"] = percentiles(
            measure_window_first_audio(tracks[first][0], tracks[second][0]))
    return result


def format_report(r: dict) -> str:
    n = len(r["pairs"])
    lines = [
        f"Blend on real songs: {n} pairs of the Muldjord tracks; model {r['model']} on {r['device']}, "
        f"{r['machine']}",
        f"morph steps ({STEPS}, 30 s excerpts): CV of log-mel steps median {r['steps_cv_median']:.3f}, "
        f"worst {r['steps_cv_max']:.3f} (target <= 0.25); largest step / mean, worst "
        f"{r['steps_max_over_mean_worst']:.2f} (target <= 2)",
        f"0.5 mix: closer to both A and B than A is to B in {r['mix_closer_than_a_to_b']} of {n} pairs "
        f"(median d(mix,A) {r['mix_to_a_db']:.2f} dB, d(mix,B) {r['mix_to_b_db']:.2f} dB, "
        f"d(A,B) {r['a_to_b_db']:.2f} dB)",
        f"style transfer onto B's guitar stem: spectrum distance to the stem, AdaIN "
        f"{r['style_spectrum_to_b_db']:.2f} dB, kNN {r['knn_spectrum_to_b_db']:.2f} dB, A decoded "
        f"{r['a_spectrum_to_b_db']:.2f} dB; rhythm correlation with A, AdaIN "
        f"{r['style_rhythm_corr_with_a']:.2f}, kNN {r['knn_rhythm_corr_with_a']:.2f}, "
        f"the stem {r['b_rhythm_corr_with_a']:.2f}",
        f"beat alignment: A's beats matched by B within 70 ms: recorded {r['beat_hits_b_recorded']:.2f}, "
        f"decoded {r['beat_hits_b_decoded']:.2f}, decoded aligned {r['beat_hits_b_aligned']:.2f}",
        f"speed (full songs, about 3 min): encode {r['encode_rtf']:.1f}x real time, full render "
        f"{r['render_rtf']:.1f}x real time (target >= 20x)",
        f"first audio in the engine: p50 {r['engine_first_audio_ms']['p50']:.0f} ms, "
        f"p95 {r['engine_first_audio_ms']['p95']:.0f} ms",
    ]
    if "window_first_audio_ms" in r:
        w = r["window_first_audio_ms"]
        lines.append(f"first audio in the window (Play to player): p50 {w['p50']:.0f} ms, "
                     f"p95 {w['p95']:.0f} ms (target <= 500 ms)")
    return "\n".join(lines)


def main(*, model_name=None, json_path=None, window: bool = True) -> int:
    result = run_blend_evaluation(model_name=model_name, window=window)
    print(format_report(result))
    if json_path is not None:
        from sketchpad.atomic import atomic_write_text

        atomic_write_text(json_path, json.dumps(result, indent=2))
    return 0
