"""A small plot of a training run: the loss per step and the validation PQ, drawn with
QPainter (no plotting library in the window)."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

LOSS_COLOR = QColor(33, 113, 181)
PQ_COLOR = QColor(230, 85, 13)
MARGIN = (44, 12, 44, 24)
"""Left, top, right, bottom: room for the axis labels."""


class TrainingPlot(QWidget):
    """Loss (left axis, from 0 to its largest value) and PQ (right axis, 0-100) against
    the step (0 to the run's last step)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.losses: list[tuple[int, float]] = []
        self.pq: list[tuple[int, float]] = []
        self.total_steps = 1
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 160)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(520, 220)

    def clear(self, total_steps: int = 1) -> None:
        self.losses, self.pq = [], []
        self.total_steps = max(1, total_steps)
        self.update()

    def add_loss(self, step: int, loss: float) -> None:
        if math.isfinite(loss):
            self.losses.append((step, loss))
            self.update()

    def add_pq(self, step: int, pq: float) -> None:
        self.pq.append((step, pq))
        self.update()

    # -- drawing --------------------------------------------------------------------------
    def _area(self) -> QRectF:
        left, top, right, bottom = MARGIN
        return QRectF(left, top, max(1, self.width() - left - right),
                      max(1, self.height() - top - bottom))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = self._area()
        text = self.palette().color(self.foregroundRole())
        painter.setPen(QPen(text, 1))
        painter.drawRect(area)
        top_loss = max((loss for _step, loss in self.losses), default=1.0) or 1.0
        self._labels(painter, area, top_loss)
        self._curve(painter, area, self.losses, top_loss, LOSS_COLOR, points=False)
        self._curve(painter, area, [(s, 100 * q) for s, q in self.pq], 100.0, PQ_COLOR,
                    points=True)
        painter.end()

    def _position(self, area: QRectF, step: int, value: float, top: float) -> QPointF:
        x = area.left() + area.width() * min(1.0, step / self.total_steps)
        y = area.bottom() - area.height() * min(1.0, max(0.0, value / top))
        return QPointF(x, y)

    def _curve(self, painter: QPainter, area: QRectF, values: list[tuple[int, float]],
               top: float, color: QColor, points: bool) -> None:
        if not values:
            return
        path = QPainterPath(self._position(area, *values[0], top))
        for step, value in values[1:]:
            path.lineTo(self._position(area, step, value, top))
        painter.setPen(QPen(color, 2 if points else 1.5))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
        if points:
            painter.setBrush(color)
            for step, value in values:
                painter.drawEllipse(self._position(area, step, value, top), 3, 3)

    def _labels(self, painter: QPainter, area: QRectF, top_loss: float) -> None:
        metrics = painter.fontMetrics()
        height = metrics.height()
        painter.setPen(LOSS_COLOR)
        painter.drawText(QRectF(0, area.top() - 2, MARGIN[0] - 4, height),
                         Qt.AlignmentFlag.AlignRight, f"{top_loss:.3g}")
        painter.drawText(QRectF(0, area.bottom() - height, MARGIN[0] - 4, height),
                         Qt.AlignmentFlag.AlignRight, "0")
        painter.drawText(QRectF(0, area.center().y() - height / 2, MARGIN[0] - 4, height),
                         Qt.AlignmentFlag.AlignRight, "loss")
        painter.setPen(PQ_COLOR)
        right = area.right() + 4
        painter.drawText(QRectF(right, area.top() - 2, MARGIN[2], height),
                         Qt.AlignmentFlag.AlignLeft, "100")
        painter.drawText(QRectF(right, area.bottom() - height, MARGIN[2], height),
                         Qt.AlignmentFlag.AlignLeft, "0")
        painter.drawText(QRectF(right, area.center().y() - height / 2, MARGIN[2], height),
                         Qt.AlignmentFlag.AlignLeft, "PQ")
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(QRectF(area.left(), area.bottom() + 2, area.width(), height),
                         Qt.AlignmentFlag.AlignCenter, f"step (of {self.total_steps})")
