"""The allocator setting: freed spectrum-sized blocks are reused, not faulted in again."""

import subprocess
import sys

import pytest

PROGRAM = """
import resource, sys
import numpy as np
if sys.argv[1] == "tuned":
    from sketchpad.allocator import keep_freed_memory_for_reuse
    assert keep_freed_memory_for_reuse()
np.ones(5 << 20)  # the first touch of a 40 MB block costs faults either way
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):  # one decode step: a few 16 MB spectra alive at once, then freed
    blocks = [np.ones(2 << 20) for _ in range(4)]
    del blocks
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, check=True)
    return int(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")
def test_freed_blocks_are_reused_without_page_faults():
    plain, tuned = _faults("plain"), _faults("tuned")
    assert plain > 20 * 1000  # glibc trims the freed blocks and faults them in again
    assert tuned < plain / 10
