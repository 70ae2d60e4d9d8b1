"""A sample library: every sound under a folder, encoded once and cached.

``index_folder`` walks a folder (recursively), decodes each audio file (the
first ``MAX_SECONDS``, mixed to mono), encodes it with the sound model and
embeds a caption made from its path. Results are cached in the user's data
folder, one cache per library folder, keyed by each file's size and
modification time and by the sound model: a second import only analyses
files that are new or changed, and a cancelled import keeps what it did.

A sound's map features summarise its latent frames (their mean and spread,
plus the attack), standardised across the library, so distances on them
compare sounds of any length.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from sketchpad.audio.io import find_audio_files, load_audio
from sketchpad.engine.model_files import ModelFileError, read_model_folder, save_model_folder
from sketchpad.errors import SketchpadError
from sketchpad.jobs import JobCancelled
from sketchpad.paths import user_data_dir

LIBRARY_KIND = "sketchpad-library"
MAX_SECONDS = 6.0           # analysed from each file: a one-shot, or a song's opening
SILENT_PEAK = 10 ** (-70 / 20)    # a file quieter than this everywhere is skipped
ATTACK_FRAMES = 4
SAVE_EVERY_S = 10.0         # a long import checkpoints its cache this often


@dataclass
class LibrarySound:
    rel: str                # path below the library folder, with forward slashes
    caption: str            # words from the path, for search and the prompt generator
    category: str           # the folder it sits in ("" at the top level)
    seconds: float          # length of the analysed part
    size: int
    mtime_ns: int


@dataclass
class IndexSummary:
    files: int = 0          # audio files found
    analysed: int = 0       # decoded and encoded this time
    reused: int = 0         # taken from the cache unchanged
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    seconds: float = 0.0            # whole import
    decode_seconds: float = 0.0     # reading files
    analysis_seconds: float = 0.0   # encoding + features + captions, after decoding

    @property
    def files_per_second_after_decoding(self) -> float:
        return self.analysed / self.analysis_seconds if self.analysis_seconds > 0 else 0.0

    def lines(self) -> list[str]:
        out = [f"{self.files} audio files: {self.analysed} analysed, {self.reused} unchanged "
               f"(cached), {len(self.skipped)} skipped, in {self.seconds:.1f} s"]
        if self.analysed:
            out.append(f"  {self.analysed / max(self.seconds, 1e-9):.0f} files/s overall, "
                       f"{self.files_per_second_after_decoding:.0f} files/s after decoding "
                       f"(decoding {self.decode_seconds:.1f} s, analysis "
                       f"{self.analysis_seconds:.1f} s)")
        out += [f"  skipped {rel}: {reason}" for rel, reason in self.skipped]
        return out


class Library:
    """The sounds of one folder with their latents, map features and caption embeddings."""

    def __init__(self, folder: Path, model_name: str, sounds: list[LibrarySound],
                 latents: list[np.ndarray], embeddings: np.ndarray):
        self.folder = folder
        self.model_name = model_name
        self.sounds = sounds
        self.latents = latents                  # each (C, frames) float32, mono
        self.embeddings = np.asarray(embeddings, np.float32).reshape(len(sounds), -1)
        self.features = standardise(np.stack([latent_features(z) for z in latents])
                                    if latents else np.zeros((0, 1), np.float32))

    def __len__(self) -> int:
        return len(self.sounds)

    def path(self, i: int) -> Path:
        return self.folder / self.sounds[i].rel

    def categories(self) -> list[str]:
        return [s.category for s in self.sounds]

    def nearest(self, i: int, count: int = 8) -> np.ndarray:
        """Indices of the ``count`` sounds closest to sound ``i`` in latent features."""
        distance = np.linalg.norm(self.features - self.features[i], axis=1)
        distance[i] = np.inf
        return np.argsort(distance)[: min(count, len(self) - 1)]

    def search(self, query_embedding: np.ndarray, text: str, count: int = 20) -> np.ndarray:
        """Best matches for a typed query: caption similarity, boosted where the
        query's words appear in the file's path."""
        if not len(self):
            return np.zeros(0, np.int64)
        score = self.embeddings @ np.asarray(query_embedding, np.float32).ravel()
        words = [w for w in text.lower().split() if w]
        if words:
            score = score + 0.5 * np.array([sum(w in s.rel.lower() for w in words) / len(words)
                                            for s in self.sounds], np.float32)
        return np.argsort(-score)[: min(count, len(self))]


def latent_features(z: np.ndarray) -> np.ndarray:
    """(C, frames) latents -> (3C,) their mean, spread and attack (first frames)."""
    z = np.asarray(z, np.float32)
    attack = z[:, :ATTACK_FRAMES].mean(axis=1)
    return np.concatenate([z.mean(axis=1), z.std(axis=1), attack]).astype(np.float32)


def standardise(features: np.ndarray) -> np.ndarray:
    """Zero mean, unit spread per dimension, so no latent channel dominates distances."""
    if len(features) < 2:
        return features.astype(np.float32)
    spread = features.std(axis=0)
    return ((features - features.mean(axis=0)) / np.maximum(spread, 1e-6)).astype(np.float32)


def caption_from_path(relative: str | os.PathLike) -> str:
    """Lower-case words from folder and file names: 'Drums/Kicks/808 Boom.wav' -> 'drums kicks 808 boom'."""
    words = re.split(r"[\s_\-./\\()\[\],]+", str(Path(relative).with_suffix("")).lower())
    return " ".join(w for w in words if w)


def cache_dir_for(folder: Path, root: Path | None = None) -> Path:
    """One cache folder per library folder, named so a person can tell which."""
    folder = folder.resolve()
    digest = hashlib.sha1(str(folder).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    slug = "".join(c if c.isalnum() or c in "-_" else "-" for c in folder.name)[:40] or "root"
    return (root or user_data_dir() / "library") / f"{slug}-{digest}"


def _mono_start(path: Path) -> np.ndarray:
    audio = load_audio(path, max_seconds=MAX_SECONDS)
    return audio.samples.mean(axis=1, dtype=np.float32)


def index_folder(folder, model, text_encoder, *, ctx=None, cache_root: Path | None = None
                 ) -> tuple[Library, IndexSummary]:
    """Import ``folder`` into its cached library; see the module docstring.

    ``ctx`` (a JobContext) gets progress and may cancel: the cache then keeps
    every file finished so far and JobCancelled is raised.
    """
    began = time.perf_counter()
    folder = Path(folder)
    if not folder.is_dir():
        raise SketchpadError(f"Not a folder: {folder}")
    cache = cache_dir_for(folder, cache_root)
    previous = _read_cache(cache, model.name)
    files, skipped = find_audio_files(folder)
    summary = IndexSummary(files=len(files) + len(skipped), skipped=skipped)
    sounds: list[LibrarySound] = []
    latents: list[np.ndarray] = []
    embeddings: list[np.ndarray | None] = []
    last_save = time.perf_counter()
    try:
        for n, path in enumerate(files):
            if ctx is not None:
                ctx.check()
                if n % 10 == 0:
                    ctx.progress(n / max(1, len(files)), f"{n} / {len(files)} files")
            rel = path.relative_to(folder).as_posix()
            try:
                stat = path.stat()
            except OSError as err:
                summary.skipped.append((rel, err.strerror or str(err)))
                continue
            old = previous.get(rel)
            if old is not None and (old[0].size, old[0].mtime_ns) == (stat.st_size, stat.st_mtime_ns):
                sounds.append(old[0])
                latents.append(old[1])
                embeddings.append(old[2])
                summary.reused += 1
                continue
            started = time.perf_counter()
            try:
                wave = _mono_start(path)
            except SketchpadError as err:
                summary.skipped.append((rel, str(err)))
                continue
            decoded = time.perf_counter()
            summary.decode_seconds += decoded - started
            if not np.any(np.abs(wave) > SILENT_PEAK):
                summary.skipped.append((rel, "silent"))
                summary.analysis_seconds += time.perf_counter() - decoded
                continue
            # The encoder alone: the map needs positions, and the encode-time fit
            # would make a large folder's import several times slower.
            z = model.encode(wave, fit_steps=0)[0]
            parent = Path(rel).parent.as_posix()
            sounds.append(LibrarySound(rel=rel, caption=caption_from_path(rel),
                                       category="" if parent == "." else parent,
                                       seconds=len(wave) / model.sample_rate,
                                       size=stat.st_size, mtime_ns=stat.st_mtime_ns))
            latents.append(z)
            embeddings.append(None)  # embedded in batches below
            summary.analysed += 1
            summary.analysis_seconds += time.perf_counter() - decoded
            if time.perf_counter() - last_save > SAVE_EVERY_S:
                _embed_missing(sounds, embeddings, text_encoder, summary)
                _write_cache(cache, folder, model.name, sounds, latents, embeddings)
                last_save = time.perf_counter()
    except JobCancelled:
        _embed_missing(sounds, embeddings, text_encoder, summary)
        _write_cache(cache, folder, model.name, sounds, latents, embeddings)
        raise
    _embed_missing(sounds, embeddings, text_encoder, summary)
    if summary.analysed or len(sounds) != len(previous) or not (cache / "config.json").exists():
        _write_cache(cache, folder, model.name, sounds, latents, embeddings)
    summary.seconds = time.perf_counter() - began
    if ctx is not None:
        ctx.progress(1.0, f"{len(sounds)} sounds")
    library = Library(folder, model.name, sounds, latents,
                      np.stack(embeddings) if embeddings else np.zeros((0, 384), np.float32))
    return library, summary


def _embed_missing(sounds, embeddings, text_encoder, summary: IndexSummary) -> None:
    missing = [i for i, e in enumerate(embeddings) if e is None]
    if not missing:
        return
    started = time.perf_counter()
    vectors = text_encoder.embed([sounds[i].caption for i in missing])
    for i, vector in zip(missing, vectors):
        embeddings[i] = np.asarray(vector, np.float32)
    summary.analysis_seconds += time.perf_counter() - started


def _write_cache(cache: Path, folder: Path, model_name: str, sounds, latents, embeddings) -> None:
    lengths = [z.shape[1] for z in latents]
    channels = latents[0].shape[0] if latents else 0
    tensors = {
        "latents": torch.from_numpy(np.concatenate(latents, axis=1).astype(np.float16)
                                    if latents else np.zeros((0, 0), np.float16)),
        "lengths": torch.tensor(lengths, dtype=torch.int64),
        "embeddings": torch.from_numpy(np.stack(embeddings).astype(np.float16)
                                       if embeddings else np.zeros((0, 0), np.float16)),
    }
    config = {"kind": LIBRARY_KIND, "folder": str(folder.resolve()), "sound_model": model_name,
              "latent_channels": channels,
              "sounds": [[s.rel, s.caption, s.category, round(s.seconds, 4), s.size, s.mtime_ns]
                         for s in sounds]}
    save_model_folder(cache, config, tensors)


def _read_cache(cache: Path, model_name: str) -> dict:
    """rel -> (LibrarySound, latents, embedding) from the cache; empty when it is
    missing, damaged or made with another sound model."""
    if not (cache / "config.json").exists():
        return {}
    try:
        config, tensors = read_model_folder(cache)
        if config.get("kind") != LIBRARY_KIND or config.get("sound_model") != model_name:
            return {}
        flat = tensors["latents"].float().numpy()
        lengths = tensors["lengths"].numpy()
        embeddings = tensors["embeddings"].float().numpy()
        starts = np.concatenate([[0], np.cumsum(lengths)])
        out = {}
        for i, (rel, caption, category, seconds, size, mtime_ns) in enumerate(config["sounds"]):
            sound = LibrarySound(rel, caption, category, float(seconds), int(size), int(mtime_ns))
            out[rel] = (sound, flat[:, starts[i]: starts[i + 1]], embeddings[i])
        return out
    except (ModelFileError, KeyError, ValueError, TypeError, IndexError):
        return {}  # a damaged cache costs only the time to rebuild it
