"""What every Sketchpad process sets up before its first model or window: the thread
and memory settings measured on the 2-core CPU (see :mod:`sketchpad.threads` and
:mod:`sketchpad.allocator`). The command line and the benchmarks' child processes
call it, so the benchmarks measure the app as users run it."""

from __future__ import annotations


def set_up_process() -> None:
    from sketchpad.allocator import keep_freed_memory_for_reuse
    from sketchpad.threads import keep_numpy_blas_single_threaded

    keep_numpy_blas_single_threaded()
    keep_freed_memory_for_reuse()
