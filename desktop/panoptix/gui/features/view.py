"""The overlay's view options that are more than one toggle: which categories show (hide,
show, solo), colour by instance and zoom to the selection; glue between the panels, the
canvas and the project.

Category visibility is kept per project: each change goes into ``Project.settings`` at
once (the session writes the manifest when the project closes), and the manifest is
written a moment after the last change, so clicking through eyes does not rewrite it each
time and a crash loses none of it.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from panoptix.core.stats import union_box
from panoptix.gui.canvas.canvas import Canvas
from panoptix.gui.panels.category_picker import CategoryPicker
from panoptix.gui.panels.category_visibility import VisibilityColumn
from panoptix.gui.panels.segment_list import SegmentList
from panoptix.gui.panels.status import StatusBar
from panoptix.gui.panels.visibility import CategoryVisibility, load_from, save_to
from panoptix.gui.tools.editor import Editor
from panoptix.gui.work.session import Session

SAVE_DELAY_MS = 500


class ViewControls(QObject):
    hiding_changed = Signal(bool)
    """True while some category is hidden or soloed (Show All Categories has work)."""

    def __init__(self, session: Session, editor: Editor, canvas: Canvas,
                 segments: SegmentList, picker: CategoryPicker, status: StatusBar,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.editor, self.canvas = session, editor, canvas
        self.segments, self.status = segments, status
        self.visibility = CategoryVisibility(self)
        self.column = VisibilityColumn(picker, self.visibility)
        self._save = QTimer(self, singleShot=True, interval=SAVE_DELAY_MS)
        self._save.timeout.connect(self.save)
        self._restoring = False
        self.visibility.changed.connect(self._visibility_changed)
        session.project_opened.connect(self._project_opened)

    def _category_ids(self) -> list[int]:
        project = self.session.project
        return [c.id for c in project.categories] if project is not None else []

    def _project_opened(self, project: object) -> None:
        self._restoring = True
        try:
            load_from(project.settings, self.visibility,  # type: ignore[attr-defined]
                      self._category_ids())
        finally:
            self._restoring = False

    def _visibility_changed(self) -> None:
        hidden = self.visibility.not_drawn(self._category_ids())
        self.canvas.set_style(hidden_categories=hidden)
        self.segments.set_hidden_categories(hidden)
        self.hiding_changed.emit(not self.visibility.is_default)
        project = self.session.project
        if not self._restoring and project is not None:
            save_to(project.settings, self.visibility)
            names = {c.id: c.name for c in project.categories}
            self.status.message(self.visibility.describe(names))
            self._save.start()

    def categories_changed(self) -> None:
        """A category was added or edited: recompute what the overlay leaves out."""
        self._visibility_changed()

    def save(self) -> None:
        """Write the project's manifest with the visibility in it."""
        project = self.session.project
        if project is None:
            return
        try:
            project.save_manifest()
        except Exception as exc:  # noqa: BLE001 - a read-only project folder is a message
            self.status.error(f"could not keep the category visibility: {exc}")

    def set_color_by_instance(self, on: bool) -> None:
        self.canvas.set_style(color_by_instance=on)
        if self.editor.document is not None:  # not when the preference is restored
            self.status.message("colour by instance: each segment its own colour" if on
                                else "colour by category: one colour per category")

    def zoom_to_selection(self) -> None:
        doc = self.editor.document
        if doc is None or not doc.selection:
            self.status.message("select segments to zoom to")
            return
        box = None
        for segment_id in doc.selection:
            box = union_box(box, doc.box(segment_id))
        if box is not None:
            self.canvas.zoom_to(box)
