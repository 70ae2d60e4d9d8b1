"""Finding General MIDI soundfonts and listing the presets they really have.

Two fonts are known: FluidR3_GM (Debian package ``fluid-soundfont-gm``,
about 140 MB, MIT licence) and TimGM6mb (about 6 MB, GPL-2, shipped inside
the ``pretty_midi`` package). When both are present FluidR3 is the training
font and TimGM6mb is held out for evaluation, so a model is tested on
timbres it never heard. Two more fonts, when installed, only add timbre
variety to training (``train-latent --extra-data``): csound's sf_GMbank
(``csound-soundfont``, public domain) and the OPL3 FM font
(``opl3-soundfont``, CC-BY-SA-4.0). MuseScore's fonts are never used: they
are reserved as unseen test material.

Presets are read from the font's own ``phdr`` chunk (RIFF/sfbk layout,
SoundFont 2.04 section 7.2) rather than by probing a synthesizer: the chunk
lists every bank/program/name, drum kits (bank 128) included, and reading it
takes milliseconds even for a large font because the sample data is skipped.
"""

from __future__ import annotations

import functools
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from sketchpad.errors import SketchpadError
from sketchpad.training.render import import_quietly

FLUIDR3_PATH = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
DRUM_BANK = 128
"""Bank number that holds percussion kits in GM soundfonts."""


@dataclass(frozen=True)
class SoundfontInfo:
    """A soundfont on disk: short ``name`` (used in item ids), ``path``, ``licence``."""

    name: str
    path: Path
    licence: str


@dataclass(frozen=True, order=True)
class Preset:
    """One preset of a soundfont: ``bank`` (0-128), ``program`` (0-127), ``name``."""

    bank: int
    program: int
    name: str

    @property
    def is_drum_kit(self) -> bool:
        return self.bank == DRUM_BANK


EXTRA_TRAINING_FONTS = (
    SoundfontInfo("sf_GMbank", Path("/usr/share/sounds/sf2/sf_GMbank.sf2"), "public domain"),
    SoundfontInfo("OPL-3_FM_128M", Path("/usr/share/sounds/sf2/OPL-3_FM_128M.sf2"), "CC-BY-SA-4.0"),
)


RESERVED_FONT_WORDS = ("musescore",)
"""Font files whose names hold these words come from packages reserved as unseen test material."""


def check_trainable(path: str | os.PathLike) -> None:
    """Raise SketchpadError for a font reserved as unseen test material."""
    name = Path(path).name
    if any(word in name.lower() for word in RESERVED_FONT_WORDS):
        raise SketchpadError(f"{name} is reserved as unseen test material: never trained on.")


def extra_training_soundfonts() -> list[SoundfontInfo]:
    """The extra training fonts installed on this machine."""
    return [info for info in EXTRA_TRAINING_FONTS if info.path.is_file()]


def _timgm_path() -> Path | None:
    try:
        pretty_midi = import_quietly("pretty_midi")  # only to find its folder
    except ImportError:
        return None
    path = Path(pretty_midi.__file__).resolve().parent / "TimGM6mb.sf2"
    return path if path.is_file() else None


def available_soundfonts() -> list[SoundfontInfo]:
    """The known soundfonts present on this machine, training font first."""
    found = []
    if FLUIDR3_PATH.is_file():
        found.append(SoundfontInfo("FluidR3_GM", FLUIDR3_PATH, "MIT"))
    timgm = _timgm_path()
    if timgm is not None:
        found.append(SoundfontInfo("TimGM6mb", timgm, "GPL-2.0"))
    return found


def default_training_soundfont() -> SoundfontInfo:
    """FluidR3_GM when installed, else TimGM6mb. Raises SketchpadError if neither."""
    fonts = available_soundfonts()
    if not fonts:
        raise SketchpadError("No General MIDI soundfont found: install fluid-soundfont-gm or pretty_midi.")
    return fonts[0]


def held_out_soundfont() -> SoundfontInfo | None:
    """The font kept for evaluation (TimGM6mb when FluidR3 trains), or None if only one exists."""
    fonts = available_soundfonts()
    return fonts[1] if len(fonts) > 1 else None


def soundfont_info(path: str | os.PathLike) -> SoundfontInfo:
    """Describe any .sf2 path, using the known name/licence when it is one of ours."""
    path = Path(path)
    for info in (*available_soundfonts(), *extra_training_soundfonts()):
        if info.path.resolve() == path.resolve():
            return info
    return SoundfontInfo(path.stem, path, "unknown")


@functools.lru_cache(maxsize=8)
def _read_presets(path: str, mtime: float) -> tuple[Preset, ...]:
    with open(path, "rb") as f:
        riff, _size, form = struct.unpack("<4sI4s", f.read(12))
        if riff != b"RIFF" or form != b"sfbk":
            raise SketchpadError(f"{Path(path).name} is not a SoundFont 2 file.")
        end = os.fstat(f.fileno()).st_size
        while f.tell() + 8 <= end:
            cid, size = struct.unpack("<4sI", f.read(8))
            if cid == b"LIST":
                kind = f.read(4)
                if kind != b"pdta":
                    f.seek(size - 4 + (size & 1), os.SEEK_CUR)  # skip INFO / sample data
                    continue
                list_end = f.tell() + size - 4
                while f.tell() + 8 <= list_end:
                    sub, sub_size = struct.unpack("<4sI", f.read(8))
                    if sub == b"phdr":
                        return _parse_phdr(f.read(sub_size))
                    f.seek(sub_size + (sub_size & 1), os.SEEK_CUR)
            else:
                f.seek(size + (size & 1), os.SEEK_CUR)
    raise SketchpadError(f"{Path(path).name} has no preset list (phdr chunk).")


def _parse_phdr(data: bytes) -> tuple[Preset, ...]:
    # 38-byte records: name[20], preset u16, bank u16, bag index u16,
    # library u32, genre u32, morphology u32. The last record ("EOP") is a
    # terminator, not a preset.
    presets = []
    for off in range(0, len(data) - 38 - 37, 38):
        raw_name, program, bank = struct.unpack_from("<20sHH", data, off)
        name = raw_name.split(b"\0", 1)[0].decode("latin-1").strip()
        presets.append(Preset(int(bank), int(program), name))
    return tuple(sorted(set(presets)))


def read_presets(path: str | os.PathLike) -> list[Preset]:
    """Every preset in the .sf2 at ``path``, sorted by (bank, program). Cached per file version."""
    p = Path(path)
    try:
        mtime = p.stat().st_mtime
    except OSError as exc:
        raise SketchpadError(f"Cannot read soundfont {p}: {exc.strerror or exc}.") from None
    return list(_read_presets(str(p), mtime))


def melodic_presets(path: str | os.PathLike) -> list[Preset]:
    """The GM melodic presets (bank 0) of a font, one per program."""
    return [p for p in read_presets(path) if p.bank == 0]


def drum_kits(path: str | os.PathLike) -> list[Preset]:
    """The percussion kits (bank 128) of a font."""
    return [p for p in read_presets(path) if p.is_drum_kit]
