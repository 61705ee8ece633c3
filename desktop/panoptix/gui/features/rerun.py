"""Re-running the model on the image in view (Image > Re-run) or on images picked in the
image list, asking first where that replaces edits."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QWidget

from panoptix.core.messages import plural
from panoptix.core.project import ImageStatus
from panoptix.gui.tools.editor import Editor
from panoptix.gui.work.session import Session


class Rerun(QObject):
    def __init__(self, session: Session, editor: Editor, dialog_parent: QWidget) -> None:
        super().__init__(dialog_parent)
        self.session, self.editor, self.dialog_parent = session, editor, dialog_parent

    def current(self) -> None:
        if self.session.key is not None:
            self.images([self.session.key])

    def images(self, keys: list[str]) -> None:
        """Re-run the model on ``keys``, asking first when that replaces edits."""
        doc, session = self.editor.document, self.session
        edited = sum(doc is not None and doc.history.can_undo if key == session.key
                     else session.status(key) in (ImageStatus.EDITED, ImageStatus.DONE)
                     for key in keys)
        which = "this image" if keys == [session.key] else plural(edited, "edited image")
        if edited and QMessageBox.question(
                self.dialog_parent, "Re-run the model",
                f"Re-running the model replaces the segments of {which}, edits included.",
                QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel,
        ) != QMessageBox.StandardButton.Ok:
            return
        session.rerun_images(keys)
