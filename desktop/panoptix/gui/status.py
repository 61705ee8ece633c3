"""The status bar: messages, what is under the pointer, work the user waits for (loading
an image, refining an edge), the model, background progress."""

from __future__ import annotations

import qtawesome as qta
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QToolButton, QWidget

MESSAGE_MS = 8000
BUSY_DELAY_MS = 150
"""Work that ends sooner (a small image loading) shows no busy indicator, so stepping
through small images does not make the status bar flicker."""


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hover = QLabel()
        self.model = QLabel("model: not loaded")
        self.model.setToolTip("The model runs on its own thread, loaded on first use")
        self.stage = QLabel()
        self.busy = QLabel()
        self.busy_bar = QProgressBar(maximumWidth=60, maximumHeight=12, textVisible=False)
        self.busy_bar.setRange(0, 0)  # indeterminate: moves while the work runs
        self._busy: dict[str, str] = {}
        self._show_busy = QTimer(self, singleShot=True, interval=BUSY_DELAY_MS)
        self._show_busy.timeout.connect(self._update_busy)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setFormat("pre-segmenting %v/%m")
        self.cancel = QToolButton(icon=qta.icon("mdi6.stop-circle-outline"),
                                  toolTip="Cancel background pre-segmentation")
        self.addWidget(self.hover, 1)
        self.addPermanentWidget(self.busy_bar)
        self.addPermanentWidget(self.busy)
        self.addPermanentWidget(self.stage)
        self.addPermanentWidget(self.progress)
        self.addPermanentWidget(self.cancel)
        self.addPermanentWidget(self.model)
        self.set_background(0, 0)
        self._update_busy()

    def message(self, text: str) -> None:
        self.showMessage(text, MESSAGE_MS)

    def error(self, text: str) -> None:
        self.showMessage(f"⚠ {text}", 2 * MESSAGE_MS)

    def set_stage(self, text: str) -> None:
        """What the model is doing for the image in view; empty when idle."""
        self.stage.setText(text)

    def set_busy(self, task: str, text: str) -> None:
        """Show that ``task`` runs (``text``, e.g. "Loading a.jpg…"), or that it ended
        (empty ``text``). Several tasks may run at once; each shows until it ends."""
        if text:
            self._busy[task] = text
        else:
            self._busy.pop(task, None)
        self.busy.setText("  ·  ".join(self._busy.values()))
        if not self._busy:
            self._show_busy.stop()
            self._update_busy()
        elif self.busy.isHidden() and not self._show_busy.isActive():
            self._show_busy.start()

    def _update_busy(self) -> None:
        running = bool(self._busy)
        self.busy.setVisible(running)
        self.busy_bar.setVisible(running)

    def set_background(self, done: int, total: int) -> None:
        running = total > 0
        self.progress.setVisible(running)
        self.cancel.setVisible(running)
        if running:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
