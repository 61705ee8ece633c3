"""The vertex tool (Ctrl+J): edit a segment as polygons — its outer outlines and its holes.

Click a segment (or have one selected) to see its outline with a handle on every vertex:
simplified to what a person would draw at the zoom in use (``DETAIL_PX`` on screen between
outline and boundary; [ and ] ask for fewer or more vertices). Drag a handle to move it;
press on an edge to add a vertex there (and drag it); right-click or Alt+click a handle, or
hover it and press Delete, to remove it (a right click on a handle opens no menu). Each
change is written to the map when the mouse is released; Enter, another tool or another
segment ends the session as one undo step, Esc puts the segment back as it was. The
editing itself is ``core.vertex_edit``; this module draws handles and turns the mouse into
its calls.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from panoptix.core.outline import bounds
from panoptix.core.vertex_edit import VertexEdit
from panoptix.gui.canvas.canvas import PointerEvent
from panoptix.gui.tools.tools import Tool, ToolHost, register_tool, single_selected

HANDLE_PX = 7
DETAIL_PX = (8.0, 4.0, 2.0, 1.0, 0.5)
"""Tolerances offered, in screen pixels between the polygon and the segment's boundary."""
DEFAULT_DETAIL = 2
LEAST_EPSILON = 0.75
"""Image pixels: a closer outline has a vertex on nearly every boundary pixel."""
DETAIL_KEYS = {Qt.Key.Key_BracketLeft: -1, Qt.Key.Key_BracketRight: 1}
"""Handle size on screen; presses this close (in screen pixels) hit a vertex or an edge."""
OUTER_COLOR, HOLE_COLOR, HOVER_COLOR = QColor("#ffd400"), QColor("#00e5ff"), QColor("#ff4081")
FINISH_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
DELETE_KEYS = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
Hit = tuple[int, int]
"""(contour, vertex index)."""


class OutlineItem(QGraphicsItem):
    """Draws the polygons (outer yellow, holes cyan) and their vertex handles."""

    def __init__(self) -> None:
        super().__init__()
        self.edit: VertexEdit | None = None
        self.hover: Hit | None = None
        self._rect = QRectF()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)

    def show_edit(self, edit: VertexEdit | None) -> None:
        self.edit, self.hover = edit, None
        self.changed()

    def changed(self) -> None:
        box = bounds(self.edit.contours) if self.edit is not None else None
        rect = QRectF() if box is None else QRectF(box[1] - 2, box[0] - 2,
                                                    box[3] - box[1] + 4, box[2] - box[0] + 4)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._rect.adjusted(-64, -64, 64, 64)  # handles are drawn at screen size

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        if self.edit is None:
            return
        scale = max(painter.worldTransform().m11(), 1e-6)
        half = HANDLE_PX / 2 / scale
        exposed = option.exposedRect.adjusted(-half, -half, half, half)  # type: ignore[attr-defined]
        for index, contour in enumerate(self.edit.contours):
            color = HOLE_COLOR if contour.is_hole else OUTER_COLOR
            pen = QPen(color, 1.5)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            centres = contour.points + 0.5
            painter.drawPolygon(QPolygonF([QPointF(x, y) for x, y in centres]))
            painter.setBrush(QBrush(QColor(20, 20, 20, 200)))
            for vertex, (x, y) in enumerate(centres):
                if not exposed.contains(QPointF(x, y)):
                    continue
                hovered = self.hover == (index, vertex)
                if hovered:
                    painter.setBrush(QBrush(HOVER_COLOR))
                painter.drawRect(QRectF(x - half, y - half, 2 * half, 2 * half))
                if hovered:
                    painter.setBrush(QBrush(QColor(20, 20, 20, 200)))


@register_tool
class VertexTool(Tool):
    name = "vertices"
    text = "Edit &Vertices"
    icon = "mdi6.vector-polyline-edit"
    shortcut = "Ctrl+J"
    tip = ("Edit a segment's outline and holes as polygons: drag a vertex, press on an edge to "
           "add one, right-click or Alt+click to delete; [ and ] fewer or more vertices; "
           "Enter applies, Esc reverts")
    cursor = Qt.CursorShape.CrossCursor

    def __init__(self, host: ToolHost) -> None:
        super().__init__(host)
        self.edit: VertexEdit | None = None
        self._drag: Hit | None = None
        self._took_right_click = False
        self.detail = DEFAULT_DETAIL
        self.item = OutlineItem()
        host.canvas.add_item(self.item)

    # -- session ------------------------------------------------------------------------
    def activate(self) -> None:
        super().activate()
        doc = self.doc
        target = single_selected(doc) if doc is not None else None
        if target is not None:
            self.start(target)
        else:
            self.host.report("click a segment to edit its outline")

    def start(self, segment_id: int) -> bool:
        """Begin editing ``segment_id`` (ending any session in progress)."""
        self.finish()
        doc = self.doc
        if doc is None:
            return False
        edit = self.host.run(VertexEdit, doc, segment_id,
                             only_unlabeled=self.host.protect_labeled,
                             at_least=self.least_epsilon())
        if not isinstance(edit, VertexEdit):
            return False
        self.edit = edit
        doc.select([segment_id])
        self.item.show_edit(edit)
        holes = sum(c.is_hole for c in edit.contours)
        vertices = sum(len(c.points) for c in edit.contours)
        self.host.report(
            f"editing #{segment_id}: {vertices} vertices, {len(edit.contours) - holes} "
            f"outline(s), {holes} hole(s), within {edit.epsilon:.2g} px · [ ] fewer or "
            "more vertices · Enter applies, Esc reverts")
        return True

    def finish(self) -> None:
        """End the session; what was changed becomes one undo step."""
        edit, self.edit, self._drag = self.edit, None, None
        self.item.show_edit(None)
        if edit is not None and edit.changed:
            self.host.run(edit.finish)

    def cancel(self) -> None:
        edit, self.edit, self._drag = self.edit, None, None
        self.item.show_edit(None)
        if edit is not None:
            edit.cancel()
            self.host.report("outline put back as it was")

    def deactivate(self) -> None:
        self.finish()

    def least_epsilon(self) -> float:
        """The detail asked for, in image pixels at the zoom in use."""
        scale = max(self.host.canvas.scale_factor, 1e-6)
        return max(LEAST_EPSILON, DETAIL_PX[self.detail] / scale)

    def set_detail(self, detail: int) -> None:
        """Fewer (lower) or more vertices: the segment is traced again (a change made so
        far is applied first, as its own undo step)."""
        self.detail = min(max(detail, 0), len(DETAIL_PX) - 1)
        if self.edit is not None:
            self.start(self.edit.segment_id)

    def allows_context_menu(self) -> bool:
        took, self._took_right_click = self._took_right_click, False
        return not took

    # -- hit testing ------------------------------------------------------------------------
    def _tolerance(self) -> float:
        return HANDLE_PX / max(self.host.canvas.scale_factor, 1e-6)

    def vertex_at(self, x: float, y: float) -> Hit | None:
        """The vertex whose handle covers (x, y) in scene coordinates, nearest first."""
        if self.edit is None:
            return None
        best, best_distance = None, self._tolerance()
        for index, contour in enumerate(self.edit.contours):
            distance = np.abs(contour.points + 0.5 - (x, y)).max(axis=1)
            vertex = int(distance.argmin())
            if distance[vertex] <= best_distance:
                best, best_distance = (index, vertex), float(distance[vertex])
        return best

    def edge_at(self, x: float, y: float) -> Hit | None:
        """The edge (contour, index of its first vertex) passing within reach of (x, y)."""
        if self.edit is None:
            return None
        best, best_distance = None, self._tolerance()
        point = np.array([x, y])
        for index, contour in enumerate(self.edit.contours):
            a = contour.points + 0.5
            b = np.roll(a, -1, axis=0)
            ab = b - a
            length = np.maximum((ab * ab).sum(axis=1), 1e-9)
            t = np.clip(((point - a) * ab).sum(axis=1) / length, 0, 1)
            distance = np.hypot(*(a + t[:, None] * ab - point).T)
            edge = int(distance.argmin())
            if distance[edge] <= best_distance:
                best, best_distance = (index, edge), float(distance[edge])
        return best

    # -- input ------------------------------------------------------------------------------
    def press(self, event: PointerEvent) -> None:
        doc = self.doc
        if doc is None:
            return
        vertex = self.vertex_at(event.x, event.y)
        alt = bool(event.modifiers & Qt.KeyboardModifier.AltModifier)
        if event.button == Qt.MouseButton.RightButton or (vertex is not None and alt):
            if vertex is not None:
                self._took_right_click = event.button == Qt.MouseButton.RightButton
                self._delete(vertex)
            return
        if event.button != Qt.MouseButton.LeftButton:
            return
        if vertex is not None:
            self._drag = vertex
            return
        edge = self.edge_at(event.x, event.y)
        if edge is not None and self.edit is not None:
            index = self.edit.insert_vertex(edge[0], edge[1], event.x - 0.5, event.y - 0.5)
            self._drag = (edge[0], index)
            self.item.changed()
            return
        segment_id = doc.segment_at(*event.pixel)
        if self.edit is not None and segment_id == self.edit.segment_id:
            return
        self.finish()
        if segment_id:
            self.start(segment_id)

    def move(self, event: PointerEvent) -> None:
        if self.edit is None:
            return
        if self._drag is not None:
            self.edit.move_vertex(*self._drag, event.x - 0.5, event.y - 0.5)
            self.item.hover = self._drag
            self.item.changed()
            return
        hover = self.vertex_at(event.x, event.y)
        if hover != self.item.hover:
            self.item.hover = hover
            self.item.update()

    def release(self, event: PointerEvent) -> None:
        if self._drag is not None and self.edit is not None:
            self._drag = None
            self.host.run(self.edit.apply)

    def _delete(self, vertex: Hit) -> None:
        if self.edit is None:
            return
        gone = self.edit.delete_vertex(*vertex)
        self.item.hover = None
        self.item.changed()
        self.host.run(self.edit.apply)
        if gone:
            self.host.report("polygon removed (fewer than three vertices)")

    def wants_key(self, event: QKeyEvent) -> bool:
        return self.edit is not None and (
            event.key() in (*FINISH_KEYS, Qt.Key.Key_Escape, *DETAIL_KEYS)
            or (event.key() in DELETE_KEYS and self.item.hover is not None))

    def key(self, event: QKeyEvent) -> bool:
        if self.edit is None:
            return False
        if event.key() in FINISH_KEYS:
            self.finish()
            self.host.report("outline applied")
        elif event.key() == Qt.Key.Key_Escape:
            self.cancel()
        elif event.key() in DELETE_KEYS and self.item.hover is not None:
            self._delete(self.item.hover)
        elif event.key() in DETAIL_KEYS:
            self.set_detail(self.detail + DETAIL_KEYS[Qt.Key(event.key())])
        else:
            return False
        return True
