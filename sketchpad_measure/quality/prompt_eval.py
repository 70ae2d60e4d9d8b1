"""`sketchpad evaluate-prompts`: the prompt box measured by an independent judge.

Every prompt engine (:data:`sketchpad.engine.prompt_engines.PROMPT_ENGINES`)
is run over :data:`PROMPTS` (several producer phrasings per category, with
and without note names) and scored in one run against the same judge and
the same real sounds:

* **Judge.** An 18-way instrument classifier (:data:`CATEGORIES`) trained on
  renders of the *held-out* font TimGM6mb (:func:`judge_spec`: every GM
  program of each melodic category, each sound at its own note across the
  program's range, with three velocities and holds of 0.6-1.4 s in turn, so
  that neither the note grid nor the note-off tells the category,
  each drum category's GM keys on seven kits at several velocities; about
  140 sounds per category). The sound model and the generators learn only
  from FluidR3_GM renders, so the judge never heard their material. Its
  252 features (:data:`FEATURE_GROUPS`) do not use the project's VAE:
  log-mel band mean/std, MFCC mean/std, coarse band energies in four time
  segments, spectral centroid/rolloff/flatness, spectral contrast, flux,
  envelope descriptors (attack, decay, time above -40 dB, level at fixed
  times), zero-crossing rate, autocorrelation pitch salience and the
  harmonic profile (harmonics 1-12, odd/even ratio, vibrato, tremolo), on a
  fixed 2 s window (zero-padded or cut), every clip first scaled to peak 1.
  Classifier: StandardScaler + logistic regression or a small MLP, chosen
  by cross-validation that holds out whole presets (a GM program, or a
  drum kit), so the score says how well the judge recognises an instrument
  it did not train on rather than another note of one it did; it trains on
  each sound plus one spectrally tilted copy (:func:`augmented_features`).
  Also reported: its accuracy on FluidR3_GM renders of the same spec, real
  sounds of another font, i.e. the honest ceiling for the generated
  accuracy. (The feature set and the tilt were settled while looking at
  that FluidR3 figure, so it is a slightly optimistic ceiling.)
* **Accuracy.** ``count`` results per prompt (seed 0), share judged as the
  prompted category; overall and per category. Target >= 85 %.
* **Fréchet distance** between Gaussians fitted to the judge's
  standardised feature vectors: FD(generated, TimGM6mb) against
  FD(FluidR3, TimGM6mb), every set category-balanced (the same number of
  sounds per category, real sounds drawn with a fixed seed), and their
  ratio (target <= 1.5). :data:`FD_EPS` is added to the diagonal of both
  covariances: a few hundred sounds in 252 dimensions give nearly
  singular covariances, and the regulariser keeps the matrix square root
  stable; on unit-variance features it moves the distance by a negligible amount.
* **Spread.** Per prompt, mean pairwise feature distance among its results
  over the mean pairwise distance among the real TimGM6mb sounds of its
  category; median over prompts (target >= 0.5: variations not collapsed).
* **Pitch.** For prompts with a note: librosa's pYIN (one octave either
  side of the note) on the first 1.5 s of each result, refined by YIN
  (:func:`cents_error`), median f0 of the voiced frames, error in cents;
  median |cents| and the share within 50 cents (unvoiced results count as
  misses).
* **Through the sound model.** The FluidR3 sounds of the FD set, encoded
  and decoded by the engine's sound model, judged and compared the same
  way: what any engine that decodes through that model can reach, so a
  generator's shortfall can be told from its decoder's.
* **Character words.** Pairs of prompts that differ in one character word
  ("bright" / "dark", "long" / "short", "soft" / "punchy", "high" / "low",
  "distorted" / "clean") on four instruments each, same seeds: the share
  of pairs whose measured descriptor moves the asked way (target >= 90 %;
  :mod:`sketchpad_measure.quality.character_eval`).
* **Speed.** Warm ``generate(prompt, count=8, seed=s, seconds=2.0)``: one
  warm-up, then :data:`SPEED_RUNS` runs over different prompts and seeds,
  p50/p95 ms (target <= 300 ms on a 2-core CPU); and the cold start, the
  wall time of ``python -m sketchpad generate "punchy kick" --count 8``.

Rendered audio is cached as WAV (see :func:`eval_data.cached_oneshots`);
the judge is fitted in-process each run (seconds) and never saved.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sketchpad_measure.quality.character_eval import format_character, measure_character
from sketchpad.errors import SketchpadError

RATE = 44100
WINDOW_SECONDS = 2.0
CATEGORIES = ("kick", "snare", "clap", "hi-hat", "tom", "cymbal", "piano", "electric piano",
              "mallet/bell", "organ", "guitar", "bass", "strings", "brass", "reed", "flute",
              "synth lead", "synth pad")

# (prompt, category, MIDI note or None), in a producer's own words.
PROMPTS: tuple[tuple[str, str, int | None], ...] = (
    ("punchy kick", "kick", None), ("deep 808 kick", "kick", None),
    ("tight kick drum", "kick", None), ("boomy bass drum", "kick", None),
    ("tight snare", "snare", None), ("fat snare drum", "snare", None),
    ("crisp electric snare", "snare", None),
    ("crispy clap", "clap", None), ("hand clap", "clap", None), ("808 clap", "clap", None),
    ("closed hi-hat", "hi-hat", None), ("open hat", "hi-hat", None),
    ("pedal hi hat", "hi-hat", None),
    ("floor tom", "tom", None), ("high tom", "tom", None), ("low tom drum", "tom", None),
    ("crash cymbal", "cymbal", None), ("ride cymbal", "cymbal", None),
    ("splash cymbal", "cymbal", None),
    ("grand piano C4", "piano", 60), ("bright piano", "piano", None),
    ("soft piano A3", "piano", 57), ("honky-tonk piano", "piano", None),
    ("rhodes electric piano", "electric piano", None),
    ("electric piano E3", "electric piano", 52), ("warm electric piano", "electric piano", None),
    ("glockenspiel bell", "mallet/bell", None), ("vibraphone E4", "mallet/bell", 64),
    ("marimba C4", "mallet/bell", 60), ("tubular bells", "mallet/bell", None),
    ("church organ", "organ", None), ("hammond organ C3", "organ", 48),
    ("rock organ", "organ", None),
    ("nylon guitar", "guitar", None), ("clean electric guitar E3", "guitar", 52),
    ("distorted guitar", "guitar", None), ("steel string acoustic guitar G3", "guitar", 55),
    ("plucky bass C2", "bass", 36), ("fingered electric bass", "bass", None),
    ("synth bass A1", "bass", 33), ("slap bass", "bass", None),
    ("string ensemble", "strings", None), ("cello C3", "strings", 48),
    ("violin A4", "strings", 69), ("lush strings", "strings", None),
    ("brass stab", "brass", None), ("trumpet C5", "brass", 72), ("french horn", "brass", None),
    ("trombone F3", "brass", 53),
    ("saxophone", "reed", None), ("clarinet D4", "reed", 62), ("oboe A4", "reed", 69),
    ("tenor sax", "reed", None),
    ("flute G5", "flute", 79), ("pan flute", "flute", None), ("breathy flute", "flute", None),
    ("square lead", "synth lead", None), ("saw lead A4", "synth lead", 69),
    ("bright synth lead C5", "synth lead", 72),
    ("airy pad", "synth pad", None), ("warm analog pad C3", "synth pad", 48),
    ("lush synth pad", "synth pad", None), ("sweep pad", "synth pad", None),
)

TARGETS = {"accuracy": 0.85, "fd_ratio": 1.5, "spread_ratio": 0.5, "pitch_cents": 50.0,
           "speed_p50_ms": 300.0}

# -- the judge's sounds --------------------------------------------------------------

DRUM_BANK = 128
DRUM_KITS = (0, 8, 16, 24, 25, 32, 40)
"""GM kits rendered for drum categories: every kit TimGM6mb has (FluidR3 has them all too)
except the Orchestra kit (48), whose keys 41-53 are timpani, not toms and cymbals."""
DRUM_KEYS = {"kick": (35, 36), "snare": (38, 40), "clap": (39,), "hi-hat": (42, 44, 46),
             "tom": (41, 43, 45, 47, 48, 50), "cymbal": (49, 51, 52, 53, 55, 57, 59)}
MELODIC_PROGRAMS = {
    "piano": (0, 1, 2, 3), "electric piano": (4, 5), "mallet/bell": tuple(range(8, 15)),
    "organ": tuple(range(16, 21)), "guitar": tuple(range(24, 31)), "bass": tuple(range(32, 40)),
    "strings": (40, 41, 42, 43, 44, 48, 49), "brass": tuple(range(56, 64)),
    "reed": tuple(range(64, 72)), "flute": tuple(range(72, 80)),
    "synth lead": (80, 81, 83, 84, 86, 87), "synth pad": tuple(range(88, 96)),
}
"""GM programs of each melodic category. Left out as neither one thing nor the other:
Synth Strings 1/2 (50, 51: pads to the ear), Lead 3 (calliope, a flute) and Lead 6 (voice)."""
MELODIC_HOLDS = (0.6, 0.8, 1.0, 1.2, 1.4)
"""Seconds each melodic sound is held, taken in turn over a program's notes.

Judge sets up to version 1 held decaying instruments 0.8 s and sustained ones 1.2 s
and played every program at the same 3-12 notes in both fonts, so the judge learned
the protocol as well as the instruments: the moment of the note-off told the
category (real FluidR3 guitars held 1.0 s, as the training set holds them, were
judged guitars 46 % of the time against 67 % at 0.8 s), and real FluidR3 sounds
at other notes than its grid were judged right far less often (the training
set's own guitars 13 %, against 69 % for the judge set's). Every sound of a
program now has its own note, and every category meets every hold and velocity."""
PER_CATEGORY = 144  # sounds aimed at per category...
MAX_PER_CATEGORY = 192  # ...and the most kept (a fixed-seed subset)
MELODIC_VELOCITIES = (40, 80, 120)
_SPEC_VERSION = 3  # 3: a note of its own for every sound, holds and velocities in turn


def judge_spec(kits: tuple[int, ...] = DRUM_KITS) -> tuple[tuple[str, int, int, int, int, float], ...]:
    """Rows (category, bank, program, note, velocity, hold_seconds) of the judge's sound set.

    Drums: each category's GM keys on every kit in ``kits``, at as many
    velocities (2-6, spread over 40..127) as bring it near
    :data:`PER_CATEGORY`. Melodic: every GM program of the category, each sound at
    its own note, evenly spread over the program's playable range, with
    :data:`MELODIC_VELOCITIES` and :data:`MELODIC_HOLDS` in turn; drums held 0.2 s.
    Categories above :data:`MAX_PER_CATEGORY` keep a fixed-seed subset.
    """
    from sketchpad.training.gm import program_info

    rows = []
    for category in CATEGORIES:
        if category in DRUM_KEYS:
            keys = DRUM_KEYS[category]
            n_vel = int(np.clip(round(PER_CATEGORY / (len(keys) * len(kits))), 2, 6))
            velocities = np.linspace(40, 127, n_vel).round().astype(int)
            cat_rows = [(category, DRUM_BANK, kit, key, int(v), 0.2)
                        for kit in kits for key in keys for v in velocities]
        else:
            programs = MELODIC_PROGRAMS[category]
            per_program = int(np.clip(np.ceil(PER_CATEGORY / len(programs)), 12, 48))
            cat_rows = []
            for program in programs:
                # Every sound at its own note, rising through the range, velocities and
                # holds taken in turn: no note, velocity or hold stands for a category.
                low, high = program_info(program).note_range
                notes = np.linspace(low + 2, high - 2, per_program).round().astype(int)
                cat_rows += [(category, 0, program, int(n), MELODIC_VELOCITIES[k % len(MELODIC_VELOCITIES)],
                              MELODIC_HOLDS[k % len(MELODIC_HOLDS)]) for k, n in enumerate(notes)]
        if len(cat_rows) > MAX_PER_CATEGORY:
            keep = np.random.default_rng(sum(map(ord, category))).choice(
                len(cat_rows), MAX_PER_CATEGORY, replace=False)
            cat_rows = [cat_rows[i] for i in sorted(keep)]
        rows += cat_rows
    return tuple(rows)


@dataclass
class SoundSet:
    """Real renders: ``audio`` (mono float32 clips), ``categories``, ``groups`` (preset ids)."""

    font: str
    audio: list[np.ndarray]
    categories: np.ndarray
    groups: np.ndarray
    notes: np.ndarray
    features: np.ndarray | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.audio)


def render_judge_set(font, cache_root: str | Path | None = None,
                     per_category: int | None = None) -> SoundSet:
    """The :func:`judge_spec` sounds of ``font`` (a SoundfontInfo), cached as WAV under
    ``cache_root`` (default ``default_eval_dir()``)/``judge-<font>``. Kits the font
    lacks are left out; ``per_category`` keeps that many rows of each category,
    evenly spread over its spec (a smaller set in its own cache folder)."""
    from sketchpad_measure.quality import eval_data
    from sketchpad.training.soundfonts import drum_kits

    root = Path(cache_root) if cache_root is not None else eval_data.default_eval_dir()
    have = {p.program for p in drum_kits(font.path)}
    spec = judge_spec(tuple(k for k in DRUM_KITS if k in have))
    folder = root / f"judge-{font.name}"
    if per_category is not None:
        rows = []
        for category in CATEGORIES:
            mine = [r for r in spec if r[0] == category]
            picks = np.linspace(0, len(mine) - 1, min(per_category, len(mine))).round().astype(int)
            rows += [mine[i] for i in sorted(set(picks))]
        spec, folder = tuple(rows), root / f"judge-{font.name}-{per_category}"
    pairs = eval_data.cached_oneshots(folder, font, spec, seconds=WINDOW_SECONDS, version=_SPEC_VERSION)
    return SoundSet(
        font.name, [a for _, a in pairs], np.array([e["category"] for e, _ in pairs]),
        np.array([f"{'kit' if e['bank'] == DRUM_BANK else 'program'}{e['program']}" for e, _ in pairs]),
        np.array([-1 if e["bank"] == DRUM_BANK else e["note"] for e, _ in pairs]))


def judge_fonts():
    """(held-out TimGM6mb, training FluidR3_GM) SoundfontInfos; SketchpadError when either is missing."""
    from sketchpad_measure.quality.eval_data import held_out_font
    from sketchpad.training.soundfonts import default_training_soundfont

    return held_out_font(), default_training_soundfont()


# -- features ------------------------------------------------------------------------

SR = 22050
"""Analysis rate: the judge listens up to 11 kHz. TimGM6mb's samples hold little above
that, and a faint hiss up there (a decoder's noise floor) must not make a piano a cymbal."""
FLOOR_DB = -60.0
"""Spectral detail more than this far under the clip's loudest cell is ignored (floored)."""
N_FFT = 1024
HOP = 256
N_MELS = 64
N_MFCC = 20
SEGMENTS_S = (0.0, 0.05, 0.2, 0.6, WINDOW_SECONDS)
ENVELOPE_TIMES_S = (0.1, 0.25, 0.5, 1.0, 1.5)
_ENV_HOP = 64
_AC_FRAME = 2048
_AC_HOP = 1024
_F0_RANGE = (30.0, 2000.0)
_mel_basis = None
_HANN = np.hanning(N_FFT + 1)[:-1]


def _mel():
    global _mel_basis
    if _mel_basis is None:
        import librosa

        _mel_basis = librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS, fmin=20.0,
                                         fmax=SR / 2).astype(np.float32)
    return _mel_basis


def fixed_window(audio: np.ndarray, rate: int = RATE) -> np.ndarray:
    """Mono float64 clip at :data:`SR` of exactly :data:`WINDOW_SECONDS`, peak scaled to 1
    (silence stays silent)."""
    import soxr

    x = np.asarray(audio, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1)
    x = soxr.resample(x[: int(WINDOW_SECONDS * rate)], rate, SR) if len(x) else x
    frames = int(WINDOW_SECONDS * SR)
    x = x[:frames] if len(x) >= frames else np.concatenate([x, np.zeros(frames - len(x))])
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    return x / peak if peak > 1e-9 else x


def features(audio: np.ndarray, rate: int = RATE) -> np.ndarray:
    """The judge's feature vector of one clip (float64, :data:`FEATURE_GROUPS` order)."""
    import scipy.fft

    x = fixed_window(audio, rate)
    n_frames = 1 + len(x) // HOP
    # Power spectrogram, centred Hann frames.
    padded = np.pad(x, N_FFT // 2)
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n_frames)[:, None]
    framed = padded[idx]
    spec = np.abs(np.fft.rfft(framed * _HANN, axis=1)).astype(np.float32) ** 2  # (T, F)
    mel = (spec @ _mel().T).astype(np.float64)  # (T, M)
    ref = max(float(mel.max()), 1e-20)
    logmel = 10.0 * np.log10(np.maximum(mel, ref * _FLOOR) / ref)  # dB re. loudest cell, [FLOOR_DB, 0]
    mfcc = scipy.fft.dct(logmel, type=2, norm="ortho", axis=1)[:, :N_MFCC]
    frame_energy = spec.sum(axis=1)
    active = frame_energy > frame_energy.max() * 1e-4  # within 40 dB of the loudest frame
    if not active.any():
        active[:] = True

    out = [logmel.mean(0), logmel.std(0), mfcc.mean(0), mfcc.std(0)]
    # Coarse bands (8 groups of 8 mel bands) in four time segments: how the spectrum evolves.
    coarse = logmel.reshape(n_frames, 8, N_MELS // 8).mean(axis=2)
    bounds = [int(round(t * SR / HOP)) for t in SEGMENTS_S]
    out.append(np.concatenate([coarse[a:max(b, a + 1)].mean(0) for a, b in zip(bounds, bounds[1:])]))

    s_act = np.maximum(spec[active].astype(np.float64), float(spec.max()) * _FLOOR + 1e-20)
    total = s_act.sum(axis=1)
    centroid = (s_act @ _FREQS) / total
    rolloff = _FREQS[np.argmax(np.cumsum(s_act, axis=1) >= 0.85 * total[:, None], axis=1)]
    log_s = np.log(s_act)
    flatness = np.exp(log_s.mean(axis=1)) / s_act.mean(axis=1)
    high = _FREQS > 4000.0  # 4-11 kHz: breath, bow and hammer noise, hats
    high_flatness = np.exp(log_s[:, high].mean(axis=1)) / s_act[:, high].mean(axis=1)
    spectral = [np.log(centroid + 20.0), np.log(rolloff + 20.0), 10.0 * np.log10(flatness + 1e-12)]
    out.append(np.array([f(v) for v in spectral for f in (np.mean, np.std)] + [high_flatness.mean()]))
    contrast = _spectral_contrast(s_act)
    out += [contrast.mean(0), contrast.std(0)]
    flux = np.sqrt(np.sum(np.clip(np.diff(logmel, axis=0), 0, None) ** 2, axis=1))[active[1:]]
    out.append(np.log(np.array([flux.mean(), flux.std()]) + 1e-3) if flux.size else np.zeros(2))

    out.append(_envelope_features(x))
    # Zero-crossing rate per analysis frame, over active frames.
    signs = np.signbit(framed)
    zcr = np.mean(signs[:, 1:] != signs[:, :-1], axis=1)[active]
    out.append(np.array([zcr.mean(), zcr.std()]))
    out.append(_harmonic_features(x))
    return np.nan_to_num(np.concatenate(out), nan=0.0, posinf=0.0, neginf=0.0)


_FLOOR = 10.0 ** (FLOOR_DB / 10.0)
_FREQS = np.fft.rfftfreq(N_FFT, 1.0 / SR)
_CONTRAST_EDGES = (200.0, 400.0, 800.0, 1600.0, 3200.0, 6400.0, SR / 2 + 1)
FEATURE_GROUPS = (("log-mel mean", N_MELS), ("log-mel std", N_MELS), ("MFCC mean", N_MFCC),
                  ("MFCC std", N_MFCC), ("band energy per time segment", 32),
                  ("centroid, rolloff, flatness mean/std; high-band flatness", 7),
                  ("spectral contrast mean", 6), ("spectral contrast std", 6), ("spectral flux", 2),
                  ("envelope", 9), ("zero-crossing rate", 2), ("harmonicity and harmonic profile", 20))
"""(what, size) of each group of :func:`features`, in order."""


def _spectral_contrast(power: np.ndarray) -> np.ndarray:
    """Per frame and octave band (200 Hz .. 11 kHz): dB between the band's top and
    bottom 20 % of bins (peaks over valleys: tonal bands score high). (T, 6)."""
    out = []
    for lo, hi in zip(_CONTRAST_EDGES, _CONTRAST_EDGES[1:]):
        band = np.sort(power[:, (_FREQS >= lo) & (_FREQS < hi)], axis=1)
        k = max(1, int(round(0.2 * band.shape[1])))
        out.append(10.0 * np.log10(band[:, -k:].mean(axis=1) / band[:, :k].mean(axis=1)))
    return np.stack(out, axis=1)


def _envelope_features(x: np.ndarray) -> np.ndarray:
    """log attack time, log decay time (-20 dB), log time above -40 dB, log onset time, dB at fixed times."""
    frames = len(x) // _ENV_HOP
    rms = np.sqrt(np.mean(x[:frames * _ENV_HOP].reshape(frames, _ENV_HOP) ** 2, axis=1))
    db = 20.0 * np.log10(np.maximum(rms, 1e-10) / max(float(rms.max()), 1e-10))
    dt = _ENV_HOP / SR
    peak = int(np.argmax(db))
    start = int(np.argmax(db > -40.0))
    reach = int(np.argmax(db >= -3.0))
    attack = max(reach - start, 0) * dt
    above20 = np.flatnonzero(db[peak:] > -20.0)
    decay = (int(above20[-1]) + 1) * dt if len(above20) else dt
    duration = float(np.sum(db > -40.0)) * dt
    at = [db[min(int(t / dt), frames - 1)] for t in ENVELOPE_TIMES_S]
    return np.array([np.log(attack + 0.002), np.log(decay + 0.002), np.log(duration + 0.002),
                     np.log(start * dt + 0.002), *np.maximum(at, -80.0)])


_AC_WINDOW = np.hanning(_AC_FRAME)
_AC_SIZE = 2 * _AC_FRAME
_AC_WINDOW_AC = np.fft.irfft(np.abs(np.fft.rfft(_AC_WINDOW, _AC_SIZE)) ** 2, _AC_SIZE)[:_AC_FRAME]
_AC_FREQS = np.fft.rfftfreq(_AC_SIZE, 1.0 / SR)
HARMONICS = 12


def _harmonic_features(x: np.ndarray) -> np.ndarray:
    """Pitch salience and harmonic structure, from 93 ms frames within 40 dB of the loudest.

    Normalised autocorrelation peak for f0 in :data:`_F0_RANGE` (median and
    90th percentile; Boersma's window correction), log median f0, pitch
    wobble (std in cents, a vibrato cue), the level of harmonics 1..12 in dB
    under the strongest (mean over frames after the first: the sustain's
    recipe), odd/even harmonic energy ratio, share of energy in the
    harmonics, and the envelope's tremolo and slope between 0.15 and 1.2 s.
    """
    n = 1 + max(0, len(x) - _AC_FRAME) // _AC_HOP
    idx = np.arange(_AC_FRAME)[None, :] + _AC_HOP * np.arange(n)[:, None]
    frames = x[idx] * _AC_WINDOW
    energy = np.sum(frames ** 2, axis=1)
    loud = energy > energy.max() * 1e-4
    if not loud.any():
        return np.zeros(8 + HARMONICS)
    spectrum = np.abs(np.fft.rfft(frames[loud], _AC_SIZE, axis=1))
    ac = np.fft.irfft(spectrum ** 2, _AC_SIZE, axis=1)[:, :_AC_FRAME]
    ac = ac / np.maximum(ac[:, :1], 1e-20) / np.maximum(_AC_WINDOW_AC / _AC_WINDOW_AC[0], 1e-3)
    lo, hi = int(SR / _F0_RANGE[1]), min(int(SR / _F0_RANGE[0]), _AC_FRAME // 2)
    region = ac[:, lo:hi]
    best = np.argmax(region, axis=1)
    salience = np.clip(region[np.arange(len(region)), best], 0.0, 1.0)
    f0 = SR / (best + lo)
    f0_median = float(np.median(f0))
    sustain = slice(1, None) if len(f0) > 2 else slice(None)
    wobble = float(np.std(np.clip(1200.0 * np.log2(f0[sustain] / f0_median), -600, 600)))
    # Harmonic k: the strongest bin within 3 % of k * f0 (at least the nearest bin).
    mags = []
    for k in range(1, HARMONICS + 1):
        fk = k * f0_median
        if fk >= SR / 2 - 100:
            mags.append(np.full(len(spectrum), 1e-9))
            continue
        a = min(int(np.searchsorted(_AC_FREQS, fk * 0.97)), len(_AC_FREQS) - 1)
        b = max(int(np.searchsorted(_AC_FREQS, fk * 1.03)), a + 1)
        mags.append(spectrum[:, a:b].max(axis=1))
    harm = np.stack(mags, axis=1)[sustain]  # (frames, H)
    profile = 20.0 * np.log10(harm / np.maximum(harm.max(axis=1, keepdims=True), 1e-12) + 1e-4).mean(0)
    power = harm ** 2
    odd_even = 10.0 * np.log10(power[:, 0::2].sum(1).mean() / max(power[:, 1::2].sum(1).mean(), 1e-20) + 1e-9)
    share = float(np.median(power.sum(1) / np.maximum((spectrum[sustain] ** 2).sum(1), 1e-20)))
    # Tremolo: the envelope (2.9 ms hops) around its 0.1 s moving average, 0.15..1.2 s.
    frames_env = len(x) // _ENV_HOP
    rms = np.sqrt(np.mean(x[:frames_env * _ENV_HOP].reshape(frames_env, _ENV_HOP) ** 2, axis=1))
    db = 20.0 * np.log10(np.maximum(rms, 1e-8) / max(float(rms.max()), 1e-8))
    per_s = SR / _ENV_HOP
    seg = db[int(0.15 * per_s):int(1.2 * per_s)]
    tremolo = slope = 0.0
    if len(seg) > 80 and seg.max() > -60.0:
        width = 35
        smooth = np.convolve(seg, np.ones(width) / width, mode="same")
        tremolo = float(np.std((seg - smooth)[width:-width]))
        slope = float(np.polyfit(np.arange(len(seg)) / per_s, seg, 1)[0])
    return np.array([np.median(salience), np.percentile(salience, 90), np.log(f0_median),
                     np.log(wobble + 1.0), odd_even, share, np.log(tremolo + 0.01), slope / 10.0,
                     *profile])


def feature_matrix(clips, rate: int = RATE) -> np.ndarray:
    """(n, d) features of a list of mono clips."""
    return np.stack([features(c, rate) for c in clips]) if len(clips) else np.zeros((0, 0))


# -- the judge -----------------------------------------------------------------------

CANDIDATES = (("logistic C=0.1", "logistic", 0.1), ("logistic C=1", "logistic", 1.0),
              ("mlp 128 alpha=1", "mlp", 1.0, 128))
"""Classifiers tried (name, kind, regularisation[, hidden units]); the best cross-validated one judges."""
CV_FOLDS = 5
TILT_DB_PER_OCTAVE = 4.0


def tilted(audio: np.ndarray, db_per_octave: float, rate: int = RATE) -> np.ndarray:
    """``audio`` with its spectrum tilted by ``db_per_octave`` around 1 kHz (flat below 50 Hz)."""
    spectrum = np.fft.rfft(np.asarray(audio, np.float64))
    freqs = np.fft.rfftfreq(len(audio), 1.0 / rate)
    gain = 10.0 ** (db_per_octave * np.log2(np.maximum(freqs, 50.0) / 1000.0) / 20.0)
    return np.fft.irfft(spectrum * gain, len(audio)).astype(np.float32)


def augmented_features(clips, seed: int = 0) -> np.ndarray:
    """Features of each clip with a random spectral tilt of up to :data:`TILT_DB_PER_OCTAVE`.

    One tilted copy of every training sound teaches the judge that a
    brighter or duller recording of an instrument is still that instrument,
    which is most of what separates one soundfont's timbres from another's."""
    rng = np.random.default_rng(seed)
    return feature_matrix([tilted(c, rng.uniform(-TILT_DB_PER_OCTAVE, TILT_DB_PER_OCTAVE)) for c in clips])


def _make_classifier(kind: str, reg: float, hidden: int = 128):
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind == "logistic":
        model = LogisticRegression(C=reg, max_iter=3000)
    else:
        model = MLPClassifier(hidden_layer_sizes=(hidden,), alpha=reg, max_iter=600, random_state=0)
    return make_pipeline(StandardScaler(), model)


@dataclass
class Judge:
    """A fitted judge: ``pipeline`` (StandardScaler + classifier) and how it was chosen."""

    pipeline: object
    name: str
    cv_accuracy: float
    cv_scores: dict

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.pipeline.predict(x)

    def embed(self, x: np.ndarray) -> np.ndarray:
        """Standardised feature vectors: the space of the Fréchet distance and the spread."""
        return self.pipeline[0].transform(x)


def cross_validate(x: np.ndarray, y: np.ndarray, groups: np.ndarray, kind: str, reg: float,
                   *params, augment: np.ndarray | None = None, folds: int = CV_FOLDS) -> float:
    """Accuracy over stratified folds that each hold out whole ``groups`` (presets).

    ``augment`` (rows aligned with ``x``) joins the training side of each
    fold only; the score is over the original sounds."""
    from sklearn.model_selection import StratifiedGroupKFold

    correct = 0
    for train, test in StratifiedGroupKFold(folds, shuffle=True, random_state=0).split(x, y, groups):
        xs, ys = x[train], y[train]
        if augment is not None:
            xs, ys = np.concatenate([xs, augment[train]]), np.concatenate([ys, ys])
        model = _make_classifier(kind, reg, *params).fit(xs, ys)
        correct += int(np.sum(model.predict(x[test]) == y[test]))
    return correct / len(y)


def fit_judge(x: np.ndarray, y: np.ndarray, groups: np.ndarray, candidates=CANDIDATES,
              augment: np.ndarray | None = None, folds: int = CV_FOLDS) -> Judge:
    """Cross-validate each candidate, refit the best on everything (plus ``augment``)."""
    with _quiet_convergence():
        scores = {c[0]: cross_validate(x, y, groups, *c[1:], augment=augment, folds=folds)
                  for c in candidates}
        best = max(candidates, key=lambda c: scores[c[0]])
        xs, ys = (x, y) if augment is None else (np.concatenate([x, augment]), np.concatenate([y, y]))
        return Judge(_make_classifier(*best[1:]).fit(xs, ys), best[0], scores[best[0]], scores)


@contextlib.contextmanager
def _quiet_convergence():
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


# -- measures ------------------------------------------------------------------------

FD_EPS = 1e-3
"""Added to the covariance diagonals in :func:`frechet_distance` (features have unit variance)."""


def frechet_distance(a: np.ndarray, b: np.ndarray, eps: float = FD_EPS) -> float:
    """Fréchet distance between Gaussians fitted to the rows of ``a`` and ``b``.

    ||mu_a - mu_b||^2 + tr(Sa + Sb - 2 (Sa^1/2 Sb Sa^1/2)^1/2), with ``eps`` * I
    added to both covariances. The square root goes through symmetric
    eigendecompositions (same value as scipy.linalg.sqrtm(Sa @ Sb), without
    its complex round-off on near-singular matrices).
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    mu = a.mean(0) - b.mean(0)
    eye = np.eye(a.shape[1])
    sa = np.cov(a, rowvar=False) + eps * eye
    sb = np.cov(b, rowvar=False) + eps * eye
    w, v = np.linalg.eigh(sa)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ sb @ root_a), 0, None)).sum()
    return float(mu @ mu + np.trace(sa) + np.trace(sb) - 2.0 * cross)


def mean_pairwise_distance(x: np.ndarray) -> float:
    """Mean Euclidean distance over all distinct pairs of rows (0 for fewer than 2)."""
    from scipy.spatial.distance import pdist

    return float(pdist(np.asarray(x, np.float64)).mean()) if len(x) >= 2 else 0.0


def spread_ratio(generated: np.ndarray, real: np.ndarray) -> float:
    """Mean pairwise distance of ``generated`` over that of ``real`` (same feature space)."""
    return mean_pairwise_distance(generated) / max(mean_pairwise_distance(real), 1e-12)


PITCH_SECONDS = 1.5
_PYIN_RATE = 22050


def cents_error(audio: np.ndarray, note: int, rate: int = RATE) -> float | None:
    """Cents from MIDI ``note`` to the median f0 of the voiced frames of the first
    :data:`PITCH_SECONDS`, searched one octave either side; None if nothing is voiced.

    pYIN (at 22.05 kHz) decides which frames are voiced and their pitch on its
    10-cent grid; each voiced frame's f0 is then refined with plain YIN at
    44.1 kHz over 186 ms frames (parabolic interpolation, no grid; same frame
    times) where the two agree within 50 cents. A pure tone reads within a
    few cents, at worst about 4 cents at 33 Hz.
    """
    import librosa
    import soxr

    from sketchpad.audio.pitch import midi_to_hz

    x = np.asarray(audio, np.float64)[: int(PITCH_SECONDS * rate)]
    if rate != RATE:
        x = soxr.resample(x, rate, RATE)
    if len(x) < 4096 or float(np.max(np.abs(x))) < 1e-6:
        return None
    target = midi_to_hz(note)
    fmin, fmax = target / 2, min(target * 2, _PYIN_RATE / 4)
    hop = 512  # at 22.05 kHz; 1024 at 44.1 kHz
    f0, voiced, _ = librosa.pyin(soxr.resample(x, RATE, _PYIN_RATE), fmin=fmin, fmax=fmax,
                                 sr=_PYIN_RATE, frame_length=2048, hop_length=hop)
    voiced &= np.isfinite(f0)
    if not voiced.any():
        return None
    fine = librosa.yin(x, fmin=fmin, fmax=fmax, sr=RATE, frame_length=8192, hop_length=2 * hop)
    n = min(len(fine), len(f0))
    rough = np.where(voiced, f0, fmin)[:n]
    agree = voiced[:n] & (np.abs(1200.0 * np.log2(fine[:n] / rough)) < 50.0)
    f = fine[:n][agree] if agree.any() else f0[voiced]
    return float(1200.0 * np.log2(np.median(f) / target))


def balanced_rows(categories: np.ndarray, per_category: int, seed: int = 0) -> np.ndarray:
    """Indices of ``per_category`` rows of each category (a fixed-seed draw without replacement)."""
    rng = np.random.default_rng(seed)
    rows = []
    for category in CATEGORIES:
        idx = np.flatnonzero(categories == category)
        if len(idx):
            rows += sorted(rng.choice(idx, min(per_category, len(idx)), replace=False))
    return np.array(rows, dtype=int)


# -- the evaluation ------------------------------------------------------------------

SPEED_RUNS = 10
COLD_PROMPT = "punchy kick"


@dataclass
class Reference:
    """Everything engine-independent: the judge and the real sets' features."""

    judge: Judge
    tim: SoundSet
    fluid: SoundSet
    tim_embedded: np.ndarray
    fluid_embedded: np.ndarray
    summary: dict


def build_reference(per_category: int | None = None, candidates=CANDIDATES, log=print) -> Reference:
    """Render (or load) both fonts' judge sets, fit the judge, score it on FluidR3.

    ``per_category``: a smaller judge set (tests)."""
    t0 = time.perf_counter()
    tim_font, fluid_font = judge_fonts()
    tim = render_judge_set(tim_font, per_category=per_category)
    fluid = render_judge_set(fluid_font, per_category=per_category)
    t_render = time.perf_counter() - t0
    tim.features = feature_matrix(tim.audio)
    fluid.features = feature_matrix(fluid.audio)
    augment = augmented_features(tim.audio)
    t_features = time.perf_counter() - t0 - t_render
    judge = fit_judge(tim.features, tim.categories, tim.groups, candidates, augment=augment)
    cross = judge.predict(fluid.features)
    fluid_ok = cross == fluid.categories
    summary = {
        "classifier": judge.name, "features": int(tim.features.shape[1]),
        "timgm6mb_sounds": len(tim), "fluidr3_sounds": len(fluid),
        "cv_accuracy": judge.cv_accuracy, "cv": f"{CV_FOLDS}-fold, whole presets held out",
        "augmentation": "one copy of each sound with a random spectral tilt of up to "
                        f"{TILT_DB_PER_OCTAVE:g} dB/octave",
        "cv_candidates": judge.cv_scores, "fluidr3_accuracy": float(fluid_ok.mean()),
        "fluidr3_per_category": {c: float(fluid_ok[fluid.categories == c].mean())
                                 for c in CATEGORIES if np.any(fluid.categories == c)},
        "seconds": {"render_or_load": round(t_render, 2), "features": round(t_features, 2),
                    "fit": round(time.perf_counter() - t0 - t_render - t_features, 2)},
    }
    log(f"judge: {judge.name}, cross-validated {judge.cv_accuracy:.1%} on {len(tim)} TimGM6mb sounds, "
        f"{summary['fluidr3_accuracy']:.1%} on {len(fluid)} FluidR3_GM sounds")
    return Reference(judge, tim, fluid, judge.embed(tim.features), judge.embed(fluid.features), summary)


def cold_start_seconds(engine: str, model_name=None) -> tuple[float | None, str | None]:
    """Wall time of ``python -m sketchpad generate "punchy kick" --count 8 --seed 0 --out TMP``
    in a fresh process, with ``--engine`` when the command has it. (seconds, problem)."""
    from sketchpad.engine.prompt_engines import PROMPT_ENGINES

    takes_engine = engine in PROMPT_ENGINES  # the generate command's --engine choices
    if not takes_engine and engine != "retrieval":
        return None, "the generate command has no --engine option"
    with tempfile.TemporaryDirectory(prefix="sketchpad-cold-") as tmp:
        cmd = [sys.executable, "-m", "sketchpad", "generate", COLD_PROMPT, "--count", "8",
               "--seed", "0", "--out", tmp]
        if takes_engine:
            cmd += ["--engine", engine]
        if model_name:
            cmd += ["--model", str(model_name)]
        t0 = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        seconds = time.perf_counter() - t0
        if done.returncode != 0:
            return None, (done.stderr.strip().splitlines() or ["exit status %d" % done.returncode])[-1]
        if len(list(Path(tmp).glob("*.wav"))) != 8:
            return None, "the generate command did not write 8 WAV files"
    return seconds, None


def evaluate_engine(engine, ref: Reference, *, prompts=PROMPTS, count: int = 8,
                    speed_runs: int = SPEED_RUNS, model_name=None, log=print) -> dict:
    """All figures for one loaded engine (see the module docstring)."""
    t0 = time.perf_counter()
    judge = ref.judge
    rows = []  # per prompt
    gen_feats, gen_cats = [], []
    for prompt, category, note in prompts:
        sounds = engine.generate(prompt, count=count, seed=0)
        x = feature_matrix([s.audio for s in sounds], engine.model.sample_rate)
        judged = judge.predict(x)
        real = ref.tim_embedded[ref.tim.categories == category]
        row = {"prompt": prompt, "category": category, "note": note,
               "accuracy": float(np.mean(judged == category)), "judged": [str(j) for j in judged],
               "spread_ratio": spread_ratio(judge.embed(x), real)}
        if note is not None:
            row["cents"] = [cents_error(s.audio, note, engine.model.sample_rate) for s in sounds]
        rows.append(row)
        gen_feats.append(x)
        gen_cats += [category] * len(x)
    t_generate = time.perf_counter() - t0

    gen_cats = np.array(gen_cats)
    gen_embedded = judge.embed(np.concatenate(gen_feats))
    judged_all = np.concatenate([r["judged"] for r in rows])
    per_category = {}
    for category in CATEGORIES:
        mine = gen_cats == category
        if mine.any():
            wrong = Counter(judged_all[mine & (judged_all != category)])
            per_category[category] = {"accuracy": float(np.mean(judged_all[mine] == category)),
                                      "results": int(mine.sum()),
                                      "mistaken_for": dict(wrong.most_common(3))}

    # Category-balanced sets of one common size per category for the Fréchet distances.
    present = [c for c in CATEGORIES if np.any(gen_cats == c)]
    n = min(min(int(np.sum(s == c)) for s in (gen_cats, ref.tim.categories, ref.fluid.categories))
            for c in present)
    gen_rows = _round_robin_rows(rows, gen_cats, n)
    keep = np.isin(ref.tim.categories, present)
    tim_rows = balanced_rows(np.where(keep, ref.tim.categories, ""), n, seed=1)
    keep = np.isin(ref.fluid.categories, present)
    fluid_rows = balanced_rows(np.where(keep, ref.fluid.categories, ""), n, seed=2)
    fd = frechet_distance(gen_embedded[gen_rows], ref.tim_embedded[tim_rows])
    fd_real = frechet_distance(ref.fluid_embedded[fluid_rows], ref.tim_embedded[tim_rows])

    # The same FluidR3 sounds encoded and decoded by the engine's sound model: what any
    # engine decoding through it can hope for (its accuracy and FD are the decoder's ceiling).
    decoded = decode_through(engine.model, [ref.fluid.audio[i] for i in fluid_rows])
    x_dec = feature_matrix(decoded, engine.model.sample_rate)
    fd_dec = frechet_distance(judge.embed(x_dec), ref.tim_embedded[tim_rows])
    through_model = {
        "sounds": len(decoded),
        "accuracy": float(np.mean(judge.predict(x_dec) == ref.fluid.categories[fluid_rows])),
        "accuracy_before": float(np.mean(judge.predict(ref.fluid.features[fluid_rows])
                                         == ref.fluid.categories[fluid_rows])),
        "fd": fd_dec, "fd_ratio": fd_dec / max(fd_real, 1e-12)}

    cents = [c for r in rows for c in r.get("cents", [])]
    voiced = [abs(c) for c in cents if c is not None]
    pitch = {"results": len(cents), "unvoiced": len(cents) - len(voiced),
             "median_abs_cents": float(np.median(voiced)) if voiced else None,
             "within_50": float(np.mean([c <= 50.0 for c in voiced] + [False] * (len(cents) - len(voiced))))
             if cents else None}

    t1 = time.perf_counter()
    # What the window plays first: drafts where the sound model refines (the finished
    # sounds replace them once the hand rests), timed beside the finished sounds.
    refines = bool(getattr(engine.model, "refines", False))
    speed = _warm_speed(engine, prompts, speed_runs, draft=refines)
    speed["load_average"] = round(os.getloadavg()[0], 2)  # other work on the machine skews timings
    finished_speed = _warm_speed(engine, prompts, speed_runs) if refines else None
    cold, cold_problem = cold_start_seconds(engine.name, model_name)
    result = {
        "engine": engine.name, "sound_model": getattr(engine.model, "name", None),
        "prompts": len(prompts), "count": count, "results": int(len(gen_cats)),
        "accuracy": float(np.mean(judged_all == gen_cats)), "per_category": per_category,
        "fd": fd, "fd_real": fd_real, "fd_ratio": fd / max(fd_real, 1e-12), "fd_per_category": n,
        "spread_ratio_median": float(np.median([r["spread_ratio"] for r in rows])),
        "pitch": pitch, "speed_ms": speed, "finished_speed_ms": finished_speed, "cold_start_s": cold,
        "fluidr3_through_sound_model": through_model,
        "seconds": {"generate_and_judge": round(t_generate, 1),
                    "speed_and_cold_start": round(time.perf_counter() - t1, 1)},
        "per_prompt": rows,
    }
    if cold_problem:
        result["cold_start_problem"] = cold_problem
    log(format_row(result))
    return result


def decode_through(sound_model, clips: list[np.ndarray], batch: int = 24) -> list[np.ndarray]:
    """Each mono clip encoded and decoded by ``sound_model``, ``batch`` clips per pass
    (as the channels of one zero-padded signal: the model codes channels independently)."""
    out = []
    for start in range(0, len(clips), batch):
        part = clips[start:start + batch]
        longest = max(len(c) for c in part)
        stacked = np.stack([np.pad(c, (0, longest - len(c))) for c in part], axis=1)
        decoded = sound_model.reconstruct(stacked)
        out += [np.ascontiguousarray(decoded[: len(c), i]) for i, c in enumerate(part)]
    return out


def _round_robin_rows(rows: list[dict], gen_cats: np.ndarray, n: int) -> np.ndarray:
    """``n`` generated results per category, taken in turn from each of its prompts."""
    starts = np.cumsum([0] + [len(r["judged"]) for r in rows])
    chosen = []
    for category in CATEGORIES:
        lists = [list(range(starts[i], starts[i + 1]))
                 for i, r in enumerate(rows) if r["category"] == category]
        if not lists:
            continue
        taken = [i for group in itertools.zip_longest(*lists) for i in group if i is not None]
        chosen += taken[:n]
    return np.array(chosen, dtype=int)


def _warm_speed(engine, prompts, runs: int, draft: bool = False) -> dict:
    """p50/p95 ms of generate(count=8, seconds=2.0, draft=draft) after one warm-up, prompts
    and seeds varied."""
    from sketchpad_measure.bench import percentiles

    engine.generate(prompts[0][0], count=8, seed=0, seconds=2.0, draft=draft)
    times = []
    step = max(1, len(prompts) // max(1, runs))
    for i in range(runs):
        prompt = prompts[(i * step + 1) % len(prompts)][0]
        t = time.perf_counter()
        engine.generate(prompt, count=8, seed=100 + i, seconds=2.0, draft=draft)
        times.append(1000.0 * (time.perf_counter() - t))
    return percentiles(times)


QUICK = {"prompts": tuple(next(p for p in PROMPTS if p[1] == c)
                         for c in ("kick", "hi-hat", "piano", "bass", "strings", "synth pad")),
         "judge_per_category": 8, "candidates": CANDIDATES[:1], "speed_runs": 3}
"""Settings of ``--quick`` (tests): six prompts, a small judge set, one classifier."""


def run_prompt_evaluation(engines=None, *, model_name=None, count: int = 8, quick: bool = False,
                          log=print) -> dict:
    """Evaluate each engine named (default: all of PROMPT_ENGINES) against one judge."""
    from sketchpad_measure.bench import machine_summary
    from sketchpad.engine.prompt_engines import PROMPT_ENGINES, load_prompt_engine

    names = list(engines or PROMPT_ENGINES)
    unknown = [n for n in names if n not in PROMPT_ENGINES]
    if unknown:
        raise SketchpadError(f"Unknown prompt engine {', '.join(unknown)} "
                             f"(choose from {', '.join(PROMPT_ENGINES)}).")
    if not 1 <= count <= 64:
        raise SketchpadError(f"--count must be between 1 and 64, got {count}.")
    prompts = QUICK["prompts"] if quick else PROMPTS
    ref = build_reference(QUICK["judge_per_category"] if quick else None,
                          QUICK["candidates"] if quick else CANDIDATES, log=log)
    result = {"machine": machine_summary(), "targets": TARGETS, "count": count,
              "prompts": [list(p) for p in prompts], "quick": quick, "judge": ref.summary, "engines": {}}
    for name in names:
        t0 = time.perf_counter()
        try:
            engine = load_prompt_engine(name, model_name=model_name)
        except SketchpadError as err:
            log(f"{name}: not evaluated ({err})")
            result["engines"][name] = {"engine": name, "error": str(err)}
            continue
        load_s = time.perf_counter() - t0
        figures = evaluate_engine(engine, ref, prompts=prompts, count=count,
                                  speed_runs=QUICK["speed_runs"] if quick else SPEED_RUNS,
                                  model_name=model_name, log=lambda *_: None)
        figures["seconds"]["load"] = round(load_s, 1)
        t1 = time.perf_counter()
        figures["character"] = measure_character(engine, count=min(count, 8), quick=quick)
        figures["seconds"]["character"] = round(time.perf_counter() - t1, 1)
        result["engines"][name] = figures
    return result


# -- report --------------------------------------------------------------------------

_HEADER = (f"{'engine':<11}{'accuracy':>9}{'FD':>8}{'FD real':>9}{'ratio':>7}{'spread':>8}"
           f"{'|cents|':>9}{'<=50c':>7}{'p50 ms':>8}{'p95 ms':>8}{'cold s':>8}")


def _fmt(value, spec: str, width: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}{spec}}"


def format_row(r: dict) -> str:
    if "error" in r:
        return f"{r['engine']:<11}not evaluated: {r['error']}"
    return (f"{r['engine']:<11}{r['accuracy']:>9.1%}{r['fd']:>8.1f}{r['fd_real']:>9.1f}"
            f"{r['fd_ratio']:>7.2f}{r['spread_ratio_median']:>8.2f}"
            f"{_fmt(r['pitch']['median_abs_cents'], '.1f', 9)}{_fmt(r['pitch']['within_50'], '.0%', 7)}"
            f"{r['speed_ms']['p50']:>8.0f}{r['speed_ms']['p95']:>8.0f}{_fmt(r['cold_start_s'], '.1f', 8)}")


def format_report(result: dict) -> str:
    j = result["judge"]
    t = result["targets"]
    lines = [
        f"Prompt evaluation ({len(result['prompts'])} prompts x {result['count']} results; "
        f"{result['machine']})",
        f"judge: {j['classifier']} on {j['features']} features; {j['timgm6mb_sounds']} TimGM6mb sounds, "
        f"cross-validated accuracy {j['cv_accuracy']:.1%} ({j['cv']}); "
        f"on {j['fluidr3_sounds']} FluidR3_GM sounds {j['fluidr3_accuracy']:.1%} (the ceiling)",
        "",
        _HEADER,
    ]
    lines += [format_row(r) for r in result["engines"].values()]
    lines += ["", f"targets: accuracy >= {t['accuracy']:.0%}, FD ratio <= {t['fd_ratio']}, "
              f"spread >= {t['spread_ratio']}, |cents| <= {t['pitch_cents']:.0f}, "
              f"p50 <= {t['speed_p50_ms']:.0f} ms (FD: generated vs TimGM6mb; FD real: FluidR3 vs TimGM6mb)"]
    for r in result["engines"].values():
        if "per_category" in r:
            worst = sorted(r["per_category"].items(), key=lambda kv: kv[1]["accuracy"])[:5]
            lines.append(f"{r['engine']}: weakest categories " + ", ".join(
                f"{c} {v['accuracy']:.0%}"
                + (f" (as {next(iter(v['mistaken_for']))})" if v["mistaken_for"] else "")
                for c, v in worst))
        if "fluidr3_through_sound_model" in r:
            m = r["fluidr3_through_sound_model"]
            lines.append(f"{r['engine']}: the same FluidR3 sounds through its sound model "
                         f"{r.get('sound_model')}: judged {m['accuracy']:.0%} right (before: "
                         f"{m['accuracy_before']:.0%}), FD {m['fd']:.1f}, ratio {m['fd_ratio']:.2f}: "
                         "the decoder's own ceiling")
        if r.get("finished_speed_ms"):
            f = r["finished_speed_ms"]
            lines.append(f"{r['engine']}: the speed columns time drafts (the vocoder network "
                         f"alone, what the window plays first); finished sounds {f['p50']:.0f} / "
                         f"{f['p95']:.0f} ms p50 / p95")
        if r.get("speed_ms", {}).get("load_average", 0) > 1.5:
            lines.append(f"{r['engine']}: timed with a load average of {r['speed_ms']['load_average']} "
                         "(other work on the machine)")
        if r.get("character"):
            lines += format_character(r["engine"], r["character"])
        if r.get("cold_start_problem"):
            lines.append(f"{r['engine']}: cold start not measured: {r['cold_start_problem']}")
    return "\n".join(lines)


def main(*, engines=None, model_name=None, count: int = 8, json_path=None, quick: bool = False) -> int:
    result = run_prompt_evaluation(engines, model_name=model_name, count=count, quick=quick,
                                   log=lambda line: print(line, file=sys.stderr))
    print(format_report(result))
    if json_path is not None:
        from sketchpad.atomic import atomic_write_text

        atomic_write_text(json_path, json.dumps(result, indent=2))
    return 0
