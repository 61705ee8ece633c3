"""Model ▸ Train on Done Images…: options, a live view of the run, and what to do after.

The run itself is a separate ``panoptix train`` process (:mod:`panoptix.gui.work.train_process`);
this dialog builds its options, shows its progress (bar, loss and PQ plot, ETA), stops it
(the checkpoint is kept; *Resume* continues), and once the model is written offers to
make it the project's model and to pre-segment again the images nobody edited.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from panoptix.gui.dialogs.train_plot import TrainingPlot
from panoptix.gui.work.train_process import Command, TrainingProcess
from panoptix.inference.registry import MODELS
from panoptix.inference.settings import DEVICES
from panoptix.training.progress import train_command
from panoptix.training.project_data import VALIDATION_SHARE, split_keys
from panoptix.training.run_folder import RUN, RunFolder

SCRATCH = "scratch:"
LENGTH_UNITS = ("epochs", "steps")



def held_out_summary(done: int, fraction: float = VALIDATION_SHARE) -> str:
    """The dialog's line on the images it trains on: how many ``panoptix train`` holds
    out for validation (its own rule, at its default share)."""
    if done == 0:
        return ("No image is marked done yet: train on the images edited but not marked "
                "done (tick it above), or mark a few done first (Ctrl+Enter).")
    _, validation = split_keys([str(n) for n in range(done)], fraction, seed=0)
    images = f"{done} image{'s are' if done != 1 else ' is'} marked done"
    if not validation:
        return (f"{images}: all train the model (5 or more are needed to hold some out, "
                "so there will be no validation PQ).")
    return (f"{images}; {len(validation)} of them {'are' if len(validation) > 1 else 'is'} "
            "held out to measure the model (validation PQ).")

@dataclass(frozen=True)
class ImageCounts:
    done: int
    edited: int
    """Edited by hand but not marked done."""
    unedited: int
    """New or only pre-segmented: what a new model may pre-segment again."""


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else \
        f"{rest // 60}:{rest % 60:02d}"


class TrainDialog(QDialog):
    use_model = Signal(str, bool)
    """(model folder, pre-segment the unedited images again)."""

    def __init__(self, project: Path, current_model: str, counts: ImageCounts,
                 parent: QWidget | None = None, command: Command = train_command) -> None:
        super().__init__(parent)
        self.setWindowTitle("Train on Done Images")
        self.project, self.counts = project, counts
        self.process = TrainingProcess(command, self)
        self.model_folder: str | None = None
        self.total_steps = 1
        self._build(current_model)
        self._connect()
        self._set_state("idle")

    # -- construction -----------------------------------------------------------------------
    def _build(self, current_model: str) -> None:
        self.base = QComboBox(editable=True)
        self.base.setMinimumContentsLength(36)
        self.base.addItem(f"The project's model ({current_model})", current_model)
        self.base.addItem("A new small model, from scratch", f"{SCRATCH}small")
        self.base.addItem("A new tiny model, from scratch (for trying things out)",
                          f"{SCRATCH}tiny")
        for info in MODELS:
            self.base.addItem(info.title, info.model_id)
        self.base.setCurrentIndex(0)
        browse = QPushButton("Folder…")
        browse.clicked.connect(self._browse)
        base_row = QHBoxLayout()
        base_row.addWidget(self.base, 1)
        base_row.addWidget(browse)
        self.length = QSpinBox(minimum=1, maximum=1_000_000, value=10)
        self.unit = QComboBox()
        self.unit.addItems(LENGTH_UNITS)
        length_row = QHBoxLayout()
        length_row.addWidget(self.length)
        length_row.addWidget(self.unit)
        length_row.addStretch(1)
        self.size = QSpinBox(minimum=0, maximum=2048, singleStep=32,
                             specialValueText="model default")
        self.size.setToolTip("Training crop side and inference shortest edge (pixels)")
        self.device = QComboBox(editable=True)
        self.device.addItems(DEVICES)
        self.name = QLineEdit(f"trained-{time.strftime('%Y%m%d-%H%M')}")
        self.name.setToolTip(f"The model goes to {RunFolder(self.project, '').models}/<name>")
        self.include_edited = QCheckBox(
            f"Also train on images edited but not marked done ({self.counts.edited})")
        form = QFormLayout()
        form.addRow("Start from", base_row)
        form.addRow("Train for", length_row)
        form.addRow("Input size", self.size)
        form.addRow("Device", self.device)
        form.addRow("Name", self.name)
        form.addRow("", self.include_edited)
        self.summary = QLabel(held_out_summary(self.counts.done))
        self.summary.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setFormat("step %v of %m")
        self.status = QLabel()
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setWordWrap(True)
        self.plot = TrainingPlot()
        self.error = QLabel()
        self.error.setStyleSheet("color: #d32f2f")
        self.error.setWordWrap(True)
        self.presegment_again = QCheckBox(
            f"Pre-segment again the {self.counts.unedited} images not edited by hand "
            "(edited and done images are kept)")
        self.presegment_again.setChecked(self.counts.unedited > 0)
        self.presegment_again.setEnabled(self.counts.unedited > 0)
        self.start_button = QPushButton("Start Training")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop after the current step; the checkpoint is kept")
        self.resume_button = QPushButton("Resume")
        self.use_button = QPushButton("Use the New Model")
        self.close_button = QPushButton("Close")
        buttons = QHBoxLayout()
        for button in (self.start_button, self.stop_button, self.resume_button,
                       self.use_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.presegment_again)
        layout.addLayout(buttons)
        self.options_widgets = (self.base, browse, self.length, self.unit, self.size,
                                self.device, self.name, self.include_edited)

    def _connect(self) -> None:
        p = self.process
        p.started_run.connect(self._started)
        p.step.connect(self._step)
        p.evaluation.connect(self._evaluation)
        p.notice.connect(lambda text: self.status.setText(text))
        p.done.connect(self._done)
        p.stopped.connect(self._stopped)
        p.failed.connect(self._failed)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.resume_button.clicked.connect(self.resume)
        self.use_button.clicked.connect(self._use)
        self.close_button.clicked.connect(self.close)
        self.include_edited.toggled.connect(lambda _on: self._update_start())

    def _update_start(self) -> None:
        """Start only with images to train on: done ones, or the edited ones included."""
        self.start_button.setEnabled(self.counts.done > 0 or self.include_edited.isChecked())

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Model folder to start from")
        if folder:
            self.base.setEditText(folder)

    # -- commands ---------------------------------------------------------------------------
    def options(self) -> list[str]:
        """The ``panoptix train`` options the fields stand for."""
        index = self.base.findText(self.base.currentText())
        spec = (self.base.itemData(index) if index >= 0 else None) or \
            self.base.currentText().strip()
        options = [str(self.project), "--name", self.name.text().strip()]
        if spec.startswith(SCRATCH):
            options += ["--from-scratch", spec[len(SCRATCH):]]
        else:
            options += ["--base", spec]
        options += [f"--{self.unit.currentText()}", str(self.length.value())]
        if self.size.value():
            options += ["--size", str(self.size.value())]
        options += ["--device", self.device.currentText().strip() or "auto"]
        if self.include_edited.isChecked():
            options.append("--include-edited")
        return options

    def start(self) -> None:
        self._run(self.options())

    def resume(self) -> None:
        self._run([str(self.project), "--name", self.name.text().strip(), "--resume",
                   "--device", self.device.currentText().strip() or "auto"])

    def stop(self) -> None:
        self.process.stop()
        self.stop_button.setEnabled(False)
        self.status.setText("Stopping after the current step…")

    def _run(self, options: list[str]) -> None:
        self.error.clear()
        self.model_folder = None
        self.status.setText("Starting (loading torch and the model)…")
        self.bar.setRange(0, 0)
        self._set_state("running")
        self.process.start(options)

    def _use(self) -> None:
        if self.model_folder is not None:
            self.use_model.emit(self.model_folder, self.presegment_again.isChecked())
            self.use_button.setEnabled(False)
            self.presegment_again.setEnabled(False)
            self.status.setText(f"The project now uses {Path(self.model_folder).name}.")

    # -- the run's events -------------------------------------------------------------------
    def _started(self, info: dict) -> None:
        self.total_steps = max(1, int(info.get("steps", 1)))
        first = int(info.get("first_step", 0))
        if first == 0:
            self.plot.clear(self.total_steps)
        else:
            self.plot.total_steps = self.total_steps
        self.bar.setRange(0, self.total_steps)
        self.bar.setValue(first)
        self.status.setText(f"Training on {info.get('train')} images, validating on "
                            f"{info.get('validation')}, on {info.get('device')}")

    def _step(self, event: dict) -> None:
        step = int(event.get("step", 0))
        loss = event.get("loss")
        self.bar.setValue(step)
        if isinstance(loss, int | float):
            self.plot.add_loss(step, float(loss))
        shown = f"{loss:.3f}" if isinstance(loss, int | float) else "not finite (skipped)"
        self.status.setText(f"Step {step} of {self.total_steps} · loss {shown} · "
                            f"lr {float(event.get('lr', 0)):.2e} · "
                            f"{format_eta(event.get('eta_s'))} left")

    def _evaluation(self, event: dict) -> None:
        self.plot.add_pq(int(event.get("step", 0)), float(event.get("pq", 0.0)))

    def _done(self, event: dict) -> None:
        self.model_folder = str(event.get("model"))
        best = event.get("best")
        quality = (f"validation PQ {100 * best['pq']:.1f} (step {best['step']})"
                   if isinstance(best, dict) else "no validation images")
        self.status.setText(f"Done: {quality}. Saved to {self.model_folder}")
        self._set_state("done")

    def _stopped(self, step: int, _folder: str) -> None:
        self.status.setText(f"Stopped at step {step}; the checkpoint is kept: Resume "
                            "continues from there.")
        self._set_state("stopped")

    def _failed(self, message: str) -> None:
        self.error.setText(message)
        self.status.setText("Training did not finish.")
        self._set_state("failed")

    def _set_state(self, state: str) -> None:
        """idle, running, done, stopped or failed: which controls are live."""
        running = state == "running"
        for widget in self.options_widgets:
            widget.setEnabled(not running)
        self.start_button.setVisible(state in ("idle", "failed", "done"))
        self.start_button.setText("Train Again" if state == "done" else "Start Training")
        self._update_start()
        if state == "done":  # a next run gets a folder of its own
            self.name.setText(f"trained-{time.strftime('%Y%m%d-%H%M%S')}")
        self.stop_button.setVisible(running)
        self.stop_button.setEnabled(running)
        self.resume_button.setVisible(state in ("stopped", "failed") and self._resumable())
        self.use_button.setVisible(state == "done")
        self.use_button.setEnabled(state == "done")
        self.presegment_again.setVisible(state == "done")
        if state != "running" and self.bar.maximum() == 0:
            self.bar.setRange(0, 1)

    def _resumable(self) -> bool:
        name = self.name.text().strip()
        return bool(name) and (RunFolder(self.project, name).partial / RUN).is_file()

    @property
    def running(self) -> bool:
        return self.process.running
