"""The status bar: messages, what is under the pointer, work the user waits for (loading
an image, refining an edge), the model, background progress.

Messages and the pointer read-out have places of their own: a message (which clears
itself after a while) never hides what is under the pointer, and moving the pointer
never wipes a message. Background pre-segmentation shows as a line of text ("Pre-
segmenting 2 of 5 images") beside a small bar, so no style can clip or wrap it. No text
widens the window: what does not fit ends in "…" and a click on it shows it whole.
"""

from __future__ import annotations

import qtawesome as qta
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QProgressBar, QSizePolicy, QStatusBar, QToolButton, QWidget

from panoptix.core.messages import plural
from panoptix.gui.panels.elided_label import ElidedLabel

MESSAGE_MS = 8000
BUSY_DELAY_MS = 150
"""Work that ends sooner (a small image loading) shows no busy indicator, so stepping
through small images does not make the status bar flicker."""
SIDE_CHARS = 32
"""The most room the stage, busy and model read-outs ask for, in characters."""
MAX_WIDTH = 16_777_215
"""Qt's QWIDGETSIZE_MAX: no maximum width."""
MESSAGE_CHARS = 30
"""The least room a message keeps, in characters, however much the read-outs want."""
HOVER_SAMPLE = "(4000, 3000)  #1234 building-other-merged  score 0.00  area 12,000,000 px"
"""The longest pointer read-out the bar keeps room for, so it does not jump about."""
HOVER_CHARS = 20
"""The least room the pointer read-out keeps, in characters, on a narrow window (a laptop
at 2x has 683 logical pixels for the message, the pointer and every read-out)."""


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = ElidedLabel()
        self.text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.text.setMinimumWidth(self.text.fontMetrics().averageCharWidth() * MESSAGE_CHARS)
        self.hover = ElidedLabel(least_chars=HOVER_CHARS,
                                 room=HOVER_SAMPLE[:len(HOVER_SAMPLE) // 2])
        self.hover.setToolTip("What is under the pointer")
        self.model = ElidedLabel("model: not loaded", max_chars=SIDE_CHARS)
        self.model.setToolTip("The model runs on its own thread, loaded on first use")
        self.stage = ElidedLabel(max_chars=SIDE_CHARS)
        self.busy = ElidedLabel(max_chars=SIDE_CHARS)
        self.busy_bar = QProgressBar(maximumWidth=40, maximumHeight=12, textVisible=False)
        self.busy_bar.setRange(0, 0)  # indeterminate: moves while the work runs
        self._busy: dict[str, str] = {}
        self._show_busy = QTimer(self, singleShot=True, interval=BUSY_DELAY_MS)
        self._show_busy.timeout.connect(self._update_busy)
        self._clear = QTimer(self, singleShot=True)
        self._clear.timeout.connect(self.text.clear)
        self.progress_text = ElidedLabel()
        self.progress = QProgressBar(textVisible=False)
        self.progress.setFixedWidth(60)
        self.progress.setMaximumHeight(self.fontMetrics().height())
        self.cancel = QToolButton(icon=qta.icon("mdi6.stop-circle-outline"),
                                  toolTip="Cancel background pre-segmentation")
        self.addWidget(self.text, 1)
        self.addPermanentWidget(self.hover)
        self.addPermanentWidget(self.busy_bar)
        self.addPermanentWidget(self.busy)
        self.addPermanentWidget(self.stage)
        self.addPermanentWidget(self.progress_text)
        self.addPermanentWidget(self.progress)
        self.addPermanentWidget(self.cancel)
        self.addPermanentWidget(self.model)
        self.set_background(0, 0)
        self._update_busy()

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() in (QEvent.Type.LayoutRequest, QEvent.Type.Resize):
            self._give_way()
        return handled

    def _give_way(self) -> None:
        """When the read-outs do not all fit (a narrow window), the model, stage and busy
        read-outs are cut before the pointer, and the pointer before the background
        progress: each gets what it asks for, in that order, from the room left above
        everyone's least width (the least width itself never grows with the window)."""
        spare = self.width() - self.minimumSizeHint().width()
        for label in (self.progress_text, self.hover, self.busy, self.stage, self.model):
            least = label.minimumSizeHint().width()
            give = min(max(spare, 0), label.sizeHint().width() - least) \
                if label.isVisibleTo(self) else 0
            widest = least + give if give < label.sizeHint().width() - least else MAX_WIDTH
            if label.maximumWidth() != widest:
                label.setMaximumWidth(widest)
            spare -= give

    def message(self, text: str) -> None:
        self._show(text, MESSAGE_MS)

    def error(self, text: str, stay: bool = False) -> None:
        """An error, shown for a while; with ``stay``, until the next message (one that
        asks for an action the user has not taken yet)."""
        self._show(f"⚠ {text}", None if stay else 2 * MESSAGE_MS)

    def _show(self, text: str, ms: int | None) -> None:
        self.text.setText(text)
        self.text.setToolTip(text)  # in full, should the bar be too narrow
        if ms is None:
            self._clear.stop()
        else:
            self._clear.start(ms)
        self.messageChanged.emit(text)  # as showMessage would; listeners keep working

    def currentMessage(self) -> str:  # noqa: N802 - QStatusBar's own name
        """The message shown (a menu's status tip while it shows one)."""
        return super().currentMessage() or self.text.text()

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
        """Images of the folder pre-segmented so far, of ``total``; (0, 0) hides it."""
        running = total > 0
        for widget in (self.progress_text, self.progress, self.cancel):
            widget.setVisible(running)
        if running:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            self.progress_text.setText(f"Pre-segmenting: {done} of {plural(total, 'image')}")
