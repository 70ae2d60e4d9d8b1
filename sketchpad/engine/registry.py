"""Finding models: the shipped defaults in ``models/`` and the user's own."""

from __future__ import annotations

from pathlib import Path

from sketchpad.paths import models_dir, user_data_dir
from sketchpad.engine.model_files import CONFIG_NAME
from sketchpad.errors import SketchpadError

DEFAULT_SOUND_MODEL = "sketch-mel"
COMPANION_SUFFIXES = ("-retrieval", "-flow")  # prompt engines stored beside their sound model


def user_models_dir() -> Path:
    path = user_data_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def find_model(name_or_path: str | Path | None = None) -> Path:
    """A model folder from a path, a model name, or the shipped default."""
    if name_or_path is None:
        name_or_path = DEFAULT_SOUND_MODEL
    candidate = Path(name_or_path)
    if candidate.is_dir():
        return candidate
    for base in (user_models_dir(), models_dir()):
        if (base / str(name_or_path) / CONFIG_NAME).is_file():
            return base / str(name_or_path)
    raise SketchpadError(f"Model '{name_or_path}' not found (looked in {user_models_dir()} "
                         f"and {models_dir()}).")


def list_models() -> list[Path]:
    """Sound model folders (prompt engines and vocoders, which sit beside them, are left out)."""
    from sketchpad.engine.model import SOUND_MODEL_KINDS

    found = []
    for base in (models_dir(), user_models_dir()):
        if base.is_dir():
            found += sorted(p for p in base.iterdir()
                            if (p / CONFIG_NAME).is_file() and not p.name.endswith(COMPANION_SUFFIXES)
                            and _kind(p) in SOUND_MODEL_KINDS)
    return found


def _kind(folder: Path) -> str | None:
    import json

    try:
        return json.loads((folder / CONFIG_NAME).read_text(encoding="utf-8")).get("kind")
    except (OSError, ValueError, AttributeError):
        return None
