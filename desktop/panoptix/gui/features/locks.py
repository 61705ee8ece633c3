"""Lock and crowd commands of the window, and the project's locked categories.

The rules themselves live in the core (``core.locks``, applied by the document to every
edit); this module only turns commands into core edits, keeps the locked categories in
the project's settings and hands them to every document the window shows.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from panoptix.core.atomic import StoreError
from panoptix.core.attributes import set_crowd, set_locked
from panoptix.core.document import Document
from panoptix.core.project import Project
from panoptix.gui.actions import Actions
from panoptix.gui.tools.editor import Editor
from panoptix.gui.work.session import Session

LOCKED_CATEGORIES_SETTING = "locked_categories"


def stored_locked_categories(project: Project | None) -> frozenset[int]:
    values = project.settings.get(LOCKED_CATEGORIES_SETTING, []) if project else []
    if not isinstance(values, list):
        return frozenset()
    return frozenset(v for v in values if isinstance(v, int) and not isinstance(v, bool))


class LockControls(QObject):
    message = Signal(str)

    def __init__(self, editor: Editor, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.project: Project | None = None

    def wire(self, actions: Actions, session: Session) -> None:
        """Connect the Lock, Lock Category and Crowd actions and follow the session."""
        actions["lock"].triggered.connect(self.toggle_segment_lock)
        actions["lock_category"].triggered.connect(self.toggle_category_lock)
        actions["crowd"].triggered.connect(self.toggle_crowd)
        session.project_opened.connect(self.set_project)
        session.image_opened.connect(lambda _key, _image, doc: self.show_document(doc))
        session.document_replaced.connect(self.show_document)

    def set_project(self, project: Project | None) -> None:
        self.project = project

    def show_document(self, document: Document | None) -> None:
        """Give a document (newly opened or replaced) the project's locked categories."""
        if document is not None:
            document.set_locked_categories(stored_locked_categories(self.project))

    def toggle_segment_lock(self) -> None:
        doc = self.editor.document
        if doc is None:
            return
        locked = self.editor.run(set_locked, doc, doc.selection)
        if isinstance(locked, bool):
            count = len(doc.selection)
            self.message.emit(f"{'locked' if locked else 'unlocked'} {count} segment"
                              f"{'' if count == 1 else 's'}" + (
                                  ": edits leave them untouched" if locked else ""))

    def toggle_crowd(self) -> None:
        doc = self.editor.document
        if doc is None:
            return
        crowd = self.editor.run(set_crowd, doc, doc.selection)
        if isinstance(crowd, bool):
            self.message.emit("marked as a crowd (iscrowd 1)" if crowd
                              else "no longer a crowd (iscrowd 0)")

    def toggle_category_lock(self) -> None:
        """Lock (or unlock) the categories of the selected segments, or the current
        drawing category when nothing is selected; kept in the project."""
        doc, project = self.editor.document, self.project
        if doc is None or project is None:
            self.message.emit("open an image first")
            return
        categories = sorted({doc.segments[i].category_id for i in doc.selection}) or (
            [self.editor.category_id] if self.editor.category_id is not None else [])
        if not categories:
            self.message.emit("select a segment or choose a category to lock")
            return
        current = stored_locked_categories(project)
        lock = categories[0] not in current
        updated = current | set(categories) if lock else current - set(categories)
        project.settings[LOCKED_CATEGORIES_SETTING] = sorted(updated)
        try:
            project.save_manifest()
        except StoreError as exc:  # a read-only project: the lock holds for this run
            self.message.emit(f"could not save the locked categories: {exc}")
        doc.set_locked_categories(updated)
        names = ", ".join(doc.categories[c].name for c in categories if c in doc.categories)
        self.message.emit(f"category {names} locked: edits leave its segments untouched"
                          if lock else f"category {names} unlocked")
