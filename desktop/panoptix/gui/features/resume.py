"""Reopen where I left off: a project opens on the image last shown, at the same zoom and
centre. Kept per project folder in the preferences (a read-only project resumes too)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from panoptix.core.project import Project
from panoptix.gui.canvas.canvas import Canvas
from panoptix.gui.prefs import Prefs
from panoptix.gui.work.session import Session

PREFIX = "resume/"


def preference_key(folder: Path) -> str:
    return PREFIX + hashlib.sha1(str(Path(folder).resolve()).encode("utf-8")).hexdigest()[:16]


class Resume(QObject):
    def __init__(self, prefs: Prefs, session: Session, canvas: Canvas,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.prefs, self.session, self.canvas = prefs, session, canvas
        self._pending: tuple[str, tuple[float, float, float]] | None = None
        session.resume_key = self.start_key
        session.image_opened.connect(self._image_opened)
        canvas.zoom_changed.connect(self.remember)
        canvas.horizontalScrollBar().valueChanged.connect(self.remember)
        canvas.verticalScrollBar().valueChanged.connect(self.remember)

    def stored(self, folder: Path) -> dict:
        try:
            data = json.loads(str(self.prefs.settings.value(preference_key(folder), "{}")))
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def first_open_on(self, folder: Path, key: str) -> None:
        """Open the project at ``folder`` on ``key`` unless where the user left off there
        is kept."""
        if not self.stored(folder):
            self.prefs.set(preference_key(folder), json.dumps({"key": key}))

    def start_key(self, project: Project) -> str | None:
        """The image to open ``project`` on; its view is restored once it is shown."""
        data = self.stored(project.folder)
        key, view = data.get("key"), data.get("view")
        self._pending = None
        if not isinstance(key, str):
            return None
        if isinstance(view, list) and len(view) == 3 and all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in view):
            self._pending = (key, (float(view[0]), float(view[1]), float(view[2])))
        return key

    def remember(self) -> None:
        """Keep the image in view and its zoom and centre (cheap: QSettings writes later)."""
        project, key = self.session.project, self.session.key
        if project is None or key is None or self._pending is not None \
                or self.canvas.sceneRect().isEmpty():
            return
        view = list(self.canvas.view_state())
        self.prefs.set(preference_key(project.folder), json.dumps({"key": key, "view": view}))

    def _image_opened(self, key: str, image: object, _document: object) -> None:
        pending, self._pending = self._pending, None
        if pending is not None and pending[0] == key and image is not None:
            self._pending = pending  # nothing is remembered until the view is back
            QTimer.singleShot(0, lambda: self._restore(key, pending[1]))
        else:
            self.remember()

    def _restore(self, key: str, view: tuple[float, float, float]) -> None:
        self._pending = None
        if self.session.key == key:
            self.canvas.set_view(*view)
        self.remember()
