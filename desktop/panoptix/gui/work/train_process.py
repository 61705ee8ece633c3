"""``panoptix train`` in a separate process, its JSON progress stream turned into signals.

Training never runs in the window's process: a crash or an out-of-memory kill there cannot
take the window (or the user's unsaved edits) down, and the window stays responsive.
Stopping writes ``stop`` to the process's stdin (works on every OS); the run then saves a
checkpoint at the end of its current step and exits, so it can be resumed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal

from panoptix.training.progress import read_event, train_command

Command = Callable[[list[str]], tuple[str, list[str]]]
"""``panoptix train`` options -> (program, arguments) to start."""
STDERR_LINES = 20


class TrainingProcess(QObject):
    started_run = Signal(dict)
    """The ``start`` event: steps, first_step, train, validation, device, name, folder."""
    step = Signal(dict)
    """A ``step`` event: step, loss, lr, seconds, eta_s."""
    evaluation = Signal(dict)
    """An ``eval`` event: step, pq, sq, rq, things, stuff."""
    checkpoint = Signal(int)
    notice = Signal(str)
    done = Signal(dict)
    """The model is written: model (its folder), best, steps."""
    stopped = Signal(int, str)
    """(step kept, run folder): stopped on request; ``--resume`` continues."""
    failed = Signal(str)
    """One line: the run's own error, or how the process ended."""

    def __init__(self, command: Command = train_command, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.command = command
        self.process: QProcess | None = None
        self._buffer = b""
        self._stderr: deque[str] = deque(maxlen=STDERR_LINES)
        self._ended = False

    @property
    def running(self) -> bool:
        return self.process is not None and \
            self.process.state() != QProcess.ProcessState.NotRunning

    def start(self, options: list[str]) -> None:
        if self.running:
            if not self._ended:
                raise RuntimeError("a training process is running already")
            self._wait_for_exit()  # it said its last word and is exiting
        program, arguments = self.command([*options, "--progress", "json"])
        process = QProcess(self)
        environment = QProcessEnvironment.systemEnvironment()
        environment.insert("PYTHONUNBUFFERED", "1")
        process.setProcessEnvironment(environment)
        process.readyReadStandardOutput.connect(lambda: self._read_stdout(process))
        process.readyReadStandardError.connect(lambda: self._read_stderr(process))
        process.finished.connect(lambda code, status: self._finished(process, code, status))
        process.errorOccurred.connect(lambda error: self._error(process, error))
        self.process, self._buffer, self._ended = process, b"", False
        self._stderr.clear()
        process.start(program, arguments)

    def _wait_for_exit(self) -> None:
        assert self.process is not None
        if not self.process.waitForFinished(10_000):
            self.process.kill()
            self.process.waitForFinished(5000)

    def stop(self) -> None:
        """Ask the run to stop after its current step (it keeps a checkpoint)."""
        if self.running:
            assert self.process is not None
            self.process.write(b"stop\n")

    def kill(self) -> None:
        """End the process at once (the last checkpoint stays; the current step is lost)."""
        if self.running:
            assert self.process is not None
            self.process.kill()
            self.process.waitForFinished(5000)

    # -- the stream -----------------------------------------------------------------------
    def _read_stdout(self, process: QProcess) -> None:
        if process is not self.process:
            return
        self._buffer += bytes(process.readAllStandardOutput().data())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            self._handle(line)

    def _read_stderr(self, process: QProcess) -> None:
        if process is not self.process:
            return
        text = bytes(process.readAllStandardError().data()).decode("utf-8", "replace")
        for line in text.replace("\r", "\n").splitlines():
            if line.strip():
                self._stderr.append(line.strip())

    def _handle(self, line: bytes) -> None:
        event = read_event(line)
        if event is None:
            return
        kind = event.pop("event")
        if kind == "start":
            self.started_run.emit(event)
        elif kind == "step":
            self.step.emit(event)
        elif kind == "eval":
            self.evaluation.emit(event)
        elif kind == "checkpoint":
            self.checkpoint.emit(int(event.get("step", 0)))
        elif kind == "notice":
            self.notice.emit(str(event.get("message", "")))
        elif kind == "done":
            self._ended = True
            self.done.emit(event)
        elif kind == "stopped":
            self._ended = True
            self.stopped.emit(int(event.get("step", 0)), str(event.get("folder", "")))
        elif kind == "error":
            self._ended = True
            self.failed.emit(str(event.get("message", "training failed")))

    def _finished(self, process: QProcess, exit_code: int,
                  status: QProcess.ExitStatus) -> None:
        if process is not self.process:
            return  # an earlier run that said its last word before exiting
        self._read_stdout(process)
        self._read_stderr(process)
        if self._buffer:
            self._handle(self._buffer)
            self._buffer = b""
        if self._ended:
            return
        self._ended = True
        last = self._stderr[-1] if self._stderr else ""
        how = ("was killed" if status == QProcess.ExitStatus.CrashExit
               else f"ended with exit code {exit_code}")
        self.failed.emit(f"the training process {how}" + (f": {last}" if last else ""))

    def _error(self, process: QProcess, error: QProcess.ProcessError) -> None:
        if process is self.process and error == QProcess.ProcessError.FailedToStart \
                and not self._ended:
            self._ended = True
            self.failed.emit("the training process could not be started")
