"""The segment table, kept in sync with the document's selection both ways.

Sorting by score ascending is the review order ("least confident first"): segments without
a score (made by hand) sort above every score, so they come last.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import qtawesome as qta
from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSize,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyle, QTableView, QWidget
from superqt.utils import qthrottled

from panoptix.core.document import Document

COLUMNS = ("#", "Category", "Type", "Area", "Score")
TYPICAL_ROW = ("12", "building-other-merged", "thing", "1,234,567", "0.00")
"""A row the table is wide enough for by default (its dock takes this width)."""
CATEGORY_COLUMN, TYPE_COLUMN, AREA_COLUMN, SCORE_COLUMN = 1, 2, 3, 4
CATEGORY_ROOM = "building-oth"
"""The least of a category name a narrow table keeps in view."""
NO_SCORE = 2.0
"""Sort value of a segment without a score: above any probability."""
SORT_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class SegmentRow:
    segment_id: int
    category: str
    color: tuple[int, int, int]
    isthing: bool
    area: int
    score: float | None
    locked: bool = False
    """By its own lock or its category's."""
    iscrowd: bool = False
    category_id: int = 0


def segment_rows(doc: Document) -> list[SegmentRow]:
    rows = []
    for segment_id, segment in sorted(doc.segments.items()):
        category = doc.categories.get(segment.category_id)
        rows.append(SegmentRow(
            segment_id,
            category.name if category else f"category {segment.category_id}",
            category.color if category else (128, 128, 128),
            bool(category and category.isthing), doc.area(segment_id), segment.score,
            doc.is_locked(segment_id), segment.iscrowd, segment.category_id))
    return rows


class SegmentTableModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[SegmentRow] = []
        self.hidden_categories: frozenset[int] = frozenset()
        """Categories the overlay does not draw: their rows are greyed."""

    def set_rows(self, rows: list[SegmentRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def update_areas(self, rows: list[SegmentRow]) -> bool:
        """Take ``rows`` in place when only areas differ (a brush stroke running): no
        reset, so the view neither lays out nor repaints more than the changed cells.
        False (nothing done) when segments came, went or changed otherwise."""
        if len(rows) != len(self.rows) or any(
                replace(new, area=0) != replace(old, area=0)
                for new, old in zip(rows, self.rows, strict=True)):
            return False
        changed = [i for i, (new, old) in enumerate(zip(rows, self.rows, strict=True))
                   if new.area != old.area]
        self.rows = rows
        if changed:
            self.dataChanged.emit(self.index(changed[0], AREA_COLUMN),
                                  self.index(changed[-1], AREA_COLUMN))
        return True

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802,B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802,B008
        return len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> object:
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return QColor(*row.color)
        if role == Qt.ItemDataRole.DecorationRole and column == CATEGORY_COLUMN and row.locked:
            return qta.icon("mdi6.lock")
        if role == Qt.ItemDataRole.ToolTipRole and column == CATEGORY_COLUMN and row.locked:
            return f"{row.category} (locked: edits leave it untouched)"
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (0, 3, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        hidden = row.category_id in self.hidden_categories
        if role == Qt.ItemDataRole.ForegroundRole and hidden:
            return QColor(150, 150, 150)
        if role == Qt.ItemDataRole.ToolTipRole and column == CATEGORY_COLUMN:
            # in full, should the column be too narrow
            return f"{row.category} (hidden in the view)" if hidden else row.category
        if role == Qt.ItemDataRole.ToolTipRole and column == SCORE_COLUMN and row.score is None:
            return "no model score: made by hand"
        if role == SORT_ROLE:
            values = (row.segment_id, row.category.casefold(), row.isthing, row.area,
                      NO_SCORE if row.score is None else row.score)
            return values[column]
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        kind = ("crowd" if row.iscrowd else "thing") if row.isthing else "stuff"
        texts = (str(row.segment_id), row.category, kind,
                 f"{row.area:,}", "–" if row.score is None else f"{row.score:.2f}")
        return texts[column]


class SegmentList(QTableView):
    """Shows the current document's segments; selecting rows selects segments."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_ = SegmentTableModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model_)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterKeyColumn(CATEGORY_COLUMN)  # the search box filters categories
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setModel(self.proxy)
        self.setSortingEnabled(True)
        self.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        rows = self.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        # the category takes what the number columns leave
        header = self.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(CATEGORY_COLUMN, QHeaderView.ResizeMode.Stretch)
        self._doc: Document | None = None
        self._syncing = False
        self.selectionModel().selectionChanged.connect(self._rows_selected)
        self._refresh_soon = qthrottled(self.refresh, timeout=150, parent=self)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self._width_for(TYPICAL_ROW), super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Room for the number, 12 characters of the category, the area and the score:
        the dock cannot be squeezed to where names read "bu…" (the window lays its docks
        out in one column instead, see ``adaptive_layout``)."""
        least = tuple(CATEGORY_ROOM if c == CATEGORY_COLUMN else "" if c == TYPE_COLUMN
                      else text for c, text in enumerate(TYPICAL_ROW))
        return QSize(self._width_for(least), super().minimumSizeHint().height())

    def _width_for(self, row: tuple[str, ...]) -> int:
        """The width that shows ``row``'s texts (or its column titles, when wider) whole;
        an empty text: the column is left out."""
        metrics, header = self.fontMetrics(), self.horizontalHeader()
        padding = 2 * self.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 12
        title_padding = 2 * self.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin) \
            + self.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize)
        swatch = self.iconSize().width() if self.iconSize().isValid() else 16
        width = swatch + self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth()
        for text, title in zip(row, COLUMNS, strict=True):
            if text:
                width += max(metrics.horizontalAdvance(text) + padding,
                             header.fontMetrics().horizontalAdvance(title) + title_padding)
        return width

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """A narrow table (a small or high-DPI screen) hides the Type column (thing or
        stuff) rather than cut a category name; the least width (``minimumSizeHint``)
        keeps 12 characters of a name and the score. Type is shown while it is measured:
        a hidden column's title measures 0 wide, so the choice flipped at every call."""
        header = self.horizontalHeader()
        self.setColumnHidden(TYPE_COLUMN, False)
        names = max(self.sizeHintForColumn(CATEGORY_COLUMN),
                    self.fontMetrics().horizontalAdvance(CATEGORY_ROOM) + 12)
        needed = sum(max(header.sectionSizeHint(c), self.sizeHintForColumn(c))
                     for c in range(len(COLUMNS)) if c != CATEGORY_COLUMN)
        self.setColumnHidden(TYPE_COLUMN, needed + names > self.viewport().width())

    def set_document(self, doc: Document | None) -> None:
        if self._doc is not None:
            self._doc.segments_changed.disconnect(self._on_segments_changed)
            self._doc.selection_changed.disconnect(self._show_selection)
        self._doc = doc
        if doc is not None:
            doc.segments_changed.connect(self._on_segments_changed)
            doc.selection_changed.connect(self._show_selection)
        self.refresh()

    def set_least_confident_first(self, on: bool) -> None:
        """Sort by score, lowest first (on), or back by segment number (off)."""
        self.sortByColumn(SCORE_COLUMN if on else 0, Qt.SortOrder.AscendingOrder)

    def _on_segments_changed(self, _ids: frozenset[int]) -> None:
        self._refresh_soon()

    def refresh(self) -> None:
        """Rebuild the rows from the document (throttled while a brush stroke runs; when
        only areas changed, as during a stroke, just those cells are updated)."""
        rows = segment_rows(self._doc) if self._doc is not None else []
        if self.model_.rows and self.model_.update_areas(rows):
            return
        self._syncing = True
        try:
            self.model_.set_rows(rows)
        finally:
            self._syncing = False
        self._fit_columns()
        self._show_selection(self._doc.selection if self._doc is not None else frozenset())

    def _show_selection(self, selection: frozenset[int]) -> None:
        wanted = QItemSelection()
        first = None
        for row, item in enumerate(self.model_.rows):
            if item.segment_id in selection:
                index = self.proxy.mapFromSource(self.model_.index(row, 0))
                wanted.select(index, index)
                first = first or index
        self._syncing = True
        try:
            self.selectionModel().select(
                wanted, QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows)
        finally:
            self._syncing = False
        if first is not None:
            self.scrollTo(first)

    def _rows_selected(self) -> None:
        if self._syncing or self._doc is None:
            return
        self._doc.select(self.selected_ids())

    def set_hidden_categories(self, hidden: frozenset[int]) -> None:
        """Grey the rows of categories the overlay does not draw."""
        if hidden != self.model_.hidden_categories:
            self.model_.hidden_categories = hidden
            if self.model_.rows:
                self.model_.dataChanged.emit(
                    self.model_.index(0, 0),
                    self.model_.index(len(self.model_.rows) - 1, len(COLUMNS) - 1))

    def segment_at(self, point: QPoint) -> int | None:
        """The segment of the row at a viewport point."""
        index = self.indexAt(point)
        if not index.isValid():
            return None
        return self.model_.rows[self.proxy.mapToSource(index).row()].segment_id

    def selected_ids(self) -> set[int]:
        return {self.model_.rows[self.proxy.mapToSource(index).row()].segment_id
                for index in self.selectionModel().selectedRows()}
