"""The session on disk: prompt, tiles, kept sounds, slider values and the kit survive a restart.

Layout of the session folder::

    session.json            what is on screen, written last and atomically
    clips/<uid>.wav         32-bit float audio of each generated or shaped clip
    clips/<uid>.latents.npy its untouched latents (no pickle), so sliders keep working

Clips are immutable and named by their uid, so each file is written once and
an autosave after a slider move only writes the new sound. A clip that is an
untouched audio file refers to that file instead of copying it. Saving runs on
a worker thread; nothing here imports Qt.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from sketchpad.atomic import atomic_write, atomic_write_text
from sketchpad.audio.export import write_wav
from sketchpad.audio.io import load_audio
from sketchpad.core.clip import Clip, Origin, make_clip, with_sources
from sketchpad.jobs import JobContext
from sketchpad.core.kit import KitState
from sketchpad.core.project import ProjectState

FORMAT_VERSION = 1
ORPHAN_AGE_S = 3600  # a temporary file this old belongs to no running save
SESSION_FILE = "session.json"
# Saves run on worker threads; one at a time, so one save never prunes a file
# another is about to list.
_SAVE_LOCK = threading.Lock()


@dataclass
class Session:
    """What a restart brings back. ``settings``: the prompt bar's values and the like."""

    state: ProjectState = field(default_factory=ProjectState)
    prompt_history: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what could not be restored, one line each
    blend_sources: dict[str, Clip] = field(default_factory=dict)  # the blend view's "A" and "B"
    kit: KitState = field(default_factory=KitState)  # pads and pattern


def _clips_of(session: Session) -> dict[str, Clip]:
    """Every clip the session needs, sources of shaped clips included, by uid."""
    state = session.state
    return with_sources([*state.tiles, *state.kept, state.clip, *session.blend_sources.values(),
                         *(pad.clip for pad in session.kit.pads)])


def _refers_to_file(clip: Clip) -> bool:
    return (clip.source_path is not None and clip.origin.source is None
            and clip.latents is None and Path(clip.source_path).is_file())


def save_session(folder, session: Session, ctx: JobContext | None = None) -> Path:
    """Write ``session`` into ``folder``; returns the session file. Any thread."""
    with _SAVE_LOCK:
        return _save(Path(folder), session, ctx)


def _save(folder: Path, session: Session, ctx: JobContext | None) -> Path:
    clip_folder = folder / "clips"
    clip_folder.mkdir(parents=True, exist_ok=True)
    clips = _clips_of(session)
    entries = {}
    for i, (uid, clip) in enumerate(clips.items()):
        if ctx is not None:
            ctx.check()
            ctx.progress(i / max(1, len(clips)), "saving session")
        entry = {"name": clip.name, "sample_rate": clip.sample_rate, "notes": list(clip.notes),
                 "origin": clip.origin.to_json(),
                 "source_path": str(clip.source_path) if clip.source_path else None}
        if _refers_to_file(clip):
            entry["file"] = None
        else:
            audio_path = clip_folder / f"{uid}.wav"
            if not audio_path.exists():
                write_wav(audio_path, clip.samples, clip.sample_rate, bit_depth="float32")
            entry["file"] = audio_path.name
            if clip.latents is not None:
                latents_path = clip_folder / f"{uid}.latents.npy"
                if not latents_path.exists():
                    latents = np.ascontiguousarray(clip.latents, dtype=np.float32)
                    atomic_write(latents_path, lambda out: np.save(out, latents, allow_pickle=False))
                entry["latents"] = latents_path.name
        entries[uid] = entry
    state = session.state
    document = {"format": FORMAT_VERSION, "clips": entries,
                "tiles": [c.uid for c in state.tiles], "kept": [c.uid for c in state.kept],
                "current": state.clip.uid if state.clip is not None else None,
                "prompt_history": session.prompt_history, "settings": session.settings,
                "blend_sources": {letter: clip.uid for letter, clip in session.blend_sources.items()},
                "kit": session.kit.to_json()}
    path = atomic_write_text(folder / SESSION_FILE, json.dumps(document, indent=1))
    keep = {name for e in entries.values() for name in (e.get("file"), e.get("latents")) if name}
    for stale in clip_folder.iterdir():
        if stale.name not in keep and not stale.name.startswith("."):
            stale.unlink(missing_ok=True)
    _remove_orphaned_temporaries(folder, clip_folder)
    return path


def _remove_orphaned_temporaries(*folders: Path) -> None:
    """Delete half-written files a killed process left behind (old enough not to be in use)."""
    cutoff = time.time() - ORPHAN_AGE_S
    for folder in folders:
        for temp in folder.glob(".*.part"):
            try:
                if temp.stat().st_mtime < cutoff:
                    temp.unlink()
            except OSError:
                pass


def load_session(folder, ctx: JobContext | None = None) -> Session:
    """Read the session in ``folder``; missing or damaged parts become notes. Worker thread.

    A missing folder gives an empty session; an unreadable session file gives an
    empty session with a note (and is left on disk for the user to inspect).
    """
    path = Path(folder) / SESSION_FILE
    if not path.exists():
        return Session()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("format") != FORMAT_VERSION:
            raise ValueError(f"format {document.get('format')!r}")
        entries = dict(document["clips"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        return Session(notes=[f"The last session could not be read ({err}); starting empty."])
    clip_folder = Path(folder) / "clips"
    clips: dict[str, Clip] = {}
    notes: list[str] = []

    def build(uid: str, depth: int = 0) -> Clip | None:
        if uid in clips or uid not in entries or depth > 8:
            return clips.get(uid)
        entry = entries[uid]
        saved_origin = dict(entry.get("origin") or {})
        try:
            if entry.get("file"):
                samples, rate = sf.read(str(clip_folder / entry["file"]), dtype="float32",
                                        always_2d=True)
            else:
                audio = load_audio(entry["source_path"])
                samples, rate = audio.samples, audio.sample_rate
            latents = None
            if entry.get("latents"):
                latents = np.load(clip_folder / entry["latents"], allow_pickle=False)
        except Exception as err:  # any unreadable part costs that clip only
            notes.append(f"'{entry.get('name', uid)}' could not be restored: {err}")
            return None
        source = build(saved_origin["source"], depth + 1) if "source" in saved_origin else None
        origin = Origin.from_json(saved_origin, source)
        source_path = Path(entry["source_path"]) if entry.get("source_path") else None
        clips[uid] = make_clip(entry.get("name", "sound"), samples, rate, source_path=source_path,
                               notes=entry.get("notes", ()), origin=origin, latents=latents, uid=uid)
        return clips[uid]

    for i, uid in enumerate(entries):
        if ctx is not None:
            ctx.check()
            ctx.progress(i / max(1, len(entries)), "restoring session")
        build(uid)
    tiles = tuple(clips[u] for u in document.get("tiles", []) if u in clips)
    kept = tuple(clips[u] for u in document.get("kept", []) if u in clips)
    current = clips.get(document.get("current"))
    blend_sources = {letter: clips[uid] for letter, uid in dict(document.get("blend_sources") or {}).items()
                     if letter in ("A", "B") and uid in clips}
    try:
        kit = KitState.from_json(dict(document.get("kit") or {}), clips)
    except (ValueError, TypeError, AttributeError) as err:
        kit = KitState()
        notes.append(f"The kit could not be restored ({err}).")
    return Session(ProjectState(tiles, kept, current),
                   [str(p) for p in document.get("prompt_history", [])][:50],
                   dict(document.get("settings") or {}), notes, blend_sources, kit)
