"""The window's side of training: the dialog, using its model, and which model is in use.

Training runs in its own process (see :mod:`panoptix.gui.dialogs.train`); here the window
opens the dialog on the open project, makes a trained model the project's model when
asked, pre-segments again the images nobody edited (never an edited or done one: the
background jobs save only over NEW or PRESEGMENTED, and the image in view only while it
has no edits), and shows where the model in use came from.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from panoptix.core.project import ImageStatus
from panoptix.gui.dialogs.train import ImageCounts, TrainDialog
from panoptix.gui.features.demo_offer import demo_origin
from panoptix.gui.panels.status import StatusBar
from panoptix.gui.panels.threshold_panel import ThresholdPanel
from panoptix.gui.work.session import Session
from panoptix.gui.work.train_process import Command
from panoptix.inference.loading import is_local_spec
from panoptix.training.progress import train_command
from panoptix.training.record import describe

STOP_WAIT_MS = 15_000
"""On closing the window: how long a run may take to save its checkpoint and exit."""


class TrainingController(QObject):
    def __init__(self, session: Session, thresholds: ThresholdPanel, status: StatusBar,
                 dialog_parent: QWidget, command: Command = train_command) -> None:
        super().__init__(dialog_parent)
        self.session, self.thresholds, self.status = session, thresholds, status
        self.dialog_parent = dialog_parent
        self.command = command
        self.dialog: TrainDialog | None = None
        session.project_opened.connect(lambda _project: self.show_model_to_load())

    def counts(self) -> ImageCounts:
        session = self.session
        entries = session.project.images if session.project is not None else []
        statuses = [session.status(entry.key) for entry in entries]
        return ImageCounts(statuses.count(ImageStatus.DONE), statuses.count(ImageStatus.EDITED),
                           sum(s in (ImageStatus.NEW, ImageStatus.PRESEGMENTED)
                               for s in statuses))

    def show_dialog(self) -> None:
        session = self.session
        if self.dialog is not None and (self.dialog.running or self.dialog.isVisible()):
            self.dialog.show()
            self.dialog.raise_()
            self.dialog.activateWindow()
            return
        if session.project is None:
            self.status.error("open a project first: training learns from its "
                                     "images marked done")
            return
        session.flush()  # the training process reads the annotations from disk
        counts = self.counts()
        if counts.done == 0 and counts.edited == 0:
            self.status.error("no image is marked done yet: correct a few images, "
                                     "mark each done (Ctrl+Enter), then train")
            return
        self.dialog = TrainDialog(session.project.folder, session.settings.model, counts,
                                  self.dialog_parent, command=self.command)
        self.dialog.use_model.connect(self.use_model)
        self.dialog.show()

    def use_model(self, folder: str, presegment_again: bool) -> None:
        """Make ``folder`` the project's model; optionally pre-segment again every image
        that nobody edited, the one in view first."""
        session = self.session
        settings = session.settings.with_changes(model=folder, task=None)
        session.set_settings(settings)
        self.thresholds.show_settings(settings)
        self.status.message(f"the project now uses {Path(folder).name}")
        self.show_model_to_load()
        if not presegment_again:
            return
        session.rerun_with_new_model(redo_presegmented=True)

    def show_model_in_use(self, model: str, device: str) -> None:
        self._show_model(model, f"on {device}")

    def show_model_to_load(self) -> None:
        """The project's model before the worker has loaded it."""
        self._show_model(self.session.settings.model, "(loads when needed)")

    def show_session_model(self) -> None:
        """The session switched to another model for now (the demo model): its name, and
        the switches as the project has them or, unset, as that model advises."""
        self.thresholds.show_settings(self.session.settings)
        self.show_model_to_load()

    def _show_model(self, model: str, where: str) -> None:
        origin = demo_origin(model) or describe(model, is_local_spec(model))
        self.status.model.setText(f"model: {origin.text} {where}")
        self.status.model.setToolTip(origin.details)

    def shutdown(self) -> None:
        """Closing the window stops a run: it saves a checkpoint (Resume continues it)."""
        dialog = self.dialog
        if dialog is None or not dialog.running:
            return
        dialog.process.stop()
        process = dialog.process.process
        if process is not None and not process.waitForFinished(STOP_WAIT_MS):
            dialog.process.kill()
