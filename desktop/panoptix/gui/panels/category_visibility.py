"""Hide / show / solo categories from the category panel: an eye per row and a menu.

A click on a row's eye hides or shows that category (Ctrl+click: solo it, Ctrl+Shift:
add it to the solo) without making it the drawing category; the row's right-click menu
offers the same, and "Show all categories". Hidden rows are greyed.
"""

from __future__ import annotations

import qtawesome as qta
from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QColor, QMouseEvent
from PySide6.QtWidgets import QHeaderView, QMenu, QTreeWidgetItem

from panoptix.gui.panels.category_picker import ID_ROLE, CategoryPicker
from panoptix.gui.panels.visibility import CategoryVisibility

HIDDEN_TEXT = QColor(150, 150, 150)


def visibility_actions(menu: QMenu, visibility: CategoryVisibility, category_id: int,
                       name: str) -> None:
    """Add hide/show, solo and show-all entries for one category to ``menu``."""
    visible = visibility.is_visible(category_id)
    menu.addAction(qta.icon("mdi6.eye-off-outline" if visible else "mdi6.eye-outline"),
                   f"{'Hide' if visible else 'Show'} “{name}”",
                   lambda: visibility.set_visible(category_id, not visible))
    soloed = visibility.soloed == {category_id}
    menu.addAction(qta.icon("mdi6.eye-circle-outline"),
                   "Show all again" if soloed else f"Show only “{name}” (solo)",
                   lambda: visibility.solo(category_id))
    if visibility.soloed and category_id not in visibility.soloed:
        menu.addAction(f"Add “{name}” to the solo",
                       lambda: visibility.solo(category_id, add=True))
    show_all = menu.addAction(qta.icon("mdi6.eye-check-outline"), "Show all categories",
                              visibility.show_all)
    show_all.setEnabled(not visibility.is_default)


class VisibilityColumn(QObject):
    """Adds the eye column to a picker's list and keeps it in step with ``visibility``."""

    def __init__(self, picker: CategoryPicker, visibility: CategoryVisibility) -> None:
        super().__init__(picker)
        self.picker, self.visibility = picker, visibility
        tree = picker.tree
        self.column = tree.columnCount()
        tree.setColumnCount(self.column + 1)
        tree.header().setSectionResizeMode(self.column, QHeaderView.ResizeMode.ResizeToContents)
        tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        tree.customContextMenuRequested.connect(self._menu)
        tree.viewport().installEventFilter(self)
        self._eye = qta.icon("mdi6.eye-outline")
        self._closed = qta.icon("mdi6.eye-off-outline", color="#9e9e9e")
        picker.items_changed.connect(self.refresh)
        visibility.changed.connect(self.refresh)
        self.refresh()

    def _rows(self) -> list[QTreeWidgetItem]:
        tree = self.picker.tree
        return [tree.topLevelItem(t).child(i) for t in range(tree.topLevelItemCount())
                for i in range(tree.topLevelItem(t).childCount())]

    def refresh(self) -> None:
        """Each row's eye, tooltip and text colour; the tree is told once at the end (a
        change per row re-lays it out: 0.2-0.4 s for the 133 COCO categories)."""
        model = self.picker.tree.model()
        model.blockSignals(True)
        try:
            for item in self._rows():
                category_id = item.data(0, ID_ROLE)
                visible = category_id is None or self.visibility.is_visible(int(category_id))
                item.setIcon(self.column, self._eye if visible else self._closed)
                item.setToolTip(self.column, (
                    "Shown: click to hide, Ctrl+click to show only this category"
                    if visible else "Hidden: click to show"))
                item.setForeground(0, self.picker.tree.palette().text() if visible
                                   else HIDDEN_TEXT)
        finally:
            model.blockSignals(False)
        self.picker.tree.viewport().update()

    def eventFilter(self, watched: object, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """A press on the eye column toggles, and does not make the row current."""
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick) \
                and isinstance(event, QMouseEvent) \
                and event.button() == Qt.MouseButton.LeftButton:
            point = event.position().toPoint()
            tree = self.picker.tree
            item = tree.itemAt(point)
            if item is not None and tree.columnAt(point.x()) == self.column \
                    and item.data(0, ID_ROLE) is not None:
                if event.type() == QEvent.Type.MouseButtonPress:
                    self._toggle(int(item.data(0, ID_ROLE)), event.modifiers())
                return True
        return super().eventFilter(watched, event)  # type: ignore[arg-type]

    def _toggle(self, category_id: int, modifiers: Qt.KeyboardModifier) -> None:
        if modifiers & Qt.KeyboardModifier.ControlModifier:
            self.visibility.solo(category_id,
                                 add=bool(modifiers & Qt.KeyboardModifier.ShiftModifier))
        else:
            self.visibility.toggle(category_id)

    def _menu(self, point: QPoint) -> None:
        tree = self.picker.tree
        item = tree.itemAt(point)
        category_id = item.data(0, ID_ROLE) if item is not None else None
        menu = QMenu(tree)
        if category_id is not None:
            name = item.text(0).split("  ", 1)[-1]
            visibility_actions(menu, self.visibility, int(category_id), name)
        else:
            menu.addAction("Show all categories", self.visibility.show_all).setEnabled(
                not self.visibility.is_default)
        self.menu = menu
        menu.popup(tree.viewport().mapToGlobal(point))
