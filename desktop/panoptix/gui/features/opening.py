"""Opening images and projects: the Open dialogs, the recent projects and dropped files.

Every way in goes through ``open_path`` (the window's, which settles unsaved work first).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from panoptix.core.imageio import SUPPORTED_EXTENSIONS
from panoptix.gui.panels.status import StatusBar
from panoptix.gui.prefs import Prefs

IMAGE_FILTER = "Images (" + " ".join(f"*{s}" for s in sorted(SUPPORTED_EXTENSIONS)) + ")"
"""The Open Images dialog shows every kind of image a project reads."""


class Opening(QObject):
    def __init__(self, open_path: Callable[[str | Path], bool], prefs: Prefs,
                 status: StatusBar, parent: QWidget) -> None:
        super().__init__(parent)
        self.open_path, self.prefs, self.status, self.window = open_path, prefs, status, parent

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window,
                                                  "Open a folder of images or a project")
        if folder:
            self.open_path(folder)

    def choose_images(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self.window, "Open images", "", IMAGE_FILTER)
        if files:
            self.open_path(files[0] if len(files) == 1 else str(Path(files[0]).parent))

    def fill_recent(self, menu: QMenu) -> None:
        menu.clear()
        for path in self.prefs.recent():
            menu.addAction(path, lambda p=path: self.open_recent(p))
        if menu.isEmpty():
            menu.addAction("(none)").setEnabled(False)

    def open_recent(self, path: str) -> bool:
        """Open a recent project; one whose folder is gone is reported and dropped from the
        list (opening it would make a new project for a path that is not there)."""
        if not Path(path).is_dir():
            self.prefs.remove_recent(path)
            self.status.error(f"{path} no longer exists; removed from recent projects")
            return False
        return self.open_path(path)

    def open_dropped(self, paths: Sequence[Path]) -> None:
        """Files or folders dropped on the window (at least one): the first, or the
        folder of several files."""
        target = paths[0]
        if len(paths) > 1 and target.is_file():
            target = target.parent
        self.open_path(target)
