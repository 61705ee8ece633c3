"""Canvas tools: a small base class, a registry, and the editing tools built on ``core.edits``.

A tool receives pointer events in image coordinates and key presses from the canvas, and
reaches the document, the current category and the brush size through its host (the
``Editor``). New tools (e.g. ``proposal_tool.ProposalTool``) subclass :class:`Tool`,
decorate the class with :func:`register_tool`, and appear in the Tools menu and toolbar.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Protocol, TypeVar

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QKeyEvent, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsPathItem

from panoptix.core import edits
from panoptix.core.document import Document
from panoptix.gui.canvas.canvas import Canvas, PointerEvent

CLOSE_DISTANCE_PX = 8
"""A polygon closes when a click lands this many screen pixels from its first point."""


class ToolHost(Protocol):
    """What a tool may use; the ``Editor`` provides it."""

    canvas: Canvas
    brush_size: int
    protect_labeled: bool

    @property
    def document(self) -> Document | None: ...

    @property
    def category_id(self) -> int | None: ...

    def run(self, edit: Callable[..., object], *args: object, **kwargs: object) -> object:
        """Run an edit; an ``EditError`` becomes a status message and None is returned."""
        ...

    def report(self, message: str) -> None: ...


class Tool:
    """Base class: override the handlers you need. Coordinates are image pixels."""

    name: ClassVar[str] = ""
    text: ClassVar[str] = ""
    icon: ClassVar[str] = "mdi6.cursor-default"
    shortcut: ClassVar[str] = ""
    tip: ClassVar[str] = ""
    cursor: ClassVar[Qt.CursorShape] = Qt.CursorShape.CrossCursor
    protect_group: ClassVar[str] = ""
    """Tools naming a group keep their own "Protect Labeled Pixels" setting (the toolbar
    shows the current tool's); "" shares the editor's."""
    protect_default: ClassVar[bool] = False

    def __init__(self, host: ToolHost) -> None:
        self.host = host

    @property
    def doc(self) -> Document | None:
        return self.host.document

    def activate(self) -> None:
        self.host.canvas.viewport().setCursor(self.cursor)

    def deactivate(self) -> None:
        """Drop any half-finished work (a stroke in progress, an open polygon)."""

    def press(self, event: PointerEvent) -> None: ...

    def move(self, event: PointerEvent) -> None: ...

    def release(self, event: PointerEvent) -> None: ...

    def double_click(self, event: PointerEvent) -> None: ...

    def key(self, event: QKeyEvent) -> bool:
        """Handle a key; return True when it was used."""
        return False

    def wants_key(self, event: QKeyEvent) -> bool:
        """True to take ``event`` before a window shortcut on the same key (Esc, Backspace)
        or before Tab moves the focus."""
        return False

    def allows_context_menu(self) -> bool:
        """False when the right click that opens the canvas menu was this tool's own (e.g.
        deleting a vertex): then no menu, and the selection stays."""
        return True

    def wheel(self, steps: float) -> bool:
        """The mouse wheel turned ``steps`` notches (positive: away from the user); return
        True when used, else the view zooms."""
        return False

    def brush_size_changed(self) -> None:
        """The host's brush size changed."""


ToolT = TypeVar("ToolT", bound=type[Tool])
TOOLS: dict[str, type[Tool]] = {}
"""Registered tools by name, in menu order."""


def register_tool(cls: ToolT) -> ToolT:
    if not cls.name or cls.name in TOOLS:
        raise ValueError(f"tool {cls.__name__} needs a unique name, got {cls.name!r}")
    TOOLS[cls.name] = cls
    return cls


def single_selected(doc: Document) -> int | None:
    return next(iter(doc.selection)) if len(doc.selection) == 1 else None


@register_tool
class SelectTool(Tool):
    name = "select"
    text = "&Select"
    icon = "mdi6.cursor-default"
    shortcut = "V"
    tip = "Click a segment to select it; Shift+click adds or removes one"
    cursor = Qt.CursorShape.ArrowCursor

    def press(self, event: PointerEvent) -> None:
        doc = self.doc
        if doc is None or event.button != Qt.MouseButton.LeftButton:
            return
        segment_id = doc.segment_at(*event.pixel)
        if event.shift:
            if segment_id:
                doc.toggle_selected(segment_id)
        else:
            doc.select([segment_id] if segment_id else [])


class BrushPreview:
    """The circle that shows the brush footprint under the cursor."""

    def __init__(self, canvas: Canvas, color: QColor) -> None:
        self.item = QGraphicsEllipseItem()
        pen = QPen(color, 1.5)
        pen.setCosmetic(True)
        self.item.setPen(pen)
        self.item.setVisible(False)
        canvas.add_item(self.item)

    def show(self, x: float, y: float, size: int) -> None:
        radius = size / 2
        cx, cy = round(x - 0.5) + 0.5, round(y - 0.5) + 0.5
        self.item.setRect(QRectF(cx - radius, cy - radius, 2 * radius, 2 * radius))
        self.item.setVisible(True)

    def hide(self) -> None:
        self.item.setVisible(False)


class _StrokeTool(Tool):
    """Brush and eraser: one stroke from press to release is one undo step."""

    erase: ClassVar[bool] = False
    preview_color: ClassVar[str] = "#ffffff"

    def __init__(self, host: ToolHost) -> None:
        super().__init__(host)
        self._stroke: edits.BrushStroke | None = None
        self._preview = BrushPreview(host.canvas, QColor(self.preview_color))
        self._last: PointerEvent | None = None

    def _start(self, doc: Document) -> edits.BrushStroke | None:
        radius = self.host.brush_size / 2
        target = single_selected(doc)
        if self.erase:
            return self.host.run(edits.BrushStroke, doc, radius, erase=True,
                                 only_segment=target)  # type: ignore[return-value]
        if target is None and self.host.category_id is None:
            self.host.report("choose a category to paint with")
            return None
        return self.host.run(edits.BrushStroke, doc, radius, target=target,  # type: ignore[return-value]
                             category_id=None if target else self.host.category_id,
                             only_unlabeled=self.host.protect_labeled)

    def press(self, event: PointerEvent) -> None:
        doc = self.doc
        if doc is None or event.button != Qt.MouseButton.LeftButton:
            return
        self._stroke = self._start(doc)
        if self._stroke is not None:
            self._stroke.line_to(event.x - 0.5, event.y - 0.5)

    def move(self, event: PointerEvent) -> None:
        self._last = event
        self._preview.show(event.x, event.y, self.host.brush_size)
        if self._stroke is not None:
            self._stroke.line_to(event.x - 0.5, event.y - 0.5)

    def release(self, event: PointerEvent) -> None:
        self._finish()

    def _finish(self) -> None:
        stroke, self._stroke = self._stroke, None
        if stroke is None:
            return
        command = stroke.finish()
        doc = self.doc
        if command is None and self.erase and doc is not None \
                and stroke.only_segment in doc.segments:
            target = stroke.only_segment
            name = doc.categories[doc.segments[target].category_id].name
            self.host.report(f"nothing erased: with #{target} {name} selected the eraser "
                             "erases only inside it (Esc clears the selection)")
        if doc is not None and not self.erase and stroke.value in doc.segments:
            doc.select([stroke.value])

    def deactivate(self) -> None:
        self._finish()
        self._preview.hide()

    def brush_size_changed(self) -> None:
        if self._last is not None:
            self._preview.show(self._last.x, self._last.y, self.host.brush_size)


@register_tool
class BrushTool(_StrokeTool):
    name = "brush"
    text = "&Brush"
    icon = "mdi6.brush"
    shortcut = "B"
    tip = ("Paint into the selected segment, or a new segment of the current category; "
           "[ and ] change the size")


@register_tool
class EraserTool(_StrokeTool):
    name = "eraser"
    text = "&Eraser"
    icon = "mdi6.eraser"
    shortcut = "E"
    tip = "Erase to unlabeled (only inside the selected segment when one is selected)"
    erase = True
    preview_color = "#ff5050"


@register_tool
class FillTool(Tool):
    name = "fill"
    text = "&Fill unlabeled"
    icon = "mdi6.format-color-fill"
    shortcut = "G"
    tip = "Fill the unlabeled region under the click: into the selected segment, or as a new one"

    def press(self, event: PointerEvent) -> None:
        doc = self.doc
        if doc is None or event.button != Qt.MouseButton.LeftButton:
            return
        target = single_selected(doc)
        if target is None and self.host.category_id is None:
            self.host.report("choose a category to fill with")
            return
        x, y = event.pixel
        filled = self.host.run(edits.flood_fill, doc, x, y, self.host.category_id, target=target)
        if isinstance(filled, int):
            doc.select([filled])


@register_tool
class PolygonTool(Tool):
    name = "polygon"
    text = "&Polygon"
    icon = "mdi6.vector-polygon"
    shortcut = "P"
    tip = ("Click to add points; double-click, Enter or a click on the first point closes it. "
           "Backspace removes the last point, Esc cancels")

    def __init__(self, host: ToolHost) -> None:
        super().__init__(host)
        self.points: list[tuple[float, float]] = []
        self._cursor: tuple[float, float] | None = None
        self._path = QGraphicsPathItem()
        pen = QPen(QColor("#ffd400"), 1.5)
        pen.setCosmetic(True)
        self._path.setPen(pen)
        host.canvas.add_item(self._path)

    def press(self, event: PointerEvent) -> None:
        if self.doc is None or event.button != Qt.MouseButton.LeftButton:
            return
        if len(self.points) >= 3 and self._near_first(event):
            self.close()
            return
        self.points.append((event.x, event.y))
        self._redraw()

    def move(self, event: PointerEvent) -> None:
        self._cursor = (event.x, event.y)
        if self.points:
            self._redraw()

    def double_click(self, event: PointerEvent) -> None:
        self.close()

    def wants_key(self, event: QKeyEvent) -> bool:
        return bool(self.points) and event.key() in (
            Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Backspace, Qt.Key.Key_Escape)

    def key(self, event: QKeyEvent) -> bool:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.points:
            self.close()
        elif event.key() == Qt.Key.Key_Backspace and self.points:
            self.points.pop()
            self._redraw()
        elif event.key() == Qt.Key.Key_Escape and self.points:
            self.deactivate()
        else:
            return False
        return True

    def close(self) -> None:
        """Fill the polygon as a new segment of the current category."""
        points, doc = self.points, self.doc
        self.deactivate()
        if doc is None or len(points) < 3:
            return
        if self.host.category_id is None:
            self.host.report("choose a category for the polygon")
            return
        # Pixel centres sit at +0.5; cv2 fills polygons given in pixel-centre coordinates.
        centred = [(x - 0.5, y - 0.5) for x, y in points]
        category_id = self.host.category_id
        existed = set(doc.segments)
        area_before = {i: doc.area(i) for i in existed}
        created = self.host.run(edits.fill_polygon, doc, centred, category_id,
                                only_unlabeled=self.host.protect_labeled)
        if isinstance(created, int):
            doc.select([created])
            name = doc.categories[category_id].name
            if created in existed:
                added = doc.area(created) - area_before[created]
                self.host.report(f"polygon: {added:,} px joined the {name} segment #{created}")
            else:
                self.host.report(f"polygon: new {name} segment #{created}, "
                                 f"{doc.area(created):,} px")

    def deactivate(self) -> None:
        self.points = []
        self._redraw()

    def _near_first(self, event: PointerEvent) -> bool:
        fx, fy = self.points[0]
        distance = max(abs(event.x - fx), abs(event.y - fy)) * self.host.canvas.scale_factor
        return distance <= CLOSE_DISTANCE_PX

    def _redraw(self) -> None:
        path = QPainterPath()
        if self.points:
            path.moveTo(QPointF(*self.points[0]))
            for point in self.points[1:]:
                path.lineTo(QPointF(*point))
            if self._cursor is not None:
                path.lineTo(QPointF(*self._cursor))
        self._path.setPath(path)
