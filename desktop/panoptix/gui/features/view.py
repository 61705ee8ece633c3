"""The overlay's view options that are more than one toggle: which categories show (hide,
show, solo) and colour by instance; glue between the panels, the canvas and the project.

Category visibility is kept per project: each change goes into ``Project.settings`` at
once (the session writes the manifest when the project closes), and the manifest is
written a moment after the last change, so clicking through eyes does not rewrite it each
time and a crash loses none of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from panoptix.gui.panels.category_visibility import VisibilityColumn
from panoptix.gui.panels.visibility import CategoryVisibility, load_from, save_to

if TYPE_CHECKING:
    from panoptix.gui.main_window import MainWindow

SAVE_DELAY_MS = 500


class ViewControls(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.visibility = CategoryVisibility(self)
        self.column = VisibilityColumn(window.categories.picker, self.visibility)
        self._save = QTimer(self, singleShot=True, interval=SAVE_DELAY_MS)
        self._save.timeout.connect(self.save)
        self._restoring = False
        self.visibility.changed.connect(self._visibility_changed)
        window.session.project_opened.connect(self._project_opened)

    def _category_ids(self) -> list[int]:
        project = self.window.session.project
        return [c.id for c in project.categories] if project is not None else []

    def _project_opened(self, project: object) -> None:
        self._restoring = True
        try:
            load_from(project.settings, self.visibility,  # type: ignore[attr-defined]
                      self._category_ids())
        finally:
            self._restoring = False

    def _visibility_changed(self) -> None:
        hidden = self.visibility.not_drawn(self._category_ids())
        self.window.canvas.set_style(hidden_categories=hidden)
        self.window.segments.set_hidden_categories(hidden)
        self.window.actions["show_all_categories"].setEnabled(not self.visibility.is_default)
        project = self.window.session.project
        if not self._restoring and project is not None:
            save_to(project.settings, self.visibility)
            names = {c.id: c.name for c in project.categories}
            self.window.status.message(self.visibility.describe(names))
            self._save.start()

    def categories_changed(self) -> None:
        """A category was added or edited: recompute what the overlay leaves out."""
        self._visibility_changed()

    def save(self) -> None:
        """Write the project's manifest with the visibility in it."""
        project = self.window.session.project
        if project is None:
            return
        try:
            project.save_manifest()
        except Exception as exc:  # noqa: BLE001 - a read-only project folder is a message
            self.window.status.error(f"could not keep the category visibility: {exc}")

    def set_color_by_instance(self, on: bool) -> None:
        self.window.canvas.set_style(color_by_instance=on)
