"""Recorded music for training, from Debian soundtrack packages.

Each package's licence is recorded here and in the model cards. Some packages
are reserved as unseen test material and are never read for training or
tuning; ``fretsonfire-songs-muldjord`` is the held-out music of
:mod:`sketchpad_measure.quality.eval_data`.

Decoded tracks are cached as 44.1 kHz mono int16 ``.npy`` files (decoding
a few hours of Ogg Vorbis takes minutes; the cache loads in seconds).
"""

from __future__ import annotations

import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from sketchpad.audio.io import SUPPORTED_EXTENSIONS, find_audio_files, load_audio
from sketchpad.errors import AudioFileError


@dataclass(frozen=True)
class MusicPackage:
    """A soundtrack package; ``folder`` is a folder of audio files or a zip
    archive of them (some games ship their music as a ``.pk3``, which is a zip)."""

    package: str
    folder: str
    licence: str

    @property
    def is_archive(self) -> bool:
        return self.folder.endswith((".pk3", ".zip"))


TRAINING_MUSIC = (
    MusicPackage("wesnoth-1.16-music", "/usr/share/games/wesnoth/1.16/data/core/music", "GPL-2"),
    MusicPackage("hyperrogue-music", "/usr/share/hyperrogue/music", "GPL-2+"),
    MusicPackage("drascula-music", "/usr/share/scummvm/drascula/audio",
                 "Drascula licence (BSD-like, DFSG-free)"),
    MusicPackage("asc-music", "/usr/share/games/asc/music", "GPL-2+"),
    MusicPackage("nexuiz-music", "/usr/share/games/nexuiz/data/music.pk3", "GPL-2+"),
    MusicPackage("ufoai-music", "/usr/share/games/ufoai/base/0music.pk3",
                 "GPL-2+, CC-BY-3.0 and CC-BY-SA-3.0 (per track: /usr/share/doc/ufoai-music/copyright)"),
    MusicPackage("planetblupi-music-ogg", "/usr/share/planetblupi/music", "GPL-3+"),
)
"""Soundtracks trained on. (fb-music-high ships tracker modules, which we cannot decode.)"""

RESERVED_PACKAGES = ("musescore-general-soundfont", "singularity-music", "warzone2100-music")
"""Unseen test material: never trained on or tuned against."""
HELD_OUT_PACKAGES = ("fretsonfire-songs-muldjord",)
"""The held-out music of the evaluation."""

INSTALL_HINT = "apt-get install " + " ".join(p.package for p in TRAINING_MUSIC)


def available_packages() -> list[MusicPackage]:
    return [p for p in TRAINING_MUSIC
            if (Path(p.folder).is_file() if p.is_archive else Path(p.folder).is_dir())]


def _archive_members(archive: Path) -> list[Path]:
    try:
        with zipfile.ZipFile(archive) as zipped:
            names = [n for n in zipped.namelist() if Path(n).suffix.lower() in SUPPORTED_EXTENSIONS]
    except (OSError, zipfile.BadZipFile):
        return []  # a damaged package is skipped like a damaged track
    return [archive / name for name in sorted(names)]


def training_music_files() -> list[tuple[MusicPackage, Path]]:
    """Every decodable file of the installed training packages, in a stable order
    (a member of an archive is named as the archive's path joined with its own)."""
    found = []
    for package in available_packages():
        if package.is_archive:
            files = _archive_members(Path(package.folder))
        else:
            files, _ = find_audio_files(Path(package.folder))
        found += [(package, f) for f in sorted(files)]
    return found


def _load_mono(package: MusicPackage, path: Path) -> np.ndarray:
    if not package.is_archive:
        return load_audio(path).samples.mean(axis=1)
    member = path.relative_to(package.folder).as_posix()
    with zipfile.ZipFile(package.folder) as zipped, tempfile.TemporaryDirectory() as tmp:
        extracted = Path(tmp) / Path(member).name
        extracted.write_bytes(zipped.read(member))
        return load_audio(extracted).samples.mean(axis=1)


def load_training_music(cache_dir: str | Path, progress: Callable[[float, str], None] | None = None,
                        ) -> tuple[list[np.ndarray], dict]:
    """Mono int16 arrays of every training track (cached) and a summary for the model card."""
    cache = Path(cache_dir)
    waves, summary = [], {}
    files = training_music_files()
    for index, (package, path) in enumerate(files):
        if progress is not None:
            progress(index / max(1, len(files)), path.name)
        target = cache / package.package / path.relative_to(package.folder).with_suffix(".npy")
        if target.is_file():
            wave = np.load(target, allow_pickle=False)
        else:
            try:
                audio = _load_mono(package, path)
            except AudioFileError:
                continue
            peak = float(np.max(np.abs(audio))) if audio.size else 0.0
            if peak <= 0:
                continue
            wave = np.clip(audio / peak * 32767.0, -32768, 32767).astype(np.int16)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp.npy")
            np.save(tmp, wave)
            tmp.replace(target)
        waves.append(wave)
        entry = summary.setdefault(package.package, {"licence": package.licence, "files": 0, "seconds": 0.0})
        entry["files"] += 1
        entry["seconds"] = round(entry["seconds"] + wave.shape[0] / 44100.0, 1)
    return waves, summary
