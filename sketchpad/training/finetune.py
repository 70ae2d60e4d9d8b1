"""Fine-tune a sound model on the user's own sounds: one resumable, cancellable job.

Qt-free; the CLI (``sketchpad finetune``) and a worker-pool job both call
:func:`finetune`. Three phases, each reported through ``ctx.progress``:

1. **dataset**: every audio file under the folder is decoded (44.1 kHz) and
   stored as FLAC in ``user_data_dir()/finetune/<name>/data`` (kind 'user',
   caption from its path, see :func:`~sketchpad.training.dataset.add_user_folder`).
   A re-run reuses what was imported and adds new files.
2. **training**: the autoencoder starts from the base model's weights and
   trains on crops of those sounds with a low learning rate for a few hundred
   steps (one-shots shorter than a crop are zero-padded). As many sounds of
   the base model's index, decoded by the base model, are mixed in ("replay"),
   so the model forgets the old ones more slowly. Measured with 50
   synthetic one-shots (median MR-STFT distance, lower is better): 600 steps
   with replay took them from 1.38 to 1.09 (50 unseen ones of the same style:
   1.44 -> 1.19) while held-out GM one-shots went 0.81 -> 0.88; 200 steps
   without replay gave the same gain for 0.81 -> 0.93. Checkpoints go to
   ``user_data_dir()/finetune/<name>/run``; a run with the same name resumes
   there, and one with more ``steps`` trains further. Cancelling stops
   between steps, writes a checkpoint and raises JobCancelled.
3. **index**: the prompt generator (a retrieval index) is rebuilt for the new
   model from the user's sounds plus the base index's sounds (all of them by
   default, else an evenly spread subset), decoded by the base model and
   re-encoded by the new one
   (the base index holds the base model's latents); the slider directions
   are recomputed from the same encodings.

The result is ``user_models_dir()/<name>`` and ``<name>-retrieval``. A
shipped model is never written: its names are refused.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from sketchpad.jobs import JobCancelled
from sketchpad.errors import SketchpadError
from sketchpad.training.checkpoint import checkpoint_step, read_json
from sketchpad.training.train import TrainConfig, stderr_log

DEFAULT_STEPS = 600
"""About 110 s of training on an idle 2-core CPU with the shipped architecture (~0.18 s a step)."""
MAX_STEPS = 100_000
DEFAULT_SHIPPED_SOUNDS = None
"""Base-index sounds re-encoded into the new index; None = all. The whole shipped
index (8,520 sounds) takes about 105 s on an idle 2-core CPU (~12 ms a sound,
decode and encode batched), about as long as the default training, so by
default the new prompt generator still finds everything the shipped one did."""
MAX_REPLAY_SOUNDS = 500  # base sounds mixed into training: one per user sound, at most this
DIRECTION_ITEMS = 600  # sounds whose descriptors name the slider directions
REENCODE_BATCH = 32  # base-index sounds decoded and re-encoded per pass
MAX_NAME_CHARS = 64

# Fine-tuning settings; anything else comes from TrainConfig or the base model's training.
FINETUNE_SETTINGS = dict(batch_size=8, segment_seconds=0.5, learning_rate=5e-5,
                         final_learning_rate=5e-6, warmup_steps=10, kl_warmup_steps=0,
                         checkpoint_every=25, log_every=10)
# Fraction of the whole job's progress bar each phase ends at.
_PHASE_END = {"dataset": 0.05, "training": 0.8, "index": 1.0}
_PHASE_START = {"dataset": 0.0, "training": 0.05, "index": 0.8}


def check_model_name(name: str) -> str:
    """``name`` if it can be a new user model's folder name, else SketchpadError."""
    from sketchpad.paths import models_dir

    name = str(name)
    if not name.strip():
        raise SketchpadError("Give the new model a name, e.g. --name my-drums.")
    if name != name.strip():
        raise SketchpadError(f"Model name '{name}' has spaces at its ends; remove them.")
    if "/" in name or "\\" in name or os.sep in name or (os.altsep and os.altsep in name):
        raise SketchpadError(f"Model name '{name}' can't contain '/' or '\\'; "
                             "it names a folder in your models folder.")
    if name.startswith(".") or not name.isprintable() or ":" in name:
        raise SketchpadError(f"Model name '{name}' can't start with '.' or contain ':' "
                             "or control characters.")
    if len(name) > MAX_NAME_CHARS:
        raise SketchpadError(f"Model name is {len(name)} characters; keep it to {MAX_NAME_CHARS}.")
    if name.lower().endswith("-retrieval"):
        raise SketchpadError(f"Model name '{name}' can't end in '-retrieval' "
                             "(that ending marks prompt indexes).")
    shipped = {p.name.lower() for p in models_dir().iterdir()} if models_dir().is_dir() else set()
    if name.lower() in shipped or f"{name.lower()}-retrieval" in shipped:
        raise SketchpadError(f"'{name}' is the name of a model that ships with Sketchpad; "
                             "pick another name for your fine-tuned model.")
    return name


def finetune(folder, *, name: str, base=None, steps: int = DEFAULT_STEPS,
             shipped_sounds: int | None = DEFAULT_SHIPPED_SOUNDS, ctx=None, log=stderr_log,
             settings: dict | None = None) -> Path:
    """Fine-tune ``base`` (a model name or folder; default the shipped model) on the
    audio under ``folder`` and save it as model ``name``; returns the model folder.

    Writes ``user_models_dir()/<name>`` (the sound model, with its slider
    directions) and ``user_models_dir()/<name>-retrieval`` (its prompt index);
    keeps the imported sounds and checkpoints in ``user_data_dir()/finetune/<name>``.
    ``steps``: total optimiser steps (1..MAX_STEPS). ``shipped_sounds``: how
    many sounds of the base model's index join the new index (None: all,
    0: only yours; an evenly spread subset otherwise).
    ``ctx``: a :class:`~sketchpad.jobs.JobContext` (or anything with
    ``progress(fraction, text)``, ``check()`` and ``cancelled``) for progress
    and cancel; ``log(line)`` gets human-readable lines. ``settings``
    overrides TrainConfig fields (e.g. learning_rate, batch_size).
    Raises SketchpadError (one line) for a bad name, folder or base, and
    JobCancelled when cancelled (the next call with the same name resumes).
    """
    from sketchpad.audio.io import SUPPORTED_EXTENSIONS, find_audio_files, load_audio
    from sketchpad.paths import user_data_dir
    from sketchpad.engine.directions import directions_to_files, find_directions
    from sketchpad.engine.model import SoundModel
    from sketchpad.engine.registry import find_model, user_models_dir
    from sketchpad.engine.retrieval import RetrievalIndex
    from sketchpad.training.dataset import Manifest, add_user_folder
    from sketchpad.engine.mel_vae import MelVAE
    from sketchpad.training.train import AudioBank, train
    from sketchpad.training.train_mel_vae import train_mel_vae

    name = check_model_name(name)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) \
            or not 1 <= steps <= MAX_STEPS:
        raise SketchpadError(f"Steps must be a whole number from 1 to {MAX_STEPS}, got {steps!r}.")
    if shipped_sounds is not None and (isinstance(shipped_sounds, bool) or not isinstance(
            shipped_sounds, (int, np.integer)) or shipped_sounds < 0):
        raise SketchpadError(f"The number of shipped sounds to index must be 0 or more, "
                             f"got {shipped_sounds!r}.")
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise SketchpadError(f"'{folder}' is not a folder; fine-tuning needs a folder of sounds.")
    files, _ = find_audio_files(folder)
    if not files:
        raise SketchpadError(f"No audio files in '{folder}' (looked for "
                             f"{', '.join(SUPPORTED_EXTENSIONS)} in it and its subfolders).")
    base_dir = find_model(base)
    base_model = SoundModel.load(base_dir)  # validates the base; decodes its index's sounds
    base_index_dir = base_dir.parent / f"{base_dir.name}-retrieval"
    base_index = (RetrievalIndex.load(base_index_dir)
                  if (base_index_dir / "config.json").is_file() else None)
    out_dir = user_models_dir() / name
    index_dir = user_models_dir() / f"{name}-retrieval"
    if base_dir.resolve() == out_dir.resolve():
        raise SketchpadError(f"Can't fine-tune '{name}' into itself; give the new model another name.")
    _refuse_foreign_model(out_dir, name)
    work = user_data_dir() / "finetune" / name
    data_dir, run_dir = work / "data", work / "run"
    _remember_base(work, run_dir, name, base_dir)

    report = _Reporter(ctx, log)
    began = time.perf_counter()

    # 1. dataset --------------------------------------------------------------
    report("dataset", 0.0, f"Reading {len(files)} sounds from {folder.name}")
    add_user_folder(data_dir, folder, progress=lambda f, text: report("dataset", f, text))
    summary = read_json(data_dir / "dataset.json")
    if summary.get("user_unreadable", 0) >= len(files):
        raise SketchpadError(f"None of the {len(files)} audio files in '{folder}' could be read.")
    manifest = Manifest.load(data_dir)
    items = [i for i in manifest.of_kind("user") if i.seconds > 0]
    if not items:
        raise SketchpadError(f"The audio files in '{folder}' hold no audio (all empty).")
    log(f"{len(items)} sounds ready ({sum(i.seconds for i in items):.0f} s) "
        f"after {time.perf_counter() - began:.0f} s")

    # 2. training -------------------------------------------------------------
    mel = isinstance(base_model.vae, MelVAE)  # v2: the latent over the mel, its vocoder kept
    config = (_finetune_mel_config if mel else _finetune_config)(base_model, steps, settings)
    waves = [load_audio(manifest.audio_path(i)).samples.mean(axis=1) for i in items]
    replay = []
    if base_index is not None and checkpoint_step(run_dir) < config.steps:  # else no training
        picks = _spread(np.arange(len(base_index)), min(len(items), MAX_REPLAY_SOUNDS))
        log(f"decoding {len(picks)} sounds of {base_model.name} to mix into training")
        decoding = (lambda done: report("training", 0.0, f"Decoding {base_model.name} sounds "
                                                         f"to mix in ({done}/{len(picks)})"))
        for batch, lengths, audio in _decode_base(base_model, base_index, picks, decoding):
            replay += [audio[: n * base_model.samples_per_latent, b].copy()
                       for b, n in enumerate(lengths)]
    bank = AudioBank(waves + replay)
    del waves

    def on_step(step: int, total: int) -> None:
        try:
            report("training", step / max(1, total), f"Fine-tuning step {step}/{total}")
        except JobCancelled:
            pass  # should_stop sees it before the next step and a checkpoint is written

    cancelled = (lambda: ctx is not None and bool(ctx.cancelled))
    report("training", 0.0, f"Fine-tuning {base_model.name} for {steps} steps")
    if mel:
        vae = train_mel_vae(bank, run_dir, config, log=log, should_stop=cancelled,
                            initial=base_model.vae, on_step=on_step)
    else:
        vae = train(bank, run_dir, config, log=log, should_stop=cancelled,
                    initial_weights=base_dir, on_step=on_step)
    done = checkpoint_step(run_dir)
    if cancelled() and done < config.steps:
        log(f"cancelled at step {done}/{config.steps}; run again with the name '{name}' to resume")
        raise JobCancelled("finetune")
    if done > config.steps:
        log(f"the checkpoint is already at step {done} (more than the {config.steps} asked); using it")
    log(f"training done after {time.perf_counter() - began:.0f} s")

    # 3. directions and the prompt index --------------------------------------
    vocoder_name = base_model.info.get("vocoder") if mel else None
    model = SoundModel(vae, name=name, config={}, vocoder=base_model.vocoder)
    index, direction_sounds = _build_index(model, base_model, base_index, manifest, items,
                                           shipped_sounds, report)
    directions = find_directions(np.stack([s for s, _ in direction_sounds]),
                                 [t for _, t in direction_sounds])
    entries, tensors = directions_to_files(directions)
    base_info = {"name": base_model.name, "folder": str(base_dir)}
    model.save(out_dir, extra_config={
        "sample_rate": model.sample_rate,
        "latent": {"channels": model.latent_channels, "rate_hz": vae.config.latent_rate_hz,
                   "compression": vae.config.compression},
        "training": config.to_dict(),
        "training_data": {"items": len(items), "counts_by_kind": {"user": len(items)},
                          "total_seconds": round(sum(i.seconds for i in items), 2)},
        "finetune": {"base": base_info, "steps": max(done, config.steps),
                     "folder": str(folder.resolve()), "user_sounds": len(items),
                     "replayed_base_sounds": len(replay),
                     "indexed_base_sounds": len(index) - len(items)},
        "directions": entries,
        "metrics": {},
        **({"vocoder": vocoder_name} if vocoder_name else {}),
        **({"cpu_int8": True} if base_model.info.get("cpu_int8") else {}),  # decodes like its base
    }, extra_tensors=tensors)
    index.save(index_dir, sound_model=name,
               extra_config={"dataset": f"finetune/{name}", "base": base_info})
    report("index", 1.0, f"Saved {name}")
    log(f"model written to {out_dir} and {index_dir.name} ({len(index)} sounds) "
        f"in {time.perf_counter() - began:.0f} s")
    return out_dir


# --- pieces -------------------------------------------------------------------

class _Reporter:
    """Maps a phase's own 0..1 to the job's progress bar; logs a line now and then."""

    LOG_EVERY_S = 10.0

    def __init__(self, ctx, log):
        self.ctx, self.log = ctx, log
        self._last_log = -1e9
        self._phase = None

    def __call__(self, phase: str, fraction: float, text: str = "") -> None:
        lo, hi = _PHASE_START[phase], _PHASE_END[phase]
        overall = lo + (hi - lo) * min(max(float(fraction), 0.0), 1.0)
        if self.ctx is not None:
            self.ctx.progress(overall, text)  # raises JobCancelled once cancelled
        now = time.perf_counter()
        # Training logs its own lines (loss, speed) every few steps.
        if phase != "training" and (phase != self._phase or now - self._last_log > self.LOG_EVERY_S):
            self.log(f"{phase} {fraction * 100:5.1f}%  {text}")
            self._last_log = now
        self._phase = phase


def _finetune_config(base_model, steps: int, settings: dict | None) -> TrainConfig:
    base_training = base_model.info.get("training", {}) if isinstance(base_model.info, dict) else {}
    config = TrainConfig(steps=int(steps), architecture=base_model.config, **FINETUNE_SETTINGS)
    for key in ("kl_weight", "mel_weight", "stft_weight"):  # keep the base's loss balance
        if isinstance(base_training.get(key), (int, float)):
            setattr(config, key, float(base_training[key]))
    for key, value in (settings or {}).items():
        if key in ("steps", "architecture") or not hasattr(config, key):
            raise SketchpadError(f"Unknown fine-tuning setting '{key}'.")
        setattr(config, key, value)
    return config


def _finetune_mel_config(base_model, steps: int, settings: dict | None):
    from dataclasses import fields

    from sketchpad.training.train_mel_vae import MelTrainConfig

    base_training = base_model.info.get("training", {}) if isinstance(base_model.info, dict) else {}
    known = {f.name for f in fields(MelTrainConfig)}
    config = MelTrainConfig(steps=int(steps), architecture=base_model.config,
                            **{k: v for k, v in FINETUNE_SETTINGS.items() if k in known},
                            segment_samples=32768, kl_weight=float(base_training.get("kl_weight", 1e-4)))
    for key, value in (settings or {}).items():
        if key in ("steps", "architecture") or key not in known:
            raise SketchpadError(f"Unknown fine-tuning setting '{key}'.")
        setattr(config, key, value)
    return config


def _refuse_foreign_model(out_dir: Path, name: str) -> None:
    """A user model of that name that a fine-tune did not write is never overwritten."""
    config_path = out_dir / "config.json"
    ours = {"config.json", "weights.safetensors"}
    foreign = (config_path.is_file() and "finetune" not in read_json(config_path)) or (
        out_dir.is_dir() and any(p.name not in ours for p in out_dir.iterdir())) or (
        out_dir.exists() and not out_dir.is_dir())
    if foreign:
        raise SketchpadError(f"A model named '{name}' is already in {out_dir.parent} and was not "
                             "made by fine-tuning; pick another name.")


def _remember_base(work: Path, run_dir: Path, name: str, base_dir: Path) -> None:
    """A checkpoint resumes only with the base it started from."""
    from sketchpad.atomic import atomic_write_text

    state_path = work / "finetune.json"
    previous = read_json(state_path).get("base")
    if previous and previous != str(base_dir.resolve()) and (run_dir / "checkpoint").is_dir():
        raise SketchpadError(f"'{name}' was fine-tuned from {previous}; pick another name "
                             f"to start from {base_dir}.")
    work.mkdir(parents=True, exist_ok=True)
    atomic_write_text(state_path, json.dumps({"base": str(base_dir.resolve())}) + "\n")


def _spread(candidates: np.ndarray, count: int) -> np.ndarray:
    """``count`` evenly spaced entries of ``candidates`` (all of them if fewer)."""
    if len(candidates) <= count:
        return candidates
    if count <= 0:
        return candidates[:0]
    return candidates[np.unique(np.linspace(0, len(candidates) - 1, count).round().astype(np.int64))]


def _decode_base(old, base_index, picks, on_batch=None):
    """Decode index sounds ``picks`` with the base model ``old``, shortest first, batched.

    Yields ``(indices, latent frame counts, audio (frames, batch))``; sound ``b``
    is ``audio[: counts[b] * old.samples_per_latent, b]`` (the rest is the
    decoded silence it was padded with). ``on_batch(done)`` runs before each batch.
    """
    lengths_all = np.diff(base_index.offsets)
    order = np.asarray(picks, np.int64)[np.argsort(lengths_all[picks], kind="stable")]
    silence = old.silence_frame()
    for first in range(0, len(order), REENCODE_BATCH):
        if on_batch is not None:
            on_batch(first)
        batch = order[first: first + REENCODE_BATCH]
        lengths = [int(lengths_all[k]) for k in batch]
        longest = max(lengths)
        z = np.stack([np.concatenate(
            [base_index.latent(int(k))[0], np.repeat(silence[:, None], longest - n, axis=1)], axis=1)
            for k, n in zip(batch, lengths)])
        yield batch, lengths, old.decode(z)  # one pass for the batch, a column per sound


def _build_index(model, old, base_index, manifest, items, shipped_sounds: int | None, report):
    """The new model's RetrievalIndex and [(latent summary, descriptors)] for the sliders.

    The user's sounds come first (kind 'user', captions from their paths, no
    pitch); then up to ``shipped_sounds`` sounds of the base model's index,
    decoded with the base model ``old`` and encoded with ``model``, keeping
    their captions, kinds, notes and caption embeddings.
    """
    from sketchpad.audio.io import load_audio
    from sketchpad.engine.directions import descriptors, latent_summary
    from sketchpad.engine.retrieval import INDEX_FIT_STEPS, RetrievalIndex
    from sketchpad.engine.text import shared_text_encoder

    rate = model.sample_rate
    user_captions = {i.caption for i in items}
    picks = np.zeros(0, np.int64)
    if base_index is not None and shipped_sounds != 0:
        keep = np.array([k for k in range(len(base_index))  # a re-fine-tune: no duplicates
                         if not (base_index.kinds[k] == "user" and base_index.captions[k] in user_captions)],
                        np.int64)
        picks = keep if shipped_sounds is None else _spread(keep, shipped_sounds)
    total = len(items) + len(picks)
    # Descriptors are measured for at most DIRECTION_ITEMS sounds: the user's, then base sounds.
    rng = np.random.default_rng(0)
    user_for_directions = set(rng.permutation(len(items))[:DIRECTION_ITEMS].tolist())
    room = max(0, DIRECTION_ITEMS - len(user_for_directions))
    base_for_directions = set(picks[rng.permutation(len(picks))[:room]].tolist())

    latents, notes, direction_sounds = [], [], []
    for n, item in enumerate(items):
        if n % 8 == 0:
            report("index", n / max(1, total), f"Encoding your sounds ({n}/{len(items)})")
        audio = load_audio(manifest.audio_path(item)).samples.mean(axis=1)
        z = model.encode(audio, fit_steps=INDEX_FIT_STEPS)[0]
        latents.append(z)
        notes.append(-1)
        if n in user_for_directions:
            direction_sounds.append((latent_summary(z), descriptors(audio, rate, None)))
    captions = [i.caption for i in items]
    kinds = ["user"] * len(items)
    embeddings = [shared_text_encoder().embed(captions)]

    if len(picks):
        step_samples = old.samples_per_latent
        encoded: dict[int, np.ndarray] = {}
        progress = (lambda done: report("index", (len(items) + done) / max(1, total),
                                        f"Re-encoding {old.name} sounds ({done}/{len(picks)})"))
        for batch, lengths, audio in _decode_base(old, base_index, picks, progress):
            z_new = model.encode(audio, fit_steps=INDEX_FIT_STEPS)  # (batch, C, longest)
            for b, (k, length) in enumerate(zip(batch, lengths)):
                z = z_new[b, :, :length]
                encoded[int(k)] = z
                if int(k) in base_for_directions:
                    note = int(base_index.midi_notes[k])
                    direction_sounds.append((latent_summary(z), descriptors(
                        audio[: length * step_samples, b], rate, note if note >= 0 else None)))
        for k in picks:
            latents.append(encoded[int(k)])
            notes.append(int(base_index.midi_notes[k]))
            captions.append(base_index.captions[k])
            kinds.append(base_index.kinds[k])
        embeddings.append(base_index.embeddings[picks])
    report("index", 1.0, f"Indexed {total} sounds")
    offsets = np.concatenate([[0], np.cumsum([z.shape[1] for z in latents])]).astype(np.int64)
    index = RetrievalIndex(np.concatenate(embeddings), np.concatenate(latents, axis=1), offsets,
                           notes, captions, kinds)
    return index, direction_sounds
