"""The shortcuts dialog: a preset (labelme-like or CVAT), then any key changed by recording it;
conflicts are marked as they appear and must be resolved before saving."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from panoptix.gui.keymap import PRESET_TITLES, Keymap, all_specs, conflicts, normalized, preset

SLOTS = 2
"""Shortcuts per command: a main one and an alternative."""
CONFLICT = QColor("#ffcdd2")


class ShortcutsDialog(QDialog):
    def __init__(self, preset_name: str, keymap: Keymap, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Customize shortcuts")
        self.result_preset, self.result_keymap = preset_name, dict(keymap)
        specs = all_specs()
        self.names = [name for name in specs if name in keymap]
        self.presets = QComboBox()
        for name, title in PRESET_TITLES.items():
            self.presets.addItem(title, name)
        self.presets.setCurrentIndex(max(0, self.presets.findData(preset_name)))
        self.presets.activated.connect(lambda _i: self.load(preset(self.presets.currentData())))
        self.search = QLineEdit(placeholderText="Filter commands…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.table = QTableWidget(len(self.names), 1 + SLOTS)
        self.table.setHorizontalHeaderLabels(["Command", "Shortcut", "Alternative"])
        self.table.verticalHeader().hide()
        self.editors: dict[str, list[QKeySequenceEdit]] = {}
        for row, name in enumerate(self.names):
            item = QTableWidgetItem(specs[name].text.replace("&", "").rstrip("…"))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            item.setToolTip(specs[name].tip)
            self.table.setItem(row, 0, item)
            self.editors[name] = []
            for slot in range(SLOTS):
                editor = QKeySequenceEdit()
                editor.setClearButtonEnabled(True)
                editor.setMaximumSequenceLength(1)
                editor.keySequenceChanged.connect(self._check)
                self.table.setCellWidget(row, 1 + slot, editor)
                self.editors[name].append(editor)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel
                                        | QDialogButtonBox.StandardButton.RestoreDefaults)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(
            lambda: self.load(preset(self.presets.currentData())))
        form = QFormLayout()
        form.addRow("Preset", self.presets)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.search)
        layout.addWidget(self.table)
        layout.addWidget(self.problems)
        layout.addWidget(self.buttons)
        self.resize(560, 640)
        self.load(keymap)

    def load(self, keymap: Keymap) -> None:
        for name, editors in self.editors.items():
            sequences = list(keymap.get(name, ()))[:SLOTS]
            for slot, editor in enumerate(editors):
                editor.blockSignals(True)
                editor.setKeySequence(QKeySequence(sequences[slot] if slot < len(sequences)
                                                   else ""))
                editor.blockSignals(False)
        self._check()

    def keymap(self) -> Keymap:
        return {name: tuple(s for s in (e.keySequence().toString(
            QKeySequence.SequenceFormat.PortableText) for e in editors) if s)
                for name, editors in self.editors.items()}

    def set_shortcut(self, name: str, sequence: str, slot: int = 0) -> None:
        """Record ``sequence`` for a command, as typing it into its field does."""
        self.editors[name][slot].setKeySequence(QKeySequence(sequence))

    def _check(self) -> None:
        found = conflicts(self.keymap())
        specs = all_specs()
        for row, name in enumerate(self.names):
            for editor in self.editors[name]:
                sequence = normalized(editor.keySequence().toString(
                    QKeySequence.SequenceFormat.PortableText))
                clash = bool(sequence) and sequence in found
                editor.setStyleSheet("background: #ffcdd2;" if clash else "")
            self.table.item(row, 0).setBackground(
                QBrush(CONFLICT) if any(name in names for names in found.values())
                else QBrush())
        lines = [f"{seq} is used by " + " and ".join(
            specs[n].text.replace("&", "").rstrip("…") for n in names)
                 for seq, names in sorted(found.items())]
        self.problems.setText("<b>Conflicts:</b> " + "; ".join(lines) if lines else "")
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not found)

    def _filter(self, text: str) -> None:
        text = text.casefold()
        for row in range(self.table.rowCount()):
            self.table.setRowHidden(row, text not in self.table.item(row, 0).text().casefold())

    def _accept(self) -> None:
        if conflicts(self.keymap()):
            return
        self.result_preset, self.result_keymap = self.presets.currentData(), self.keymap()
        self.accept()
