"""Offering the bundled demo model when the chosen model cannot be had (not cached, no
network): a button in the status bar that switches this session to it, and a message
that says plainly what it can and cannot segment."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QToolButton

from panoptix.gui.panels.status import StatusBar
from panoptix.gui.work.session import Session
from panoptix.gui.work.worker_client import WorkerClient
from panoptix.inference.demo_model import (
    DEMO_SCOPE,
    DEMO_SPEC,
    DEMO_TITLE,
    demo_folder,
    demo_title,
    is_demo,
    without_demo_offer,
)
from panoptix.training.record import ModelOrigin

BUTTON_TEXT = "Use the demo model"


class DemoOffer(QObject):
    switched = Signal()
    """The session now uses the demo model (before its images are segmented again)."""

    def __init__(self, session: Session, client: WorkerClient, status: StatusBar,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.status = session, status
        self.button = QToolButton(text=BUTTON_TEXT)
        self.button.setToolTip(f"Segment with the {DEMO_TITLE} until this project closes "
                               f"(the project keeps its own model): {DEMO_SCOPE}")
        self.button.setAutoRaise(False)
        self.button.hide()
        status.addPermanentWidget(self.button)
        self.button.clicked.connect(self.accept)
        client.model_unavailable.connect(self.offer)
        session.project_opened.connect(lambda _project: self.button.hide())

    def offer(self, model: str, message: str) -> None:
        """``model`` could not be had: show the button and say why, and what the demo model
        is; not when it was the demo model, nor for a job queued before the session left
        that model, nor when the demo model is not installed."""
        if is_demo(model) or model != self.session.settings.model \
                or not (demo_folder() / "config.json").is_file():
            return
        self.button.show()
        self.status.model.setText("model: unavailable (see the message)")
        self.status.error(f"model: {without_demo_offer(message)}; or click "
                                 f"“{BUTTON_TEXT}” (bottom right): {DEMO_SCOPE}", stay=True)

    def accept(self) -> None:
        """Use the demo model until the project closes: segment the image in view if it
        has nothing yet, and queue the other new images."""
        self.button.hide()
        session = self.session
        if session.project is None:
            return
        session.use_model_for_now(DEMO_SPEC)
        self.switched.emit()
        session.rerun_with_new_model()
        self.status.message(f"using the {DEMO_TITLE} until this project closes: "
                                   f"{DEMO_SCOPE}")


def demo_origin(spec: str) -> ModelOrigin | None:
    """Where the demo model comes from, for the status bar; None for any other model."""
    title = demo_title(spec)
    if title is None:
        return None
    return ModelOrigin("bundled", title, f"{DEMO_TITLE}, bundled with Panoptix "
                                         f"({demo_folder()}): {DEMO_SCOPE}")
