"""Debounced autosave of one open document.

Every change signal pushes the save ``delay_s`` further out; the save happens once the
user pauses. A killed process therefore loses at most the last ``delay_s`` of work, and
the atomic store guarantees it never leaves a broken file.

The timer is injectable. The default, a daemon ``threading.Timer``, saves on the timer's
thread, which is right when nothing edits the document meanwhile (scripts, tests). A GUI
passes ``timer_factory`` making a single-shot timer on its own thread (``QTimer``), so
the snapshot is taken between edits, never during one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from panoptix.core.atomic import StoreError
from panoptix.core.document import Document
from panoptix.core.project import Project

_log = logging.getLogger(__name__)


class Timer(Protocol):
    def start(self) -> None: ...
    def cancel(self) -> None: ...


TimerFactory = Callable[[float, Callable[[], None]], Timer]


def thread_timer(delay_s: float, callback: Callable[[], None]) -> Timer:
    timer = threading.Timer(delay_s, callback)
    timer.daemon = True
    return timer


class Autosaver:
    """Saves ``doc`` as ``key`` of ``project`` ``delay_s`` after the last change.

    Call :meth:`flush` before switching images or quitting; :meth:`close` also stops
    listening. Errors of background saves go to ``on_error`` (default: logged) and the
    changes stay pending, so the next save tries again.
    """

    def __init__(self, project: Project, key: str, doc: Document, delay_s: float = 2.0, *,
                 timer_factory: TimerFactory = thread_timer,
                 clock: Callable[[], float] = time.monotonic,
                 on_error: Callable[[StoreError], None] | None = None) -> None:
        self.project = project
        self.key = key
        self.doc = doc
        self.delay_s = delay_s
        self._timer_factory = timer_factory
        self._clock = clock
        self._on_error = on_error or (lambda exc: _log.error("autosave failed: %s", exc))
        self._lock = threading.Lock()
        self._save_lock = threading.Lock()
        self._timer: Timer | None = None
        self._due = 0.0
        self._changes = 0
        self._saved = 0
        for signal in self._signals:
            signal.connect(self._on_change)

    @property
    def pending(self) -> bool:
        """Whether there are changes not yet saved."""
        return self._changes != self._saved

    def flush(self) -> bool:
        """Save now if anything is pending; True if it saved. Raises StoreError."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        return self._save()

    def close(self) -> None:
        """Flush and stop listening. If the flush fails, it raises and keeps listening."""
        self.flush()
        for signal in self._signals:
            signal.disconnect(self._on_change)

    @property
    def _signals(self) -> tuple:
        return self.doc.map_changed, self.doc.segments_changed, self.doc.history_changed

    def _on_change(self) -> None:
        with self._lock:
            self._changes += 1
            self._due = self._clock() + self.delay_s
            if self._timer is None:
                self._start_timer(self.delay_s)

    def _start_timer(self, delay_s: float) -> None:
        self._timer = self._timer_factory(delay_s, self._on_timer)
        self._timer.start()

    def _on_timer(self) -> None:
        with self._lock:
            self._timer = None
            remaining = self._due - self._clock()
            if remaining > 0:  # changed since the timer started: wait for the pause
                self._start_timer(remaining)
                return
        try:
            self._save()
        except StoreError as exc:
            self._on_error(exc)

    def _save(self) -> bool:
        with self._save_lock:
            target = self._changes
            if target == self._saved:
                return False
            self.project.save_document(self.key, self.doc)
            self._saved = target
            return True
