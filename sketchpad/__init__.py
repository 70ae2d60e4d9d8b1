"""Sketchpad: a local music sketchpad built on small neural audio models."""

import os

__version__ = "0.1.0"

PROJECT_NAME = "Sketchpad"

# numpy's OpenBLAS and torch's OpenMP each keep a pool of busy-waiting threads;
# on a 2-core machine the pools fight, and a 14 ms decode that follows a small
# numpy matrix product takes 35 ms (p95 over 100 ms). Our numpy matrix work is
# small, so numpy gets one thread and torch keeps the cores. (This only works
# before numpy is first imported; see sketchpad.threads for the late case.)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
