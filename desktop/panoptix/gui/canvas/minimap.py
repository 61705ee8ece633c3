"""The overview: a thumbnail of the whole image with the part the canvas shows outlined.

It follows the canvas (scroll, zoom, resize); a click or a drag on it centres the canvas
there. The thumbnail is made once per image by striding and an area resize of the strided
copy, so even a 12 MP photo costs a few milliseconds.
"""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from panoptix.gui.canvas.canvas import Canvas

THUMBNAIL_SIDE = 320
VIEW_COLOR = QColor("#ff4081")


def thumbnail(rgb: np.ndarray, side: int = THUMBNAIL_SIDE) -> np.ndarray:
    """``rgb`` shrunk to fit ``side`` pixels, as a contiguous RGB array."""
    height, width = rgb.shape[:2]
    step = max(1, max(height, width) // (2 * side))
    strided = rgb[::step, ::step]
    scale = side / max(strided.shape[:2])
    if scale < 1:
        size = (max(1, round(strided.shape[1] * scale)), max(1, round(strided.shape[0] * scale)))
        strided = cv2.resize(strided, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(strided)


class Minimap(QWidget):
    def __init__(self, canvas: Canvas, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self._image = QImage()
        self._size = (0, 0)
        """(width, height) of the full image."""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(120, 90)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")
        canvas.horizontalScrollBar().valueChanged.connect(self.update)
        canvas.verticalScrollBar().valueChanged.connect(self.update)
        canvas.zoom_changed.connect(self.update)
        canvas.viewport().installEventFilter(self)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(220, 160)

    def set_image(self, rgb: np.ndarray | None) -> None:
        if rgb is None:
            self._image, self._size = QImage(), (0, 0)
        else:
            small = thumbnail(np.asarray(rgb, np.uint8))
            height, width = small.shape[:2]
            self._image = QImage(small.data, width, height, width * 3,
                                 QImage.Format.Format_RGB888).copy()
            self._size = (rgb.shape[1], rgb.shape[0])
        self.update()

    def image_rect(self) -> QRectF:
        """Where the thumbnail is drawn, centred and keeping its aspect."""
        width, height = self._size
        if not width or not height:
            return QRectF()
        scale = min(self.width() / width, self.height() / height)
        w, h = width * scale, height * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def visible_rect(self) -> QRectF:
        """The part of the image the canvas shows, in image pixels."""
        seen = self.canvas.mapToScene(self.canvas.viewport().rect()).boundingRect()
        return seen.intersected(QRectF(0, 0, *self._size))

    def to_image(self, point: QPointF) -> QPointF:
        target = self.image_rect()
        scale = self._size[0] / target.width()
        return QPointF((point.x() - target.x()) * scale, (point.y() - target.y()) * scale)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        target = self.image_rect()
        if self._image.isNull() or target.isEmpty():
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(target, self._image)
        seen = self.visible_rect()
        scale = target.width() / self._size[0]
        view = QRectF(target.x() + seen.x() * scale, target.y() + seen.y() * scale,
                      seen.width() * scale, seen.height() * scale)
        if view.width() < target.width() - 1 or view.height() < target.height() - 1:
            shade = QColor(0, 0, 0, 110)
            for part in _outside(target, view):
                painter.fillRect(part, shade)
        pen = QPen(VIEW_COLOR, 2)
        painter.setPen(pen)
        painter.drawRect(view.adjusted(1, 1, -1, -1))

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self._centre(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._centre(event)

    def _centre(self, event: QMouseEvent) -> None:
        if self._image.isNull() or event.buttons() != Qt.MouseButton.LeftButton:
            return
        self.canvas.centerOn(self.to_image(event.position()))
        self.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Resize:
            self.update()
        return False


def _outside(outer: QRectF, inner: QRectF) -> list[QRectF]:
    """The parts of ``outer`` around ``inner``: above, below, left and right of it."""
    inner = inner.intersected(outer)
    return [QRectF(outer.left(), outer.top(), outer.width(), inner.top() - outer.top()),
            QRectF(outer.left(), inner.bottom(), outer.width(), outer.bottom() - inner.bottom()),
            QRectF(outer.left(), inner.top(), inner.left() - outer.left(), inner.height()),
            QRectF(inner.right(), inner.top(), outer.right() - inner.right(), inner.height())]
