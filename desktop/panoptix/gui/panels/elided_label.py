"""A one-line label that never asks for more width than it is given: text that does not fit
ends in "…", and a click on it shows the whole text (as does its tooltip)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolTip, QWidget

MIN_CHARS = 3


class ElidedLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None,
                 max_chars: int | None = None, least_chars: int | None = None,
                 room: str = "") -> None:
        """``max_chars``: the most width it asks for, in characters of its font (None: its
        whole text); it takes less when the window has less, down to ``least_chars``
        characters (None: three dots). ``room``: a text it asks room for even when its
        own is shorter, so it does not jump about as the text changes."""
        super().__init__(text, parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.max_chars = max_chars
        self.least_chars = least_chars
        self.room = room

    def full_text(self) -> str:
        return self.text()

    def shown_text(self) -> str:
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight,
                                             self.contentsRect().width())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().sizeHint()
        hint.setWidth(max(hint.width(), self.fontMetrics().horizontalAdvance(self.room)))
        if self.max_chars is not None:
            cap = self.fontMetrics().averageCharWidth() * self.max_chars
            hint.setWidth(min(hint.width(), cap))
        return hint

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        metrics = self.fontMetrics()
        least = metrics.horizontalAdvance("…") * MIN_CHARS if self.least_chars is None \
            else metrics.averageCharWidth() * self.least_chars
        return QSize(min(least, self.sizeHint().width()), super().minimumSizeHint().height())

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(self.contentsRect(), int(self.alignment() | Qt.AlignmentFlag.AlignVCenter),
                         self.shown_text())

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        text = self.text()
        details = self.toolTip()
        if details and details != text:
            text = f"{text}\n{details}"
        if text:
            QToolTip.showText(event.globalPosition().toPoint(), text, self)
        super().mousePressEvent(event)
