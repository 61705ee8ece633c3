"""How a training run reports progress, and how it is asked to stop.

``--progress bar`` (default): a tqdm bar on stderr with loss, learning rate and ETA;
notices and evaluations as lines above it. ``--progress json``: one JSON object per line
on stdout, for the window (and scripts), each with an ``event`` field:

* ``start``: ``steps``, ``first_step``, ``train``, ``validation``, ``device``, ``name``,
  ``folder`` (the partial run folder), ``labels``
* ``step``: ``step``, ``loss`` (null when not finite: the step was skipped), ``lr``,
  ``seconds`` (since start), ``eta_s``
* ``eval``: ``step``, ``pq``, ``sq``, ``rq``, ``things``, ``stuff``
* ``checkpoint``: ``step``
* ``notice``: ``message`` (an out-of-memory retry, a skipped image)
* ``done``: ``model`` (its folder), ``best`` ({``step``, ``pq``} or null), ``steps``
* ``stopped``: ``step`` (the checkpoint kept), ``folder``
* ``error``: ``message`` (also printed on stderr, as every failure is)

A run stops cleanly, saving a checkpoint at the end of the current step, on Ctrl-C,
SIGTERM, or a line ``stop`` on stdin (``--progress json`` only: what the window sends,
since a signal cannot be sent to a process on Windows).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager, suppress
from typing import Any, TextIO

from tqdm import tqdm


def train_command(options: list[str]) -> tuple[str, list[str]]:
    """``panoptix train OPTIONS`` of this very Panoptix, installed or frozen (PyInstaller),
    as (program, arguments): what the window and the effort study start."""
    if getattr(sys, "frozen", False):
        return sys.executable, ["train", *options]
    return sys.executable, ["-m", "panoptix.cli", "train", *options]


def read_event(line: str | bytes) -> dict | None:
    """One line of the ``--progress json`` stream as its event (a dict with ``event``), or
    None for a line that is not one (a library printing to stdout)."""
    try:
        event = json.loads(line)
    except ValueError:  # UnicodeDecodeError is one
        return None
    return event if isinstance(event, dict) and "event" in event else None


class StopFlag:
    """Set from a signal handler or the stdin reader; the loop looks at it between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()


@contextmanager
def stop_on_signals(flag: StopFlag, listen_stdin: bool):
    """Route Ctrl-C and SIGTERM (and ``stop`` on stdin) to ``flag`` while training runs.
    A second Ctrl-C interrupts at once (the last checkpoint stays)."""
    previous: dict[int, Any] = {}

    def handle(signum: int, _frame: Any) -> None:
        if flag.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        flag.set()

    in_main = threading.current_thread() is threading.main_thread()
    for name in ("SIGINT", "SIGTERM"):
        signum = getattr(signal, name, None)
        if signum is not None and in_main:
            previous[signum] = signal.signal(signum, handle)
    if listen_stdin:
        threading.Thread(target=_read_stdin, args=(flag,), daemon=True,
                         name="panoptix-train-stdin").start()
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _read_stdin(flag: StopFlag) -> None:
    try:
        for line in sys.stdin:
            if line.strip().lower() == "stop":
                flag.set()
                return
    except (OSError, ValueError):
        return


class Reporter:
    """The bar (``json=False``) or the JSON lines."""

    def __init__(self, json_lines: bool, stream: TextIO | None = None,
                 on_reader_gone: Callable[[], None] | None = None) -> None:
        self.json_lines = json_lines
        self.stream = stream or (sys.stdout if json_lines else sys.stderr)
        self._bar: tqdm | None = None
        self._started = time.perf_counter()
        self._on_reader_gone = on_reader_gone
        self.reader_gone = False
        """The pipe we write to broke (the window that started the run died)."""

    def start(self, **info: Any) -> None:
        self._started = time.perf_counter()
        if self.json_lines:
            self._emit("start", **info)
            return
        self._bar = tqdm(total=info["steps"], initial=info["first_step"], unit="step",
                         desc="training", dynamic_ncols=True, file=self.stream,
                         disable=None)
        self.say(f"{info['train']} training and {info['validation']} validation images, "
                 f"{info['steps']} steps on {info['device']}; run folder {info['folder']}")

    def step(self, step: int, loss: float | None, lr: float, eta_s: float | None) -> None:
        """``loss`` None: not finite (the step was skipped)."""
        if self.json_lines:
            self._emit("step", step=step, loss=loss, lr=lr,
                       seconds=round(time.perf_counter() - self._started, 3),
                       eta_s=None if eta_s is None else round(eta_s, 1))
        elif self._bar is not None:
            shown = "not finite" if loss is None else f"{loss:.3f}"
            self._bar.set_postfix(loss=shown, lr=f"{lr:.2e}", refresh=False)
            self._bar.update(step - self._bar.n)

    def evaluation(self, record: dict[str, Any]) -> None:
        if self.json_lines:
            self._emit("eval", **record)
        else:
            self.say(f"step {record['step']}: validation PQ {100 * record['pq']:.1f} "
                     f"(SQ {100 * record['sq']:.1f}, RQ {100 * record['rq']:.1f}) on "
                     f"{record['images']} images")

    def checkpoint(self, step: int) -> None:
        if self.json_lines:
            self._emit("checkpoint", step=step)

    def notice(self, message: str) -> None:
        if self.json_lines:
            self._emit("notice", message=message)
        else:
            self.say(message)

    def finished(self, **info: Any) -> None:
        self.close()
        if self.json_lines:
            self._emit("done", **info)

    def stopped(self, step: int, folder: str) -> None:
        self.close()
        if self.json_lines:
            self._emit("stopped", step=step, folder=folder)

    def error(self, message: str) -> None:
        self.close()
        if self.json_lines:
            self._emit("error", message=message)

    def say(self, message: str) -> None:
        if not self.reader_gone:
            try:
                tqdm.write(f"panoptix train: {message}", file=sys.stderr)
            except (BrokenPipeError, ValueError):  # ValueError: the stream was closed
                self._reader_died()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def _emit(self, event: str, **fields: Any) -> None:
        if self.reader_gone:
            return
        try:
            self.stream.write(json.dumps({"event": event, **fields}, allow_nan=False) + "\n")
            self.stream.flush()
        except (BrokenPipeError, ValueError):
            self._reader_died()

    def _reader_died(self) -> None:
        """Nobody reads our output any more: write nowhere (so no later write or the exit's
        flush fails) and stop the run after its current step, which is then saved."""
        self.reader_gone = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        for stream in (sys.stdout, sys.stderr):
            with suppress(OSError, ValueError):
                os.dup2(devnull, stream.fileno())
        os.close(devnull)
        if self._on_reader_gone is not None:
            self._on_reader_gone()
