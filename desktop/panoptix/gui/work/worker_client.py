"""The GUI side of the worker: a priority queue, job ids, stale results dropped.

At most one job is with the worker at a time; the rest wait here, so the image in view can
always jump the queue (it waits for at most the one job in flight). A view request for
another image makes the previous view job stale: it is cancelled and its result, should
one still arrive, is dropped. Segment Anything embeddings (``SamEmbedJob``) share the
queue, after the image in view's model job and before background pre-segmentation.
Background work over a whole folder is queued as keys (``submit_background_keys``), each
made a job only when its turn comes: 100,000 jobs made up front took seconds and 200 MB.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThread, Signal

from panoptix.gui.work.sam_jobs import SamEmbedded, SamEmbedJob
from panoptix.gui.work.worker import InferenceWorker, Job, JobResult

if TYPE_CHECKING:
    from panoptix.inference.settings import InferenceSettings


class WorkerClient(QObject):
    """Owns the worker thread; use ``submit_view``/``submit_background``."""

    result = Signal(object)
    """A ``JobResult`` that is still wanted."""
    failed = Signal(str, str, bool)
    """(image key, message, background)."""
    stage = Signal(str)
    """What the job for the image in view is doing."""
    model_status = Signal(str)
    model_ready = Signal(str, str)
    model_unavailable = Signal(str, str)
    """(model, message): not cached and not downloadable (no network)."""
    background_progress = Signal(int, int)
    """(done, total) of the background run; (0, 0) when there is none."""
    busy_changed = Signal(bool)
    sam_ready = Signal(object)
    """A ``SamEmbedded``: an image's Segment Anything embedding is ready."""
    sam_failed = Signal(str, str)
    """(image key, message) of an embedding that failed."""

    _send = Signal(object)
    _warm = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._queue: deque[Job | SamEmbedJob] = deque()
        self._in_flight: Job | SamEmbedJob | None = None
        self._view_job: int | None = None
        self._background_total = 0
        self._background_done = 0
        self._later: deque[tuple[deque[str], Callable[[str], Job]]] = deque()
        """Background keys queued after every job, each with what makes its job."""
        self.thread = QThread()
        self.thread.setObjectName("panoptix-inference")
        self.worker = InferenceWorker()
        self.worker.moveToThread(self.thread)
        self._send.connect(self.worker.run)
        self._warm.connect(self.worker.warm_up)
        self.worker.finished.connect(self._finished)
        self.worker.failed.connect(self._failed)
        self.worker.cancelled.connect(self._cancelled)
        self.worker.stage.connect(self._stage)
        self.worker.model_status.connect(self.model_status)
        self.worker.model_ready.connect(self.model_ready)
        self.worker.model_unavailable.connect(self.model_unavailable)
        self.thread.start()

    # -- requests -------------------------------------------------------------------
    def warm_up(self, settings: InferenceSettings | None = None) -> None:
        """Have the worker import torch and transformers now (and load the model of
        ``settings``), before any job: the first image then waits only for the rest."""
        self._warm.emit(settings)

    def next_id(self) -> int:
        return next(self._ids)

    def submit_view(self, make_job: Callable[[int], Job]) -> int:
        """Run a job for the image in view before anything else; older view jobs go stale."""
        self.drop_view()
        job = make_job(self.next_id())
        self._view_job = job.job_id
        self._queue.appendleft(job)
        self._dispatch()
        return job.job_id

    def submit_background(self, jobs: list[Job]) -> None:
        for job in jobs:
            job.background = True
            self._queue.append(job)
        self._background_total += len(jobs)
        self._report_background()
        self._dispatch()

    def submit_background_keys(self, keys: Iterable[str], make: Callable[[str], Job]) -> None:
        """Queue background jobs for ``keys``, after every other job, each made by ``make``
        only when its turn comes."""
        waiting = deque(keys)
        if not waiting:
            return
        self._later.append((waiting, make))
        self._background_total += len(waiting)
        self._report_background()
        self._dispatch()

    def submit_sam(self, job: SamEmbedJob, first: bool) -> None:
        """Queue an embedding after the model job for the image in view (whose result
        replaces the document: edits made with SAM before it would be lost) and before
        background pre-segmentation; ``first`` also before the other embeddings."""
        position = next((i for i, j in enumerate(self._queue) if j.background
                         or (first and isinstance(j, SamEmbedJob))), len(self._queue))
        self._queue.insert(position, job)
        self._dispatch()

    def drop_sam(self, keep: set[str] | frozenset[str] = frozenset()) -> None:
        """Cancel the queued embeddings of images not in ``keep``."""
        for job in self._queue:
            if isinstance(job, SamEmbedJob) and job.key not in keep:
                job.cancel.set()
        self._queue = deque(j for j in self._queue if not j.cancel.is_set())

    def sam_keys(self) -> set[str]:
        """Images whose embedding is queued or being computed."""
        return {j.key for j in [*self._queue, self._in_flight]
                if isinstance(j, SamEmbedJob) and not j.cancel.is_set()}

    def drop_view(self) -> None:
        """The user left the image: its pending job is cancelled and any result dropped."""
        if self._view_job is None:
            return
        stale, self._view_job = self._view_job, None
        for job in [*self._queue, self._in_flight]:
            if job is not None and job.job_id == stale:
                job.cancel.set()
        self._queue = deque(j for j in self._queue if j.job_id != stale)

    def cancel_background(self) -> None:
        for job in [*self._queue, self._in_flight]:
            if job is not None and job.background:
                job.cancel.set()
        self._queue = deque(j for j in self._queue if not j.background)
        self._later.clear()
        self._background_total = self._background_done = 0
        self._report_background()

    def is_view_job(self, job_id: int) -> bool:
        return job_id == self._view_job

    @property
    def view_pending(self) -> bool:
        """A model job for the image in view is queued or running (its result will replace
        the image's document)."""
        return self._view_job is not None

    @property
    def busy(self) -> bool:
        return self._in_flight is not None

    def background_keys(self) -> set[str]:
        """Images with background work still to come (cancelled jobs do not count)."""
        return {j.key for j in [*self._queue, self._in_flight]
                if j is not None and j.background and not j.cancel.is_set()
                } | {key for waiting, _make in self._later for key in waiting}

    def shutdown(self) -> None:
        """Cancel everything and stop the thread (waits for the stage in progress)."""
        for job in [*self._queue, self._in_flight]:
            if job is not None:
                job.cancel.set()
        self._queue.clear()
        self._later.clear()
        self.thread.quit()
        self.thread.wait()

    # -- answers --------------------------------------------------------------------
    def _dispatch(self) -> None:
        if self._in_flight is not None:
            return
        while self._queue and self._queue[0].cancel.is_set():
            self._queue.popleft()
        if not self._queue and self._later:
            self._queue.append(self._next_later())
        if not self._queue:
            self.busy_changed.emit(False)
            return
        self._in_flight = self._queue.popleft()
        self.busy_changed.emit(True)
        self._send.emit(self._in_flight)

    def _next_later(self) -> Job:
        waiting, make = self._later[0]
        job = make(waiting.popleft())
        job.background = True
        if not waiting:
            self._later.popleft()
        return job

    def _take(self, job_id: int) -> Job | SamEmbedJob | None:
        job = self._in_flight
        if job is None or job.job_id != job_id:
            return None
        self._in_flight = None
        if job.background and self._background_total:
            self._background_done += 1
            if self._background_done >= self._background_total:
                self._background_total = self._background_done = 0
            self._report_background()
        return job

    def _finished(self, result: JobResult | SamEmbedded) -> None:
        job = self._take(result.job_id)
        if isinstance(result, SamEmbedded):
            if job is not None:
                self.sam_ready.emit(result)
        elif job is not None and not job.cancel.is_set():
            if job.background or self.is_view_job(job.job_id):
                self.result.emit(result)
            if self.is_view_job(job.job_id):
                self._view_job = None
        self._dispatch()

    def _failed(self, job_id: int, message: str) -> None:
        job = self._take(job_id)
        if isinstance(job, SamEmbedJob):
            self.sam_failed.emit(job.key, message)
        elif job is not None and (job.background or self.is_view_job(job_id)):
            self.failed.emit(job.key, message, job.background)
            if self.is_view_job(job_id):
                self._view_job = None
        self._dispatch()

    def _cancelled(self, job_id: int) -> None:
        self._take(job_id)
        self._dispatch()

    def _stage(self, job_id: int, text: str) -> None:
        if self.is_view_job(job_id):
            self.stage.emit(text)

    def _report_background(self) -> None:
        self.background_progress.emit(self._background_done, self._background_total)
