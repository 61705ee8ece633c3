"""GUI test fixtures: isolated QSettings, sample image folders, a tiny model, the window."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from panoptix.core.bundled import SAMPLES as SAMPLES_FOLDER
from panoptix.core.bundled import bundled_path
from panoptix.core.categories import load_table
from panoptix.core.project import Project
from panoptix.gui.prefs import Prefs
from tiny_models import build_mask2former, table_labels

SAMPLES = bundled_path(SAMPLES_FOLDER)


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path) -> None:
    """Every test gets its own QSettings folder, never the user's."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      str(tmp_path / "settings"))


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_mask2former(tmp_path_factory.mktemp("gui-model") / "m2f",
                             table_labels("coco_panoptic"))


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "images"
    folder.mkdir()
    # harbour_01 comes first; the tests that pre-segment it with the tiny random model
    # need it to give at least two segments (it does; the other scenes but the streets
    # give one): keep that in mind when the samples change
    for name in ("street_01.jpg", "park_01.jpg", "harbour_01.jpg"):
        shutil.copy2(SAMPLES / name, folder / name)
    return folder


def open_window(qtbot, make_window, folder: Path):  # noqa: ANN001, ANN201
    """A window on ``folder`` without the model, once its first image is shown."""
    window = make_window()
    window.session.auto_presegment = False
    with qtbot.waitSignal(window.session.image_opened, timeout=10_000):
        assert window.open_path(folder)
    return window


def configure_project(images: Path, model: Path | None, **thresholds: float | bool) -> None:
    """Make the project for ``images`` up front, with model settings already in it; edges
    are not snapped nor parts split unless asked (``snap_edges=True``): a random model's
    masks follow no edge of the image and fall apart in specks, and the tests edit its
    segments as they come."""
    project = Project.open_or_create_for_images(images, categories=load_table("coco_panoptic"))
    if model is not None:
        project.settings["inference"] = {"model": str(model), "device": "cpu",
                                         "threshold": 0.0, "mask_threshold": 0.0,
                                         "overlap_threshold": 0.0, "snap_edges": False,
                                         "split_parts": False,
                                         **thresholds}
    project.save_manifest()
    project.close()


@pytest.fixture
def make_window(qtbot) -> Iterator:  # noqa: ANN001
    """A factory for real main windows, closed (and their threads stopped) at teardown."""
    from panoptix.gui.dialogs.unsaved import Choice
    from panoptix.gui.main_window import MainWindow

    windows = []

    def make() -> MainWindow:
        window = MainWindow(Prefs(QSettings()))
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.ask_unsaved = lambda unsaved: Choice.DISCARD  # a test's failed saves: no dialog
        window.close()
