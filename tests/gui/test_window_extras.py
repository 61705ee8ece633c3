"""The real window, offscreen: drag and drop, recent projects, the model settings dialog and
the review sorts remembered between runs. No model is loaded: requests are caught where the
window hands them to the worker."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from conftest import configure_project
from panoptix.core.document import Document
from panoptix.core.project import ImageStatus, Project
from panoptix.gui.panels.segment_list import SCORE_COLUMN
from panoptix.inference.registry import MODELS
from panoptix.inference.settings import InferenceSettings

NAMES = ["harbour_01.jpg", "park_01.jpg", "street_01.jpg"]


def quiet_window(make_window):  # noqa: ANN001, ANN201
    """A window that does not run the model on its own."""
    window = make_window()
    window.session.auto_presegment = False
    return window


def open_folder(qtbot, window, folder: Path) -> None:  # noqa: ANN001
    with qtbot.waitSignal(window.session.image_opened, timeout=10_000):
        assert window.open_path(folder)


def project_folder(images: Path) -> Path:
    return (images.parent / f"{images.name}.panoptix").resolve()


# -- drag and drop ------------------------------------------------------------------------
def drag(window, mime: QMimeData) -> bool:  # noqa: ANN001
    """Drag ``mime`` over the window; True if the window would take it."""
    event = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, event)
    return event.isAccepted()


def drop(window, mime: QMimeData) -> bool:  # noqa: ANN001
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, event)
    return event.isAccepted()


def test_dropping_a_folder_of_images_opens_it(qtbot, make_window, image_folder):
    window = quiet_window(make_window)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(image_folder))])
    assert drag(window, mime)
    with qtbot.waitSignal(window.session.image_opened, timeout=10_000):
        assert drop(window, mime)
    assert window.images.keys() == NAMES
    assert window.session.project.folder == project_folder(image_folder)
    assert window.editor.document is not None


def test_dropping_image_files_opens_their_folder(qtbot, make_window, image_folder):
    window = quiet_window(make_window)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(image_folder / name)) for name in NAMES[:2]])
    assert drag(window, mime)
    with qtbot.waitSignal(window.session.image_opened, timeout=10_000):
        assert drop(window, mime)
    assert window.images.keys() == NAMES


@pytest.mark.parametrize("kind", ["web link", "text"])
def test_a_drag_without_local_files_is_refused_and_changes_nothing(qtbot, make_window,
                                                                    image_folder, kind):
    window = quiet_window(make_window)
    open_folder(qtbot, window, image_folder)
    project, key = window.session.project, window.session.key
    mime = QMimeData()
    if kind == "web link":
        mime.setUrls([QUrl("https://example.com/street.jpg")])
    else:
        mime.setText(str(image_folder))
    assert not drag(window, mime)
    assert not drop(window, mime)  # should it be dropped anyway
    assert window.session.project is project and window.session.key == key
    assert window.images.keys() == NAMES


# -- recent projects ------------------------------------------------------------------------
def recent_entries(window) -> list[str]:  # noqa: ANN001
    window.recent_menu.aboutToShow.emit()  # what showing the menu does
    return [a.text() for a in window.recent_menu.actions() if a.isEnabled()]


def choose_recent(window, path: Path) -> None:  # noqa: ANN001
    recent_entries(window)
    (action,) = [a for a in window.recent_menu.actions() if a.text() == str(path)]
    action.trigger()


def test_recent_projects_most_recent_first_kept_between_runs_and_reopened(
        qtbot, make_window, image_folder, tmp_path):
    other = tmp_path / "more"
    shutil.copytree(image_folder, other)
    (other / NAMES[0]).unlink()
    first, second = project_folder(image_folder), project_folder(other)

    window = quiet_window(make_window)
    assert recent_entries(window) == []
    assert [a.text() for a in window.recent_menu.actions()] == ["(none)"]
    open_folder(qtbot, window, image_folder)
    open_folder(qtbot, window, other)
    assert recent_entries(window) == [str(second), str(first)]
    window.close()  # releases the project, as quitting does

    window = quiet_window(make_window)  # the next run, on the same settings
    assert recent_entries(window) == [str(second), str(first)]
    with qtbot.waitSignal(window.session.image_opened, timeout=10_000):
        choose_recent(window, first)
    assert window.session.project.folder == first
    assert window.images.keys() == NAMES
    assert recent_entries(window) == [str(first), str(second)]

    # a project deleted since: said in the status bar and dropped, the open one stays
    shutil.rmtree(second)
    choose_recent(window, second)
    assert "no longer exists" in window.status.currentMessage()
    assert str(second) in window.status.currentMessage()
    assert recent_entries(window) == [str(first)]
    assert window.prefs.recent() == [str(first)]
    assert window.session.project.folder == first
    assert not second.exists()  # no new project was made in its place


# -- model settings ------------------------------------------------------------------------
@pytest.fixture
def requests(monkeypatch):  # noqa: ANN001, ANN201
    """The settings of every model request the window hands to the worker."""
    from panoptix.gui.work.worker_client import WorkerClient

    seen: list[InferenceSettings] = []
    monkeypatch.setattr(WorkerClient, "submit_view",
                        lambda self, make_job: seen.append(make_job(0).settings))
    return seen


def open_settings(window):  # noqa: ANN001, ANN201
    window.actions["model_settings"].trigger()
    dialog = window.settings_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def press(qtbot, dialog, button: QDialogButtonBox.StandardButton) -> None:  # noqa: ANN001
    box = dialog.findChild(QDialogButtonBox)
    qtbot.mouseClick(box.button(button), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5_000)


def stored(images: Path) -> dict:
    manifest = json.loads((project_folder(images) / "project.json").read_text())
    return manifest["settings"].get("inference", {})


@pytest.mark.parametrize("choice", ["registry", "hub id", "local folder"])
def test_model_settings_are_kept_in_the_project_and_used_by_the_next_request(
        qtbot, make_window, image_folder, tmp_path, requests, choice):
    configure_project(image_folder, None)
    window = quiet_window(make_window)
    open_folder(qtbot, window, image_folder)
    dialog = open_settings(window)
    if choice == "registry":
        dialog.model.setFocus()
        qtbot.keyClick(dialog.model, Qt.Key.Key_Down)  # the next model in the list
        model = MODELS[dialog.model.currentIndex()].model_id
        assert dialog.model.currentText() == model  # its id, not its title
    else:
        model = "someone/mask2former-custom" if choice == "hub id" else str(tmp_path / "m")
        dialog.model.lineEdit().clear()
        qtbot.keyClicks(dialog.model.lineEdit(), model)
    dialog.device.setCurrentText("cpu")
    dialog.task.setCurrentText("semantic")
    press(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)

    expected = {"model": model, "device": "cpu", "task": "semantic"}
    settings = window.session.project.settings["inference"]
    assert {k: settings[k] for k in expected} == expected
    assert {k: stored(image_folder)[k] for k in expected} == expected  # on disk too
    assert window.status.currentMessage() == "model settings saved"
    window.actions["rerun"].trigger()
    assert len(requests) == 1
    assert (requests[0].model, requests[0].device, requests[0].task) == (
        model, "cpu", "semantic")


def test_cancelling_model_settings_changes_nothing(qtbot, make_window, image_folder,
                                                    tiny_model, requests):
    configure_project(image_folder, tiny_model)
    window = quiet_window(make_window)
    open_folder(qtbot, window, image_folder)
    before = dict(window.session.project.settings["inference"])
    dialog = open_settings(window)
    assert dialog.model.currentText() == str(tiny_model)
    dialog.model.setEditText("someone/other-model")
    dialog.device.setCurrentText("cuda")
    dialog.task.setCurrentText("instance")
    press(qtbot, dialog, QDialogButtonBox.StandardButton.Cancel)

    assert window.session.project.settings["inference"] == before
    assert stored(image_folder) == before
    window.actions["rerun"].trigger()
    assert (requests[0].model, requests[0].device, requests[0].task) == (
        str(tiny_model), "cpu", None)


def test_a_bad_setting_keeps_the_dialog_open_with_the_reason(qtbot, make_window,
                                                             image_folder, tiny_model):
    configure_project(image_folder, tiny_model)
    window = quiet_window(make_window)
    open_folder(qtbot, window, image_folder)
    before = dict(window.session.project.settings["inference"])
    dialog = open_settings(window)
    dialog.device.setCurrentText("tpu")
    box = dialog.findChild(QDialogButtonBox)
    qtbot.mouseClick(box.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "unknown device" in dialog.error.text()
    assert window.session.project.settings["inference"] == before
    dialog.reject()


# -- review sorts ----------------------------------------------------------------------------
def test_review_sorts_are_remembered_between_runs(qtbot, make_window, image_folder):
    configure_project(image_folder, None)
    with Project.open(project_folder(image_folder)) as project:
        harbour, park, street = (entry.key for entry in project.images)
        for key, figure in ((harbour, 0.1), (street, 0.5)):
            height, width = project.load_image(key).shape[:2]
            project.save_document(key, Document.blank(height, width, project.categories),
                                  ImageStatus.PRESEGMENTED, uncertainty=figure)
    window = quiet_window(make_window)
    for name in ("review_sort", "review_images_sort"):
        assert not window.actions[name].isChecked()
        window.actions[name].trigger()
    window.close()

    window = quiet_window(make_window)
    assert window.actions["review_sort"].isChecked()
    assert window.actions["review_images_sort"].isChecked()
    assert window.segments.horizontalHeader().sortIndicatorSection() == SCORE_COLUMN
    open_folder(qtbot, window, image_folder)
    assert window.images.keys() == [street, harbour, park]  # most unsure first
    window.actions["review_images_sort"].trigger()
    window.close()

    window = quiet_window(make_window)
    assert window.actions["review_sort"].isChecked()
    assert not window.actions["review_images_sort"].isChecked()
    open_folder(qtbot, window, image_folder)
    assert window.images.keys() == [harbour, park, street]
