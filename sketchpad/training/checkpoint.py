"""Resumable training state as safetensors + JSON (never pickles), written atomically.

A checkpoint folder holds ``<part>.safetensors`` for each module and the
AdamW moments of each optimizer, and ``state.json`` with the step, the data
generator's state and the loss history.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file
from safetensors.torch import save as save_tensors

from sketchpad.atomic import atomic_write_bytes, atomic_write_text
from sketchpad.engine.model_files import FORMAT_VERSION

STATE_NAME = "state.json"


def read_json(path) -> dict:
    """A JSON object from ``path``, or {} when it is missing or unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def checkpoint_step(run_dir) -> int:
    """The step of the checkpoint in ``run_dir`` (0 when there is none)."""
    return int(read_json(Path(run_dir) / "checkpoint" / STATE_NAME).get("step", 0))


def optimizer_tensors(module: torch.nn.Module, optimizer) -> dict[str, torch.Tensor]:
    """AdamW moments of ``module``'s parameters, keyed ``<parameter>.exp_avg`` / ``.exp_avg_sq``."""
    names = {id(p): n for n, p in module.named_parameters()}
    tensors = {}
    for group in optimizer.param_groups:
        for p in group["params"]:
            state = optimizer.state.get(p, {})
            for key in ("exp_avg", "exp_avg_sq"):
                if key in state:
                    tensors[f"{names[id(p)]}.{key}"] = state[key].detach().cpu().contiguous()
    return tensors


def save_checkpoint(folder, parts: dict[str, tuple[torch.nn.Module, object]], step: int,
                    rng: np.random.Generator, history: list, extra: dict | None = None) -> None:
    """``parts``: name -> (module, its optimizer or None)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, (module, optimizer) in parts.items():
        weights = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
        atomic_write_bytes(folder / f"{name}.safetensors", save_tensors(weights))
        if optimizer is not None:
            atomic_write_bytes(folder / f"{name}.optimizer.safetensors",
                               save_tensors(optimizer_tensors(module, optimizer)))
    meta = {"format_version": FORMAT_VERSION, "step": step, "rng": rng.bit_generator.state,
            "history": history[-4000:], **(extra or {})}
    atomic_write_text(folder / STATE_NAME, json.dumps(meta))


def restore_optimizer(module: torch.nn.Module, optimizer, moments: dict[str, torch.Tensor],
                      step: int) -> None:
    """Put what :func:`optimizer_tensors` saved back into ``optimizer``'s state."""
    for pname, p in module.named_parameters():
        if f"{pname}.exp_avg" in moments:
            optimizer.state[p] = {"step": torch.tensor(float(step)),
                                  "exp_avg": moments[f"{pname}.exp_avg"].to(p.device),
                                  "exp_avg_sq": moments[f"{pname}.exp_avg_sq"].to(p.device)}


def load_checkpoint(folder, parts: dict[str, tuple[torch.nn.Module, object]],
                    rng: np.random.Generator) -> tuple[int, list, dict]:
    """Restore what ``save_checkpoint`` wrote; (0, [], {}) when there is none.

    A part whose file is missing (say the discriminators, saved only once the
    adversarial phase began) keeps its fresh weights.
    """
    folder = Path(folder)
    if not (folder / STATE_NAME).is_file():
        return 0, [], {}
    meta = json.loads((folder / STATE_NAME).read_text())
    step = int(meta["step"])
    for name, (module, optimizer) in parts.items():
        path = folder / f"{name}.safetensors"
        if not path.is_file():
            continue
        module.load_state_dict(load_file(str(path)))
        opt_path = folder / f"{name}.optimizer.safetensors"
        if optimizer is not None and opt_path.is_file():
            restore_optimizer(module, optimizer, load_file(str(opt_path)), step)
    rng.bit_generator.state = meta["rng"]
    return step, meta.get("history", []), meta
