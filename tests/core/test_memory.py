"""Freed memory goes back to the system when asked (glibc's malloc_trim)."""

import os

from sketchpad.core.memory import release_free_memory


def _resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_freed_heap_blocks_are_returned():
    # 64 KiB blocks stay below malloc's mmap threshold, so they live in the heap;
    # keeping the last one pins the heap's top, so free() alone can't shrink it.
    blocks = [bytearray(64 * 1024) for _ in range(3200)]  # 200 MiB, touched (zeroed)
    pin = blocks[-1]
    del blocks
    before = _resident_mb()
    assert release_free_memory() is True
    assert before - _resident_mb() > 100, "malloc_trim returned less than half of 200 MiB freed"
    assert len(pin) == 64 * 1024
