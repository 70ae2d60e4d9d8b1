"""Handing freed memory back to the system.

Sound buffers are large and come and go with every generation, slider move and
undo step, on several threads. glibc keeps freed blocks in per-thread arenas
for reuse, so a long session's resident memory creeps up although what it
holds stays flat. ``malloc_trim`` returns the free parts of those arenas.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import lru_cache


@lru_cache(maxsize=1)
def _libc():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def release_free_memory() -> bool:
    """Return freed heap memory to the system (glibc only; elsewhere a no-op). Any thread.

    True if memory was released. Takes a few milliseconds; call it at quiet moments.
    """
    libc = _libc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


def freeze_long_lived_objects() -> int:
    """Collect once, then exempt every object alive now from later full collections.

    The loaded app holds a few hundred thousand long-lived Python objects (torch,
    Qt wrappers, the models). Python's full collections walk them all: about
    150 ms with the GIL held, which the audio callback and the UI cannot wait
    out (``sketchpad bench --kit-only`` saw such a collection cost ten late audio
    periods in a row). Call it when the app has settled, e.g. after a model
    loads; returns how many objects are frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
