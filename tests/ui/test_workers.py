import threading
import time

import pytest

from sketchpad.errors import AudioFileError
from sketchpad.ui.workers import WorkerPool


@pytest.fixture
def pool(qtbot):
    pool = WorkerPool()
    yield pool
    pool.shutdown()


def test_result_arrives_on_ui_thread(qtbot, pool):
    got = []
    ui_thread = threading.current_thread()
    pool.submit("calc", lambda ctx: (threading.current_thread(), 6 * 7),
                on_result=lambda r: got.append((threading.current_thread(), r)))
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    callback_thread, (worker_thread, value) = got[0]
    assert value == 42
    assert callback_thread is ui_thread and worker_thread is not ui_thread


def test_errors_reach_the_ui(qtbot, pool):
    own, generic = [], []
    pool.error.connect(generic.append)
    pool.submit("load", lambda ctx: (_ for _ in ()).throw(AudioFileError("Can't read 'x.wav'.")),
                on_error=own.append)
    pool.submit("analyse", lambda ctx: 1 / 0)
    qtbot.waitUntil(lambda: bool(own and generic), timeout=5000)
    assert own == ["Can't read 'x.wav'."]
    assert generic[0].startswith("analyse failed: ZeroDivisionError")


def test_cancel_running_job(qtbot, pool):
    started, cancelled, results = threading.Event(), [], []

    def slow(ctx):
        started.set()
        for i in range(1000):
            time.sleep(0.005)
            ctx.progress(i / 1000)
        return "done"

    job = pool.submit("slow", slow, on_result=results.append,
                      on_cancelled=lambda: cancelled.append(True))
    assert started.wait(5)
    pool.cancel(job)
    qtbot.waitUntil(lambda: bool(cancelled), timeout=5000)
    assert results == [] and pool.pending == 0


def test_newer_job_supersedes_waiting_one_and_model_lane_is_serial(qtbot, pool):
    gate = threading.Event()
    order, cancelled = [], []
    pool.submit("block", lambda ctx: gate.wait(5), lane="model")
    for i in range(5):  # a slider dragged five times while the model is busy
        pool.submit("decode", lambda ctx, i=i: order.append(i) or i, lane="model",
                    on_cancelled=lambda i=i: cancelled.append(i))
    gate.set()
    qtbot.waitUntil(lambda: pool.pending == 0, timeout=5000)
    assert order == [4]
    assert sorted(cancelled) == [0, 1, 2, 3]


def test_progress_is_reported(qtbot, pool):
    seen = []

    def job(ctx):
        for i in range(5):
            ctx.progress(i / 4, "step")

    pool.submit("p", job, on_progress=lambda f, t: seen.append(f))
    qtbot.waitUntil(lambda: pool.pending == 0, timeout=5000)
    qtbot.waitUntil(lambda: len(seen) == 5, timeout=2000)
    assert seen == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_a_job_that_outlives_shutdown_does_not_abort_the_exit(tmp_path):
    # A job that ignores cancellation (a model still loading, a decode on a loaded machine)
    # can outlive shutdown's wait. Its QThread must not be destroyed while it runs at
    # interpreter exit: Qt aborts the process then (exit -6, "Destroyed while thread ... is
    # still running"), which is what a user closing the window mid-job would get.
    import subprocess
    import sys

    script = tmp_path / "exit_mid_job.py"
    script.write_text(
        "import time\n"
        "from PySide6.QtCore import QCoreApplication\n"
        "from sketchpad.ui.workers import WorkerPool\n"
        "app = QCoreApplication([])\n"
        "pool = WorkerPool()\n"
        "started = []\n"
        "pool.submit('stubborn', lambda ctx: (started.append(1), time.sleep(1.0)), lane='model')\n"
        "while not started:\n"
        "    time.sleep(0.01)\n"
        "pool.shutdown(wait_ms=10)\n"
        "print('closed')\n")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "closed" and "Destroyed while thread" not in out.stderr
