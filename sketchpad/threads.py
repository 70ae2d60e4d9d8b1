"""Threads on a small machine: one BLAS thread for numpy, and the audio and UI
threads ahead of the workers.

See the note in ``sketchpad/__init__.py``: numpy's OpenBLAS pool and torch's
OpenMP pool fight over a small machine's cores. Torch's own thread count is
left alone.

The audio callback and the UI run Python, so they need the GIL and a core
the moment they wake. Two measured levers (``sketchpad bench --kit-only``:
underruns with a 4-period buffer in 45 s of 16 voices while prompts
generate went from 2 to 0): the interpreter hands the GIL over after 1 ms
instead of 5, and worker threads run at a lower OS priority, so a model
job yields the cores instead of the other way round.
"""

from __future__ import annotations

import os
import sys
import threading

SWITCH_INTERVAL_S = 0.001
WORKER_NICENESS = 10

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


def favour_interactive_threads() -> None:
    """Hand the GIL over every millisecond (the app's audio and UI threads wait less for it)."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)


def lower_this_thread_priority(niceness: int = WORKER_NICENESS) -> bool:
    """Run the calling thread (and threads it starts later) at a lower OS priority.

    Linux only (elsewhere, or if refused, nothing changes and False is returned).
    Raising a thread's niceness needs no privileges."""
    if not hasattr(os, "setpriority") or not sys.platform.startswith("linux"):
        return False
    try:
        current = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), max(current, niceness))
        return True
    except OSError:
        return False
