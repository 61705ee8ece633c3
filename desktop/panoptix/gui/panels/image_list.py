"""The image list: one row per image with its status and how unsure the model is about it
(the share of the image still in doubt, ``core.review.image_uncertainty``), and a line of
counts per status.

A view over ``ImageListModel``, which reads the rows from the project's table as they are
shown: a project of 100,000 images opens as fast as one of 20, and D / A step as fast. The
view is a one-column table dressed as a list: a QListView lays out every row (a call into
Python per row, a third of a second at 100,000), a table of fixed row height none.

The rows follow the project's order, or, with "least confident first", the uncertainty,
highest first, images without a figure last. A done image shows no figure (the annotator
vouched for it) and sorts with those. The current image keeps its place while it is
current, so stepping on from it (D / A follow this list) does not skip the images its own
new figure would move it past; it takes its new place when the user moves on.
"""

from __future__ import annotations

from enum import Enum
from typing import Protocol

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from panoptix.core.image_table import RowQuery
from panoptix.gui.panels.image_model import (
    KEY_ROLE,
    NOTE_ROLE,
    PATH_ROLE,
    STATUS_LOOK,
    UNCERTAINTY_ROLE,
    Counts,
    ImageListModel,
    KeyOrder,
    Reader,
)

__all__ = ["KEY_ROLE", "NOTE_ROLE", "PATH_ROLE", "STATUS_LOOK", "UNCERTAINTY_ROLE",
           "ImageList", "status_name"]


class TableSource(Protocol):
    """What the list needs of a project (``core.project.Project``)."""

    query_table: Reader
    status_counts: Counts


class _ListTable(QTableView):
    """Home and End go to the first and last image, as in a list (in a table: the first
    and last column)."""

    def moveCursor(self, action: QAbstractItemView.CursorAction,  # noqa: N802 - Qt override
                   modifiers: Qt.KeyboardModifier) -> QModelIndex:
        if action in (QAbstractItemView.CursorAction.MoveHome,
                      QAbstractItemView.CursorAction.MoveEnd):
            modifiers |= Qt.KeyboardModifier.ControlModifier
        return super().moveCursor(action, modifiers)


def _list_view() -> QTableView:
    """A table of one column, without headers or grid, rows of one fixed height."""
    view = _ListTable()
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.setTabKeyNavigation(False)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.horizontalHeader().hide()
    view.horizontalHeader().setStretchLastSection(True)
    rows = view.verticalHeader()
    rows.hide()
    rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    rows.setDefaultSectionSize(max(view.fontMetrics().height(), 16) + 6)
    return view


def status_name(status: Enum) -> str:
    return str(status.value if isinstance(status.value, str) else status.name).lower()


class ImageList(QWidget):
    """Emits ``image_chosen(key)`` when the user picks an image."""

    image_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ImageListModel(self)
        self.list = _list_view()
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setModel(self.model)
        self.list.viewport().installEventFilter(self)
        self.counts = QLabel()
        self.counts.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.list)
        layout.addWidget(self.counts)
        self._resort = QTimer(self, singleShot=True, interval=0)
        self._resort.timeout.connect(self._sort)
        self.list.selectionModel().currentChanged.connect(self._current_changed)
        self._quiet = False
        self._update_counts()

    @property
    def least_confident_first(self) -> bool:
        return self.model.least_confident_first

    def set_project(self, project: TableSource | None) -> None:
        """Show ``project``'s images (read from its table as they are shown)."""
        self._quiet = True
        try:
            if project is None:
                self.model.set_source(None)
            else:
                self.model.set_source(project.query_table, project.status_counts)
        finally:
            self._quiet = False
        self._update_counts()

    def set_status(self, key: str, status: Enum) -> None:
        name = status_name(status)
        shown = self.model.set_status(key, name)
        self._update_counts()
        if shown != name and (self.model.query.statuses is not None or (
                self.least_confident_first and (shown == "done") != (name == "done")
                and key != self._current_key())):
            self._resort.start()

    def set_uncertainty(self, key: str, uncertainty: float) -> None:
        """Show how much of the image is still in doubt, e.g. ``street.jpg   12% unsure``."""
        self.model.set_figure(key, uncertainty)
        if self.least_confident_first and key != self._current_key():
            self._resort.start()

    def set_least_confident_first(self, on: bool) -> None:
        """Sort by uncertainty, most unsure first (on), or in the project's order (off)."""
        self.model.least_confident_first = on
        self.model.hold(self._current_key())  # it sorts by the figure it shows
        self._sort()

    def _sort(self) -> None:
        self._resort.stop()
        self.model.refresh()
        current = self.list.currentIndex()
        if current.isValid():
            self.list.scrollTo(current)

    def uncertainty_of(self, key: str) -> float | None:
        entry = self.model.entry_of(key)
        return self.model.figure_of(entry) if entry is not None else None

    def status_of(self, key: str) -> str | None:
        return self.model.status_of(key)

    def set_current(self, key: str) -> None:
        row = self.model.row_of(key)
        if row >= 0 and row != self.list.currentIndex().row():
            self._quiet = True
            try:
                self.list.setCurrentIndex(self.model.index(row))
            finally:
                self._quiet = False

    def rel_path(self, key: str) -> str:
        entry = self.model.entry_of(key)
        return entry.rel_path if entry is not None else key

    def selected_keys(self) -> list[str]:
        """The images selected (Ctrl/Shift+click), in the list's order."""
        rows = sorted(index.row() for index in self.list.selectionModel().selectedIndexes())
        return [key for key in map(self.model.key_at, rows) if key is not None]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """A right click selects the image under it (unless it is among those selected)
        for the menu, without showing it: the image in view stays. When the list gets
        shorter (a dock settling, the window resized) the current image stays in view."""
        if watched is self.list.viewport() and event.type() == QEvent.Type.Resize:
            QTimer.singleShot(0, self, self._keep_current_in_view)  # not after self is gone
        if watched is self.list.viewport() and isinstance(event, QMouseEvent) \
                and event.type() == QEvent.Type.MouseButtonPress \
                and event.button() == Qt.MouseButton.RightButton:
            index = self.list.indexAt(event.position().toPoint())
            selection = self.list.selectionModel()
            if index.isValid() and not selection.isSelected(index):
                selection.select(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            return True
        return super().eventFilter(watched, event)

    def _keep_current_in_view(self) -> None:
        current = self.list.currentIndex()
        if current.isValid():
            self.list.scrollTo(current)

    def order(self) -> KeyOrder:
        """The images shown, in the list's order, read as needed (D and A follow it)."""
        return KeyOrder(self.model)

    def keys(self) -> list[str]:
        """Every image shown, in the list's order (reads them all: for small lists)."""
        return list(self.order())

    def set_notes(self, notes: dict[str, tuple[tuple[str, ...], str]]) -> None:
        """The flags and comment of each image that has a note."""
        self.model.set_notes(notes)

    def set_note(self, key: str, flags: tuple[str, ...], comment: str) -> None:
        self.model.set_note(key, flags, comment)

    def note_of(self, key: str) -> tuple[tuple[str, ...], str]:
        return self.model.note_of(key)

    def set_filter(self, query: RowQuery | None) -> None:
        """Show only the images ``query`` keeps (statuses, keys; all when None)."""
        if (query or RowQuery()) == self.model.query:
            return  # the same images (a flag offered or gone): no query of them all
        self.model.refresh(query or RowQuery())
        current = self.list.currentIndex()
        if current.isValid():
            self.list.scrollTo(current)

    def _update_counts(self) -> None:
        counts = self.model.counts()
        # a narrow dock wraps the line between statuses, never inside "1 done"
        self.counts.setText("  ·  ".join(f"{counts.get(name, 0)}\N{NO-BREAK SPACE}{label}"
                                         for name, (_i, _c, label) in STATUS_LOOK.items()))

    def _current_key(self) -> str | None:
        return self.model.key_at(self.list.currentIndex().row())

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        key = self.model.key_at(current.row()) if current.isValid() else None
        # the image left takes the place its figure gives it
        if self.model.hold(key) and self.least_confident_first:
            self._resort.start()
        extending = QApplication.keyboardModifiers() & (
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        if key is not None and not self._quiet and not extending:
            self.image_chosen.emit(key)  # Ctrl/Shift+click only select
