"""Thread settings that keep the audio callback and the UI ahead of the workers."""

import os
import sys
import threading

from sketchpad.threads import lower_this_thread_priority


def test_a_worker_thread_lowers_only_its_own_priority():
    if not sys.platform.startswith("linux"):
        assert lower_this_thread_priority() is False
        return
    main_before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen = {}

    def worker():
        seen["ok"] = lower_this_thread_priority(7)
        seen["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen["ok"] and seen["nice"] >= 7
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == main_before
