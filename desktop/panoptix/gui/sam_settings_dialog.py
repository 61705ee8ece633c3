"""Segment Anything settings: the SAM model (list, hub id or folder), device, pickles, and
whether embeddings are also kept on disk."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from panoptix.inference.sam.models import SAM_MODELS
from panoptix.inference.sam.settings import SamSettings
from panoptix.inference.settings import DEVICES, SettingsError


class SamSettingsDialog(QDialog):
    def __init__(self, settings: SamSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Segment Anything model")
        self.model = QComboBox(editable=True)
        self.model.setMinimumContentsLength(36)
        for info in SAM_MODELS:
            self.model.addItem(info.title, info.model_id)
            self.model.setItemData(self.model.count() - 1, info.model_id,
                                   Qt.ItemDataRole.ToolTipRole)
        self.model.setEditText(settings.model)
        self.model.activated.connect(lambda index: self.model.setEditText(
            self.model.itemData(index)))
        self.model.setToolTip("A SAM 2 or SAM checkpoint: from the list, any Hugging Face "
                              "hub id, or a local folder")
        browse = QPushButton("Folder…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.model, 1)
        row.addWidget(browse)
        self.device = QComboBox(editable=True)
        self.device.addItems(DEVICES)
        self.device.setCurrentText(settings.device)
        self.keep_on_disk = QCheckBox("Keep embeddings on disk (about 8 MB per image)")
        self.keep_on_disk.setChecked(settings.keep_on_disk)
        self.allow_pickle = QCheckBox("Allow pickle (.bin) weights - they can run code")
        self.allow_pickle.setChecked(settings.allow_pickle)
        self.error = QLabel()
        self.error.setStyleSheet("color: #d32f2f")
        form = QFormLayout(self)
        form.addRow("Model", row)
        form.addRow("Device", self.device)
        form.addRow("", self.keep_on_disk)
        form.addRow("", self.allow_pickle)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.result_settings: SamSettings | None = None

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Segment Anything model folder")
        if folder:
            self.model.setEditText(folder)

    def settings(self) -> SamSettings:
        """The settings as shown; raises ``SettingsError``."""
        return SamSettings(model=self.model.currentText().strip(),
                           device=self.device.currentText().strip(),
                           allow_pickle=self.allow_pickle.isChecked(),
                           keep_on_disk=self.keep_on_disk.isChecked())

    def _accept(self) -> None:
        try:
            self.result_settings = self.settings()
        except SettingsError as exc:
            self.error.setText(str(exc))
            return
        self.accept()
