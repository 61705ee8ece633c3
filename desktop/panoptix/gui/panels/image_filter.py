"""Filtering the image list by flag, comment or status, and the flag chips on its rows.

``ImageFilter`` is a combo box above the list; the list shows the images the filter keeps
(a query of the project's table; the images with notes are few and named in it), so D and
A step through the images shown. ``FlagDelegate`` draws each
image's flags as small chips at the right of its row (and a speech mark for a comment).
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from panoptix.core.image_table import RowQuery
from panoptix.core.manifest import ImageStatus
from panoptix.gui.panels.image_list import NOTE_ROLE, STATUS_LOOK, ImageList

ALL, FLAGGED, COMMENTED, UNFLAGGED = "all", "flagged", "commented", "unflagged"
CHIP_COLOR = QColor("#6a1b9a")
CHIP_TEXT = QColor("#ffffff")


class ImageFilter(QComboBox):
    """Choices: all, flagged, with a comment, not flagged, each flag, each status."""

    changed = Signal()

    def __init__(self, images: ImageList, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.images = images
        self.setToolTip("Show only some images; D and A step through those shown")
        self.currentIndexChanged.connect(self.apply)
        self.set_flags([])

    def set_flags(self, flags: list[str]) -> None:
        """Offer ``flags`` (the project's, in use or preset); keeps the current choice."""
        current = self.currentData()
        self.blockSignals(True)
        try:
            self.clear()
            for text, data in (("All images", ALL), ("Flagged", FLAGGED),
                               ("With a comment", COMMENTED), ("Not flagged", UNFLAGGED)):
                self.addItem(text, data)
            for flag in flags:
                self.addItem(f"Flag: {flag}", f"flag:{flag}")
            for name, (_icon, _color, label) in STATUS_LOOK.items():
                self.addItem(f"Status: {label}", f"status:{name}")
            index = self.findData(current)
            self.setCurrentIndex(max(0, index))
        finally:
            self.blockSignals(False)
        self.apply()

    def choose(self, data: str) -> None:
        index = self.findData(data)
        if index >= 0:
            self.setCurrentIndex(index)

    def accepts(self) -> RowQuery | None:
        """The images the choice keeps (None: all)."""
        choice = self.currentData() or ALL
        if choice == ALL:
            return None
        kind, _, value = choice.partition(":")
        if kind == "status":
            return RowQuery(statuses=frozenset({ImageStatus(value)}))
        notes = self.images.model.noted_keys()
        if choice in (FLAGGED, UNFLAGGED):
            flagged = frozenset(key for key, (flags, _c) in notes.items() if flags)
            return RowQuery(keys=flagged, without=choice == UNFLAGGED)
        if choice == COMMENTED:
            return RowQuery(keys=frozenset(key for key, (_f, text) in notes.items() if text))
        return RowQuery(keys=frozenset(key for key, (flags, _c) in notes.items()
                                       if value in flags))

    def apply(self) -> None:
        self.images.set_filter(self.accepts())
        self.changed.emit()


class FlagDelegate(QStyledItemDelegate):
    """Paints the row as usual, then its flags as chips at the right end."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        note = index.data(NOTE_ROLE)
        if not note or not (note[0] or note[1]):
            super().paint(painter, option, index)
            return
        flags, comment = note
        metrics = QFontMetrics(option.font)  # type: ignore[attr-defined]
        rect: QRect = option.rect  # type: ignore[attr-defined]
        chips, right = [], rect.right() - 4
        for label in reversed([*flags, *(["…"] if comment else [])]):
            width = metrics.horizontalAdvance(label) + 10
            chip = QRect(right - width, rect.top() + 2, width, rect.height() - 4)
            if chip.left() < rect.left() + rect.width() // 3:
                break  # no room: the tooltip and the filter still tell
            chips.append((label, chip))
            right = chip.left() - 3
        style = option.widget.style() if option.widget else QApplication.style()  # type: ignore[attr-defined]
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter,
                            option.widget)  # type: ignore[attr-defined]
        text_part = QStyleOptionViewItem(option)
        text_part.rect = QRect(rect.left(), rect.top(), right - rect.left(), rect.height())  # type: ignore[attr-defined]
        super().paint(painter, text_part, index)  # the text ends before the chips (elided)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for label, chip in chips:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(CHIP_COLOR)
            painter.drawRoundedRect(chip, 6, 6)
            painter.setPen(CHIP_TEXT)
            painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, label)
        painter.restore()
