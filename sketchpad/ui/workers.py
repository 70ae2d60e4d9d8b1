"""A QThread worker pool over the Qt-free JobQueue.

Two lanes: "model" has one thread, so GPU/model work is serialised; "io" has
a couple of threads for file decoding and analysis. Workers emit signals on
the pool, which lives in the UI thread, so results arrive through queued
connections and callbacks run on the UI thread, never on a worker.
"""

from __future__ import annotations

import atexit
import logging
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

from sketchpad.jobs import Job, JobCancelled, JobQueue, run_job
from sketchpad.errors import SketchpadError
from sketchpad.threads import lower_this_thread_priority

log = logging.getLogger(__name__)

# "train" holds fine-tuning, which runs for minutes and must not block the model lane.
# "save" holds the autosave, which must not wait behind beat tracking or a blend render
# on the io lane: a session killed then would lose seconds of edits.
LANES = {"model": 1, "io": 2, "train": 1, "save": 1}
_STILL_RUNNING: list = []  # workers whose job outlived shutdown: kept alive, never destroyed
STRAGGLER_WAIT_MS = 60_000
"""At exit, how long each worker whose job outlived shutdown may take to finish it."""


@atexit.register
def _join_still_running() -> None:
    """Wait, at interpreter exit, for the workers a shutdown left running: their queues
    are closed, so each ends after its current job. A QThread destroyed while it runs
    aborts the whole process (the user would see a crash on closing the window)."""
    for worker in _STILL_RUNNING:
        worker.wait(STRAGGLER_WAIT_MS)


@dataclass
class _Callbacks:
    on_result: Callable[[Any], None] | None
    on_error: Callable[[str], None] | None
    on_progress: Callable[[float, str], None] | None
    on_cancelled: Callable[[], None] | None


def describe_error(kind: str, err: BaseException) -> str:
    """One line for the user: our own errors as they are, bugs named as such."""
    if isinstance(err, SketchpadError):
        return str(err)
    if isinstance(err, MemoryError):
        return f"{kind}: not enough memory."
    return " ".join(f"{kind} failed: {type(err).__name__}: {err}".split())


class _Worker(QThread):
    """Takes jobs from one lane's queue until the queue closes."""

    def __init__(self, pool: "WorkerPool", queue: JobQueue, name: str):
        super().__init__()
        self.setObjectName(name)
        self._pool = pool
        self._queue = queue
        self.current: Job | None = None

    def run(self) -> None:
        lower_this_thread_priority()  # the UI and the audio callback come first
        while True:
            job = self._queue.take()
            if job is None:
                return
            self.current = job
            pool = self._pool
            pool._started.emit(job.id)
            try:
                result = run_job(job)
            except JobCancelled:
                pool._cancelled.emit(job.id)
            except BaseException as err:  # noqa: BLE001 - every failure must reach the UI
                if not isinstance(err, SketchpadError):
                    log.error("job %s failed:\n%s", job.kind, traceback.format_exc())
                pool._failed.emit(job.id, describe_error(job.kind, err))
            else:
                if job.cancelled:
                    pool._cancelled.emit(job.id)
                else:
                    pool._returned.emit(job.id, result)
            finally:
                self.current = None


class WorkerPool(QObject):
    """Submit jobs from the UI thread; callbacks come back on the UI thread.

    Signals for observers (status bar, progress widget):
      busy_changed(int)          number of jobs waiting or running
      error(str)                 a job failed and had no on_error of its own
      job_progress(int, float, str)  a job's id, fraction done and what it is doing
      job_finished(int)          a job's id, once it returned, failed or was cancelled
    """

    busy_changed = Signal(int)
    error = Signal(str)
    job_progress = Signal(int, float, str)
    job_finished = Signal(int)

    # Internal, emitted from worker threads (queued to the UI thread).
    _started = Signal(int)
    _progress = Signal(int, float, str)
    _returned = Signal(int, object)
    _failed = Signal(int, str)
    _cancelled = Signal(int)

    def __init__(self, lanes: dict[str, int] | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._callbacks: dict[int, _Callbacks] = {}
        self._jobs: dict[int, Job] = {}
        self._queues: dict[str, JobQueue] = {}
        self._workers: list[_Worker] = []
        for lane, count in (lanes or LANES).items():
            queue = JobQueue(on_dropped=self._dropped)
            self._queues[lane] = queue
            for i in range(count):
                worker = _Worker(self, queue, f"sketchpad-{lane}-{i}")
                worker.start()
                self._workers.append(worker)
        self._started.connect(self._on_started)
        self._progress.connect(self._on_progress)
        self._returned.connect(self._on_returned)
        self._failed.connect(self._on_failed)
        self._cancelled.connect(self._on_cancelled)

    # -- UI thread API ---------------------------------------------------------
    def submit(
        self,
        kind: str,
        fn: Callable,
        *,
        lane: str = "io",
        supersede: bool = True,
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        on_progress: Callable[[float, str], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
    ) -> Job:
        """Queue ``fn(ctx)`` on ``lane``. A waiting job of the same kind is dropped."""
        job = Job(kind=kind, fn=fn)
        job.on_progress = lambda f, t, jid=job.id: self._progress.emit(jid, f, t)
        self._callbacks[job.id] = _Callbacks(on_result, on_error, on_progress, on_cancelled)
        self._jobs[job.id] = job
        self._queues[lane].submit(job, supersede=supersede)
        self.busy_changed.emit(len(self._jobs))
        return job

    def cancel(self, job: Job) -> None:
        job.cancel()

    def cancel_kind(self, kind: str) -> None:
        for job in list(self._jobs.values()):
            if job.kind == kind:
                job.cancel()
        for queue in self._queues.values():
            for job in queue.cancel_kind(kind):
                self._dropped(job)

    @property
    def pending(self) -> int:
        return len(self._jobs)

    def shutdown(self, wait_ms: int = 3000) -> None:
        """Cancel everything and join the threads, waiting at most ``wait_ms`` in all.

        A job that ignores cancellation (a model still loading) may outlive the
        wait; its thread is then kept referenced until it ends instead of being
        destroyed while running, which would abort the process.
        """
        for job in list(self._jobs.values()):
            job.cancel()
        for queue in self._queues.values():
            queue.close()
        deadline = time.monotonic() + wait_ms / 1000
        for worker in self._workers:
            left_ms = max(0, int((deadline - time.monotonic()) * 1000))
            if not worker.wait(left_ms):
                worker.setParent(None)
                _STILL_RUNNING.append(worker)
        self._jobs.clear()
        self._callbacks.clear()

    # -- signal handlers, UI thread ----------------------------------------------
    def _dropped(self, job: Job) -> None:
        # Called from submit (UI thread) when a newer job superseded this one.
        self._cancelled.emit(job.id)

    def _finish(self, job_id: int) -> _Callbacks | None:
        self._jobs.pop(job_id, None)
        callbacks = self._callbacks.pop(job_id, None)
        self.busy_changed.emit(len(self._jobs))
        self.job_finished.emit(job_id)
        return callbacks

    @Slot(int)
    def _on_started(self, job_id: int) -> None:
        pass

    @Slot(int, float, str)
    def _on_progress(self, job_id: int, fraction: float, text: str) -> None:
        self.job_progress.emit(job_id, fraction, text)
        callbacks = self._callbacks.get(job_id)
        if callbacks and callbacks.on_progress:
            callbacks.on_progress(fraction, text)

    @Slot(int, object)
    def _on_returned(self, job_id: int, result: object) -> None:
        callbacks = self._finish(job_id)
        if callbacks and callbacks.on_result:
            callbacks.on_result(result)

    @Slot(int, str)
    def _on_failed(self, job_id: int, message: str) -> None:
        callbacks = self._finish(job_id)
        if callbacks and callbacks.on_error:
            callbacks.on_error(message)
        else:
            self.error.emit(message)

    @Slot(int)
    def _on_cancelled(self, job_id: int) -> None:
        callbacks = self._finish(job_id)
        if callbacks and callbacks.on_cancelled:
            callbacks.on_cancelled()
