"""A job runner for Qt-free controller tests: each job runs at once on the calling thread."""

from sketchpad.jobs import Job, JobContext


class RunNow:
    """A Submitter that runs each job at once on this thread, as the pool would deliver it."""

    def __init__(self):
        self.kinds = []

    def submit(self, kind, fn, *, lane="io", on_result=None, on_error=None, on_progress=None,
               on_cancelled=None, **_):
        job = Job(kind, fn)
        job.on_progress = on_progress
        self.kinds.append(kind)
        try:
            result = fn(JobContext(job))
        except Exception as err:  # noqa: BLE001 - the pool turns errors into a message too
            if on_error is not None:
                on_error(str(err))
            return job
        if on_result is not None:
            on_result(result)
        return job

    def cancel(self, job):
        job.cancel()

    def cancel_kind(self, kind):
        pass
