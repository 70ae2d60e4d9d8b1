"""Evaluation material that no model trained on.

Two sets, both mono float32 at 44.1 kHz, as :class:`EvalItem`:

* ``oneshots``: single notes and drum hits rendered from the *held-out*
  soundfont (TimGM6mb when training used FluidR3_GM, see
  :func:`sketchpad.training.soundfonts.held_out_soundfont`), 18 categories
  with 3 or more sounds each (:data:`ONESHOT_SPEC`). Rendered once and cached
  as WAV files with a manifest; a changed spec or font re-renders.
* ``music``: excerpts of real recorded music (a metal band playing real
  drums, bass and guitars, mixed and mastered; not rendered MIDI) from the
  Debian package :data:`MUSIC_PACKAGE`. Nothing is downloaded at run time:
  the package must be installed (``apt-get install fretsonfire-songs-muldjord``).

The music package
-----------------
``fretsonfire-songs-muldjord`` (Debian, section games, about 29 MB): four
songs by the Danish metal band Muldjord, composed, performed and recorded by
El Senator, packaged for the game Frets on Fire. Licence: Creative Commons
Attribution-ShareAlike 3.0 (see
/usr/share/doc/fretsonfire-songs-muldjord/copyright), so excerpts may be
used and kept, with credit to Muldjord. Each song comes as two stereo
44.1 kHz Ogg Vorbis stems that the game plays together: ``song.ogg`` (the
band) and ``guitar.ogg`` (the lead guitar part). We sum the two stems to get
the full mix, downmix to mono and normalise each excerpt's peak to -1 dBFS.

Tracks used (folder under /usr/share/games/fretsonfire/data/songs/muldjord/,
length): ``armygeddon`` "Armygeddon" (197.6 s), ``chaos_god`` "Chaos God"
(183.5 s), ``internal_degeneration`` "Internal Degeneration" (223.6 s),
``mutilated_mime`` "Mutilated Mime" (193.7 s). Excerpt k of n from a track
is centred at (k + 1) / (n + 1) of its length, so the excerpts are spread
over the song and identical on every machine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from sketchpad.errors import SketchpadError

RATE = 44100

MUSIC_PACKAGE = "fretsonfire-songs-muldjord"
"""Debian package with the real recorded music (CC BY-SA 3.0)."""
MUSIC_DIR = Path("/usr/share/games/fretsonfire/data/songs/muldjord")
MUSIC_TRACKS = ("armygeddon", "chaos_god", "internal_degeneration", "mutilated_mime")
MUSIC_STEMS = ("song.ogg", "guitar.ogg")
MUSIC_PEAK = 10.0 ** (-1.0 / 20.0)
"""Each music excerpt is scaled so its absolute peak is this (-1 dBFS)."""

DRUM_BANK = 128

# (category, bank, program, midi_note, velocity, hold_seconds). Drum hits use
# bank 128 program 0 (the standard kit) and GM percussion keys; pitched
# sounds span each instrument's usual register. Sustained instruments (organ,
# strings, brass, reeds, flute, leads, pads) hold 1.2 s, others 0.8 s, and
# every render is at most 2 s long (the release is kept, then trimmed at
# -60 dB by the renderer).
ONESHOT_SPEC: tuple[tuple[str, int, int, int, int, float], ...] = (
    ("kick", DRUM_BANK, 0, 36, 110, 0.2), ("kick", DRUM_BANK, 0, 35, 100, 0.2),
    ("kick", DRUM_BANK, 0, 36, 60, 0.2),
    ("snare", DRUM_BANK, 0, 38, 110, 0.2), ("snare", DRUM_BANK, 0, 40, 100, 0.2),
    ("snare", DRUM_BANK, 0, 37, 90, 0.2),
    ("clap", DRUM_BANK, 0, 39, 120, 0.2), ("clap", DRUM_BANK, 0, 39, 90, 0.2),
    ("clap", DRUM_BANK, 0, 39, 60, 0.2),
    ("hi-hat", DRUM_BANK, 0, 42, 100, 0.2), ("hi-hat", DRUM_BANK, 0, 44, 90, 0.2),
    ("hi-hat", DRUM_BANK, 0, 46, 100, 0.2),
    ("tom", DRUM_BANK, 0, 41, 100, 0.2), ("tom", DRUM_BANK, 0, 45, 100, 0.2),
    ("tom", DRUM_BANK, 0, 48, 100, 0.2), ("tom", DRUM_BANK, 0, 50, 100, 0.2),
    ("cymbal", DRUM_BANK, 0, 49, 110, 0.2), ("cymbal", DRUM_BANK, 0, 51, 100, 0.2),
    ("cymbal", DRUM_BANK, 0, 55, 100, 0.2), ("cymbal", DRUM_BANK, 0, 52, 100, 0.2),
    ("piano", 0, 0, 36, 100, 0.8), ("piano", 0, 0, 60, 100, 0.8), ("piano", 0, 0, 84, 70, 0.8),
    ("piano", 0, 1, 67, 100, 0.8),
    ("electric piano", 0, 4, 48, 100, 0.8), ("electric piano", 0, 4, 67, 100, 0.8),
    ("electric piano", 0, 5, 60, 90, 0.8),
    ("mallet/bell", 0, 11, 67, 100, 0.8), ("mallet/bell", 0, 12, 60, 100, 0.8),
    ("mallet/bell", 0, 9, 84, 100, 0.8), ("mallet/bell", 0, 14, 60, 100, 0.8),
    ("organ", 0, 16, 48, 100, 1.2), ("organ", 0, 16, 72, 100, 1.2), ("organ", 0, 19, 60, 100, 1.2),
    ("guitar", 0, 24, 52, 100, 0.8), ("guitar", 0, 25, 64, 100, 0.8),
    ("guitar", 0, 27, 57, 100, 0.8), ("guitar", 0, 30, 40, 110, 0.8),
    ("bass", 0, 33, 28, 110, 0.8), ("bass", 0, 33, 40, 100, 0.8), ("bass", 0, 38, 36, 100, 0.8),
    ("strings", 0, 48, 60, 100, 1.2), ("strings", 0, 40, 76, 100, 1.2),
    ("strings", 0, 42, 48, 100, 1.2),
    ("brass", 0, 56, 70, 100, 1.2), ("brass", 0, 57, 50, 100, 1.2), ("brass", 0, 61, 60, 100, 1.2),
    ("reed", 0, 65, 60, 100, 1.2), ("reed", 0, 71, 62, 100, 1.2), ("reed", 0, 68, 72, 100, 1.2),
    ("flute", 0, 73, 72, 100, 1.2), ("flute", 0, 73, 84, 80, 1.2), ("flute", 0, 75, 67, 100, 1.2),
    ("synth lead", 0, 80, 60, 100, 1.2), ("synth lead", 0, 81, 72, 100, 1.2),
    ("synth lead", 0, 81, 48, 100, 1.2),
    ("synth pad", 0, 88, 60, 100, 1.2), ("synth pad", 0, 89, 48, 100, 1.2),
    ("synth pad", 0, 90, 60, 100, 1.2),
)
ONESHOT_SECONDS = 2.0
_CACHE_VERSION = 1


@dataclass(frozen=True)
class EvalItem:
    """One evaluation clip: ``name`` (unique id), ``set`` ("oneshots" or "music"),
    ``category`` (instrument category or track), ``audio`` (mono float32 at 44.1 kHz)."""

    name: str
    set: str
    category: str
    audio: np.ndarray = field(repr=False)

    @property
    def seconds(self) -> float:
        return len(self.audio) / RATE


def default_eval_dir() -> Path:
    """``user_data_dir()/eval``: where rendered one-shots are cached."""
    from sketchpad.paths import user_data_dir

    return user_data_dir() / "eval"


def _oneshot_name(index: int, spec) -> str:
    category, bank, program, note, velocity, _hold = spec
    kind = (("drum" if program == 0 else f"kit{program:03d}") if bank == DRUM_BANK
            else f"p{program:03d}")
    return f"{index:02d}_{category.replace('/', '-').replace(' ', '-')}_{kind}_n{note}_v{velocity}"


def held_out_oneshots(cache_dir: str | Path | None = None, per_category: int | None = None) -> list[EvalItem]:
    """One-shots of :data:`ONESHOT_SPEC` rendered from the held-out soundfont.

    ``cache_dir`` (default ``default_eval_dir()/oneshots``) holds one mono
    float32 WAV per sound plus ``manifest.json``; they are rendered on first
    use (under a second in all) and re-rendered if the spec or the font
    changed. ``per_category`` keeps only the first N sounds of each
    category. Raises SketchpadError when no held-out font or no renderer is
    available. Sounds the font leaves silent are skipped.
    """
    folder = Path(cache_dir) if cache_dir is not None else default_eval_dir() / "oneshots"
    items: list[EvalItem] = []
    counts: dict[str, int] = {}
    for entry, audio in cached_oneshots(folder, held_out_font(), ONESHOT_SPEC):
        category = entry["category"]
        if per_category is not None and counts.get(category, 0) >= per_category:
            continue
        counts[category] = counts.get(category, 0) + 1
        items.append(EvalItem(entry["name"], "oneshots", category, audio))
    return items


def held_out_font():
    """The held-out :class:`~sketchpad.training.soundfonts.SoundfontInfo`; SketchpadError if none."""
    try:
        from sketchpad.training.soundfonts import held_out_soundfont
    except ImportError as exc:
        raise SketchpadError(f"Held-out one-shots need sketchpad.training.soundfonts: {exc}") from None
    font = held_out_soundfont()
    if font is None:
        raise SketchpadError("No held-out soundfont: one-shot evaluation needs both FluidR3_GM "
                             "(fluid-soundfont-gm) and TimGM6mb (pretty_midi) installed.")
    return font


def cached_oneshots(folder: str | Path, font, spec, seconds: float = ONESHOT_SECONDS,
                    version: int = _CACHE_VERSION) -> list[tuple[dict, np.ndarray]]:
    """Render ``spec`` (rows of category, bank, program, note, velocity, hold_seconds) from
    ``font`` (a SoundfontInfo) into ``folder``, or reuse what is cached there.

    Returns ``(manifest entry, mono float32 audio at 44.1 kHz)`` in spec order;
    each entry has name, category, bank, program, note, velocity and
    hold_seconds. The folder holds one float WAV per sound and a manifest;
    a changed spec, font, length or ``version`` re-renders. Silent sounds are
    skipped.
    """
    folder = Path(folder)
    wanted = {"version": version, "soundfont": font.name, "seconds": seconds,
              "spec": [list(s) for s in spec]}
    manifest_path = folder / "manifest.json"
    manifest = None
    if manifest_path.is_file():
        try:
            manifest = json.loads(manifest_path.read_text())
        except (OSError, ValueError):
            manifest = None
    if manifest is None or {k: manifest.get(k) for k in wanted} != wanted or not all(
            (folder / f"{entry['name']}.wav").is_file() for entry in manifest.get("items", [])):
        manifest = _render_oneshots(folder, font, wanted, spec, seconds)
    out = []
    for entry in manifest["items"]:
        audio, rate = sf.read(str(folder / f"{entry['name']}.wav"), dtype="float32", always_2d=False)
        if rate != RATE:
            audio = soxr.resample(audio, rate, RATE).astype(np.float32)
        out.append((entry, np.ascontiguousarray(audio)))
    return out


def _render_oneshots(folder: Path, font, wanted: dict, spec, seconds: float) -> dict:
    try:
        from sketchpad.training.render import render_note
    except ImportError as exc:
        raise SketchpadError(f"Held-out one-shots need sketchpad.training.render: {exc}") from None
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for index, row in enumerate(spec):
        category, bank, program, note, velocity, hold = row
        stereo = render_note(font.path, bank, program, note, velocity, hold, total_seconds=seconds)
        mono = np.asarray(stereo, dtype=np.float32)
        if mono.ndim == 2:
            mono = mono.mean(axis=1)
        if mono.size == 0 or float(np.max(np.abs(mono))) < 1e-5:
            continue
        name = _oneshot_name(index, row)
        sf.write(str(folder / f"{name}.wav"), mono.astype(np.float32), RATE, subtype="FLOAT")
        entries.append({"name": name, "category": category, "bank": bank, "program": program,
                        "note": note, "velocity": velocity, "hold_seconds": hold})
    manifest = dict(wanted, items=entries)
    tmp = folder / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=1))
    tmp.replace(folder / "manifest.json")
    return manifest


def music_tracks(root: str | Path | None = None) -> list[tuple[str, list[Path]]]:
    """``(track, [stem paths])`` for each track of :data:`MUSIC_TRACKS` found on disk.

    Raises SketchpadError naming the Debian package when none is there.
    """
    base = Path(root) if root is not None else MUSIC_DIR
    found = []
    for track in MUSIC_TRACKS:
        stems = [base / track / stem for stem in MUSIC_STEMS]
        if all(p.is_file() for p in stems):
            found.append((track, stems))
    if not found:
        raise SketchpadError(f"Real-music evaluation needs the Debian package {MUSIC_PACKAGE} "
                             f"(apt-get install {MUSIC_PACKAGE}); no tracks found in {base}.")
    return found


def _read_span(path: Path, start_s: float, seconds: float) -> np.ndarray:
    with sf.SoundFile(str(path)) as f:
        rate = f.samplerate
        start = max(0, min(int(round(start_s * rate)), f.frames - int(round(seconds * rate))))
        f.seek(start)
        data = f.read(int(round(seconds * rate)), dtype="float32", always_2d=True)
    mono = data.mean(axis=1)
    if rate != RATE:
        mono = soxr.resample(mono, rate, RATE, quality="VHQ").astype(np.float32)
    return mono


def music_excerpts(count: int = 12, seconds: float = 10.0, root: str | Path | None = None) -> list[EvalItem]:
    """``count`` excerpts of ``seconds`` each, spread over the tracks round-robin.

    Track t gets excerpts k = 0..n_t-1 (n_t = how many of ``count`` fall to
    it), centred at (k + 1) / (n_t + 1) of its length. Stems are summed,
    downmixed to mono and peak-normalised to -1 dBFS. Decoding seeks, so
    only the excerpt is read.
    """
    tracks = music_tracks(root)
    per_track = [count // len(tracks) + (1 if i < count % len(tracks) else 0) for i in range(len(tracks))]
    items: list[EvalItem] = []
    for (track, stems), n in zip(tracks, per_track):
        duration = min(sf.info(str(p)).duration for p in stems)
        for k in range(n):
            start = max(0.0, duration * (k + 1) / (n + 1) - seconds / 2)
            parts = [_read_span(p, start, seconds) for p in stems]
            length = min(len(p) for p in parts)
            mix = np.sum([p[:length] for p in parts], axis=0)
            peak = float(np.max(np.abs(mix))) if length else 0.0
            if peak > 0:
                mix = mix * (MUSIC_PEAK / peak)
            items.append(EvalItem(f"{track}@{start:.1f}s", "music", track,
                                  np.ascontiguousarray(mix, dtype=np.float32)))
    return items
