"""Image notes: the notes panel (flags and a comment per image, kept in ``notes.json``),
the image list's filter by status and flag, and the flags drawn beside each image."""

from __future__ import annotations

from PySide6.QtCore import QObject

from panoptix.core.image_notes import ImageNote, ImageNotes
from panoptix.gui.panels.image_filter import FlagDelegate, ImageFilter
from panoptix.gui.panels.image_list import ImageList
from panoptix.gui.panels.notes_panel import NotesPanel
from panoptix.gui.panels.status import StatusBar
from panoptix.gui.work.session import Session


class ImageNotesControls(QObject):
    def __init__(self, session: Session, images: ImageList, status: StatusBar,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.images, self.status = session, images, status
        self.panel = NotesPanel()
        self.image_filter = ImageFilter(images)
        images.layout().insertWidget(0, self.image_filter)  # type: ignore[union-attr]
        images.list.setItemDelegate(FlagDelegate(images.list))
        self.panel.error.connect(status.error)
        self.panel.note_changed.connect(self._note_changed)
        session.project_opened.connect(self._project_opened)
        session.image_opened.connect(self._image_opened)

    def _project_opened(self, project: object) -> None:
        notes = ImageNotes(project.folder)  # type: ignore[attr-defined]
        self.panel.set_notes(notes)
        self.images.set_notes({key: (note.flags, note.comment)
                               for key, note in notes.items()})
        self.image_filter.set_flags(self.panel.flags())

    def _image_opened(self, key: str, _image: object, _document: object) -> None:
        project = self.session.project
        self.panel.show_image(key, project.entry(key).rel_path if project else key)

    def _note_changed(self, key: str, note: ImageNote) -> None:
        self.images.set_note(key, note.flags, note.comment)
        self.images.list.viewport().update()
        self.image_filter.set_flags(self.panel.flags())
        self.status.message(f"image notes saved ({', '.join(note.flags) or 'no flags'})")
