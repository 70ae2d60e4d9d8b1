"""One BLAS thread for numpy, even when numpy was imported before Sketchpad.

See the note in ``sketchpad/__init__.py``: numpy's OpenBLAS pool and torch's
OpenMP pool fight over a small machine's cores. Torch's own thread count is
left alone.
"""

from __future__ import annotations

_limiter = None


def keep_numpy_blas_single_threaded() -> None:
    """Limit OpenBLAS (numpy's BLAS) to one thread for the rest of the process."""
    global _limiter
    if _limiter is not None:
        return
    try:
        import numpy  # noqa: F401 - load numpy's OpenBLAS so it can be found
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return
    _limiter = ThreadpoolController().select(internal_api="openblas").limit(limits=1)
