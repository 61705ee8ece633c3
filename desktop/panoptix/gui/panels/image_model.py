"""The image list's model: the project's images as rows read from its table when shown.

No object per image: the filter and the order are one SQL query giving the rows' positions
(an array of integers), and a row's path, status and figure are read with those near it
when the view first paints it, then kept in a bounded cache. What the window was told and
the table may not hold yet (a save still on the saver thread) is kept on the side and
shown over the row. The counts per status are the project's (kept as statuses change, never
recounted) with the statuses told and not written yet moved over.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TypeVar

import numpy as np
import qtawesome as qta
from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QIcon

from panoptix.core.image_table import ImageTable, RowQuery
from panoptix.core.manifest import ImageEntry, ImageStatus, ProjectError

KEY_ROLE = Qt.ItemDataRole.UserRole
PATH_ROLE = Qt.ItemDataRole.UserRole + 1
UNCERTAINTY_ROLE = Qt.ItemDataRole.UserRole + 2
NOTE_ROLE = Qt.ItemDataRole.UserRole + 3
"""(flags, comment) of the image (``core.image_notes``)."""
STATUS_LOOK = {
    "new": ("mdi6.circle-outline", "#9e9e9e", "new"),
    "presegmented": ("mdi6.circle-half-full", "#1e88e5", "pre-segmented"),
    "edited": ("mdi6.pencil-circle", "#fb8c00", "edited"),
    "done": ("mdi6.check-circle", "#43a047", "done"),
}
BLOCK = 128
"""Rows read together when the view asks for one not read yet."""
CACHE_ROWS = 4096
"""Rows kept once read (the least recently shown are dropped)."""
TOLD_KEPT = 256
"""Past this many, what the window was told is checked against the table and dropped
where the table holds it."""
_Index = QModelIndex | QPersistentModelIndex
_T = TypeVar("_T")
Reader = Callable[[Callable[[ImageTable], _T]], _T]
Counts = Callable[[], Mapping[ImageStatus, int]]


class ImageListModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._read: Reader | None = None
        self._written_counts: Counts = dict
        self._order = np.empty(0, np.int64)
        """The positions (row ids in the table) of the rows, in the list's order."""
        self._rows = np.empty(0, np.int64)
        """Each position's row in the list (-1: not shown)."""
        self._cache: OrderedDict[int, ImageEntry] = OrderedDict()
        self._status: dict[str, str] = {}
        self._figure: dict[str, float] = {}
        """Statuses and figures told, over the table's (whose row may not be written yet)."""
        self._held: tuple[str, float | None] | None = None
        """(key, figure it sorts by) of the image in view, which keeps its place."""
        self._notes: dict[str, tuple[tuple[str, ...], str]] = {}
        self._counts: Counter[str] = Counter()
        self._icons: dict[str, QIcon] = {}
        self.least_confident_first = False
        self.query = RowQuery()
        """The filter (statuses, keys) the rows follow."""

    # -- the project ----------------------------------------------------------------------
    def set_source(self, read: Reader | None, counts: Counts = dict) -> None:
        """Show the images of the table ``read`` queries (``Project.query_table``), whose
        counts per status ``counts`` gives (``Project.status_counts``)."""
        self.beginResetModel()
        self._read, self._cache, self._held = read, OrderedDict(), None
        self._written_counts = counts
        self._status.clear()
        self._figure.clear()
        self._notes.clear()
        self.recount()
        self._order = self._ordered()
        self._index_rows()
        self.endResetModel()

    def _ask(self, read: Callable[[ImageTable], _T]) -> _T | None:
        """``read`` from the table; None when there is none (no project, or closed)."""
        if self._read is None:
            return None
        try:
            return self._read(read)
        except ProjectError:
            return None

    # -- rows -----------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt
        return 0 if parent.isValid() else len(self._order)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        entry = self.entry_at(index.row()) if index.isValid() else None
        if entry is None:
            return None
        key = entry.key
        if role == KEY_ROLE:
            return key
        if role == PATH_ROLE:
            return entry.rel_path
        if role == NOTE_ROLE:
            return self._notes.get(key)
        status, figure = self._status.get(key, entry.status.value), self.figure_of(entry)
        if role == UNCERTAINTY_ROLE:
            return figure
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icon(status)
        if role == Qt.ItemDataRole.StatusTipRole:
            return status
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return _text(entry.rel_path, status, figure, role == Qt.ItemDataRole.ToolTipRole)
        return None

    def entry_at(self, row: int) -> ImageEntry | None:
        """The image in ``row`` (read with the rows near it the first time)."""
        if not 0 <= row < len(self._order):
            return None
        position = int(self._order[row])
        entry = self._cache.get(position)
        if entry is None:
            start = row - row % BLOCK
            found = self._ask(lambda table: table.rows_at(self._order[start:start + BLOCK]))
            self._cache.update(found or {})
            while len(self._cache) > CACHE_ROWS:
                self._cache.popitem(last=False)
            entry = self._cache.get(position)
        else:
            self._cache.move_to_end(position)
        return entry

    def row_of(self, key: str) -> int:
        """The row showing ``key``, -1 if none (filtered out, or no such image)."""
        position = self._ask(lambda table: table.position_of(key))
        if position is None or position >= len(self._rows):
            return -1
        return int(self._rows[position])

    def key_at(self, row: int) -> str | None:
        entry = self.entry_at(row)
        return None if entry is None else entry.key

    def entry_of(self, key: str) -> ImageEntry | None:
        """``key``'s image, shown or not."""
        row = self.row_of(key)
        if row >= 0:
            return self.entry_at(row)
        found = self._ask(lambda table: table.rows_for([key])) or {}
        return next(iter(found.values()), None)

    # -- what the window tells --------------------------------------------------------------
    def status_of(self, key: str) -> str | None:
        if key in self._status:
            return self._status[key]
        entry = self.entry_of(key)
        return None if entry is None else entry.status.value

    def figure_of(self, entry: ImageEntry) -> float | None:
        return self._figure.get(entry.key, entry.uncertainty)

    def set_status(self, key: str, status: str) -> str | None:
        """Show ``status`` (its row may be written already or not yet); the status shown
        before."""
        shown = self._status.get(key)
        if shown is None:
            position = self._ask(lambda table: table.position_of(key))
            entry = self._cache.get(position) if position is not None else None
            shown = entry.status.value if entry is not None else self.status_of(key)
        self._status[key] = status
        self._changed(key)
        self.recount()
        return shown

    def recount(self) -> None:
        """The project's counts, and the statuses told and not written yet moved over
        (they are few: no row is counted again)."""
        def read(table: ImageTable) -> tuple[Mapping, dict]:
            return self._written_counts(), table.rows_for(self._status) if self._status else {}

        written, rows = self._ask(read) or ({}, {})
        counts = Counter({ImageStatus(s).value: n for s, n in written.items()})
        for entry in rows.values():
            counts[entry.status.value] -= 1
            counts[self._status[entry.key]] += 1
        self._counts = counts

    def set_figure(self, key: str, figure: float) -> None:
        self._figure[key] = float(figure)
        self._changed(key)

    def counts(self) -> Mapping[str, int]:
        return self._counts

    def set_notes(self, notes: Mapping[str, tuple[tuple[str, ...], str]]) -> None:
        self._notes = dict(notes)
        self._all_changed()

    def set_note(self, key: str, flags: tuple[str, ...], comment: str) -> None:
        if flags or comment:
            self._notes[key] = (tuple(flags), comment)
        else:
            self._notes.pop(key, None)
        self._changed(key)

    def note_of(self, key: str) -> tuple[tuple[str, ...], str]:
        return self._notes.get(key, ((), ""))

    def noted_keys(self) -> Mapping[str, tuple[tuple[str, ...], str]]:
        """The images with a note (flags or a comment), usually few."""
        return self._notes

    def _changed(self, key: str) -> None:
        if len(self._status) + len(self._figure) > TOLD_KEPT:
            self._forget_written()
        row = self.row_of(key)
        if row >= 0:
            index = self.index(row)
            self.dataChanged.emit(index, index)

    def _all_changed(self) -> None:
        if len(self._order):
            self.dataChanged.emit(self.index(0), self.index(len(self._order) - 1))

    def _forget_written(self) -> None:
        """Drop what the window was told where the table now holds the same."""
        told = {*self._status, *self._figure}
        rows = self._ask(lambda table: table.rows_for(told)) or {}
        for position, entry in rows.items():
            key = entry.key
            if self._status.get(key, entry.status.value) == entry.status.value \
                    and self._figure.get(key, entry.uncertainty) == entry.uncertainty:
                self._status.pop(key, None)
                self._figure.pop(key, None)
                self._cache[position] = entry

    # -- order and filter -------------------------------------------------------------------
    def hold(self, key: str | None) -> bool:
        """Keep ``key`` (the image in view) where its figure puts it now while it is in
        view; the image held before takes its place: whether that moves it."""
        moved = False
        if self._held is not None:
            entry = self.entry_of(self._held[0])
            moved = entry is not None and self._sort_figure(entry) != self._held[1]
        self._held = None
        entry = self.entry_of(key) if key is not None else None
        if entry is not None:
            self._held = (entry.key, self._sort_figure(entry))
        return moved

    def _sort_figure(self, entry: ImageEntry) -> float | None:
        return None if self._status.get(entry.key, entry.status.value) == "done" \
            else self.figure_of(entry)

    def refresh(self, query: RowQuery | None = None) -> None:
        """Query the rows again (a filter or order changed, or what they sort by): the
        selection and the current row follow their images."""
        if query is not None:
            self.query = query
        self.layoutAboutToBeChanged.emit()
        old, persistent = self._order, self.persistentIndexList()
        positions = [int(old[i.row()]) if 0 <= i.row() < len(old) else -1 for i in persistent]
        self._order = self._ordered()
        self._index_rows()
        moved = [self.index(int(self._rows[p])) if 0 <= p < len(self._rows)
                 and self._rows[p] >= 0 else QModelIndex() for p in positions]
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    def _ordered(self) -> np.ndarray:
        if len(self._status) + len(self._figure) > TOLD_KEPT:
            self._forget_written()
        shown = self._stand_ins()
        query = RowQuery(self.query.statuses, self.query.keys, self.query.without,
                         self.least_confident_first, shown)
        order = self._ask(lambda table: table.ordered(query))
        return np.empty(0, np.int64) if order is None else order

    def _stand_ins(self) -> dict[str, tuple[ImageStatus, float | None]]:
        told = {*self._status, *self._figure}
        if self._held is not None:
            told.add(self._held[0])
        if not told:
            return {}
        rows = self._ask(lambda table: table.rows_for(told)) or {}
        shown = {}
        for entry in rows.values():
            status = self._status.get(entry.key, entry.status.value)
            figure = (self._held[1] if self._held is not None and self._held[0] == entry.key
                      else self._sort_figure(entry))
            shown[entry.key] = (ImageStatus(status), figure)
        return shown

    def _index_rows(self) -> None:
        size = int(self._order.max()) + 1 if len(self._order) else 0
        self._rows = np.full(size, -1, np.int64)
        self._rows[self._order] = np.arange(len(self._order))

    def _icon(self, status: str) -> QIcon:
        if status not in self._icons:
            icon, color, _label = STATUS_LOOK.get(status, STATUS_LOOK["new"])
            self._icons[status] = qta.icon(icon, color=color, color_selected="#ffffff")
        return self._icons[status]


def _text(path: str, status: str, figure: float | None, tip: bool) -> str:
    """The path, and how unsure the model is unless the image is done."""
    if status == "done":
        return f"{path}\ndone" if tip else path
    if figure is None:
        return path
    if tip:
        return (f"{path}\n{figure:.0%} of the image is unlabeled or has segments the model "
                "was unsure of")
    return f"{path}   {figure:.0%} unsure"


class KeyOrder(Sequence[str]):
    """The keys of the rows shown, in order, read as needed (D and A step through it)."""

    def __init__(self, model: ImageListModel) -> None:
        self._model = model

    def __len__(self) -> int:
        return self._model.rowCount()

    def __getitem__(self, row: int) -> str:  # type: ignore[override]
        key = self._model.key_at(row if row >= 0 else len(self) + row)
        if key is None:
            raise IndexError(row)
        return key

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._model.row_of(key) >= 0

    def index(self, key: object, start: int = 0, stop: int | None = None) -> int:
        row = self._model.row_of(key) if isinstance(key, str) else -1
        if row < start or (stop is not None and row >= stop):
            raise ValueError(f"{key!r} is not shown")
        return row

    def __iter__(self) -> Iterator[str]:
        return (self[row] for row in range(len(self)))
