"""Model settings: model (registry list, hub id or local folder), device, task, thresholds.

Threshold changes are announced live (``thresholds_changed``, debounced) so the window can
re-run only the post-processing of the image in view from its kept raw outputs; the
model, device and task take effect when the dialog is accepted.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QSpinBox,
    QWidget,
)
from superqt import QLabeledDoubleSlider
from superqt.utils import qdebounced

from panoptix.gui.dialogs.model_field import ModelField
from panoptix.gui.dialogs.settings_form import SettingsForm, allow_pickle_box
from panoptix.gui.panels.threshold_panel import THRESHOLDS
from panoptix.inference.demo_model import DEMO_SCOPE, DEMO_SPEC, DEMO_TITLE
from panoptix.inference.registry import MODELS
from panoptix.inference.settings import DEVICES, InferenceSettings, SettingsError

TASK_CHOICES = ("auto", "panoptic", "semantic", "instance")


class SettingsDialog(SettingsForm):
    thresholds_changed = Signal(object)
    """An ``InferenceSettings`` with the new thresholds (and the old model/device/task)."""

    def __init__(self, settings: InferenceSettings, parent: QWidget | None = None) -> None:
        super().__init__("Model settings", parent)
        self._initial = settings
        model_row = ModelField(((info.title, info.model_id) for info in MODELS), settings.model,
                               "A model from the list, any Hugging Face hub id, or a local "
                               "folder")
        self.model = model_row.combo
        self.model.addItem(f"{DEMO_TITLE} (bundled, offline)", DEMO_SPEC)
        self.model.setItemData(self.model.count() - 1, DEMO_SCOPE, Qt.ItemDataRole.ToolTipRole)
        self.model.setEditText(settings.model)
        self.device = QComboBox()
        self.device.addItems(DEVICES)
        self.device.setEditable(True)
        self.device.setCurrentText(settings.device)
        self.task = QComboBox()
        self.task.addItems(TASK_CHOICES)
        self.task.setCurrentText(settings.task or "auto")
        self.sliders: dict[str, QLabeledDoubleSlider] = {}
        form = self.form
        form.addRow("Model", model_row)
        form.addRow("Device", self.device)
        form.addRow("Task", self.task)
        for name, label, tip in THRESHOLDS:
            slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
            slider.setRange(0.0, 1.0)
            slider.setDecimals(2)
            slider.setSingleStep(0.05)
            slider.setValue(getattr(settings, name))
            slider.setToolTip(tip)
            slider.valueChanged.connect(self._announce_thresholds)
            self.sliders[name] = slider
            form.addRow(label, slider)
        self.shortest_edge = QSpinBox(minimum=0, maximum=4096, singleStep=32,
                                      specialValueText="model default")
        self.shortest_edge.setValue(settings.shortest_edge or 0)
        self.half = QCheckBox("Half precision (CUDA only)")
        self.half.setChecked(settings.half)
        self.allow_pickle = allow_pickle_box(settings.allow_pickle)
        form.addRow("Input shortest edge", self.shortest_edge)
        form.addRow("", self.half)
        form.addRow("", self.allow_pickle)
        self.finish()
        self.result_settings: InferenceSettings | None = None

    def thresholds(self) -> dict[str, float]:
        return {name: round(slider.value(), 4) for name, slider in self.sliders.items()}

    def settings(self) -> InferenceSettings:
        """The settings as shown; raises ``SettingsError``."""
        task = self.task.currentText()
        return InferenceSettings(
            model=self.model.currentText().strip(), device=self.device.currentText().strip(),
            task=None if task == "auto" else task, shortest_edge=self.shortest_edge.value() or None,
            half=self.half.isChecked(), allow_pickle=self.allow_pickle.isChecked(),
            snap_edges=self._initial.snap_edges,  # the threshold panel's switches
            split_parts=self._initial.split_parts,
            **self.thresholds())

    @qdebounced(timeout=250)
    def _announce_thresholds(self, _value: float = 0.0) -> None:
        try:
            self.thresholds_changed.emit(self._initial.with_changes(**self.thresholds()))
        except SettingsError as exc:
            self.error.setText(str(exc))


