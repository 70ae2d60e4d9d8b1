import threading

import pytest

from sketchpad.jobs import CurrentJob, Job, JobCancelled, JobQueue, run_job


def _job(kind, value=None):
    return Job(kind=kind, fn=lambda ctx: value)


def test_queue_is_fifo_across_kinds():
    queue = JobQueue()
    a, b, c = _job("a"), _job("b"), _job("c")
    for job in (a, b, c):
        queue.submit(job)
    assert [queue.take(0), queue.take(0), queue.take(0)] == [a, b, c]
    assert queue.take(0.01) is None


def test_newer_job_of_same_kind_supersedes_waiting_one():
    dropped = []
    queue = JobQueue(on_dropped=dropped.append)
    old, other, new = _job("slider"), _job("load"), _job("slider")
    queue.submit(old)
    queue.submit(other)
    queue.submit(new)
    assert dropped == [old] and old.cancelled and not new.cancelled
    assert queue.waiting() == [other, new]


def test_supersede_can_be_turned_off():
    queue = JobQueue()
    first, second = _job("export"), _job("export")
    queue.submit(first, supersede=False)
    queue.submit(second, supersede=False)
    assert queue.waiting() == [first, second]


def test_cancelled_job_stops_at_next_progress_report():
    steps = []

    def long_job(ctx):
        for i in range(100):
            steps.append(i)
            if i == 3:
                job.cancel()
            ctx.progress(i / 100)
        return "finished"

    job = Job(kind="long", fn=long_job)
    with pytest.raises(JobCancelled):
        run_job(job)
    assert steps == [0, 1, 2, 3]


def test_progress_is_clamped_and_forwarded():
    seen = []
    job = Job(kind="p", fn=lambda ctx: [ctx.progress(x, "t") for x in (-1, 0.5, 7)])
    job.on_progress = lambda f, t: seen.append((f, t))
    run_job(job)
    assert seen == [(0.0, "t"), (0.5, "t"), (1.0, "t")]


def test_take_blocks_until_a_job_arrives_and_close_releases_takers():
    queue = JobQueue()
    got = []
    taker = threading.Thread(target=lambda: got.append(queue.take(5)))
    taker.start()
    job = queue.submit(_job("x"))
    taker.join(5)
    assert got == [job]

    closer = threading.Thread(target=lambda: got.append(queue.take(5)))
    closer.start()
    left = queue.close()
    closer.join(5)
    assert got[-1] is None and left == []
    with pytest.raises(RuntimeError):
        queue.submit(_job("late"))


def test_cancel_kind_removes_only_that_kind():
    queue = JobQueue()
    a1, b, a2 = _job("a"), _job("b"), _job("a")
    queue.submit(a1, supersede=False)
    queue.submit(b)
    queue.submit(a2, supersede=False)
    assert queue.cancel_kind("a") == [a1, a2]
    assert queue.waiting() == [b] and a1.cancelled and a2.cancelled


class _Held:
    """A submitter that keeps jobs until told to finish them, as the pool delivers later."""

    def __init__(self):
        self.waiting = []

    def submit(self, kind, fn, *, lane="io", on_result=None, on_error=None, on_cancelled=None, **_):
        job = Job(kind, fn)
        self.waiting.append((job, on_result, on_error, on_cancelled))
        return job

    def cancel(self, job):
        job.cancel()


def test_only_the_current_jobs_callbacks_run_and_then_it_is_over():
    held, seen = _Held(), []
    current = CurrentJob(held)
    first = current.start("load", lambda ctx: 1, lane="io", on_result=lambda r: seen.append(("first", r)),
                          on_error=seen.append)
    second = current.start("load", lambda ctx: 2, lane="io", on_result=lambda r: seen.append(("second", r)),
                           on_error=seen.append)
    assert current.running and current.job is second
    held.waiting[0][1](1)  # the superseded job finishes late: ignored
    assert seen == [] and current.running
    held.waiting[1][1](2)
    assert seen == [("second", 2)] and not current.running and current.job is None
    current.start("load", lambda ctx: 3, lane="io", on_result=seen.append, on_error=seen.append)
    current.cancel()
    assert held.waiting[2][0].cancelled and first is not second
