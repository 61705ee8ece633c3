"""The status bar: messages, what is under the pointer, the model, background progress."""

from __future__ import annotations

import qtawesome as qta
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QToolButton, QWidget

MESSAGE_MS = 8000


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hover = QLabel()
        self.model = QLabel("model: not loaded")
        self.model.setToolTip("The model runs on its own thread, loaded on first use")
        self.stage = QLabel()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setFormat("pre-segmenting %v/%m")
        self.cancel = QToolButton(icon=qta.icon("mdi6.stop-circle-outline"),
                                  toolTip="Cancel background pre-segmentation")
        self.addWidget(self.hover, 1)
        self.addPermanentWidget(self.stage)
        self.addPermanentWidget(self.progress)
        self.addPermanentWidget(self.cancel)
        self.addPermanentWidget(self.model)
        self.set_background(0, 0)

    def message(self, text: str) -> None:
        self.showMessage(text, MESSAGE_MS)

    def error(self, text: str) -> None:
        self.showMessage(f"⚠ {text}", 2 * MESSAGE_MS)

    def set_stage(self, text: str) -> None:
        """What the model is doing for the image in view; empty when idle."""
        self.stage.setText(text)

    def set_background(self, done: int, total: int) -> None:
        running = total > 0
        self.progress.setVisible(running)
        self.cancel.setVisible(running)
        if running:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
