"""The threshold panel (a dock): class-score, mask and overlap thresholds as live sliders,
and the post-processing switches (snap boundaries to the image's edges, split detached
parts of objects).

Moving a slider (or a switch) announces the values once it rests for ``DEBOUNCE_MS``; the
``AssistController`` then post-processes the image in view again from its kept outputs
(asking first on an image edited by hand) and keeps the values for the project.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QWidget
from superqt import QLabeledDoubleSlider
from superqt.utils import qdebounced

from panoptix.inference.model_advice import advised_switches
from panoptix.inference.settings import InferenceSettings

DEBOUNCE_MS = 200
HINT = "Moving a slider post-processes this image again"
DEFAULTS_TIP = ("Back to the default thresholds, and both switches as the model advises "
                "(each follows the model again until you click it)")
ADVISED = ("{} as this model advises (its config.json); a click sets it for this project "
           "instead")
SWITCHES = (("snap_edges", "Snap to image edges",
             "Move each segment's boundary onto the nearest edge in the image (within a "
             "few pixels): the model's masks are coarser than the image"),
            ("split_parts", "Split detached parts of objects",
             "An object segment made of parts that do not touch becomes one object per "
             "large part (a model often covers two people with one mask)"))
SWITCH_TIPS = {name: tip for name, _label, tip in SWITCHES}
THRESHOLDS = (("threshold", "Score threshold",
               "Queries whose class score is below this are dropped"),
              ("mask_threshold", "Mask threshold",
               "Mask probability above which a pixel belongs to a query"),
              ("overlap_threshold", "Overlap threshold",
               "A segment is kept only if this share of its mask stays visible"))


class ThresholdPanel(QWidget):
    thresholds_changed = Signal(dict)
    """``{"threshold": t, "mask_threshold": m, "overlap_threshold": o}`` after a change,
    with ``"snap_edges": b`` and ``"split_parts": b`` for a switch clicked (None for both
    after *Defaults*: unset, as the model advises)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sliders: dict[str, QLabeledDoubleSlider] = {}
        form = QFormLayout(self)
        form.setContentsMargins(4, 4, 4, 4)
        for name, label, tip in THRESHOLDS:
            slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
            slider.setRange(0.0, 1.0)
            slider.setDecimals(2)
            slider.setSingleStep(0.01)
            slider.setToolTip(tip)
            slider.valueChanged.connect(self._announce)
            self.sliders[name] = slider
            form.addRow(label.replace(" threshold", ""), slider)
        self.switches: dict[str, QCheckBox] = {}
        self._set_here: set[str] = set()
        """Switches clicked since the settings were shown: only these are announced, so
        a switch the project leaves unset goes on following the model's advice."""
        for name, label, tip in SWITCHES:
            switch = QCheckBox(label)
            switch.setToolTip(tip)
            switch.toggled.connect(partial(self._switched, name))
            self.switches[name] = switch
            form.addRow(switch)
        self.defaults = QPushButton("Defaults")
        self.defaults.setToolTip(DEFAULTS_TIP)
        self.defaults.clicked.connect(self.restore_defaults)
        row = QHBoxLayout()
        row.addStretch()
        row.addWidget(self.defaults)
        form.addRow(row)
        self.status = QLabel(HINT)
        self.status.setWordWrap(True)
        self.status.setMinimumHeight(2 * self.status.fontMetrics().lineSpacing())
        self.status.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        form.addRow(self.status)
        self.show_settings(InferenceSettings())
        self.setEnabled(False)  # until a project's settings are shown

    def clear_note(self) -> None:
        """Another image is shown: the last re-run's line was about the one before."""
        self.status.setText(HINT)

    def values(self) -> dict[str, float | bool]:
        values: dict[str, float | bool] = {name: round(slider.value(), 4)
                                           for name, slider in self.sliders.items()}
        values.update({name: switch.isChecked() for name, switch in self.switches.items()
                       if name in self._set_here})
        return values

    def show_settings(self, settings: InferenceSettings) -> None:
        """Show the project's thresholds and switches without announcing a change."""
        for name, slider in self.sliders.items():
            with QSignalBlocker(slider):
                slider.setValue(getattr(settings, name))
        self.setEnabled(True)
        self._set_here.clear()
        self._model = settings.model
        advice = advised_switches(settings.model)
        for name, _label, tip in SWITCHES:
            switch = self.switches[name]
            with QSignalBlocker(switch):
                switch.setChecked(getattr(settings, f"resolved_{name}"))
            advised = settings.follows_model(name) and name in advice
            switch.setToolTip(f"{tip}.\n{ADVISED.format('On' if advice.get(name) else 'Off')}"
                              if advised else tip)

    def restore_defaults(self) -> None:
        """The default thresholds, and both switches unset again: as the model advises."""
        self.show_settings(InferenceSettings(model=self._model))
        values: dict[str, float | bool | None] = dict(self.values())
        values.update({name: None for name, _label, _tip in SWITCHES})
        self.thresholds_changed.emit(values)

    def _switched(self, name: str, _checked: bool) -> None:
        self._set_here.add(name)
        self.switches[name].setToolTip(SWITCH_TIPS[name])
        self._announce()

    @qdebounced(timeout=DEBOUNCE_MS)
    def _announce(self, _value: float | bool = 0.0) -> None:
        self.thresholds_changed.emit(self.values())
