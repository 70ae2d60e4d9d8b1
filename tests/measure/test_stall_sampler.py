"""The stall sampler names what the UI thread was doing while the event loop was late."""

import time

from PySide6.QtCore import QTimer

from sketchpad_measure.window.stall_sampler import StallSampler


def _blocks_the_loop():
    time.sleep(0.08)


def test_a_blocked_event_loop_is_traced_to_the_function_that_blocked_it(qtbot):
    sampler = StallSampler(late_ms=20)
    sampler.start()
    qtbot.wait(30)
    QTimer.singleShot(0, _blocks_the_loop)
    qtbot.wait(200)
    sampler.stop()
    assert any("_blocks_the_loop" in stack for stack in sampler.ui)
    assert not any("_blocks_the_loop" in stack for stack in sampler.others)
