"""The window never loses the annotator's work: a model result that comes after edits keeps
them, a failed save is retried and asked about on quit, quitting never aborts, a read-only
project says so and cannot be edited, odd file names and stored pickle permission are
handled. Offscreen, with pytest-qt; the quit-abort case as a real process."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt

from conftest import configure_project
from panoptix.core import atomic
from panoptix.core.annotation_file import read_record
from panoptix.core.panoptic_png import read_panoptic_png
from panoptix.core.project import ImageStatus, Project
from panoptix.gui.dialogs.unsaved import Choice
from panoptix.gui.work.session import AUTOSAVE_MAX_WAIT_MS
from panoptix.gui.work.worker import InferenceWorker
from panoptix.inference.settings import InferenceSettings

FAST_RETRY_MS = 100
BURST_DABS = 18


def project_dir(images: Path) -> Path:
    return images.parent / f"{images.name}.panoptix"


def quiet_window(qtbot, make_window, folder: Path):  # noqa: ANN001, ANN201
    """A window on ``folder`` that does not run the model, once the first image shows."""
    window = make_window()
    window.session.auto_presegment = False
    window.session.saves._retry.setInterval(FAST_RETRY_MS)
    with qtbot.waitSignal(window.session.image_opened, timeout=10_000):
        assert window.open_path(folder)
    return window


def brush(qtbot, window, x: float, y: float) -> None:  # noqa: ANN001
    """One brush dab through the canvas, as a user paints."""
    window.editor.set_category(window.editor.document.categories.find("person").id)
    window.actions["deselect"].trigger()
    window.actions["tool:brush"].trigger()
    point = window.canvas.mapFromScene(QPointF(x, y))
    qtbot.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)


def saved_map(images: Path, key: str) -> np.ndarray:
    """The id map on disk, read without opening the project (the window holds it)."""
    annotations = project_dir(images) / "annotations"
    record = read_record(annotations, key)
    assert record is not None, f"{key} was never saved"
    return read_panoptic_png(annotations / record.png)


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """``full_disk(True)`` makes every atomic write fail as on a full disk; ``False`` frees
    it. Injected where ``panoptix.core.atomic`` writes a file's bytes."""
    real = atomic._write_all

    def refuse(fd: int, data: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def set_full(full: bool) -> None:
        monkeypatch.setattr(atomic, "_write_all", refuse if full else real)

    return set_full


# -- item 1: a model result never replaces edits made while it ran ---------------------------
def test_a_model_result_that_comes_after_edits_keeps_them_and_its_outputs(
        qtbot, make_window, image_folder, tiny_model, monkeypatch):
    configure_project(image_folder, tiny_model)
    gate = threading.Event()
    to_document = InferenceWorker._to_document

    def held(self, job, raw, image):  # noqa: ANN001, ANN202 - the model is slow to answer
        gate.wait(60)
        return to_document(self, job, raw, image)

    monkeypatch.setattr(InferenceWorker, "_to_document", held)
    window = make_window()
    session = window.session
    with qtbot.waitSignal(session.image_opened, timeout=10_000):
        window.open_path(image_folder)
    key, doc = session.key, window.editor.document
    brush(qtbot, window, 20.5, 20.5)  # drawn before the first pre-segmentation arrives
    painted = doc.segment_at(20, 20)
    assert painted and window.images.status_of(key) == "edited"
    messages: list[str] = []
    session.message.connect(messages.append)
    gate.set()
    qtbot.waitUntil(lambda: any("kept your edits" in m for m in messages), timeout=60_000)

    assert window.editor.document is doc and doc.segment_at(20, 20) == painted
    assert window.actions["undo"].isEnabled()
    assert window.images.status_of(key) == "edited"
    assert "kept your edits" in window.status.currentMessage()
    assert session.project.raw_outputs_path(key).is_file()
    assert window.assist.context(quiet=True) is not None  # proposals and guesses work
    session.flush()
    assert session.status(key) == ImageStatus.EDITED
    assert saved_map(image_folder, key)[20, 20] == painted


def test_a_model_result_with_no_edits_meanwhile_still_replaces_the_blank_image(
        qtbot, make_window, image_folder, tiny_model):
    configure_project(image_folder, tiny_model)
    window = make_window()
    window.open_path(image_folder)
    qtbot.waitUntil(lambda: window.session.key is not None and window.session.status(
        window.session.key) == ImageStatus.PRESEGMENTED, timeout=60_000)
    assert window.editor.document.segments


def test_continuous_editing_is_saved_without_waiting_for_a_pause(qtbot, make_window,
                                                                image_folder):
    """The autosave waits for a pause, but never longer than AUTOSAVE_MAX_WAIT_MS: a kill
    during a long burst of clicks loses at most that much."""
    configure_project(image_folder, None)
    window = quiet_window(qtbot, make_window, image_folder)
    saves: list[float] = []
    window.session.saved.connect(lambda _key: saves.append(time.monotonic()))
    started = time.monotonic()
    for index in range(BURST_DABS):  # a dab every 250 ms, never a pause of a second
        brush(qtbot, window, 10.5 + 12 * index, 10.5)
        qtbot.wait(250)
    assert saves, "nothing was saved during a 4.5 s burst of edits"
    assert saves[0] - started < (AUTOSAVE_MAX_WAIT_MS + 1000) / 1000


# -- item 2: a failed save stays pending, is retried, and quitting asks ----------------------
def test_a_save_that_failed_on_a_full_disk_is_retried_once_there_is_space(
        qtbot, make_window, image_folder, full_disk):
    configure_project(image_folder, None)
    window = quiet_window(qtbot, make_window, image_folder)
    session, key = window.session, window.session.key
    full_disk(True)
    with qtbot.waitSignal(session.error, timeout=10_000) as failed:
        brush(qtbot, window, 10.5, 10.5)
    assert "could not save" in failed.args[0] and "the disk is full" in failed.args[0]
    assert "could not save" in window.status.currentMessage()
    assert session.unsaved() and session.status(key) == ImageStatus.EDITED
    painted = window.editor.document.segment_at(10, 10)

    full_disk(False)  # space freed: the retry timer saves it, nobody has to do anything
    with qtbot.waitSignal(session.saved, timeout=10_000):
        pass
    assert session.unsaved() == []
    assert saved_map(image_folder, key)[10, 10] == painted


def test_ctrl_s_retries_at_once_and_says_saved(qtbot, make_window, image_folder, full_disk):
    configure_project(image_folder, None)
    window = quiet_window(qtbot, make_window, image_folder)
    session = window.session
    session.saves._retry.setInterval(60_000)  # only Ctrl+S retries in this test
    full_disk(True)
    with qtbot.waitSignal(session.error, timeout=10_000):
        brush(qtbot, window, 10.5, 10.5)
    window.actions["save"].trigger()
    assert session.unsaved() and "could not save" in window.status.currentMessage()
    full_disk(False)
    window.actions["save"].trigger()
    assert session.unsaved() == [] and window.status.currentMessage().startswith("saved")
    assert saved_map(image_folder, session.key)[10, 10] == window.editor.document.segment_at(
        10, 10)


def test_quitting_with_a_failed_save_asks_save_again_discard_or_cancel(
        qtbot, make_window, image_folder, full_disk):
    configure_project(image_folder, None)
    window = quiet_window(qtbot, make_window, image_folder)
    session, key = window.session, window.session.key
    full_disk(True)
    with qtbot.waitSignal(session.error, timeout=10_000):
        brush(qtbot, window, 10.5, 10.5)
    painted = window.editor.document.segment_at(10, 10)
    asked: list[list[str]] = []

    window.ask_unsaved = lambda unsaved: asked.append(unsaved) or Choice.CANCEL
    window.actions["quit"].trigger()  # Ctrl+Q
    assert window.isVisible() and len(asked) == 1
    assert any(window.images.keys()[0] in line or key in line for line in asked[0])

    def save_again_after_freeing_space(unsaved: list[str]) -> Choice:
        asked.append(unsaved)
        if len(asked) == 3:  # the second "save again" finds space
            full_disk(False)
        return Choice.SAVE_AGAIN

    window.ask_unsaved = save_again_after_freeing_space
    window.actions["quit"].trigger()
    assert not window.isVisible() and len(asked) == 3
    assert saved_map(image_folder, key)[10, 10] == painted


def test_discarding_on_quit_closes_and_keeps_what_was_saved_before(
        qtbot, make_window, image_folder, full_disk):
    configure_project(image_folder, None)
    window = quiet_window(qtbot, make_window, image_folder)
    session, key = window.session, window.session.key
    with qtbot.waitSignal(session.saved, timeout=10_000):
        brush(qtbot, window, 10.5, 10.5)
    first = window.editor.document.id_map.copy()
    full_disk(True)
    with qtbot.waitSignal(session.error, timeout=10_000):
        brush(qtbot, window, 30.5, 30.5)
    window.ask_unsaved = lambda unsaved: Choice.DISCARD
    window.close()
    assert not window.isVisible()
    full_disk(False)
    assert np.array_equal(saved_map(image_folder, key), first)


def test_opening_another_folder_with_unsaved_work_asks_first(
        qtbot, make_window, image_folder, tmp_path, full_disk):
    configure_project(image_folder, None)
    window = quiet_window(qtbot, make_window, image_folder)
    full_disk(True)
    with qtbot.waitSignal(window.session.error, timeout=10_000):
        brush(qtbot, window, 10.5, 10.5)
    other = tmp_path / "other"
    other.mkdir()
    Image.new("RGB", (32, 24)).save(other / "x.jpg")
    window.ask_unsaved = lambda unsaved: Choice.CANCEL
    assert not window.open_path(other)
    assert window.session.project.folder == project_dir(image_folder).resolve() or \
        window.session.project.folder == project_dir(image_folder)


# -- item 3: quitting never aborts; a read-only project opens as such ------------------------
QUIT_WHILE_READ_ONLY = textwrap.dedent("""
    import errno, os, sys
    from PySide6.QtCore import QPointF, QTimer, Qt
    from PySide6.QtTest import QTest
    from panoptix.gui.app import application, create_window
    from panoptix.gui.dialogs.unsaved import Choice

    app = application()
    window = create_window(sys.argv[1])
    window.session.auto_presegment = False
    window.ask_unsaved = lambda unsaved: print("asked:", *unsaved, flush=True) or Choice.DISCARD
    project_dir = sys.argv[2]
    real_open = os.open

    def read_only_open(path, flags, *args, **kwargs):  # the folder became read-only
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and \\
                os.path.abspath(os.fspath(path)).startswith(project_dir + os.sep):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    def edit_then_quit():
        os.open = read_only_open
        window.editor.set_category(window.editor.document.categories.find("person").id)
        window.actions["tool:brush"].trigger()
        point = window.canvas.mapFromScene(QPointF(10.5, 10.5))
        QTest.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)
        window.close()

    window.session.image_opened.connect(lambda *_: QTimer.singleShot(100, edit_then_quit))
    QTimer.singleShot(60_000, lambda: os._exit(3))  # never hang the test
    sys.exit(app.exec())
    """)


def test_quitting_when_the_project_cannot_be_written_exits_cleanly_and_says_what_was_lost(
        image_folder, tmp_path):
    configure_project(image_folder, None)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", QUIT_WHILE_READ_ONLY, str(image_folder),
                           str(project_dir(image_folder))], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]  # before: -6 (SIGABRT)
    assert "asked:" in done.stdout and "permission denied" in done.stdout
    assert "discarded unsaved changes" in done.stderr


def test_a_read_only_project_opens_read_only_and_cannot_be_edited(
        qtbot, make_window, image_folder, monkeypatch):
    configure_project(image_folder, None)
    folder = project_dir(image_folder).resolve()
    before = {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    folder.chmod(0o555)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, *a, **k: (  # as root, chmod is no bar
        False if mode & os.W_OK and os.path.abspath(path) == str(folder)
        else real_access(path, mode, *a, **k)))
    try:
        window = quiet_window(qtbot, make_window, image_folder)
        assert window.windowTitle().endswith("[read-only]")
        assert window.read_only.label.isVisible() and "read-only" in \
            window.status.currentMessage()
        for name in ("tool:brush", "tool:polygon", "undo", "merge", "delete", "done",
                     "rerun", "save"):
            assert not window.actions[name].isEnabled(), name
        assert window.editor.tool.name == "select"
        with qtbot.waitSignal(window.session.image_opened, timeout=10_000):
            window.actions["next"].trigger()  # viewing still works
        assert not window.actions["delete"].isEnabled()
        window.close()
    finally:
        folder.chmod(0o755)
    assert {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


# -- item 6: pickle permission is per session, never taken from the project file -------------
def test_the_window_ignores_allow_pickle_stored_in_a_project(qtbot, make_window,
                                                              image_folder, tiny_model):
    configure_project(image_folder, tiny_model, allow_pickle=True)
    window = quiet_window(qtbot, make_window, image_folder)
    assert window.session.settings.allow_pickle is False
    window.session.set_settings(window.session.settings.with_changes(allow_pickle=True))
    assert window.session.settings.allow_pickle is True  # chosen in the dialog: this session
    stored = json.loads((project_dir(image_folder) / "project.json").read_text())
    assert "allow_pickle" not in stored["settings"]["inference"]
    assert InferenceSettings.from_stored({"allow_pickle": True}).allow_pickle is False


def test_segment_anything_ignores_allow_pickle_stored_in_a_project(qtbot, make_window,
                                                                    image_folder):
    configure_project(image_folder, None)
    with Project.open(project_dir(image_folder)) as project:
        project.settings["segment_anything"] = {"model": "facebook/sam2.1-hiera-tiny",
                                                "allow_pickle": True}
        project.save_manifest()
    window = quiet_window(qtbot, make_window, image_folder)
    assert window.sam.settings.allow_pickle is False
    window.sam.set_settings(replace(window.sam.settings, allow_pickle=True))
    assert window.sam.settings.allow_pickle is True
    stored = json.loads((project_dir(image_folder) / "project.json").read_text())
    assert "allow_pickle" not in stored["settings"]["segment_anything"]


# -- item 8: a name that is not UTF-8 is skipped with one line, the rest opens ---------------
def test_a_folder_with_a_file_name_that_is_not_utf8_opens_and_names_it(
        qtbot, make_window, image_folder):
    raw = os.fsencode(image_folder) + b"/caf\xe9.jpg"
    try:
        with open(raw, "wb") as stream:
            Image.new("RGB", (8, 6)).save(stream, "JPEG")
    except (OSError, ValueError):
        pytest.skip("this file system refuses names that are not UTF-8")
    window = make_window()
    window.session.auto_presegment = False
    errors: list[str] = []
    window.session.error.connect(errors.append)
    with qtbot.waitSignal(window.session.image_opened, timeout=10_000):
        assert window.open_path(image_folder)
    assert len(window.images.keys()) == 3
    assert any("caf\\xe9.jpg" in e and "not valid UTF-8" in e for e in errors)


def test_a_project_open_in_another_window_says_so_in_one_short_line_that_stays(
        qtbot, make_window, image_folder, monkeypatch):
    """The window stays empty, so the reason must not vanish with the message timer, and
    it must fit the bar: the lock's own message repeats the whole path."""
    from panoptix.gui.panels import status

    monkeypatch.setattr(status, "MESSAGE_MS", 20)
    elsewhere = Project.open_or_create_for_images(image_folder)  # holds the lock
    try:
        window = make_window()
        assert not window.open_path(image_folder)
        qtbot.wait(200)  # ten times as long as a message is shown
        message = window.status.currentMessage()
        assert message == (f"⚠ cannot open {image_folder.name}: it is open in "
                           "another Panoptix window or process")
        assert window.session.project is None
    finally:
        elsewhere.close()


def test_an_empty_window_after_a_failed_open_says_how_to_open_something_and_has_nothing_to_step_to(
        qtbot, make_window, image_folder, tmp_path):
    window = make_window()
    window.resize(1000, 700)
    assert not window.open_path(tmp_path / "not-there")
    hint = window.canvas.empty_hint
    assert hint.startswith("Open a folder of images or a project") and "Ctrl+O" in hint
    qtbot.wait(50)
    middle = window.canvas.viewport().grab().toImage()
    texts = {middle.pixelColor(x, middle.height() // 2).name()
             for x in range(0, middle.width(), 2)}
    assert len(texts) > 2  # the hint's letters across the middle of the empty canvas
    assert not window.actions["next"].isEnabled() and not window.actions["previous"].isEnabled()
    assert window.open_path(image_folder)
    assert window.canvas.empty_hint == ""
    assert window.actions["next"].isEnabled() and window.actions["previous"].isEnabled()
    assert not window.open_path(tmp_path / "not-there either")  # the project is closed first
    assert not window.actions["next"].isEnabled()
