"""Customisable shortcuts: the saved keymap applied to the actions at start, and Help >
Customize Shortcuts, whose dialog saves a preset and the user's changes."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from panoptix.gui.actions import Actions
from panoptix.gui.dialogs.shortcuts import ShortcutsDialog
from panoptix.gui.keymap import apply_keymap, save_keymap, saved_keymap
from panoptix.gui.panels.status import StatusBar
from panoptix.gui.prefs import Prefs


class ShortcutControls(QObject):
    def __init__(self, prefs: Prefs, actions: Actions, status: StatusBar,
                 dialog_parent: QWidget) -> None:
        super().__init__(dialog_parent)
        self.prefs, self.actions, self.status = prefs, actions, status
        self.dialog_parent = dialog_parent
        self.dialog: ShortcutsDialog | None = None
        self.preset, keymap = saved_keymap(prefs)
        apply_keymap(actions, keymap)
        actions["customize_shortcuts"].triggered.connect(self.customize)

    def customize(self) -> None:
        _preset, keymap = saved_keymap(self.prefs)
        dialog = ShortcutsDialog(self.preset, keymap, self.dialog_parent)
        dialog.accepted.connect(lambda: self._chosen(dialog))
        self.dialog = dialog
        dialog.open()

    def _chosen(self, dialog: ShortcutsDialog) -> None:
        self.preset = dialog.result_preset
        save_keymap(self.prefs, dialog.result_preset, dialog.result_keymap)
        apply_keymap(self.actions, dialog.result_keymap)
        self.status.message("shortcuts saved")
