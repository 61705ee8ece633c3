"""The image canvas: a QGraphicsView with the photo, the segment overlay and tool previews.

The view only knows how to show things and turn mouse input into image coordinates; what a
click *does* is the current tool's business (see ``tools.py``). Pixel (col, row) covers the
scene square [col, col + 1) x [row, row + 1), and both images are drawn without smoothing,
so pixels stay exact at any zoom.

Zoom keeps the image point under the cursor where it is: the view is scrolled by hand
after each step (Qt's own anchor follows the last mouse position Qt saw, and cannot move
an image smaller than the view off centre). The scene rect reaches a view's size past
every image edge, so any image point can sit under the cursor at any zoom; there are no
scroll bars (pan with the middle button or space + drag).

Redraws follow what changed: a map change redraws its box; a segment-table change
recolours only the segments whose entry changed (a brush dab changes areas, not entries,
so a dab on a segment that covers the whole image redraws the dab's box and no more).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QCursor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPalette,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QWidget

from panoptix.core.document import Document
from panoptix.gui.canvas.overlay import OverlayItem, OverlayRenderer
from panoptix.gui.canvas.photo import DisplayPreparer, PhotoItem, make_photo

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
    context_requested = Signal(object, QPoint)
    """(PointerEvent, global position) of a right click or the menu key."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.renderer = OverlayRenderer()
        self.preparer = DisplayPreparer(lambda: self.renderer.style)
        """Give it to the thread that reads images (``Session.prepare_display``)."""
        self._photo = PhotoItem()
        self.overlay = OverlayItem(self.renderer)
        self.overlay.setOpacity(0.55)
        self.scene().addItem(self._photo)
        self.scene().addItem(self.overlay)
        self._image_rect = QRectF()
        self._zoom_anchor: tuple[QPointF, QPointF] | None = None
        """(view point, image point) the wheel zooms around while the pointer rests."""
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.empty_hint = ""
        """Drawn in the middle while no image is shown: how to get one."""
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
        """Show a photo (H x W x 3 ``uint8``), made ahead by ``preparer`` when it can be."""
        if rgb is None:
            self._photo.set_photo(None)
            self._image_rect = QRectF()
            self.scene().setSceneRect(QRectF())
            self.setSceneRect(QRectF())  # back to the scene's: empty
            return
        photo = self.preparer.photo_for(rgb) or make_photo(rgb)
        self._photo.set_photo(photo)
        height, width = rgb.shape[:2]
        self._image_rect = QRectF(0, 0, width, height)
        self.scene().setSceneRect(self._image_rect)
        self.fit()

    def set_empty_hint(self, text: str) -> None:
        self.empty_hint = text
        self.viewport().update()

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802 - Qt override
        super().drawForeground(painter, rect)
        if not self.empty_hint or not self._image_rect.isEmpty():
            return
        painter.save()
        painter.resetTransform()  # in the viewport's pixels, whatever the zoom
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(self.viewport().rect().adjusted(24, 24, -24, -24),
                         int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                         self.empty_hint)
        painter.restore()

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
        rendered = (self.preparer.overlay_for(doc, self.renderer.style)
                    if doc is not None else None)
        self.renderer.set_document(doc, rendered)
        self.overlay.refresh()

    def redraw_overlay(self) -> None:
        """Recolour everything, e.g. after a category colour or a display toggle changed."""
        self.renderer.rebuild_lut()
        self.overlay.refresh(self.renderer.render())

    def set_style(self, **changes: object) -> None:
        """Change view options of the overlay (``OverlayStyle`` fields) and redraw."""
        style = replace(self.renderer.style, **changes)
        if style != self.renderer.style:
            self.renderer.style = style
            self.redraw_overlay()

    def _on_map_changed(self, box: tuple[int, int, int, int]) -> None:
        self.overlay.refresh(self.renderer.render(box))

    def _on_segments_changed(self, ids: frozenset[int]) -> None:
        stale = self.renderer.stale_ids(ids)
        if not stale:
            return  # areas changed (a brush dab): the map change redrew its box already
        self.renderer.rebuild_lut()
        box = self.renderer.recolour(stale)
        if box is not None:
            self.overlay.refresh(box)

    def _on_selection_changed(self, selection: frozenset[int]) -> None:
        changed = selection ^ self._selection
        self._selection = selection
        self.renderer.rebuild_lut()
        box = self.renderer.recolour(changed)
        if box is not None:
            self.overlay.refresh(box)

    # -- display ------------------------------------------------------------------------
    @property
    def scale_factor(self) -> float:
        return self.transform().m11()

    def set_overlay_opacity(self, opacity: float) -> None:
        self.overlay.setOpacity(max(0.0, min(1.0, opacity)))

    def set_overlay_visible(self, visible: bool) -> None:
        self.overlay.setVisible(visible)

    @property
    def image_rect(self) -> QRectF:
        return QRectF(self._image_rect)

    def fit(self) -> None:
        rect = self._image_rect
        if rect.isEmpty():
            return
        self._zoom_anchor = None
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        self._update_scene_rect()
        self.centerOn(rect.center())
        self._fitted = True
        self.zoom_changed.emit(self.scale_factor)

    def zoom_by(self, factor: float, at: QPointF | None = None) -> None:
        """Zoom by ``factor`` keeping the image point under view point ``at`` (default: the
        cursor when it is over the view, else the view's centre) where it is."""
        target = max(MIN_SCALE, min(MAX_SCALE, self.scale_factor * factor))
        factor = target / self.scale_factor
        if abs(factor - 1.0) < 1e-6:
            return
        if at is None:
            cursor = QPointF(self.viewport().mapFromGlobal(QCursor.pos()))
            inside = QRectF(self.viewport().rect()).contains(cursor)
            at = cursor if inside else QRectF(self.viewport().rect()).center()
        anchor = self._zoom_anchor
        if anchor is None or anchor[0] != at:
            anchor = (QPointF(at), self.viewportTransform().inverted()[0].map(at))
        self.scale(factor, factor)
        self._update_scene_rect()
        self._put(anchor[1], anchor[0])
        self._zoom_anchor = anchor
        self._fitted = False
        self.zoom_changed.emit(self.scale_factor)

    def _put(self, scene_point: QPointF, view_point: QPointF) -> None:
        """Scroll so that ``scene_point`` shows at ``view_point`` (to the nearest pixel)."""
        offset = self.viewportTransform().map(scene_point) - view_point
        bars = self.horizontalScrollBar(), self.verticalScrollBar()
        for bar, delta in zip(bars, (offset.x(), offset.y()), strict=True):
            bar.setValue(bar.value() + round(delta))

    def _update_scene_rect(self) -> None:
        """The image with a view's size of room past each edge at the current zoom."""
        if self._image_rect.isEmpty():
            return
        scale = max(self.scale_factor, 1e-6)
        dx = self.viewport().width() / scale
        dy = self.viewport().height() / scale
        self.setSceneRect(self._image_rect.adjusted(-dx, -dy, dx, dy))

    def actual_pixels(self) -> None:
        self.zoom_by(1.0 / self.scale_factor)

    def reveal(self, box: tuple[int, int, int, int]) -> None:
        """Bring the image box (y0, x0, y1, x1) into view: centre on it, and zoom out if it
        does not fit."""
        y0, x0, y1, x1 = box
        rect = QRectF(x0, y0, x1 - x0, y1 - y0)
        visible = self.mapToScene(self.viewport().rect()).boundingRect()
        self._zoom_anchor = None
        if rect.width() > visible.width() or rect.height() > visible.height():
            margin = 0.1 * max(rect.width(), rect.height())
            self.fitInView(rect.adjusted(-margin, -margin, margin, margin),
                           Qt.AspectRatioMode.KeepAspectRatio)
            self._update_scene_rect()
            self.centerOn(rect.center())
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
        self._zoom_anchor = None
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.scale_factor > max_scale:
            self.scale(max_scale / self.scale_factor, max_scale / self.scale_factor)
        self._update_scene_rect()
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
        self._zoom_anchor = None
        self.scale(scale / self.scale_factor, scale / self.scale_factor)
        self._update_scene_rect()
        self.centerOn(QPointF(x, y))
        self._fitted = False
        self.zoom_changed.emit(self.scale_factor)

    def add_item(self, item) -> None:  # noqa: ANN001 - any QGraphicsItem
        """Add a tool preview above the overlay."""
        item.setZValue(10)
        self.scene().addItem(item)

    # -- events -------------------------------------------------------------------------
    def pointer_pixel(self) -> tuple[int, int] | None:
        """The image pixel under the mouse pointer now; None when it is off the canvas."""
        at = self.viewport().mapFromGlobal(QCursor.pos())
        if not self.viewport().rect().contains(at):
            return None
        point = self.scene_point(QPointF(at))
        return int(np.floor(point.x())), int(np.floor(point.y()))

    def scene_point(self, view_point: QPointF) -> QPointF:
        """The exact (sub-pixel) scene point at a view point."""
        return self.viewportTransform().inverted()[0].map(view_point)

    def pixel_under_cursor(self) -> tuple[int, int] | None:
        """The image pixel under the mouse pointer, or None when the pointer is not over
        the view (a key pressed with the pointer elsewhere)."""
        at = self.viewport().mapFromGlobal(QCursor.pos())
        if not self.viewport().rect().contains(at):
            return None
        point = self.scene_point(QPointF(at))
        return int(np.floor(point.x())), int(np.floor(point.y()))

    def _pointer(self, event: QMouseEvent) -> PointerEvent:
        point = self.scene_point(event.position())
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
            self.zoom_by(WHEEL_STEP ** steps, event.position())
        event.accept()

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt override
        point = self.scene_point(QPointF(self.viewport().mapFromGlobal(event.globalPos())))
        self.context_requested.emit(
            PointerEvent(point.x(), point.y(), Qt.MouseButton.RightButton,
                         Qt.MouseButton.NoButton, event.modifiers()), event.globalPos())
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
            self._zoom_anchor = None
            return
        if self._zoom_anchor is not None and self._zoom_anchor[0] != event.position():
            self._zoom_anchor = None
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
        self._zoom_anchor = None
        self._update_scene_rect()
        if self._fitted:
            self.fit()
