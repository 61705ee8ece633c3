"""Small windows: the relabel popup (L) and the list of keyboard shortcuts."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from panoptix.core.document import Document
from panoptix.gui.panels.category_picker import CategoryPicker

Suggest = Callable[[Document], list[tuple[int, float | None]]]
MAX_RECENT_CATEGORIES = 5


class RelabelPopup(QFrame):
    """A category picker at the cursor; typing filters, Enter or a click relabels.

    ``suggest`` fills the 'Suggested' section; by default it offers the categories chosen
    most recently. Model-assisted editing plugs its top-k label guesses in here.
    """

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.picker = CategoryPicker(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.picker)
        self.resize(300, 380)
        self.recent: list[int] = []
        self.suggest: Suggest = lambda _doc: [(c, None) for c in self.recent]
        self.picker.category_chosen.connect(self._remember)

    def show_for(self, doc: Document, anchor: QWidget) -> None:
        self.picker.set_categories(doc.categories)
        self.picker.set_suggestions(self.suggest(doc))
        self.picker.filter.clear()
        position = QCursor.pos()
        if not anchor.rect().contains(anchor.mapFromGlobal(position)):
            position = anchor.mapToGlobal(anchor.rect().center())
        self.move(position)
        self.show()
        self.picker.filter.setFocus()

    def _remember(self, category_id: int) -> None:
        self.recent = [category_id, *(c for c in self.recent if c != category_id)]
        del self.recent[MAX_RECENT_CATEGORIES:]


def show_shortcuts(parent: QWidget, rows: list[tuple[str, str]]) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle("Keyboard shortcuts")
    table = QTableWidget(len(rows), 2)
    table.setHorizontalHeaderLabels(["Command", "Shortcut"])
    table.verticalHeader().hide()
    for row, (command, keys) in enumerate(rows):
        table.setItem(row, 0, QTableWidgetItem(command))
        table.setItem(row, 1, QTableWidgetItem(keys))
    table.resizeColumnsToContents()
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(table)
    layout.addWidget(buttons)
    dialog.resize(420, 520)
    dialog.open()
    return dialog
