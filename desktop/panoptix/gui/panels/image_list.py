"""The image list: one row per image with its status and how unsure the model is about it
(the share of the image still in doubt, ``core.review.image_uncertainty``), and a line of
counts per status.

The rows follow the project's order, or, with "least confident first", the uncertainty,
highest first, images without a figure last. A done image shows no figure (the annotator
vouched for it) and sorts with those. The current image keeps its place while it is
current, so stepping on from it (D / A follow this list) does not skip the images its own
new figure would move it past; it takes its new place when the user moves on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Protocol

import qtawesome as qta
from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

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


class _Item(QListWidgetItem):
    """A row that sorts by ``rank``, which the list sets before sorting."""

    rank: tuple = ()

    def __lt__(self, other: QListWidgetItem) -> bool:
        return self.rank < getattr(other, "rank", ())


class ImageRow(Protocol):
    """What the list needs of an image entry (``core.project.ImageEntry``)."""

    key: str
    rel_path: str
    status: Enum
    uncertainty: float | None


def status_name(status: Enum) -> str:
    return str(status.value if isinstance(status.value, str) else status.name).lower()


class ImageList(QWidget):
    """Emits ``image_chosen(key)`` when the user picks an image."""

    image_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.viewport().installEventFilter(self)
        self.counts = QLabel()
        self.counts.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.list)
        layout.addWidget(self.counts)
        self._items: dict[str, _Item] = {}
        self._statuses: dict[str, str] = {}
        self._order: dict[str, int] = {}
        """Each key's place in the project."""
        self._figures: dict[str, float] = {}
        """The uncertainty each row sorts by (the current row's may be older than shown)."""
        self.least_confident_first = False
        self._resort = QTimer(self, singleShot=True, interval=0)
        self._resort.timeout.connect(self._sort)
        self.list.currentItemChanged.connect(self._current_changed)
        self._quiet = False

    def set_images(self, images: Iterable[ImageRow]) -> None:
        self._quiet = True
        try:
            self.list.clear()
            self._items.clear()
            self._statuses.clear()
            self._order.clear()
            self._figures.clear()
            for entry in images:
                item = _Item(entry.rel_path)
                item.setData(KEY_ROLE, entry.key)
                item.setData(PATH_ROLE, entry.rel_path)
                item.setToolTip(entry.rel_path)
                self.list.addItem(item)
                self._items[entry.key] = item
                self._order[entry.key] = len(self._order)
                self.set_status(entry.key, entry.status)
                if entry.uncertainty is not None:
                    self.set_uncertainty(entry.key, entry.uncertainty)
            self._sort()
        finally:
            self._quiet = False

    def set_status(self, key: str, status: Enum) -> None:
        item = self._items.get(key)
        if item is None:
            return
        name = status_name(status)
        icon, color, _label = STATUS_LOOK.get(name, STATUS_LOOK["new"])
        item.setIcon(qta.icon(icon, color=color, color_selected="#ffffff"))  # on the highlight
        item.setStatusTip(name)
        was_done = self._statuses.get(key) == "done"
        self._statuses[key] = name
        self._show_text(item)
        self._update_counts()
        if self.least_confident_first and was_done != (name == "done") \
                and item is not self.list.currentItem():
            self._resort.start()

    def set_uncertainty(self, key: str, uncertainty: float) -> None:
        """Show how much of the image is still in doubt, e.g. ``street.jpg   12% unsure``."""
        item = self._items.get(key)
        if item is None:
            return
        item.setData(UNCERTAINTY_ROLE, float(uncertainty))
        self._show_text(item)
        if item is not self.list.currentItem():
            self._figures[key] = float(uncertainty)
            if self.least_confident_first:
                self._resort.start()

    def _show_text(self, item: QListWidgetItem) -> None:
        """The path, and how unsure the model is unless the image is done."""
        path, uncertainty = item.data(PATH_ROLE), item.data(UNCERTAINTY_ROLE)
        if self._statuses.get(item.data(KEY_ROLE)) == "done":
            item.setText(path)
            item.setToolTip(f"{path}\ndone")
        elif uncertainty is not None:
            item.setText(f"{path}   {uncertainty:.0%} unsure")
            item.setToolTip(f"{path}\n{uncertainty:.0%} of the image is unlabeled or has "
                            "segments the model was unsure of")
        else:
            item.setText(path)
            item.setToolTip(path)

    def set_least_confident_first(self, on: bool) -> None:
        """Sort by uncertainty, most unsure first (on), or in the project's order (off)."""
        self.least_confident_first = on
        self._settle(self.list.currentItem())
        self._sort()

    def _settle(self, item: QListWidgetItem | None) -> None:
        """Let ``item`` sort by the figure it shows."""
        if item is not None and item.data(UNCERTAINTY_ROLE) is not None:
            self._figures[item.data(KEY_ROLE)] = item.data(UNCERTAINTY_ROLE)

    def _sort(self) -> None:
        self._resort.stop()
        for key, item in self._items.items():
            figure = (self._figures.get(key) if self.least_confident_first
                      and self._statuses.get(key) != "done" else None)
            item.rank = (figure is None, -(figure or 0.0), self._order[key])
        self.list.sortItems()
        current = self.list.currentItem()
        if current is not None:
            self.list.scrollToItem(current)

    def uncertainty_of(self, key: str) -> float | None:
        item = self._items.get(key)
        return None if item is None else item.data(UNCERTAINTY_ROLE)

    def status_of(self, key: str) -> str | None:
        return self._statuses.get(key)

    def set_current(self, key: str) -> None:
        item = self._items.get(key)
        if item is not None and item is not self.list.currentItem():
            self._quiet = True
            try:
                self.list.setCurrentItem(item)
            finally:
                self._quiet = False

    def rel_path(self, key: str) -> str:
        item = self._items.get(key)
        return item.data(PATH_ROLE) if item is not None else key

    def selected_keys(self) -> list[str]:
        """The images selected (Ctrl/Shift+click), in the list's order."""
        return [self.list.item(i).data(KEY_ROLE) for i in range(self.list.count())
                if self.list.item(i).isSelected() and not self.list.item(i).isHidden()]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """A right click selects the image under it (unless it is among those selected)
        for the menu, without showing it: the image in view stays."""
        if watched is self.list.viewport() and isinstance(event, QMouseEvent) \
                and event.type() == QEvent.Type.MouseButtonPress \
                and event.button() == Qt.MouseButton.RightButton:
            item = self.list.itemAt(event.position().toPoint())
            if item is not None and not item.isSelected():
                self.list.selectionModel().select(
                    self.list.indexFromItem(item),
                    QItemSelectionModel.SelectionFlag.ClearAndSelect)
            return True
        return super().eventFilter(watched, event)

    def keys(self) -> list[str]:
        """The images shown, in the list's order (D and A follow it; a filter hides some)."""
        return [self.list.item(i).data(KEY_ROLE) for i in range(self.list.count())
                if not self.list.item(i).isHidden()]

    def set_note(self, key: str, flags: tuple[str, ...], comment: str) -> None:
        item = self._items.get(key)
        if item is not None:
            item.setData(NOTE_ROLE, (tuple(flags), comment))

    def note_of(self, key: str) -> tuple[tuple[str, ...], str]:
        item = self._items.get(key)
        note = item.data(NOTE_ROLE) if item is not None else None
        return note if note is not None else ((), "")

    def set_filter(self, accept: Callable[[str], bool] | None) -> None:
        """Show only the images whose key ``accept`` takes (all when None)."""
        for key, item in self._items.items():
            item.setHidden(accept is not None and not accept(key))

    def _update_counts(self) -> None:
        counts = Counter(self._statuses.values())
        # a narrow dock wraps the line between statuses, never inside "1 done"
        self.counts.setText("  ·  ".join(f"{counts.get(name, 0)}\N{NO-BREAK SPACE}{label}"
                                         for name, (_i, _c, label) in STATUS_LOOK.items()))

    def _current_changed(self, item: QListWidgetItem | None,
                         previous: QListWidgetItem | None) -> None:
        self._settle(previous)  # the image left takes the place its figure gives it
        if self.least_confident_first:
            self._resort.start()
        extending = QApplication.keyboardModifiers() & (
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        if item is not None and not self._quiet and not extending:
            self.image_chosen.emit(item.data(KEY_ROLE))  # Ctrl/Shift+click only select
