"""The frame of a settings dialog: a form, a line for what is wrong, OK and Cancel.

OK keeps :meth:`SettingsForm.settings` in ``result_settings`` and closes; a
``SettingsError`` stays in the dialog as its one-line message instead.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QWidget,
)

from panoptix.inference.settings import SettingsError


class SettingsForm(QDialog):
    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout(self)
        self.error = QLabel()
        self.error.setStyleSheet("color: #d32f2f")
        self.result_settings: Any = None

    def finish(self) -> None:
        """Add the error line and the buttons under the rows added so far."""
        self.form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        self.form.addRow(buttons)

    def settings(self) -> Any:
        """The settings as shown; raises ``SettingsError``."""
        raise NotImplementedError

    def _accept(self) -> None:
        try:
            self.result_settings = self.settings()
        except SettingsError as exc:
            self.error.setText(str(exc))
            return
        self.accept()


def allow_pickle_box(checked: bool) -> QCheckBox:
    """The per-session opt-in to pickle weights that every model settings dialog shows."""
    box = QCheckBox("Allow pickle (.bin) weights while this project is open - they can "
                    "run code")
    box.setToolTip("Never kept in the project: a project file may come from someone else")
    box.setChecked(checked)
    return box
