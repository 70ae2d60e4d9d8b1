"""Which compute device models run on: CUDA when present and working, else CPU."""

from __future__ import annotations

import os
from functools import lru_cache


@lru_cache(maxsize=1)
def compute_device() -> str:
    """'cuda' or 'cpu'. Imports torch, so call it from a worker, not the UI thread.

    ``SKETCHPAD_DEVICE=cpu`` forces the CPU (to compare, or to spare a busy GPU);
    ``SKETCHPAD_DEVICE=cuda`` still falls back to the CPU when CUDA can't run.
    """
    if os.environ.get("SKETCHPAD_DEVICE", "").strip().lower() == "cpu":
        return "cpu"
    try:
        import torch

        if torch.cuda.is_available():
            torch.zeros(1, device="cuda")  # a driver that lists a GPU but can't use it fails here
            return "cuda"
    except Exception:  # noqa: BLE001 - any CUDA trouble means CPU
        pass
    return "cpu"


def describe_compute_device() -> str:
    """A short label for the status bar, e.g. 'GPU: NVIDIA H100' or 'CPU (2 threads)'."""
    import torch

    if compute_device() == "cuda":
        return f"GPU: {torch.cuda.get_device_name(0)}"
    return f"CPU ({torch.get_num_threads()} threads)"
