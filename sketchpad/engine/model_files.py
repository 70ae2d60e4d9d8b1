"""Reading and writing model folders: ``config.json`` + ``weights.safetensors``.

Nothing here unpickles: weights are safetensors only, and a folder that holds
a pickle-based checkpoint is refused. Writes are atomic (temporary file, then
rename) so an interrupted save never leaves a half-written model.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file
from safetensors.torch import save as save_tensors

from sketchpad.atomic import atomic_write_bytes, atomic_write_text

from sketchpad.errors import SketchpadError

FORMAT_VERSION = 1
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "weights.safetensors"
PICKLE_SUFFIXES = (".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".bin")


class ModelFileError(SketchpadError):
    """A model folder is missing, malformed or unsafe."""


def save_model_folder(folder, config: dict, tensors: dict[str, torch.Tensor]) -> Path:
    """Write config (with ``format_version`` added) and tensors into ``folder``."""
    folder = Path(folder)
    config = {"format_version": FORMAT_VERSION, **config}
    folder.mkdir(parents=True, exist_ok=True)
    contiguous = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    atomic_write_bytes(folder / WEIGHTS_NAME, save_tensors(contiguous))
    atomic_write_text(folder / CONFIG_NAME, json.dumps(config, indent=2) + "\n")
    return folder


def read_model_folder(folder) -> tuple[dict, dict[str, torch.Tensor]]:
    """Config dict and CPU tensors of a model folder, validated; raises ModelFileError."""
    folder = Path(folder)
    name = folder.name or str(folder)
    if not folder.is_dir():
        raise ModelFileError(f"Model '{name}' not found: {folder} is not a folder.")
    pickles = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
    if pickles:
        raise ModelFileError(f"Model '{name}' refused: it holds a pickle-based checkpoint "
                             f"({pickles[0]}); only safetensors weights are loaded.")
    config_path, weights_path = folder / CONFIG_NAME, folder / WEIGHTS_NAME
    if not config_path.is_file() or not weights_path.is_file():
        raise ModelFileError(f"Model '{name}' is incomplete: it needs {CONFIG_NAME} "
                             f"and {WEIGHTS_NAME}.")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelFileError(f"Model '{name}': {CONFIG_NAME} is not valid JSON ({err}).") from None
    if not isinstance(config, dict):
        raise ModelFileError(f"Model '{name}': {CONFIG_NAME} must hold a JSON object.")
    version = config.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(f"Model '{name}' has format version {version!r}; this Sketchpad "
                             f"reads version {FORMAT_VERSION}.")
    try:
        tensors = load_file(str(weights_path), device="cpu")
    except Exception as err:  # noqa: BLE001 - safetensors raises several types
        raise ModelFileError(f"Model '{name}': {WEIGHTS_NAME} is damaged ({err}).") from None
    return config, tensors


def load_state_strict(module: torch.nn.Module, tensors: dict[str, torch.Tensor], name: str,
                      prefix: str = "") -> None:
    """Load ``prefix``-ed tensors into ``module``, with one-line errors for any mismatch."""
    state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state))
    if missing:
        raise ModelFileError(f"Model '{name}' is missing tensors: {', '.join(missing[:3])}"
                             f"{' …' if len(missing) > 3 else ''}.")
    for key, value in expected.items():
        if tuple(state[key].shape) != tuple(value.shape):
            raise ModelFileError(f"Model '{name}': tensor {key} has shape "
                                 f"{tuple(state[key].shape)}, expected {tuple(value.shape)}.")
    module.load_state_dict({k: state[k] for k in expected}, strict=True)
