"""Job logic for the worker pool, free of Qt so it can be tested as plain Python.

A job is a function of one argument, a JobContext, run on a worker thread.
Long jobs call ``ctx.progress(fraction)`` (or ``ctx.check()``) between steps;
both raise JobCancelled once the job was cancelled, so cancellation needs no
cooperation beyond reporting progress.

Threads: ``JobQueue.submit`` and ``cancel`` are called from the UI thread,
``take`` from worker threads; a single lock guards the waiting list and is
never held while a job runs.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol


class JobCancelled(Exception):
    """Raised inside a job when it has been cancelled or superseded."""


class Submitter(Protocol):
    """What a Qt-free controller needs to run work in the background: the window's
    worker pool in the app, a plain-Python stand-in in tests. Callbacks run on the
    thread that owns the controller (the UI thread in the app)."""

    def submit(self, kind: str, fn: Callable[["JobContext"], Any], *, lane: str = "io",
               on_result: Callable[[Any], None] | None = None,
               on_error: Callable[[str], None] | None = None, **callbacks) -> Any: ...

    def cancel(self, job: "Job") -> None: ...

    def cancel_kind(self, kind: str) -> None: ...


class CurrentJob:
    """The one job of its kind whose results still count (the file being opened, the folder
    being imported): starting another makes the older one's callbacks do nothing, and the
    job is over once one of them ran. Right with a submitter that runs jobs at once, too."""

    def __init__(self, jobs: Submitter):
        self.jobs = jobs
        self.job = None  # the running job, None when idle
        self._ticket = None  # tells this job's callbacks from a superseded one's

    @property
    def running(self) -> bool:
        return self._ticket is not None

    def start(self, kind: str, fn, *, lane: str, on_result, on_error, on_cancelled=None, **callbacks):
        """Submit ``fn`` as the current job; returns it."""
        ticket = self._ticket = object()

        def if_current(callback):
            def call(*args):
                if self._ticket is ticket:
                    self._ticket = self.job = None
                    if callback is not None:
                        callback(*args)
            return call

        job = self.jobs.submit(kind, fn, lane=lane, on_result=if_current(on_result),
                               on_error=if_current(on_error), on_cancelled=if_current(on_cancelled),
                               **callbacks)
        if self._ticket is ticket:  # still running (a submitter may have run it already)
            self.job = job
        return job

    def cancel(self) -> None:
        if self.job is not None:
            self.jobs.cancel(self.job)


_ids = itertools.count(1)


@dataclass(eq=False)
class Job:
    """One unit of work. ``kind`` groups jobs that supersede each other."""

    kind: str
    fn: Callable[["JobContext"], Any]
    id: int = field(default_factory=lambda: next(_ids))
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    # Called from the worker thread with (fraction, text); set by the pool.
    on_progress: Callable[[float, str], None] | None = field(default=None, repr=False)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()


class JobContext:
    """What a running job sees: progress reporting and the cancel flag."""

    def __init__(self, job: Job):
        self._job = job

    @property
    def cancelled(self) -> bool:
        return self._job.cancelled

    def check(self) -> None:
        if self._job.cancelled:
            raise JobCancelled(self._job.kind)

    def progress(self, fraction: float, text: str = "") -> None:
        self.check()
        if self._job.on_progress is not None:
            self._job.on_progress(min(max(float(fraction), 0.0), 1.0), text)


def run_job(job: Job) -> Any:
    """Run ``job`` on the calling thread; raises JobCancelled if cancelled first."""
    ctx = JobContext(job)
    ctx.check()
    return job.fn(ctx)


class JobQueue:
    """A FIFO of waiting jobs where a newer job of a kind replaces an older one.

    Superseded jobs are cancelled and handed to ``on_dropped`` so the owner
    can tell whoever waited for them.
    """

    def __init__(self, on_dropped: Callable[[Job], None] | None = None):
        self._waiting: deque[Job] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._on_dropped = on_dropped

    def submit(self, job: Job, *, supersede: bool = True) -> Job:
        dropped = []
        with self._cond:
            if self._closed:
                raise RuntimeError("job queue is closed")
            if supersede:
                dropped = [j for j in self._waiting if j.kind == job.kind]
                for old in dropped:
                    self._waiting.remove(old)
                    old.cancel()
            self._waiting.append(job)
            self._cond.notify()
        for old in dropped:
            if self._on_dropped is not None:
                self._on_dropped(old)
        return job

    def take(self, timeout: float | None = None) -> Job | None:
        """Next job to run, or None on timeout or once the queue is closed."""
        with self._cond:
            while not self._waiting and not self._closed:
                if not self._cond.wait(timeout):
                    return None
            if self._closed:
                return None
            return self._waiting.popleft()

    def cancel_kind(self, kind: str) -> list[Job]:
        """Cancel and remove every waiting job of ``kind``; returns them."""
        with self._cond:
            gone = [j for j in self._waiting if j.kind == kind]
            for job in gone:
                self._waiting.remove(job)
                job.cancel()
        return gone

    def waiting(self) -> list[Job]:
        with self._cond:
            return list(self._waiting)

    def close(self) -> list[Job]:
        """Stop handing out jobs; returns (cancelled) jobs that never ran."""
        with self._cond:
            self._closed = True
            left = list(self._waiting)
            self._waiting.clear()
            for job in left:
                job.cancel()
            self._cond.notify_all()
        return left
