"""Starting the application: ``panoptix [PATH] [--model M] [--device D] [--sam-model M]``.

The window is shown first and the path opened from the event loop right after, so the
window appears at once; torch and transformers load later, on the worker thread.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import qtawesome as qta
from platformdirs import user_data_dir
from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon, QPalette
from PySide6.QtWidgets import QApplication

from panoptix import __version__
from panoptix.core.categories import RESOURCES_DIR
from panoptix.gui.main_window import MainWindow
from panoptix.gui.prefs import APPLICATION, ORGANIZATION

SAMPLES_DIR = RESOURCES_DIR / "samples"
ICON_PATH = RESOURCES_DIR / "icons" / "panoptix.svg"
SAMPLE_SUFFIXES = (".jpg", ".jpeg", ".png")


def sample_folder(target_root: Path | None = None) -> Path:
    """A writable copy of the bundled sample images (a project is made beside images)."""
    target = (target_root or Path(user_data_dir(APPLICATION, ORGANIZATION))) / "samples"
    target.mkdir(parents=True, exist_ok=True)
    for source in sorted(SAMPLES_DIR.iterdir()):
        if source.suffix.lower() in SAMPLE_SUFFIXES and not (target / source.name).exists():
            shutil.copy2(source, target / source.name)
    return target


def application() -> QApplication:
    """The QApplication, created once, following the system's light or dark palette."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setStyle("Fusion")
    assert isinstance(app, QApplication)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(ICON_PATH)))
    qta.set_defaults(color=app.palette().color(QPalette.ColorRole.WindowText))
    return app


def create_window(path: str | None = None, model: str | None = None,
                  device: str | None = None, sam_model: str | None = None) -> MainWindow:
    """Show the window, then open ``path`` (or the sample images) from the event loop."""
    application()
    window = MainWindow()
    window.sam.override_model(sam_model)
    window.show()
    target = path if path is not None else str(sample_folder())
    QTimer.singleShot(0, lambda: window.open_path(target, model, device))
    return window


def run(path: str | None = None, model: str | None = None, device: str | None = None,
        sam_model: str | None = None) -> int:
    app = application()
    window = create_window(path, model, device, sam_model)
    code = app.exec()
    del window
    return int(code)
