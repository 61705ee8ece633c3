"""The window's saves: written in order on one saver thread, and never forgotten when they
fail.

A save is a snapshot of a document taken on the GUI thread (``DocumentSnapshot.of``) and
written on the saver thread, so PNG encoding never stalls the window. A save that fails (a
full disk, a folder made read-only) stays pending under its image: it is tried again with
the next save, every :data:`RETRY_MS`, on Ctrl+S and on quit, until it succeeds, a newer
save of the same image succeeds, or the user discards it. A retry never overwrites a newer
save of the same image: only the newest snapshot of each image is ever retried.
"""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from panoptix.core.annotation_file import DocumentSnapshot
from panoptix.core.project import ImageStatus, Project
from panoptix.gui.work.worker import error_message

RETRY_MS = 5000


@dataclass(frozen=True, eq=False)
class SaveRequest:
    project: Project
    key: str
    snapshot: DocumentSnapshot
    status: ImageStatus
    model: str | None = None
    uncertainty: float | None = None

    def write(self) -> None:
        self.project.save_snapshot(self.key, self.snapshot, self.status, self.model,
                                   uncertainty=self.uncertainty)


class SaveQueue(QObject):
    saved = Signal(str)
    """(key) a save of that image reached the disk."""
    failed = Signal(str, str)
    """(key, one-line reason) a save failed; it stays pending and is retried."""
    _failure_noted = Signal()
    """From the saver thread: start the retry timer here, on the GUI thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="panoptix-save")
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)
        self._newest: dict[str, tuple[int, SaveRequest]] = {}
        """Per image, the newest save submitted and not yet on disk (in flight or failed)."""
        self._failed: dict[str, str] = {}
        """Per image whose newest save failed, why."""
        self._futures: set[Future] = set()
        self._retry = QTimer(self, interval=RETRY_MS)
        self._retry.timeout.connect(self.retry)
        self._failure_noted.connect(self._retry.start)

    # -- saving ---------------------------------------------------------------------------
    def submit(self, request: SaveRequest) -> None:
        """Write ``request`` after the saves before it; it replaces any older pending save
        of its image."""
        with self._lock:
            number = next(self._numbers)
            self._newest[request.key] = (number, request)
            self._failed.pop(request.key, None)
            future = self._executor.submit(request.write)
            self._futures.add(future)
        future.add_done_callback(lambda done: self._done(number, request, done))

    def retry(self) -> None:
        """Submit again the newest save of every image whose last attempt failed."""
        with self._lock:
            again = [self._newest[key][1] for key in self._failed if key in self._newest]
        for request in again:
            self.submit(request)
        if not again:
            self._retry.stop()

    def wait(self) -> None:
        """Block until every save submitted so far has succeeded or failed."""
        with self._lock:
            futures = list(self._futures)
        wait(futures)

    def _done(self, number: int, request: SaveRequest, future: Future) -> None:
        """On the saver thread."""
        error = future.exception()
        with self._lock:
            self._futures.discard(future)
            newest = self._newest.get(request.key)
            is_newest = newest is not None and newest[0] == number
            if error is None and is_newest:
                del self._newest[request.key]
            elif error is not None and is_newest:
                self._failed[request.key] = error_message(error)
        if error is None:
            self.saved.emit(request.key)
        elif is_newest:
            self.failed.emit(request.key, error_message(error))
            self._failure_noted.emit()

    # -- what is not on disk --------------------------------------------------------------
    def pending_status(self, key: str) -> ImageStatus | None:
        """The status the newest unsaved save of ``key`` writes (None when all is saved)."""
        with self._lock:
            newest = self._newest.get(key)
        return newest[1].status if newest is not None else None

    def pending_statuses(self, project: Project) -> dict[str, ImageStatus]:
        """``{image key: status}`` the unsaved saves of ``project`` write (few: the saves
        in flight or failed)."""
        with self._lock:
            return {key: request.status for key, (_n, request) in self._newest.items()
                    if request.project is project}

    def failures(self) -> dict[str, str]:
        """``{image key: why}`` for the images whose newest save failed."""
        with self._lock:
            return dict(self._failed)

    def discard(self, project: Project | None = None) -> list[str]:
        """Forget the failed saves (of ``project``, or all); returns their image keys."""
        with self._lock:
            keys = [key for key in self._failed
                    if project is None or self._newest[key][1].project is project]
            for key in keys:
                del self._failed[key]
                del self._newest[key]
        if not self._failed:
            self._retry.stop()
        return keys

    def shutdown(self) -> None:
        self._retry.stop()
        self._executor.shutdown(wait=True)
