"""The category picker: type to filter, colours, thing/stuff, and a 'suggested' section.

One widget serves both as the docked panel (the category new segments get; categories can
be added and edited there) and inside the relabel popup (L). ``set_suggestions`` fills the
section on top, e.g. with a model's best guesses for the selection; digit keys 1-5 pick
the first five suggestions while the filter is empty.

In the panel (``follows_highlight``) the highlighted row *is* the current category: moving
the highlight with the arrow keys chooses, so what is shown is always what the brush
paints with. Enter in the filter chooses the best match (the exact name, then a prefix,
then a substring), clears the filter and hands the
keyboard back (``leave_requested``), as does Esc; letters typed in the list go to the
filter instead of silently jumping between rows.
"""

from __future__ import annotations

from collections.abc import Iterable

import qtawesome as qta
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QColorDialog,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from panoptix.core.categories import Category, CategoryError, CategorySet, normalize_name

ID_ROLE = Qt.ItemDataRole.UserRole
NAME_ROOM = "building-oth"
"""The least of a category name a narrow list keeps in view before it drops thing/stuff."""
DIGIT_KEYS = {Qt.Key.Key_1: 0, Qt.Key.Key_2: 1, Qt.Key.Key_3: 2, Qt.Key.Key_4: 3, Qt.Key.Key_5: 4}


def swatch(color: tuple[int, int, int], size: int = 14) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(*color))
    return QIcon(pixmap)


class CategoryPicker(QWidget):
    """Emits ``category_chosen(id)`` on click, Enter or double-click (and, when
    ``follows_highlight``, whenever the highlighted row changes)."""

    category_chosen = Signal(int)
    leave_requested = Signal()
    """The user is done here (Enter chose, or Esc): give the keyboard back to the canvas."""
    items_changed = Signal()
    """The rows were rebuilt (categories or suggestions changed)."""

    def __init__(self, parent: QWidget | None = None, follows_highlight: bool = False) -> None:
        super().__init__(parent)
        self.follows_highlight = follows_highlight
        self._quiet = False
        self.filter = QLineEdit(placeholderText="Type to filter categories…")
        self.filter.setClearButtonEnabled(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setColumnCount(2)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(8)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(0, self.tree.header().ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(
            1, self.tree.header().ResizeMode.ResizeToContents)
        self.tree.setMinimumWidth(self._name_width() + self.tree.verticalScrollBar().sizeHint()
                                  .width() + 2 * self.tree.frameWidth())
        self._suggested = QTreeWidgetItem(["Suggested"])
        self._all = QTreeWidgetItem(["All categories"])
        for header in (self._suggested, self._all):
            header.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = header.font(0)
            font.setBold(True)
            header.setFont(0, font)
            self.tree.addTopLevelItem(header)
            header.setExpanded(True)
        self._suggested.setHidden(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree)
        self.categories: CategorySet | None = None
        self.filter.textChanged.connect(self._apply_filter)
        self.filter.returnPressed.connect(self.choose_best_match)
        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemActivated.connect(self._clicked)
        self.tree.currentItemChanged.connect(self._highlighted)
        self.filter.installEventFilter(self)
        self.tree.installEventFilter(self)
        self.tree.viewport().installEventFilter(self)  # its resizes: see _fit_columns

    def set_categories(self, categories: CategorySet | None) -> None:
        current = self.current_id()
        self.categories = categories
        self._quiet = True
        try:
            self._all.takeChildren()
            for category in categories or ():
                self._all.addChild(self._item(category))
            self._apply_filter(self.filter.text())
        finally:
            self._quiet = False
        if current is not None:
            self.set_current(current)
        self.items_changed.emit()

    def set_suggestions(self, suggestions: Iterable[tuple[int, float | None]]) -> None:
        """Show categories with an optional score (0..1) in the section on top."""
        self._quiet = True
        try:
            self._suggested.takeChildren()
            for category_id, score in suggestions:
                category = self.categories.get(category_id) if self.categories else None
                if category is not None:
                    item = self._item(category, score)
                    number = self._suggested.childCount() + 1
                    if number <= len(DIGIT_KEYS):
                        item.setText(0, f"{number}  {category.name}")
                    self._suggested.addChild(item)
            self._apply_filter(self.filter.text())
        finally:
            self._quiet = False
        self.items_changed.emit()

    def suggested_ids(self) -> list[int]:
        return [self._suggested.child(i).data(0, ID_ROLE)
                for i in range(self._suggested.childCount())]

    def set_current(self, category_id: int | None) -> None:
        """Highlight a category (without announcing it: it is current already)."""
        self._quiet = True
        try:
            for index in range(self._all.childCount()):
                item = self._all.child(index)
                if item.data(0, ID_ROLE) == category_id:
                    self.tree.setCurrentItem(item)
                    self.tree.scrollToItem(item)
                    return
            self.tree.clearSelection()
        finally:
            self._quiet = False

    def current_id(self) -> int | None:
        item = self.tree.currentItem()
        return None if item is None else item.data(0, ID_ROLE)

    def visible_ids(self) -> list[int]:
        return [item.data(0, ID_ROLE) for item in self._entries() if not item.isHidden()]

    def best_match(self) -> int | None:
        """The category Enter picks: the exact name (whatever the case) first, then one
        that starts with what was typed, then the first that contains it."""
        wanted = normalize_name(self.filter.text())
        shown = [item for item in self._entries() if not item.isHidden()]
        if not shown:
            return None

        def rank(item: QTreeWidgetItem) -> int:
            name = normalize_name(item.text(0))
            return 0 if name == wanted else 1 if name.startswith(wanted) else 2

        return int(min(shown, key=rank).data(0, ID_ROLE))  # min keeps the list's order

    def choose_best_match(self) -> None:
        best = self.best_match()
        if best is not None:
            self.category_chosen.emit(best)
        if self.follows_highlight:
            self.filter.clear()
            self.leave_requested.emit()

    def _item(self, category: Category, score: float | None = None) -> QTreeWidgetItem:
        kind = "thing" if category.isthing else "stuff"
        odds = "" if score is None else "<1%" if 0 < score < 0.005 else f"{score:.0%}"
        item = QTreeWidgetItem([category.name, kind if score is None else odds])
        item.setIcon(0, swatch(category.color))
        item.setData(0, ID_ROLE, category.id)
        item.setToolTip(0, f"{category.name} (id {category.id}, {kind})")
        item.setForeground(1, QColor(128, 128, 128))
        return item

    def _entries(self) -> list[QTreeWidgetItem]:
        return [header.child(i) for header in (self._suggested, self._all)
                for i in range(header.childCount())]

    def _apply_filter(self, text: str) -> None:
        wanted = normalize_name(text)
        for item in self._entries():
            item.setHidden(bool(wanted) and wanted not in normalize_name(item.text(0)))
        shown = any(not self._suggested.child(i).isHidden()
                    for i in range(self._suggested.childCount()))
        self._suggested.setHidden(not shown)

    def _name_width(self) -> int:
        """The room 12 characters of a name take, with the swatch before them: the list
        is never narrower (the window lays its docks out in one column instead)."""
        tree = self.tree
        swatch = tree.iconSize().width() if tree.iconSize().isValid() else 16
        return tree.indentation() + swatch + tree.fontMetrics().horizontalAdvance(NAME_ROOM) + 12

    def _fit_columns(self) -> None:
        """A narrow list (a small or high-DPI screen) hides thing/stuff (or the scores)
        rather than squeeze the names."""
        tree = self.tree
        needed = self._name_width() + tree.fontMetrics().horizontalAdvance("thing  ")
        tree.setColumnHidden(1, tree.viewport().width() < needed)

    def _keep_current_in_view(self) -> None:
        """After the list changed size (the window settling its docks, a smaller screen,
        a tab): scroll the current category back into view if it left it."""
        item = self.tree.currentItem()
        if item is not None and not item.isHidden() \
                and not self.tree.viewport().rect().contains(self.tree.visualItemRect(item)):
            self.tree.scrollToItem(item)

    def _clicked(self, item: QTreeWidgetItem) -> None:
        category_id = item.data(0, ID_ROLE)
        if category_id is not None:
            self.category_chosen.emit(int(category_id))

    def _highlighted(self, item: QTreeWidgetItem | None) -> None:
        category_id = item.data(0, ID_ROLE) if item is not None else None
        if self.follows_highlight and not self._quiet and category_id is not None:
            self.category_chosen.emit(int(category_id))

    def _leave_keys(self, watched: object, event: QKeyEvent) -> bool:
        """Esc in the panel clears the filter and hands the keyboard back; letters typed
        in the list are typed into the filter."""
        if not self.follows_highlight:
            return False
        if event.key() == Qt.Key.Key_Escape and not event.modifiers():
            if event.type() == QKeyEvent.Type.ShortcutOverride:
                event.accept()  # before the window's Esc (deselect) takes it
                return True
            self.filter.clear()
            self.leave_requested.emit()
            return True
        if watched is self.tree and event.type() == QKeyEvent.Type.KeyPress \
                and event.text().isprintable() and event.text().strip() \
                and not event.modifiers() & ~(Qt.KeyboardModifier.ShiftModifier
                                              | Qt.KeyboardModifier.KeypadModifier) \
                and DIGIT_KEYS.get(Qt.Key(event.key())) is None:
            self.filter.setFocus()
            self.filter.insert(event.text())
            return True
        return False

    def eventFilter(self, watched: object, event: object) -> bool:  # noqa: N802 - Qt override
        """Down/Up in the filter box move through the list; 1-5 pick a suggestion."""
        if watched is self.tree.viewport() and isinstance(event, QEvent) \
                and event.type() == QEvent.Type.Resize:
            self._fit_columns()
            self._keep_current_in_view()
        if isinstance(event, QKeyEvent) and event.type() in (
                QKeyEvent.Type.KeyPress, QKeyEvent.Type.ShortcutOverride) \
                and self._leave_keys(watched, event):
            return True
        if not isinstance(event, QKeyEvent) or event.type() != QKeyEvent.Type.KeyPress:
            return super().eventFilter(watched, event)  # type: ignore[arg-type]
        if watched is self.filter and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            self.tree.setFocus()
            self.tree.keyPressEvent(event)
            return True
        position = DIGIT_KEYS.get(Qt.Key(event.key()))
        suggested = self.suggested_ids()
        if position is not None and position < len(suggested) and not self.filter.text() \
                and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            self.category_chosen.emit(int(suggested[position]))
            return True
        return super().eventFilter(watched, event)  # type: ignore[arg-type]


class CategoryDialog(QDialog):
    """Add a category or edit one: name, thing/stuff, colour, supercategory."""

    def __init__(self, parent: QWidget | None, category: Category | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit category" if category else "Add category")
        self.name = QLineEdit(category.name if category else "")
        self.supercategory = QLineEdit(category.supercategory if category else "")
        self.isthing = QCheckBox("Countable thing (instances), not stuff")
        self.isthing.setChecked(category.isthing if category else True)
        self.color: tuple[int, int, int] | None = category.color if category else None
        self.color_button = QPushButton("Choose…")
        self.color_button.clicked.connect(self._pick_color)
        self._show_color()
        form = QFormLayout(self)
        form.addRow("Name", self.name)
        form.addRow("Supercategory", self.supercategory)
        form.addRow("", self.isthing)
        form.addRow("Colour", self.color_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _pick_color(self) -> None:
        chosen = QColorDialog.getColor(QColor(*(self.color or (128, 128, 128))), self)
        if chosen.isValid():
            self.color = (chosen.red(), chosen.green(), chosen.blue())
            self._show_color()

    def _show_color(self) -> None:
        if self.color is not None:
            self.color_button.setIcon(swatch(self.color))

    def apply_to(self, categories: CategorySet, category_id: int | None) -> Category:
        """Add or update the category in ``categories``; raises ``CategoryError``."""
        name, isthing = self.name.text(), self.isthing.isChecked()
        supercategory = self.supercategory.text().strip()
        if category_id is None:
            return categories.add(name, isthing, self.color, supercategory)
        changes: dict[str, object] = {"name": name, "isthing": isthing,
                                      "supercategory": supercategory}
        if self.color is not None:
            changes["color"] = self.color
        return categories.update(category_id, **changes)


class CategoryPanel(QWidget):
    """The docked picker with add and edit buttons; ``categories_edited`` after a change."""

    categories_edited = Signal()
    error = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.picker = CategoryPicker(follows_highlight=True)
        self.add_button = QToolButton(icon=qta.icon("mdi6.plus"), toolTip="Add a category")
        self.edit_button = QToolButton(icon=qta.icon("mdi6.pencil"),
                                       toolTip="Rename, recolour or change thing/stuff")
        self.add_button.clicked.connect(lambda: self.edit_category(None))
        self.edit_button.clicked.connect(lambda: self.edit_category(self.picker.current_id()))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.edit_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.picker)
        layout.addLayout(buttons)
        self.dialog: CategoryDialog | None = None

    def edit_category(self, category_id: int | None) -> None:
        categories = self.picker.categories
        if categories is None:
            return
        current = categories.get(category_id) if category_id is not None else None
        self.dialog = CategoryDialog(self, current)
        self.dialog.accepted.connect(lambda: self._apply(current.id if current else None))
        self.dialog.open()

    def _apply(self, category_id: int | None) -> None:
        categories = self.picker.categories
        if self.dialog is None or categories is None:
            return
        try:
            category = self.dialog.apply_to(categories, category_id)
        except CategoryError as exc:
            self.error.emit(str(exc))
            return
        self.picker.set_categories(categories)
        self.picker.set_current(category.id)
        self.picker.category_chosen.emit(category.id)  # added or edited: it is current
        self.categories_edited.emit()
