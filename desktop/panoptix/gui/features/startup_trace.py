"""Timing the start, for ``bench/bench_first_run.py``: with ``PANOPTIX_STARTUP_TRACE=1``
the window writes one line on stderr at each milestone, in seconds since the process
started (``panoptix startup: 2.41 window shown``): the window shown, the image shown, the
model ready, the image's segments shown (painted: the line is written from the event loop
after the canvas was asked to repaint)."""

from __future__ import annotations

import os
import sys
import time

from PySide6.QtCore import QObject, QTimer

from panoptix.core.document import Document
from panoptix.gui.work.session import Session
from panoptix.gui.work.worker_client import WorkerClient

ENV = "PANOPTIX_STARTUP_TRACE"
PREFIX = "panoptix startup:"
_IMPORTED = time.monotonic()


def since_start() -> float:
    """Seconds since this process started (from /proc on Linux; elsewhere since this
    module was imported)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat, \
                open("/proc/uptime", encoding="ascii") as uptime:
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
            return float(uptime.read().split()[0]) - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _IMPORTED


def mark(milestone: str) -> None:
    print(f"{PREFIX} {since_start():.2f} {milestone}", file=sys.stderr, flush=True)


class StartupTrace(QObject):
    """Writes the milestones of one start, each once."""

    def __init__(self, session: Session, client: WorkerClient, parent: QObject) -> None:
        super().__init__(parent)
        self._done: set[str] = set()
        QTimer.singleShot(0, lambda: self._once("window shown"))
        session.image_opened.connect(
            lambda _key, _image, document: self._shown(document))
        session.document_replaced.connect(self._shown)
        client.model_ready.connect(lambda *_: self._once("model ready"))

    def _once(self, milestone: str) -> None:
        if milestone not in self._done:
            self._done.add(milestone)
            mark(milestone)

    def _shown(self, document: Document | None) -> None:
        self._once("image shown")
        if document is not None and document.segments:
            QTimer.singleShot(0, lambda: self._once("segments shown"))


def wanted() -> bool:
    return os.environ.get(ENV, "") not in ("", "0")
