"""Where things live: bundled resources, shipped models, the user's own data."""

from __future__ import annotations

import os
import sys
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent  # the sketchpad package folder


def _bundled(name: str) -> Path:
    # A source checkout (or editable install) keeps resources/ and models/ beside
    # the package; an installed wheel puts them in <prefix>/share/sketchpad/.
    beside = _PACKAGE_DIR.parent / name
    if beside.is_dir():
        return beside
    return Path(sys.prefix) / "share" / "sketchpad" / name


def resources_dir() -> Path:
    return _bundled("resources")


def models_dir() -> Path:
    return _bundled("models")


def user_data_dir() -> Path:
    """Settings, caches, sessions and user models. ``SKETCHPAD_HOME`` overrides it."""
    override = os.environ.get("SKETCHPAD_HOME")
    if override:
        path = Path(override)
    else:
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        path = Path(base) / "sketchpad"
    path.mkdir(parents=True, exist_ok=True)
    return path
