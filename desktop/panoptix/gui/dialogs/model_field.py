"""A model chooser: the published checkpoints by title, or any hub id or local folder."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QPushButton, QWidget


class ModelField(QWidget):
    """An editable list of ``(title, hub id)`` entries and a Folder… button; :meth:`text`
    is the hub id or folder chosen or typed."""

    def __init__(self, entries: Iterable[tuple[str, str]], current: str, tip: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox(editable=True)
        self.combo.setMinimumContentsLength(40)
        for title, model_id in entries:
            self.combo.addItem(title, model_id)
            self.combo.setItemData(self.combo.count() - 1, model_id,
                                   Qt.ItemDataRole.ToolTipRole)
        self.combo.setEditText(current)
        self.combo.activated.connect(
            lambda index: self.combo.setEditText(self.combo.itemData(index)))
        self.combo.setToolTip(tip)
        browse = QPushButton("Folder…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, 1)
        row.addWidget(browse)

    def text(self) -> str:
        return self.combo.currentText().strip()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Model folder")
        if folder:
            self.combo.setEditText(folder)
