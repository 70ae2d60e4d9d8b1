"""Progress and Cancel for any job that takes longer than half a second.

Quick jobs (a slider decode, eight one-shots) never flash a bar; a job still
running after ``SHOW_AFTER_S`` shows its label, its progress and a Cancel button.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer

from sketchpad.jobs import Job

SHOW_AFTER_S = 0.5


class ProgressTracker(QObject):
    def __init__(self, pool, bar, cancel_button, parent=None):
        super().__init__(parent)
        self.pool, self.bar, self.cancel_button = pool, bar, cancel_button
        self._tracked: dict[int, tuple[Job, str, float]] = {}  # id -> job, label, start
        self._fraction: dict[int, float] = {}
        pool.job_progress.connect(self._on_progress)
        pool.job_finished.connect(self._on_finished)
        cancel_button.clicked.connect(self.cancel_all)
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._refresh)

    def track(self, job: Job, label: str) -> Job:
        self._tracked[job.id] = (job, label, time.monotonic())
        self._timer.start()
        return job

    def cancel_all(self) -> None:
        for job, _, _ in list(self._tracked.values()):
            self.pool.cancel(job)

    def _on_progress(self, job_id: int, fraction: float, _text: str) -> None:
        if job_id in self._tracked:
            self._fraction[job_id] = fraction
            self._refresh()

    def _on_finished(self, job_id: int) -> None:
        self._tracked.pop(job_id, None)
        self._fraction.pop(job_id, None)
        self._refresh()

    def _refresh(self) -> None:
        now = time.monotonic()
        slow = [(jid, label) for jid, (_, label, start) in self._tracked.items()
                if now - start >= SHOW_AFTER_S]
        if not self._tracked:
            self._timer.stop()
        if not slow:
            self.bar.setVisible(False)
            self.cancel_button.setVisible(False)
            return
        job_id, label = slow[0]
        more = f" (+{len(slow) - 1})" if len(slow) > 1 else ""
        self.bar.setFormat(f"{label}{more} %p%")
        self.bar.setValue(int(self._fraction.get(job_id, 0.0) * 1000))
        self.bar.setVisible(True)
        self.cancel_button.setVisible(True)
