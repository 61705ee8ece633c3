"""Right-click menus on the canvas, the segment list and the image list.

They offer the window's own actions (so each shows its shortcut and is enabled exactly
when the menu bar's is), plus what only makes sense at the click: the category of the
segment under it (hide, solo), filling the unlabeled region under it, the image clicked.
A right click on a segment that is not selected selects it first, as file managers do.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from panoptix.core import edits
from panoptix.core.document import Document
from panoptix.gui.actions import Actions
from panoptix.gui.canvas.canvas import Canvas, PointerEvent
from panoptix.gui.panels.category_visibility import visibility_actions
from panoptix.gui.panels.image_list import KEY_ROLE, PATH_ROLE, ImageList
from panoptix.gui.panels.segment_list import SegmentList
from panoptix.gui.panels.visibility import CategoryVisibility
from panoptix.gui.tools.editor import Editor
from panoptix.gui.work.session import Session

EDIT_ACTIONS = ("relabel", "merge", "split", "delete", "refine_edge", "refine_edge_fine")


class ContextMenus:
    """Builds each menu when asked for it; ``last`` is the menu shown last (for tests)."""

    def __init__(self, session: Session, editor: Editor, canvas: Canvas, segments: SegmentList,
                 images: ImageList, actions: Actions, visibility: CategoryVisibility,
                 rerun: Callable[[list[str]], None]) -> None:
        """``rerun``: re-run the model on images (asking first where it replaces edits)."""
        self.session, self.editor, self.canvas = session, editor, canvas
        self.segments, self.images, self.actions = segments, images, actions
        self.visibility, self.rerun = visibility, rerun
        self.last: QMenu | None = None
        canvas.context_requested.connect(self.canvas_menu)
        segments.setContextMenuPolicy(segments.contextMenuPolicy().CustomContextMenu)
        segments.customContextMenuRequested.connect(self.segment_menu)
        images = images.list
        images.setContextMenuPolicy(images.contextMenuPolicy().CustomContextMenu)
        images.customContextMenuRequested.connect(self.image_menu)

    # -- building blocks -------------------------------------------------------------------
    def _menu(self, parent: QWidget) -> QMenu:
        menu = QMenu(parent)
        self.last = menu
        return menu

    def _add(self, menu: QMenu, *names: str | None) -> None:
        for name in names:
            if name is None:
                menu.addSeparator()
            else:
                menu.addAction(self.actions[name])

    def _title(self, menu: QMenu, text: str) -> None:
        menu.addSection(text)

    def _segment_entries(self, menu: QMenu, doc: Document, segment_id: int) -> None:
        editor = self.editor
        segment = doc.segments[segment_id]
        name = editor.category_name(segment.category_id) or f"category {segment.category_id}"
        selected = len(doc.selection)
        self._title(menu, f"#{segment_id} {name} · {doc.area(segment_id):,} px"
                    if selected <= 1 else f"{selected} segments selected")
        self._add(menu, *EDIT_ACTIONS)
        menu.addSeparator()
        visibility_actions(menu, self.visibility, segment.category_id, name)

    @staticmethod
    def _show(menu: QMenu, at: QPoint) -> None:
        menu.popup(at)

    # -- the canvas ----------------------------------------------------------------------------
    def canvas_menu(self, event: PointerEvent, at: QPoint) -> None:
        if not self.editor.tool.allows_context_menu():
            return
        doc = self.editor.document
        menu = self._menu(self.canvas)
        if doc is None:
            self._add(menu, "open_folder", "open_images")
            self._show(menu, at)
            return
        x, y = event.pixel
        segment_id = doc.segment_at(x, y)
        if segment_id and segment_id not in doc.selection:
            doc.select([segment_id])
        if segment_id:
            self._segment_entries(menu, doc, segment_id)
            self._split_off_entry(menu, doc, (x, y))
        else:
            self._title(menu, f"unlabeled ({x}, {y})")
            fill = menu.addAction(self.actions["tool:fill"].icon(),
                                  self._fill_text(), lambda: self._fill(x, y))
            fill.setEnabled(self.editor.category_id is not None
                            and 0 <= x < doc.shape[1] and 0 <= y < doc.shape[0])
            if not self.visibility.is_default:
                self._add(menu, "show_all_categories")
        menu.addSeparator()
        self._add(menu, "new_segment", "select_all", "deselect", None, "fit", "zoom_in",
                  "zoom_out")
        self._show(menu, at)

    def _split_off_entry(self, menu: QMenu, doc: Document, at: tuple[int, int]) -> None:
        """Split off the part clicked, when the thing there has more than one part."""
        parts = edits.thing_parts(doc, doc.segment_at(*at))
        shortcut = self.actions["split_off"].shortcut().toString(
            QKeySequence.SequenceFormat.NativeText)
        entry = menu.addAction(self.actions["split_off"].icon(),
                               f"Split Off This Part\t{shortcut}",
                               lambda: self.editor.split_off(at))
        entry.setEnabled(parts > 1 and self.actions["split_off"].isEnabled())

    def _fill_text(self) -> str:
        name = self.editor.category_name()
        return f"Fill this unlabeled region as {name}" if name else "Fill (choose a category)"

    def _fill(self, x: int, y: int) -> None:
        editor = self.editor
        doc, category_id = editor.document, editor.category_id
        if doc is not None and category_id is not None:
            filled = editor.run(edits.flood_fill, doc, x, y, category_id)
            if isinstance(filled, int):
                doc.select([filled])

    # -- the segment list --------------------------------------------------------------------
    def segment_menu(self, point: QPoint) -> None:
        doc, segments = self.editor.document, self.segments
        if doc is None:
            return
        segment_id = segments.segment_at(point)
        if segment_id is not None and segment_id not in doc.selection:
            doc.select([segment_id])
        menu = self._menu(segments)
        if segment_id is not None:
            self._segment_entries(menu, doc, segment_id)
            menu.addSeparator()
        self._add(menu, "select_all", "deselect")
        if not self.visibility.is_default:
            self._add(menu, "show_all_categories")
        self._show(menu, segments.viewport().mapToGlobal(point))

    # -- the image list ------------------------------------------------------------------------
    def image_menu(self, point: QPoint) -> None:
        """The clicked image, or every selected one when it is among them: opening,
        marking done and re-running act on them without changing the image in view."""
        images = self.images.list
        index = images.indexAt(point)
        menu = self._menu(images)
        if not index.isValid():
            self._add(menu, "open_folder", "presegment")
            self._show(menu, images.viewport().mapToGlobal(point))
            return
        key, rel_path = index.data(KEY_ROLE), index.data(PATH_ROLE)
        selected = self.images.selected_keys()
        keys = selected if key in selected else [key]
        count = len(keys)
        self._title(menu, rel_path if count == 1 else f"{count} images")
        if count == 1 and key != self.session.key:
            menu.addAction("Open", lambda: self.session.go_to(key))
        many = "" if count == 1 else f" ({count} images)"
        done = menu.addAction(self.actions["done"].icon(), f"Mark Done{many}",
                              lambda: self.session.mark_images_done(keys))
        rerun = menu.addAction(self.actions["rerun"].icon(), f"Re-run the Model{many}",
                               lambda: self.rerun(keys))
        for action in (done, rerun):
            action.setEnabled(not self.session.read_only)
        if self.session.key in keys:
            self._add(menu, "save")
        menu.addSeparator()
        if count == 1:
            path = self._image_path(rel_path)
            menu.addAction("Copy Path", lambda: QGuiApplication.clipboard().setText(str(path)))
            self._open_folder(menu, "Show in Folder", path.parent)
        else:
            paths = "\n".join(str(self._image_path(self.images.rel_path(k))) for k in keys)
            menu.addAction("Copy Paths", lambda: QGuiApplication.clipboard().setText(paths))
        self._show(menu, images.viewport().mapToGlobal(point))

    def _image_path(self, rel_path: str) -> Path:
        project = self.session.project
        return (project.image_root if project is not None else Path()) / rel_path

    @staticmethod
    def _open_folder(menu: QMenu, text: str, folder: Path,
                     opener: Callable[[QUrl], bool] = QDesktopServices.openUrl) -> None:
        action = menu.addAction(text, lambda: opener(QUrl.fromLocalFile(str(folder))))
        action.setEnabled(folder.is_dir())
