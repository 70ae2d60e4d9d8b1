"""Building an NSynth-style training set from a GM soundfont, plus user folders.

Layout of a dataset folder::

    manifest.jsonl      one JSON object per item (see :class:`Item`)
    dataset.json        summary: counts, total seconds, soundfont, parameters
    silent.txt          ids that rendered silent (so a re-run skips them fast)
    notes/<family>/...  drums/<kit>/...  phrases/...  user/...   (FLAC files)

Audio files are 16-bit FLAC at 44.1 kHz. Mono rule: a render is stored mono
when its two channels never differ by more than 2 LSB of 16-bit
(``MONO_TOLERANCE``), i.e. mono after quantisation anyway; otherwise it
stays stereo (FluidSynth's panning, stereo samples and reverb usually make
renders genuinely stereo).

Re-running :func:`build_dataset` with the same rendering parameters reuses
every item whose file exists (resume after interruption is the same thing);
changing the soundfont, hold/total length or builder version re-renders.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import soundfile as sf

from sketchpad.atomic import atomic_write, atomic_write_text
from sketchpad.audio.io import PROJECT_RATE, find_audio_files, load_audio
from sketchpad.engine.library import caption_from_path
from sketchpad.errors import AudioFileError, SketchpadError
from sketchpad.training import captions, gm, phrases as phrase_gen, render
from sketchpad.training.soundfonts import (SoundfontInfo, check_trainable, default_training_soundfont,
                                           drum_kits, melodic_presets, soundfont_info)

BUILDER_VERSION = "1"
MANIFEST_NAME = "manifest.jsonl"
SUMMARY_NAME = "dataset.json"
SILENT_NAME = "silent.txt"
HOLD_SECONDS = 1.0
"""Note-on time (s) of melodic notes; the release follows."""
DRUM_HOLD_SECONDS = 0.2
"""Note-on time (s) of drum hits (GM kits mostly ignore note-off)."""
TOTAL_SECONDS = 2.0
"""Longest note or drum item (s), release included."""
MONO_TOLERANCE = 2.0 / 32768.0
KINDS = ("note", "drum", "phrase", "user")

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Item:
    """One manifest row. ``path`` is relative to the dataset folder; ``seconds`` its length.

    ``program``/``bank``/``midi_note``/``velocity`` are None where they do not
    apply (phrases, user sounds). For drums ``family`` is the drum category
    (kick, snare, ...) and ``instrument`` the kit name.
    """

    id: str
    path: str
    caption: str
    qualities: list[str]
    kind: str
    family: str
    source: str
    instrument: str
    program: int | None
    bank: int | None
    midi_note: int | None
    velocity: int | None
    soundfont: str | None
    seconds: float

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_dict(cls, d: dict) -> "Item":
        names = {f.name for f in fields(cls)}
        return cls(**{k: d.get(k) for k in names})


def _split_hash(item_id: str, salt: str) -> float:
    digest = hashlib.sha1(f"{salt}{item_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


class Manifest:
    """The items of a dataset folder, in manifest order."""

    def __init__(self, root: str | os.PathLike, items: Iterable[Item]):
        self.root = Path(root)
        self.items = list(items)

    @classmethod
    def load(cls, root: str | os.PathLike) -> "Manifest":
        """Read ``root/manifest.jsonl`` (a torn last line from an interrupted build is ignored)."""
        return cls(root, _read_manifest(Path(root)).values())

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)

    def of_kind(self, *kinds: str) -> list[Item]:
        """Items whose kind is one of ``kinds`` ('note', 'drum', 'phrase', 'user')."""
        return [it for it in self.items if it.kind in kinds]

    def audio_path(self, item: Item) -> Path:
        return self.root / item.path

    def split(self, validation_fraction: float = 0.1, salt: str = "") -> tuple[list[Item], list[Item]]:
        """Deterministic ``(train, validation)`` split by a hash of each id.

        An item's side never changes when items are added or removed.
        """
        train, val = [], []
        for it in self.items:
            (val if _split_hash(it.id, salt) < validation_fraction else train).append(it)
        return train, val


# --- files ----------------------------------------------------------------

def _read_manifest(root: Path) -> dict[str, Item]:
    items: dict[str, Item] = {}
    path = root / MANIFEST_NAME
    if not path.is_file():
        return items
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                item = Item.from_dict(json.loads(line))
            except (ValueError, TypeError):
                continue  # torn line from an interrupted run
            items[item.id] = item
    return items


def _write_manifest(root: Path, items: Iterable[Item]) -> None:
    atomic_write_text(root / MANIFEST_NAME, "".join(it.to_json() + "\n" for it in items))


def write_flac(path: Path, audio: np.ndarray) -> float:
    """Write float ``(frames, channels)`` 44.1 kHz audio as 16-bit FLAC, atomically; returns seconds.

    Stereo whose channels agree within ``MONO_TOLERANCE`` is stored mono.
    """
    a = np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0)
    if a.ndim == 2 and a.shape[1] == 2 and float(np.max(np.abs(a[:, 0] - a[:, 1]), initial=0.0)) <= MONO_TOLERANCE:
        a = a.mean(axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda out: sf.write(out, a, PROJECT_RATE, format="FLAC", subtype="PCM_16"))
    return len(a) / PROJECT_RATE


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


# --- planning ---------------------------------------------------------------

@dataclass
class _Job:
    id: str
    path: str
    meta: dict  # caption metadata + manifest fields
    render: Callable[[], np.ndarray]


def _plan(sf_info: SoundfontInfo, step: int, velocities, n_phrases: int, seed: int,
          limit: int | None, hold: float, total: float) -> list[_Job]:
    sfp, sfn = sf_info.path, sf_info.name
    jobs: list[_Job] = []
    for preset in melodic_presets(sfp):
        info = gm.program_info(preset.program)
        for note in gm.playable_notes(preset.program, step):
            for vel in velocities:
                jid = f"note-{_slug(sfn)}-p{preset.program:03d}-n{note:03d}-v{vel:03d}"
                meta = dict(kind="note", family=info.family, source=info.source, instrument=info.name,
                            program=preset.program, bank=0, midi_note=note, velocity=vel,
                            hold_seconds=hold)
                jobs.append(_Job(jid, f"notes/{info.family}/{jid}.flac", meta,
                                 lambda p=preset.program, n=note, v=vel:
                                 render.render_note(sfp, 0, p, n, v, hold, total)))
    for kit in drum_kits(sfp):
        for note in gm.DRUM_NOTES:
            drum = gm.drum_info(note)
            for vel in velocities:
                jid = f"drum-{_slug(sfn)}-k{kit.program:03d}-n{note:03d}-v{vel:03d}"
                meta = dict(kind="drum", family=drum.category, source=gm.kit_source(kit.name),
                            instrument=kit.name, program=kit.program, bank=128, midi_note=note,
                            velocity=vel, drum_category=drum.category, drum_name=drum.name,
                            hold_seconds=DRUM_HOLD_SECONDS)
                jobs.append(_Job(jid, f"drums/{_slug(kit.name)}/{jid}.flac", meta,
                                 lambda k=kit.program, n=note, v=vel:
                                 render.render_note(sfp, 128, k, n, v, DRUM_HOLD_SECONDS, total)))
    if limit is not None and len(jobs) > limit:
        # Evenly spaced picks, so a small build still spans pianos to drums.
        picks = np.unique(np.linspace(0, len(jobs) - 1, max(0, limit)).round().astype(int))
        jobs = [jobs[i] for i in picks] if limit > 0 else []
    kit_names = {k.program: k.name for k in drum_kits(sfp)}
    for i in range(n_phrases):
        ph = phrase_gen.make_phrase(seed, i)
        jid = f"phrase-{_slug(sfn)}-s{seed}-{i:05d}"
        names = [(f"{kit_names.get(inst.program, kit_names.get(0, 'Standard'))} kit" if inst.is_drum
                  else gm.PROGRAM_NAMES[inst.program]) for inst in ph.midi.instruments]
        meta = dict(kind="phrase", family="+".join(p.split()[0] for p in ph.parts), source="mixed",
                    instrument=" + ".join(names), program=None, bank=None, midi_note=None,
                    velocity=None, text=ph.caption)
        tail = max(0.3, 8.0 - ph.seconds)
        jobs.append(_Job(jid, f"phrases/{jid}.flac", meta,
                         lambda m=ph.midi, t=tail: render.render_midi(sfp, m, t)))
    return jobs


def _item_from(job: _Job, caption: str, qualities: list[str], seconds: float, sfn: str | None) -> Item:
    m = job.meta
    return Item(id=job.id, path=job.path, caption=caption, qualities=qualities, kind=m["kind"],
                family=m["family"], source=m["source"], instrument=m["instrument"],
                program=m.get("program"), bank=m.get("bank"), midi_note=m.get("midi_note"),
                velocity=m.get("velocity"), soundfont=sfn, seconds=round(seconds, 4))


def _summary(root: Path, items: list[Item], params: dict, status: str, extra: dict) -> dict:
    by_kind: dict[str, int] = {}
    by_family: dict[str, dict[str, int]] = {}
    for it in items:
        by_kind[it.kind] = by_kind.get(it.kind, 0) + 1
        fam = by_family.setdefault(it.kind, {})
        fam[it.family] = fam.get(it.family, 0) + 1
    summary = {
        "status": status, "builder_version": BUILDER_VERSION, "items": len(items),
        "counts_by_kind": by_kind, "counts_by_family": by_family,
        "total_seconds": round(sum(it.seconds for it in items), 2),
        "soundfont": params.get("soundfont"), "parameters": params, **extra,
    }
    atomic_write_text(root / SUMMARY_NAME, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return summary


def read_dataset_summary(root: Path) -> dict | None:
    """The folder's ``dataset.json`` (counts, soundfont, licence, parameters), or None."""
    try:
        return json.loads((root / SUMMARY_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


_RENDER_KEYS = ("builder_version", "soundfont", "hold_seconds", "drum_hold_seconds", "total_seconds")


def build_dataset(out_dir: str | os.PathLike, *, soundfont: SoundfontInfo | str | os.PathLike | None = None,
                  notes_per_octave: int = 3, velocities: tuple[int, ...] = (40, 80, 120),
                  phrases: int = 200, seed: int = 0, progress: Progress | None = None,
                  limit: int | None = None, hold_seconds: float = HOLD_SECONDS,
                  total_seconds: float = TOTAL_SECONDS) -> Manifest:
    """Render a soundfont into a dataset folder and return its manifest.

    Every bank-0 program over its playable range (``notes_per_octave``
    notes per octave on a grid anchored at C4, so 3 = C, E, G#) at each of
    ``velocities``; every GM drum note (35-81) of every bank-128 kit at each
    velocity; then ``phrases`` generated phrases (``seed``). ``limit`` keeps
    that many evenly spread note/drum items (phrases not included), for
    quick trials. ``progress(fraction 0-1, text)`` is called for every item;
    raising inside it stops the build (what was written is reused next time).
    Defaults on FluidR3_GM: about 9,000 items.
    """
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    info = soundfont if isinstance(soundfont, SoundfontInfo) else (
        default_training_soundfont() if soundfont is None else soundfont_info(soundfont))
    if not info.path.is_file():
        raise SketchpadError(f"Soundfont not found: {info.path}")
    check_trainable(info.path)
    if not 1 <= notes_per_octave <= 12 or 12 % notes_per_octave:
        raise SketchpadError("notes_per_octave must divide 12 (1, 2, 3, 4, 6 or 12).")
    params = {"builder_version": BUILDER_VERSION, "soundfont": info.name,
              "soundfont_path": str(info.path), "soundfont_licence": info.licence,
              "notes_per_octave": notes_per_octave, "velocities": list(velocities),
              "phrases": phrases, "seed": seed, "limit": limit, "hold_seconds": hold_seconds,
              "drum_hold_seconds": DRUM_HOLD_SECONDS, "total_seconds": total_seconds,
              "sample_rate": PROJECT_RATE}

    existing = _read_manifest(root)
    previous = read_dataset_summary(root)
    reusable = previous is None or all(previous.get("parameters", {}).get(k) == params[k]
                                       for k in _RENDER_KEYS)
    silent_path = root / SILENT_NAME
    silent_ids = set(silent_path.read_text().split()) if reusable and silent_path.is_file() else set()
    if not reusable:
        existing = {k: v for k, v in existing.items() if v.kind == "user"}
        silent_path.unlink(missing_ok=True)
    _summary(root, list(existing.values()), params, "building", {})

    jobs = _plan(info, 12 // notes_per_octave, tuple(velocities), phrases, seed, limit,
                 hold_seconds, total_seconds)
    done: dict[str, Item] = {}
    counts = {"rendered": 0, "reused": 0, "silent": 0}
    total = max(1, len(jobs))
    with open(root / MANIFEST_NAME, "a", encoding="utf-8") as manifest, \
            open(silent_path, "a", encoding="utf-8") as silent_log:
        for i, job in enumerate(jobs):
            if progress is not None:
                progress(i / total, f"{job.meta['instrument']} ({i + 1}/{len(jobs)})")
            old = existing.get(job.id)
            if old is not None and (root / old.path).is_file():
                done[job.id] = old
                counts["reused"] += 1
                continue
            if job.id in silent_ids:
                counts["silent"] += 1
                continue
            audio = job.render()
            if audio.size == 0:
                counts["silent"] += 1
                silent_log.write(job.id + "\n")
                silent_log.flush()
                continue
            caption, qualities = captions.describe(job.meta, audio)
            seconds = write_flac(root / job.path, audio)
            item = _item_from(job, caption, qualities, seconds, info.name)
            manifest.write(item.to_json() + "\n")
            manifest.flush()
            done[job.id] = item
            counts["rendered"] += 1
    items = [done[j.id] for j in jobs if j.id in done]
    items += [it for it in existing.values() if it.kind == "user"]
    _write_manifest(root, items)
    _summary(root, items, params, "complete", {"skipped_silent": counts["silent"],
                                               "rendered": counts["rendered"],
                                               "reused": counts["reused"]})
    if progress is not None:
        progress(1.0, f"{len(items)} items")
    return Manifest(root, items)


# --- user folders -----------------------------------------------------------

def add_user_folder(out_dir: str | os.PathLike, folder: str | os.PathLike,
                    progress: Progress | None = None) -> Manifest:
    """Add every audio file under ``folder`` (recursive) to the dataset as kind 'user'.

    Files are decoded with :func:`load_audio` (44.1 kHz) and stored as
    FLAC; captions come from the path below ``folder``. Files already added
    are skipped; unreadable files are skipped and counted in dataset.json
    (``user_unreadable``). Returns the updated manifest.
    """
    root, folder = Path(out_dir), Path(folder)
    if not folder.is_dir():
        raise SketchpadError(f"Not a folder: {folder}")
    root.mkdir(parents=True, exist_ok=True)
    items = _read_manifest(root)
    files, _ = find_audio_files(folder)
    unreadable = 0
    with open(root / MANIFEST_NAME, "a", encoding="utf-8") as manifest:
        for i, path in enumerate(files):
            rel = path.relative_to(folder).as_posix()
            if progress is not None:
                progress(i / max(1, len(files)), rel)
            jid = "user-" + hashlib.sha1(f"{folder.name}/{rel}".encode()).hexdigest()[:16]
            old = items.get(jid)
            if old is not None and (root / old.path).is_file():
                continue
            try:
                audio = load_audio(path).samples
            except AudioFileError:
                unreadable += 1
                continue
            text = caption_from_path(rel)
            meta = dict(kind="user", family="user", source="user", instrument=path.stem, text=text)
            qualities = captions.qualities_of(meta, audio)
            job = _Job(jid, f"user/{jid}.flac", meta, lambda: audio)
            seconds = write_flac(root / job.path, audio)
            item = _item_from(job, text, qualities, seconds, None)
            manifest.write(item.to_json() + "\n")
            manifest.flush()
            items[jid] = item
    _write_manifest(root, items.values())
    previous = read_dataset_summary(root) or {}
    extra = {k: previous[k] for k in ("skipped_silent", "rendered", "reused") if k in previous}
    extra["user_unreadable"] = unreadable
    _summary(root, list(items.values()), previous.get("parameters", {}),
             previous.get("status", "complete"), extra)
    if progress is not None:
        progress(1.0, f"{len(files)} files")
    return Manifest(root, items.values())
