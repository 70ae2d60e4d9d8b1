"""Which compute device models run on: CUDA when present and working, else CPU.

When the GPU runs out of memory in the middle of a job, the model that was
running moves to the CPU and the job runs again there (:func:`falls_back_to_cpu`);
from then on every model loads on the CPU, and :func:`gpu_fallback_notice` says
why, for the status bar.
"""

from __future__ import annotations

import functools
import os
import threading
from functools import lru_cache

_fallback_lock = threading.Lock()
_fallback_notice: str | None = None


@lru_cache(maxsize=1)
def _detected_device() -> str:
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


def compute_device() -> str:
    """'cuda' or 'cpu'. Imports torch, so call it from a worker, not the UI thread.

    ``SKETCHPAD_DEVICE=cpu`` forces the CPU (to compare, or to spare a busy GPU);
    ``SKETCHPAD_DEVICE=cuda`` still falls back to the CPU when CUDA can't run.
    After a GPU out-of-memory fallback it is 'cpu' for the rest of the run.
    """
    return "cpu" if _fallback_notice is not None else _detected_device()


def gpu_fallback_notice() -> str | None:
    """One line saying the GPU ran out of memory and models now run on the CPU; None before."""
    return _fallback_notice


def falls_back_to_cpu(method):
    """Decorate a model method: CUDA out of memory moves the model to the CPU and retries.

    The model must have ``device`` and ``to_cpu()``. A CPU run's errors pass
    through untouched, as do all others; the retry happens once.
    """
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        import torch

        try:
            return method(self, *args, **kwargs)
        except torch.cuda.OutOfMemoryError:
            if self.device == "cpu":
                raise
        global _fallback_notice
        with _fallback_lock:
            if _fallback_notice is None:
                _fallback_notice = "The GPU ran out of memory; models run on the CPU from now on."
        self.to_cpu()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        return method(self, *args, **kwargs)

    return wrapper


def describe_compute_device() -> str:
    """A short label for the status bar, e.g. 'GPU: NVIDIA H100' or 'CPU (2 threads)'."""
    import torch

    if compute_device() == "cuda":
        return f"GPU: {torch.cuda.get_device_name(0)}"
    return f"CPU ({torch.get_num_threads()} threads)"


def native_bf16(device: str | None = None) -> bool:
    """True where ``device`` (default: the GPU if there is one, else the CPU) computes
    bfloat16 natively: a CUDA GPU that supports it, or a CPU with AMX or AVX512-BF16.
    Elsewhere bf16 autocast is emulated and slower than float32."""
    import torch

    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if torch.device(device).type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    try:
        from pathlib import Path

        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " amx_bf16" in flags or " avx512_bf16" in flags


def int8_inference_copy(module, device: str | None):
    """A copy of ``module`` whose Linear layers compute in int8 (PyTorch's dynamic
    quantisation), for drafts on the CPU; ``module`` itself where ``device`` is not the
    CPU. The pointwise layers of the ConvNeXt blocks are most of a decode's time, and
    int8 runs them about twice as fast there. Its activations are scaled per batch, so
    results depend on the batch: keep it to decodes that nothing is compared against.
    The float module stays as it is, for training, saving and finished decodes."""
    import copy
    import warnings

    import torch

    if torch.device(device or "cpu").type != "cpu":
        return module
    with warnings.catch_warnings():  # its notice about moving to torchao is not for users
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(copy.deepcopy(module), {torch.nn.Linear},
                                                      dtype=torch.qint8)
