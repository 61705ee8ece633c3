"""Waiting for slow work without freezing the window: the work runs on a thread while this
thread's event loop goes on painting and running timers (user input waits, so nothing can
start meanwhile that the result would race)."""

from __future__ import annotations

import gc
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TypeVar

from PySide6.QtCore import QEventLoop, QObject, Qt, Signal

_T = TypeVar("_T")


class _Done(QObject):
    done = Signal()


def wait_off_thread(executor: Executor, work: Callable[[], _T]) -> _T:
    """``work()`` run on ``executor``, returned (or raised) here once it ended."""
    loop, relay = QEventLoop(), _Done()
    relay.done.connect(loop.quit, Qt.ConnectionType.QueuedConnection)  # after exec starts
    future = executor.submit(work)
    future.add_done_callback(lambda _future: relay.done.emit())
    loop.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
    return future.result()


def built_frozen(build: Callable[[], _T]) -> _T:
    """``build()`` with Python's cycle collector paused, then every object alive frozen
    (:func:`gc.freeze`: left out of later collections). A full collection over a large
    project's entries (100,000 of them: about 50-200 ms) holds the interpreter lock, so on
    a loader thread it stalls the window as much as on the GUI thread. Call
    :func:`gc.unfreeze` once what was built is dropped, so that its cycles can be freed."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        result = build()
        gc.freeze()
        return result
    finally:
        if enabled:
            gc.enable()
