"""Segment Anything settings: the SAM model (list, hub id or folder), device, pickles, and
whether embeddings are also kept on disk."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QWidget

from panoptix.gui.dialogs.model_field import ModelField
from panoptix.gui.dialogs.settings_form import SettingsForm, allow_pickle_box
from panoptix.inference.sam.models import SAM_MODELS
from panoptix.inference.sam.settings import SamSettings
from panoptix.inference.settings import DEVICES


class SamSettingsDialog(SettingsForm):
    def __init__(self, settings: SamSettings, parent: QWidget | None = None) -> None:
        super().__init__("Segment Anything model", parent)
        self.model = ModelField(((info.title, info.model_id) for info in SAM_MODELS),
                                settings.model, "A SAM 2 or SAM checkpoint: from the list, "
                                "any Hugging Face hub id, or a local folder")
        self.device = QComboBox(editable=True)
        self.device.addItems(DEVICES)
        self.device.setCurrentText(settings.device)
        self.keep_on_disk = QCheckBox("Keep embeddings on disk (about 8 MB per image)")
        self.keep_on_disk.setChecked(settings.keep_on_disk)
        self.allow_pickle = allow_pickle_box(settings.allow_pickle)
        self.form.addRow("Model", self.model)
        self.form.addRow("Device", self.device)
        self.form.addRow("", self.keep_on_disk)
        self.form.addRow("", self.allow_pickle)
        self.finish()
        self.result_settings: SamSettings | None = None

    def settings(self) -> SamSettings:
        """The settings as shown; raises ``SettingsError``."""
        return SamSettings(model=self.model.text(), device=self.device.currentText().strip(),
                           allow_pickle=self.allow_pickle.isChecked(),
                           keep_on_disk=self.keep_on_disk.isChecked())
