"""Keep freed memory for reuse instead of handing it back to the OS at once.

glibc's malloc serves large blocks with fresh mmap()s and trims the heap
eagerly, so every spectrum-sized tensor a decode allocates (Griffin-Lim
steps, STFTs, network activations) is paid again in page faults: on the
project's 2-core CPU a 3-minute blend ran at 18.5x real time as is and
21x with the thresholds below (``measure_blend_rtf`` of
``sketchpad_measure.bench.model_speed``, back to back). Freed
memory up to :data:`TRIM_THRESHOLD_BYTES` stays in the process for the
next decode.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 << 20  # glibc's upper limit on 64-bit systems
TRIM_THRESHOLD_BYTES = 256 << 20


def keep_freed_memory_for_reuse() -> bool:
    """Raise glibc's mmap and trim thresholds for this process; False where there is no glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other C libraries have no mallopt
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
