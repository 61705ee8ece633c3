"""The image canvas: a QGraphicsView with the photo, the segment overlay and tool previews.

The view only knows how to show things and turn mouse input into image coordinates; what a
click *does* is the current tool's business (see ``tools.py``). Pixel (col, row) covers the
scene square [col, col + 1) x [row, row + 1), and both images are drawn without smoothing,
so pixels stay exact at any zoom.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPixmap,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsScene, QGraphicsView, QWidget

from panoptix.core.document import Document
from panoptix.gui.overlay import OverlayItem, OverlayRenderer

MIN_SCALE, MAX_SCALE = 0.02, 64.0
WHEEL_STEP = 1.2


@dataclass(frozen=True)
class PointerEvent:
    """A mouse event in image coordinates, as tools see it."""

    x: float
    y: float
    button: Qt.MouseButton
    buttons: Qt.MouseButton
    modifiers: Qt.KeyboardModifier

    @property
    def pixel(self) -> tuple[int, int]:
        """The (x, y) of the pixel under the pointer."""
        return int(np.floor(self.x)), int(np.floor(self.y))

    @property
    def shift(self) -> bool:
        return bool(self.modifiers & Qt.KeyboardModifier.ShiftModifier)


class Canvas(QGraphicsView):
    """Zoom to cursor with the wheel, pan with the middle button or space + drag, fit."""

    pointer_pressed = Signal(object)
    pointer_moved = Signal(object)
    pointer_released = Signal(object)
    pointer_double_clicked = Signal(object)
    key_pressed = Signal(object)
    """A QKeyEvent the canvas did not use; the receiver calls ``accept()`` if it does."""
    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.renderer = OverlayRenderer()
        self._photo = QGraphicsPixmapItem()
        self._photo.setTransformationMode(Qt.TransformationMode.FastTransformation)
        self._photo.setShapeMode(QGraphicsPixmapItem.ShapeMode.BoundingRectShape)
        self.overlay = OverlayItem(self.renderer)
        self.overlay.setOpacity(0.55)
        self.scene().addItem(self._photo)
        self.scene().addItem(self.overlay)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._fitted = True
        self._space_held = False
        self._pan_from: QPointF | None = None
        self._doc: Document | None = None
        self.key_filter: Callable[[QKeyEvent], bool] | None = None
        """Keys for which it answers True reach the tool even when a shortcut (or Tab focus
        navigation) uses them."""
        self.wheel_filter: Callable[[float], bool] | None = None
        """Called with the wheel's steps (positive: away from the user) unless Ctrl is held;
        True means a tool used them, so the view does not zoom."""

    # -- content ----------------------------------------------------------------------
    @property
    def document(self) -> Document | None:
        return self._doc

    def set_image(self, rgb: np.ndarray | None) -> None:
        if rgb is None:
            self._photo.setPixmap(QPixmap())
            self.scene().setSceneRect(QRectF())
            return
        rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
        height, width = rgb.shape[:2]
        image = QImage(rgb.data, width, height, width * 3, QImage.Format.Format_RGB888)
        self._photo.setPixmap(QPixmap.fromImage(image))
        self.scene().setSceneRect(QRectF(0, 0, width, height))
        self.fit()

    def set_document(self, doc: Document | None) -> None:
        if self._doc is not None:
            self._doc.map_changed.disconnect(self._on_map_changed)
            self._doc.segments_changed.disconnect(self._on_segments_changed)
            self._doc.selection_changed.disconnect(self._on_selection_changed)
        self._doc = doc
        self._selection: frozenset[int] = doc.selection if doc is not None else frozenset()
        if doc is not None:
            doc.map_changed.connect(self._on_map_changed)
            doc.segments_changed.connect(self._on_segments_changed)
            doc.selection_changed.connect(self._on_selection_changed)
        self.renderer.set_document(doc)
        self.overlay.refresh()

    def redraw_overlay(self) -> None:
        """Recolour everything, e.g. after a category colour or a display toggle changed."""
        self.renderer.rebuild_lut()
        self.overlay.refresh(self.renderer.render())

    def _on_map_changed(self, box: tuple[int, int, int, int]) -> None:
        self.overlay.refresh(self.renderer.render(box))

    def _on_segments_changed(self, ids: frozenset[int]) -> None:
        self.renderer.rebuild_lut()
        box = self.renderer.boxes_of(ids)
        if box is not None:
            self.overlay.refresh(self.renderer.render(box))

    def _on_selection_changed(self, selection: frozenset[int]) -> None:
        changed = selection ^ self._selection
        self._selection = selection
        self.renderer.rebuild_lut()
        box = self.renderer.boxes_of(changed)
        if box is not None:
            self.overlay.refresh(self.renderer.render(box))

    # -- display ------------------------------------------------------------------------
    @property
    def scale_factor(self) -> float:
        return self.transform().m11()

    def set_overlay_opacity(self, opacity: float) -> None:
        self.overlay.setOpacity(max(0.0, min(1.0, opacity)))

    def set_overlay_visible(self, visible: bool) -> None:
        self.overlay.setVisible(visible)

    def fit(self) -> None:
        rect = self.sceneRect()
        if rect.isEmpty():
            return
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        self._fitted = True
        self.zoom_changed.emit(self.scale_factor)

    def zoom_by(self, factor: float) -> None:
        """Zoom by ``factor`` around the cursor (or the centre when it is outside)."""
        target = max(MIN_SCALE, min(MAX_SCALE, self.scale_factor * factor))
        factor = target / self.scale_factor
        if abs(factor - 1.0) < 1e-6:
            return
        self.scale(factor, factor)
        self._fitted = False
        self.zoom_changed.emit(self.scale_factor)

    def actual_pixels(self) -> None:
        self.zoom_by(1.0 / self.scale_factor)

    def reveal(self, box: tuple[int, int, int, int]) -> None:
        """Bring the image box (y0, x0, y1, x1) into view: centre on it, and zoom out if it
        does not fit."""
        y0, x0, y1, x1 = box
        rect = QRectF(x0, y0, x1 - x0, y1 - y0)
        visible = self.mapToScene(self.viewport().rect()).boundingRect()
        if rect.width() > visible.width() or rect.height() > visible.height():
            margin = 0.1 * max(rect.width(), rect.height())
            self.fitInView(rect.adjusted(-margin, -margin, margin, margin),
                           Qt.AspectRatioMode.KeepAspectRatio)
            self._fitted = False
            self.zoom_changed.emit(self.scale_factor)
        elif not visible.contains(rect):
            self.centerOn(rect.center())

    def zoom_to(self, box: tuple[int, int, int, int], margin: float = 0.15,
                max_scale: float = 16.0) -> None:
        """Fill the view with the image box (y0, x0, y1, x1) and a margin around it, never
        magnifying beyond ``max_scale`` (a speck stays recognisable)."""
        y0, x0, y1, x1 = box
        pad = margin * max(y1 - y0, x1 - x0) + 2
        rect = QRectF(x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad)
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.scale_factor > max_scale:
            self.scale(max_scale / self.scale_factor, max_scale / self.scale_factor)
        self.centerOn(rect.center())
        self._fitted = False
        self.zoom_changed.emit(self.scale_factor)

    def view_state(self) -> tuple[float, float, float]:
        """(scale, x, y): the zoom and the image point at the centre of the view."""
        centre = self.mapToScene(self.viewport().rect().center())
        return self.scale_factor, centre.x(), centre.y()

    def set_view(self, scale: float, x: float, y: float) -> None:
        """Show the image at ``scale`` centred on (x, y), as ``view_state`` gave them."""
        scale = max(MIN_SCALE, min(MAX_SCALE, scale))
        self.scale(scale / self.scale_factor, scale / self.scale_factor)
        self.centerOn(QPointF(x, y))
        self._fitted = False
        self.zoom_changed.emit(self.scale_factor)

    def add_item(self, item) -> None:  # noqa: ANN001 - any QGraphicsItem
        """Add a tool preview above the overlay."""
        item.setZValue(10)
        self.scene().addItem(item)

    # -- events -------------------------------------------------------------------------
    def _pointer(self, event: QMouseEvent) -> PointerEvent:
        point = self.mapToScene(event.position().toPoint())
        return PointerEvent(point.x(), point.y(), event.button(), event.buttons(),
                            event.modifiers())

    def _wants_pan(self, event: QMouseEvent) -> bool:
        return event.button() == Qt.MouseButton.MiddleButton or (
            self._space_held and event.button() == Qt.MouseButton.LeftButton)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        steps = event.angleDelta().y() / 120.0
        tool_may_use = not event.modifiers() & Qt.KeyboardModifier.ControlModifier
        if steps and not (tool_may_use and self.wheel_filter is not None
                          and self.wheel_filter(steps)):
            self.zoom_by(WHEEL_STEP ** steps)
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._wants_pan(event):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        self.pointer_pressed.emit(self._pointer(event))
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(
                self.horizontalScrollBar().value() - round(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - round(delta.y()))
            self._fitted = False
            return
        self.pointer_moved.emit(self._pointer(event))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().unsetCursor()
            return
        self.pointer_released.emit(self._pointer(event))

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self.pointer_double_clicked.emit(self._pointer(event))

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and self.key_filter is not None \
                and isinstance(event, QKeyEvent) and self.key_filter(event):
            event.accept()
            return True
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                and event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) \
                and self.key_filter is not None and self.key_filter(event):
            self.keyPressEvent(event)  # before QWidget moves the focus on
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        event.ignore()
        self.key_pressed.emit(event)
        if not event.isAccepted():
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = False
            self.viewport().unsetCursor()
            return
        super().keyReleaseEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self._fitted:
            self.fit()
