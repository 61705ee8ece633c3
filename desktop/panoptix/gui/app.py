"""Starting the application: ``panoptix [PATH] [--model M] [--device D] [--sam-model M]``;
with no PATH, the bundled samples with the bundled demo model.

The worker thread starts importing torch and transformers (and, for the samples, loading
their model) before the window is built; the window is shown and the path opened from the
event loop right after, so the first image waits for the model only as long as its load
takes beyond the window's own start. The GUI thread never imports torch.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import qtawesome as qta
from platformdirs import user_data_dir
from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon, QPalette
from PySide6.QtWidgets import QApplication

from panoptix import __version__
from panoptix.core.bundled import ICON, bundled_path
from panoptix.core.project import (
    MANIFEST_NAME,
    Project,
    ProjectError,
    StoreError,
    default_project_folder,
)
from panoptix.core.regular_files import read_text
from panoptix.core.samples import copy_samples
from panoptix.gui.features import startup_trace
from panoptix.gui.main_window import MainWindow
from panoptix.gui.prefs import APPLICATION, ORGANIZATION
from panoptix.gui.work.session import SETTINGS_KEY
from panoptix.gui.work.worker_client import WorkerClient
from panoptix.inference.demo_model import DEMO_SPEC
from panoptix.inference.settings import InferenceSettings

FIRST_SAMPLE = "street_01.jpg"
"""The samples open on a street the first time: the demo model was trained on streets,
while harbour, first by name, is the kind it never saw."""


def sample_folder(target_root: Path | None = None) -> Path:
    """A writable copy of the bundled sample images, one per version of the samples
    (:mod:`panoptix.core.samples`), with a project beside it whose model is the bundled
    demo model: it needs no network and knows these scenes."""
    folder = copy_samples(target_root or Path(user_data_dir(APPLICATION, ORGANIZATION)))
    if not (default_project_folder(folder) / MANIFEST_NAME).is_file():
        _make_sample_project(folder)
    return folder


def _make_sample_project(images: Path) -> None:
    try:
        project = Project.open_or_create_for_images(images)
    except (ProjectError, StoreError):
        return  # opening it in the window reports the problem
    try:
        if SETTINGS_KEY not in project.settings and not project.read_only:
            project.settings[SETTINGS_KEY] = InferenceSettings(model=DEMO_SPEC).to_dict()
            project.save_manifest()
    finally:
        project.close()


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
    app.setWindowIcon(QIcon(str(bundled_path(*ICON))))  # by path: scalable SVG
    qta.set_defaults(color=app.palette().color(QPalette.ColorRole.WindowText))
    return app


def create_window(path: str | None = None, model: str | None = None,
                  device: str | None = None, sam_model: str | None = None) -> MainWindow:
    """Show the window, then open ``path`` (or the sample images, whose project uses the
    demo model) from the event loop. The worker imports torch and transformers (and, for
    the samples, loads their model) while the window is built."""
    application()
    target = path
    client = WorkerClient()
    if target is None:
        samples = sample_folder()
        target = str(samples)
        client.warm_up(project_model(default_project_folder(samples), model, device))
    else:
        client.warm_up()
    window = MainWindow(client=client)
    if startup_trace.wanted():
        window.startup_trace = startup_trace.StartupTrace(window.session, window.client, window)
    window.sam.override_model(sam_model)
    window.show()
    if path is None:
        window.resume.first_open_on(default_project_folder(Path(target)), FIRST_SAMPLE)
    QTimer.singleShot(0, lambda: window.open_path(target, model, device))
    return window


def project_model(project: Path, model: str | None, device: str | None
                  ) -> InferenceSettings | None:
    """The model settings of ``project`` (read from its manifest, with the command line's
    ``model`` and ``device``), for the worker to load ahead; None if they cannot be read
    (the first image's job then loads the model and reports what is wrong)."""
    try:
        manifest = json.loads(read_text(project / MANIFEST_NAME))  # never a pipe
        stored = dict(manifest["settings"][SETTINGS_KEY])
        stored.update({k: v for k, v in (("model", model), ("device", device)) if v})
        return InferenceSettings.from_stored(stored)
    except (OSError, ValueError, KeyError, TypeError):  # SettingsError is a ValueError
        return None


def run(path: str | None = None, model: str | None = None, device: str | None = None,
        sam_model: str | None = None) -> int:
    app = application()
    window = create_window(path, model, device, sam_model)
    code = app.exec()
    del window
    return int(code)
