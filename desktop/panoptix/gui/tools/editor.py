"""The editor: routes canvas input to the current tool and runs edits on the document.

It holds the editing state that is not the document's: the current tool, the category
new segments get, the brush size. Edits themselves live in ``core.edits``; an
``EditError`` becomes a status message, never a dialog or a traceback.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QKeyEvent

from panoptix.core import edits
from panoptix.core.document import Document, DocumentError
from panoptix.core.messages import plural
from panoptix.gui.canvas.canvas import Canvas, PointerEvent
from panoptix.gui.tools.tools import TOOLS, Tool, single_selected
from panoptix.gui.tools.vertex_tool import VertexTool  # noqa: F401 - registers the tool

MIN_BRUSH, MAX_BRUSH = 1, 400
SPLIT_MIN_AREA = 5
SPLIT_MIN_SHARE = 1 / 50_000
"""Split's least part, as a share of the image: 240 px at 12 MP (no specks from a
model's ragged edge), 6 px at 640x480; the user's setting can ask for more."""
"""Split: parts smaller than this many pixels join their neighbour (specks, not parts)."""


class Editor(QObject):
    """Implements ``tools.ToolHost``; the main window owns one."""

    message = Signal(str)
    tool_changed = Signal(str)
    category_changed = Signal(object)
    brush_size_changed = Signal(int)
    hover_changed = Signal(str)
    relabel_requested = Signal()
    """Ask the window to open the category picker for the selection."""
    protect_changed = Signal(bool)
    """The current tool's "Protect Labeled Pixels" setting, after a change of tool."""

    def __init__(self, canvas: Canvas, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.brush_size = 15
        self._protect: dict[str, bool] = {"": False}
        self.split_min_area = SPLIT_MIN_AREA
        self._category_id: int | None = None
        self._document: Document | None = None
        self.tools: dict[str, Tool] = {name: cls(self) for name, cls in TOOLS.items()}
        self.tool = self.tools["select"]
        for tool in self.tools.values():
            self._protect.setdefault(tool.protect_group, tool.protect_default)
        canvas.pointer_pressed.connect(self._press)
        canvas.pointer_moved.connect(self._move)
        canvas.pointer_released.connect(self._release)
        canvas.pointer_double_clicked.connect(self._double_click)
        canvas.key_pressed.connect(self._key)
        canvas.key_filter = lambda event: self.tool.wants_key(event)
        canvas.wheel_filter = lambda steps: self.tool.wheel(steps)

    # -- state ------------------------------------------------------------------------
    @property
    def document(self) -> Document | None:
        return self._document

    @property
    def category_id(self) -> int | None:
        return self._category_id

    def set_document(self, doc: Document | None) -> None:
        self.tool.deactivate()
        if self._document is not None:
            self._document.notice.disconnect(self.report)
            self._document.history_changed.disconnect(self.refresh_hover)
        self._document = doc
        if doc is not None:
            doc.notice.connect(self.report)  # e.g. locked pixels an edit left alone
            doc.history_changed.connect(self.refresh_hover)  # an edit or undo under it
        self.canvas.set_document(doc)
        if doc is not None and self._category_id not in doc.categories:
            self.set_category(None)
        self.refresh_hover()

    def refresh_hover(self) -> None:
        """Say what is under the pointer now (another image or project came into view,
        or an edit or its undo changed the pixel, while the pointer did not move)."""
        pixel = self.canvas.pointer_pixel()
        self.hover_changed.emit(self.describe(*pixel) if pixel is not None else "")

    def set_category(self, category_id: int | None) -> None:
        if category_id != self._category_id:
            self._category_id = category_id
            self.category_changed.emit(category_id)

    @property
    def protect_labeled(self) -> bool:
        """Whether the current tool paints only unlabeled pixels."""
        return self.protect_for(self.tool.protect_group)

    @protect_labeled.setter
    def protect_labeled(self, on: bool) -> None:
        self.set_protect(on, self.tool.protect_group)

    def protect_for(self, group: str) -> bool:
        return self._protect.get(group, self._protect[""])

    def set_protect(self, on: bool, group: str = "") -> None:
        self._protect[group] = bool(on)

    def protect_groups(self) -> list[str]:
        """The tools' own protect settings (besides the shared one, "")."""
        return sorted(group for group in self._protect if group)

    def set_tool(self, name: str) -> None:
        if name == self.tool.name:
            return
        self.tool.deactivate()
        self.tool = self.tools[name]
        self.tool.activate()
        self.tool_changed.emit(name)
        self.protect_changed.emit(self.protect_labeled)

    def set_brush_size(self, size: int) -> None:
        size = max(MIN_BRUSH, min(MAX_BRUSH, int(size)))
        if size != self.brush_size:
            self.brush_size = size
            self.tool.brush_size_changed()
            self.brush_size_changed.emit(size)

    def grow_brush(self, steps: int) -> None:
        """``]`` and ``[``: about 20% per step, at least one pixel."""
        factor = 1.2 ** steps
        size = round(self.brush_size * factor)
        if size == self.brush_size:
            size += 1 if steps > 0 else -1
        self.set_brush_size(size)

    # -- running edits ------------------------------------------------------------------
    def report(self, message: str) -> None:
        self.message.emit(message)

    def run(self, edit: Callable[..., object], *args: object, **kwargs: object) -> object:
        try:
            return edit(*args, **kwargs)
        except DocumentError as exc:
            self.report(str(exc))
            return None

    def _doc_or_report(self) -> Document | None:
        if self._document is None:
            self.report("no image is open")
        return self._document

    def merge(self) -> None:
        doc = self._doc_or_report()
        if doc is not None and self.run(edits.merge, doc, doc.selection) is not None:
            self.report("merged")

    def split(self) -> None:
        doc = self._doc_or_report()
        if doc is None:
            return
        target = single_selected(doc)
        if target is None:
            self.report("select one segment to split")
            return
        min_area = self.split_min_area_for(doc)
        result = self.run(edits.split_parts, doc, target, min_area=min_area)
        if isinstance(result, edits.SplitResult):
            doc.select(result.parts)
            specks = (f"; {plural(result.specks, 'speck')} under "
                      f"{plural(min_area, 'pixel')} joined the segments around"
                      if result.specks else "")
            if len(result.parts) > 1:
                self.report(f"split into {len(result.parts)} parts{specks}")
            else:
                self.report(f"the segment is already one connected part{specks}")

    def split_off(self, at: tuple[int, int] | None = None) -> None:
        """Split off the part of the thing at image pixel ``at`` (default: under the
        pointer) and select it, for what comes next (relabel, delete, merge)."""
        doc = self._doc_or_report()
        if doc is None:
            return
        at = at if at is not None else self.canvas.pixel_under_cursor()
        if at is None:
            self.report("point at the part to split off, then press the key again")
            return
        source = doc.segment_at(*at)
        new_id = self.run(edits.split_off, doc, *at)
        if isinstance(new_id, int):
            doc.select([new_id])
            self.report(f"split off #{new_id} ({doc.area(new_id):,} px) from #{source}")

    def split_min_area_for(self, doc: Document) -> int:
        """The least part split keeps in ``doc``: the user's setting, and at least the
        share of the image that makes no specks on a large one."""
        height, width = doc.shape
        return max(self.split_min_area, math.ceil(height * width * SPLIT_MIN_SHARE))

    def relabel(self, category_id: int) -> None:
        doc = self._doc_or_report()
        if doc is None:
            return
        ids = sorted(doc.selection)
        what = (f"#{ids[0]} {self.category_name(doc.segments[ids[0]].category_id)}"
                if len(ids) == 1 else plural(len(ids), "segment"))
        kept = self.run(edits.relabel, doc, ids, category_id)
        if isinstance(kept, list):
            doc.select(kept)
            joined = f", joined into #{kept[0]}" if kept != ids else ""
            self.report(f"relabelled {what} as {self.category_name(category_id)}{joined}")

    def request_relabel(self) -> None:
        doc = self._doc_or_report()
        if doc is not None and not doc.selection:
            self.report("select the segments to relabel first")
        elif doc is not None:
            self.relabel_requested.emit()

    def delete(self) -> None:
        doc = self._doc_or_report()
        if doc is None:
            return
        ids = sorted(doc.selection)
        if not ids:
            self.report("select the segments to delete first")
            return
        area = sum(doc.area(i) for i in ids)
        what = (f"#{ids[0]} {self.category_name(doc.segments[ids[0]].category_id)}"
                if len(ids) == 1 else plural(len(ids), "segment"))
        self.run(edits.delete, doc, ids)
        if not any(i in doc.segments for i in ids):
            self.report(f"deleted {what}: {plural(area, 'pixel')} unlabeled now "
                        "(Ctrl+Z brings it back)")

    def undo(self) -> None:
        self.tool.deactivate()
        doc = self._document
        if doc is not None:
            label = doc.history.undo_label
            done = self.run(doc.undo)  # None: refused, and run said why
            if done is not None:
                self.report(f"undid {label or 'the last edit'}" if done else "nothing to undo")

    def redo(self) -> None:
        doc = self._document
        if doc is not None:
            label = doc.history.redo_label
            done = self.run(doc.redo)
            if done is not None:
                self.report(f"redid {label or 'the edit'}" if done else "nothing to redo")

    def select_all(self) -> None:
        if self._document is not None:
            self._document.select(self._document.segments)

    def clear_selection(self) -> None:
        if self._document is not None:
            self._document.select([])

    def new_segment(self) -> None:
        """Start a new segment: clear the selection so the next stroke or polygon makes one."""
        self.clear_selection()
        if self.tool.name == "select":
            self.set_tool("polygon")
        category = self.category_name()
        doc = self._document
        joins = (doc.stuff_segment(self._category_id)
                 if doc is not None and category is not None and self._category_id is not None
                 and not doc.categories.is_thing(self._category_id) else None)
        if category is None:
            self.report("choose a category, then draw the new segment")
        elif joins is not None:
            self.report(f"{category} is stuff, one segment per image: what you draw joins "
                        f"the existing {category} segment #{joins}")
        else:
            self.report(f"drawing a new {category} segment")

    def category_name(self, category_id: int | None = None) -> str | None:
        category_id = self._category_id if category_id is None else category_id
        doc = self._document
        if doc is None or category_id is None:
            return None
        category = doc.categories.get(category_id)
        return category.name if category is not None else None

    # -- input routing --------------------------------------------------------------------
    def _press(self, event: PointerEvent) -> None:
        self.tool.press(event)

    def _move(self, event: PointerEvent) -> None:
        self.tool.move(event)
        self.hover_changed.emit(self.describe(*event.pixel))

    def _release(self, event: PointerEvent) -> None:
        self.tool.release(event)

    def _double_click(self, event: PointerEvent) -> None:
        self.tool.double_click(event)

    def _key(self, event: QKeyEvent) -> None:
        if self.tool.key(event):
            event.accept()

    def describe(self, x: int, y: int) -> str:
        """What is under the pointer: position, category, score and area."""
        doc = self._document
        if doc is None:
            return ""
        height, width = doc.shape
        if not (0 <= x < width and 0 <= y < height):
            return ""
        segment_id = doc.segment_at(x, y)
        if not segment_id:
            return f"({x}, {y})  unlabeled"
        segment = doc.segments[segment_id]
        name = self.category_name(segment.category_id) or f"category {segment.category_id}"
        score = "" if segment.score is None else f"  score {segment.score:.2f}"
        marks = "".join(("  crowd" if segment.iscrowd else "",
                         "  locked" if doc.is_locked(segment_id) else ""))
        return (f"({x}, {y})  #{segment_id} {name}{score}  area {doc.area(segment_id):,} px"
                f"{marks}")
