"""The image notes panel: flags ("ambiguous", "bad image"...) and a comment for the image in
view, saved in the project at once (the comment when typing pauses and when the image
changes). The notes themselves are ``core.image_notes``."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from panoptix.core.atomic import StoreError
from panoptix.core.image_notes import PRESET_FLAGS, ImageNote, ImageNotes, NotesError

COMMENT_DELAY_MS = 600
COLUMNS = 2


class NotesPanel(QWidget):
    note_changed = Signal(str, object)
    """(key, ImageNote) after a change was saved."""
    error = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.notes: ImageNotes | None = None
        self.key: str | None = None
        self._boxes: dict[str, QCheckBox] = {}
        self._grid = QGridLayout()
        self._grid.setContentsMargins(0, 0, 0, 0)
        self.new_flag = QLineEdit(placeholderText="Add a flag… (Enter)")
        self.new_flag.setClearButtonEnabled(True)
        self.new_flag.returnPressed.connect(self._add_flag)
        self.comment = QPlainTextEdit(placeholderText="Comment on this image…")
        self.comment.setMaximumHeight(90)
        self.comment.textChanged.connect(self._comment_typed)
        self._save_comment = QTimer(self, singleShot=True, interval=COMMENT_DELAY_MS)
        self._save_comment.timeout.connect(self.save_comment)
        self.title = QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addLayout(self._grid)
        layout.addWidget(self.new_flag)
        layout.addWidget(self.comment)
        self._loading = False
        self._rebuild_flags()
        self.setEnabled(False)

    def set_notes(self, notes: ImageNotes | None) -> None:
        """The open project's notes (None when no project is open)."""
        self.save_comment()
        self.notes, self.key = notes, None
        if notes is not None and notes.problem:
            self.error.emit(notes.problem)
        self._rebuild_flags()
        self._show()

    def show_image(self, key: str | None, name: str = "") -> None:
        self.save_comment()
        self.key = key
        self.title.setText(f"<b>{name}</b>" if name else "")
        self._show()

    def flags(self) -> list[str]:
        used = self.notes.flags_in_use() if self.notes is not None else []
        return [*PRESET_FLAGS, *(f for f in used if f not in PRESET_FLAGS)]

    def set_flag(self, flag: str, on: bool) -> None:
        if self.notes is None or self.key is None or self._loading:
            return
        self.save_comment()  # a comment still waiting for its save delay: kept, not reset
        try:
            self._store(self.notes.get(self.key).with_flag(flag, on))
        except NotesError as exc:
            self.error.emit(str(exc))
        self._rebuild_flags()
        self._show()

    def save_comment(self) -> None:
        self._save_comment.stop()
        if self.notes is None or self.key is None:
            return
        note = self.notes.get(self.key)
        try:
            updated = note.with_comment(self.comment.toPlainText())
        except NotesError as exc:
            self.error.emit(str(exc))
            return
        if updated != note:
            self._store(updated)

    def _store(self, note: ImageNote) -> None:
        assert self.notes is not None and self.key is not None
        try:
            self.notes.set(self.key, note)
        except StoreError as exc:
            self.error.emit(f"could not save the image notes: {exc}")
            return
        self.note_changed.emit(self.key, note)

    def _add_flag(self) -> None:
        text = self.new_flag.text()
        if text.strip():
            self.set_flag(text, True)
            self.new_flag.clear()

    def _comment_typed(self) -> None:
        if not self._loading:
            self._save_comment.start()

    def _rebuild_flags(self) -> None:
        while self._grid.count():
            widget = self._grid.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self._boxes = {}
        for index, flag in enumerate(self.flags()):
            box = QCheckBox(flag)
            box.toggled.connect(lambda on, f=flag: self.set_flag(f, on))
            self._grid.addWidget(box, index // COLUMNS, index % COLUMNS)
            self._boxes[flag] = box

    def _show(self) -> None:
        note = self.notes.get(self.key) if self.notes is not None and self.key else ImageNote()
        self._loading = True
        try:
            for flag, box in self._boxes.items():
                box.setChecked(flag in note.flags)
            if self.comment.toPlainText().strip() != note.comment:
                self.comment.setPlainText(note.comment)
        finally:
            self._loading = False
        self.setEnabled(self.notes is not None and self.key is not None)
        self.comment.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Tab stays on the canvas
