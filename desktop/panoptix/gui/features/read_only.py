"""A project whose folder cannot be written opens read-only: the title and the status bar
say so, and everything that would change it is disabled, so no edit is made that could
never be saved. Viewing, zooming, stepping through images and exporting still work."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from panoptix.gui.actions import Actions

EDITING_ACTIONS = ("undo", "redo", "merge", "split", "split_off", "relabel", "delete",
                   "new_segment", "refine_edge", "refine_edge_fine", "done", "rerun",
                   "presegment", "save")
VIEWING_TOOL = "tool:select"
TITLE_MARK = " [read-only]"
MESSAGE = ("read-only: this project's folder cannot be written, so editing is off; copy "
           "the project somewhere writable to edit it")


class ReadOnlyMode:
    """Switches the window's editing on and off with the project's writability."""

    def __init__(self, actions: Actions, status: QStatusBar, panels: list[QWidget]) -> None:
        self.actions = actions
        self.panels = panels
        self.on = False
        self.label = QLabel("read-only")
        self.label.setToolTip(MESSAGE)
        self.label.setStyleSheet("QLabel { color: #c62828; font-weight: bold; }")
        self.label.hide()
        status.addPermanentWidget(self.label)

    def set(self, read_only: bool) -> None:
        """Enter or leave read-only mode (entering also stops any drawing tool)."""
        self.on = read_only
        self.label.setVisible(read_only)
        for name, action in self.actions.actions.items():
            if name.startswith("tool:") and name != VIEWING_TOOL:
                action.setEnabled(not read_only)
        if read_only:
            self.actions[VIEWING_TOOL].trigger()
        self.actions["save"].setEnabled(not read_only)
        for panel in self.panels:
            panel.setEnabled(not read_only)
        self.enforce()

    def enforce(self) -> None:
        """Disable the editing actions again (after the window enabled them for a new
        document)."""
        if self.on:
            for name in EDITING_ACTIONS:
                self.actions[name].setEnabled(False)

    @staticmethod
    def title(base: str, read_only: bool) -> str:
        return base + TITLE_MARK if read_only else base
