"""Issue 22: the image list of a large project is a view over the project's table: it reads
the rows it shows, filters and sorts by SQL, and keeps its counts per status as it goes."""

from __future__ import annotations

import gc
import itertools
import threading
import time
import weakref
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt, QTimer

from conftest import open_window
from panoptix.core.categories import load_table
from panoptix.core.image_notes import ImageNote, ImageNotes
from panoptix.core.image_table import TABLE_NAME, ImageTable
from panoptix.core.manifest import ImageEntry, ImageStatus
from panoptix.core.project import Project
from panoptix.gui.panels.image_list import KEY_ROLE

STATUSES = list(ImageStatus)


def make_project(tmp_path: Path, count: int, figure=lambda n: None) -> Path:  # noqa: ANN001
    """A project of ``count`` images (only the first is a file: the one opened first)."""
    photos = tmp_path / "photos"
    photos.mkdir(parents=True)
    Image.new("RGB", (64, 48)).save(photos / "i000000.png")
    folder = tmp_path / "p"
    Project.create(folder, photos, [photos / "i000000.png"], load_table("coco_panoptic")
                   ).close()
    ImageTable.build(folder / TABLE_NAME, [
        ImageEntry(f"i{n:06d}.png", f"i{n:06d}.png", STATUSES[n % 4] if n else
                   ImageStatus.NEW, 64, 48, figure(n)) for n in range(count)])
    return folder


def rows_read(window) -> int:  # noqa: ANN001
    return window.session.project.query_table(lambda table: table.rows_read)


def test_a_large_project_opens_reading_only_the_rows_shown(qtbot, make_window, tmp_path):
    window = open_window(qtbot, make_window, make_project(tmp_path, 5_000))
    qtbot.wait(50)  # painted
    assert window.images.list.model().rowCount() == 5_000
    assert window.images.counts.text().split("  ·  ")[0] == "1250\N{NO-BREAK SPACE}new"
    assert 0 < rows_read(window) <= 300  # the rows in view and near them, not 5,000

    # D steps on without reading the list
    before = rows_read(window)
    for _ in range(3):
        window.actions["next"].trigger()
    assert window.session.target == "i000003.png"
    assert rows_read(window) - before <= 300


def test_counts_change_with_a_status_without_a_recount(qtbot, make_window, tmp_path):
    window = open_window(qtbot, make_window, make_project(tmp_path, 5_000))
    counts = window.images.model.counts()
    assert (counts["new"], counts["done"]) == (1250, 1250)
    far = "i004001.png"  # presegmented, far below the rows shown
    window.session.project.set_status(far, ImageStatus.DONE)
    before = rows_read(window)
    window.session.status_changed.emit(far, ImageStatus.DONE)
    counts = window.images.model.counts()
    assert (counts["presegmented"], counts["done"]) == (1249, 1251)
    assert "1251\N{NO-BREAK SPACE}done" in window.images.counts.text()
    assert rows_read(window) - before <= 200  # its row and those near it at most

    # the row shows it once scrolled to, and the current image is scrolled into view
    window.images.set_current(far)
    view = window.images.list
    index = view.currentIndex()
    assert index.data(KEY_ROLE) == far
    assert index.data(Qt.ItemDataRole.StatusTipRole) == "done"
    assert index.data() == far  # a done image reads no figure
    assert view.viewport().rect().intersects(view.visualRect(index))


def test_a_status_told_before_its_row_is_written_is_shown(qtbot, make_window, tmp_path):
    """The saver thread writes the row after the window is told (an edit, a background
    result): the list shows what it was told."""
    window = open_window(qtbot, make_window, make_project(tmp_path, 2_000))
    far = "i001800.png"  # new
    window.session.status_changed.emit(far, ImageStatus.EDITED)
    window.session.uncertainty_changed.emit(far, 0.42)
    assert window.images.status_of(far) == "edited"
    counts = window.images.model.counts()
    assert (counts["new"], counts["edited"]) == (499, 501)
    window.images.set_current(far)
    assert window.images.list.currentIndex().data() == f"{far}   42% unsure"
    window.notes.image_filter.choose("status:edited")
    assert far in window.images.order()


def reference(entries: list[ImageEntry], notes: dict[str, ImageNote], choice: str,
              least_confident: bool) -> list[str]:
    """What the list showed before it was a view (the filter's rule, the list's sort)."""
    def kept(entry: ImageEntry) -> bool:
        note = notes.get(entry.key, ImageNote())
        kind, _, value = choice.partition(":")
        return {"all": True, "flagged": bool(note.flags), "unflagged": not note.flags,
                "commented": bool(note.comment), "flag": value in note.flags,
                "status": entry.status.value == value}[kind]

    def rank(item: tuple[int, ImageEntry]) -> tuple:
        place, entry = item
        figure = (entry.uncertainty if least_confident and entry.status != ImageStatus.DONE
                  else None)
        return (figure is None, -(figure or 0.0), place)

    return [entry.key for _place, entry in sorted(enumerate(entries), key=rank)
            if kept(entry)]


@pytest.mark.parametrize("least_confident", [False, True])
def test_filters_and_least_confident_first_keep_the_images_they_kept(
        qtbot, make_window, tmp_path, least_confident):
    figures = [None, 0.5, 0.2, 0.9, None, 0.2, 0.7, 0.1, 0.3, None, 0.6, 0.8]
    folder = make_project(tmp_path, len(figures), lambda n: figures[n])
    notes = {"i000002.png": ImageNote(("ambiguous",), ""),
             "i000005.png": ImageNote(("ambiguous", "occluded"), "two cars"),
             "i000007.png": ImageNote((), "check the sky"),
             "i000010.png": ImageNote(("occluded",), "")}
    stored = ImageNotes(folder)
    for key, note in notes.items():
        stored.set(key, note)
    with Project.open(folder) as project:
        entries = project.images
    window = open_window(qtbot, make_window, folder)
    if least_confident:
        window.actions["review_images_sort"].trigger()
        window.images.set_current("i000000.png")  # no figure: last, where it stays
    choices = ["all", "flagged", "unflagged", "commented", "flag:ambiguous", "flag:occluded",
               *(f"status:{status.value}" for status in ImageStatus)]
    for choice in choices:
        window.notes.image_filter.choose(choice)
        assert window.images.keys() == reference(entries, notes, choice, least_confident), \
            choice


def test_a_project_is_read_off_the_gui_thread_while_the_window_paints(
        qtbot, make_window, tmp_path, monkeypatch):
    folder = make_project(tmp_path, 10)
    opened_on, ticks = [], []
    opening = Project.open_or_create_for_images

    def slow(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        opened_on.append(threading.current_thread())
        time.sleep(0.3)  # a list of 100,000 images takes about this long to check
        return opening(*args, **kwargs)

    monkeypatch.setattr(Project, "open_or_create_for_images", slow)
    timer = QTimer(interval=10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    open_window(qtbot, make_window, folder)
    timer.stop()
    assert opened_on and threading.main_thread() not in opened_on
    assert max(b - a for a, b in itertools.pairwise(ticks)) < 0.2


def test_background_progress_is_counted_without_a_pass_over_the_images(
        qtbot, make_window, tmp_path, monkeypatch):
    window = open_window(qtbot, make_window, make_project(tmp_path, 5_000))
    shown: list[tuple[int, int]] = []
    window.session.background_progress.connect(lambda done, total: shown.append((done, total)))
    looked: list[str] = []
    entry = Project.entry
    monkeypatch.setattr(Project, "entry", lambda self, key: looked.append(key) or entry(self, key))
    window.client.background_progress.emit(1, 10)  # a background result came in
    assert shown == [(3_750, 5_000)]  # every image but the 1,250 new ones
    assert len(looked) <= 10


def test_queueing_the_rest_makes_each_job_only_when_its_turn_comes(
        qtbot, make_window, tmp_path, monkeypatch):
    window = open_window(qtbot, make_window, make_project(tmp_path, 5_000))
    window.client._send.disconnect()  # no model here: the worker is never sent a job
    made: list[str] = []
    session_type = type(window.session)
    make_job = session_type._job
    monkeypatch.setattr(session_type, "_job", lambda self, job_id, key, *rest, **kw: (
        made.append(key), make_job(self, job_id, key, *rest, **kw))[1])
    window.session.presegment_rest()
    assert len(made) == 1  # the one sent to the worker; not 1,249 jobs up front
    queued = window.client.background_keys()
    assert len(queued) == 1_249 and "i000000.png" not in queued  # new, but in view
    window.client.cancel_background()
    assert window.client.background_keys() == set()


def test_the_list_is_walked_with_the_keyboard_as_a_list(qtbot, make_window, tmp_path):
    window = open_window(qtbot, make_window, make_project(tmp_path, 300))
    view = window.images.list
    view.setFocus()
    for key, expected in ((Qt.Key.Key_Down, "i000001.png"), (Qt.Key.Key_End, "i000299.png"),
                          (Qt.Key.Key_Up, "i000298.png"), (Qt.Key.Key_Home, "i000000.png")):
        qtbot.keyClick(view, key)
        assert window.session.target == expected
        assert view.viewport().rect().intersects(view.visualRect(view.currentIndex()))


def test_closing_the_window_while_a_project_is_read_leaves_it_closed(
        qtbot, make_window, tmp_path, monkeypatch):
    folder = make_project(tmp_path, 10)
    window = make_window()
    opening = Project.open_or_create_for_images
    opened: list[Project] = []

    def slow(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        time.sleep(0.3)
        opened.append(opening(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(Project, "open_or_create_for_images", slow)
    QTimer.singleShot(50, window.close)  # the window system's close, while it is read
    assert not window.open_path(folder)
    assert window.session.project is None and opened and opened[0].read_only  # released
    with Project.open(folder) as again:  # the folder lock is free
        assert not again.read_only


def test_a_large_project_s_entries_stay_out_of_garbage_collections_until_closed(
        qtbot, make_window, tmp_path):
    """A full collection over 100,000 entries holds the interpreter lock for 50-200 ms (the
    window stalls, whichever thread runs it): the loader freezes what it built."""
    window = open_window(qtbot, make_window, make_project(tmp_path / "large", 5_000))
    project = weakref.ref(window.session.project)
    entries = window.session.project.images
    assert gc.get_freeze_count() > len(entries) == 5_000
    tracked = {id(item) for item in gc.get_objects()}
    assert id(entries[0]) not in tracked and id(entries[-1]) not in tracked
    del entries, tracked

    small = make_project(tmp_path / "small", 3)
    with qtbot.waitSignal(window.session.image_opened, timeout=10_000):
        assert window.open_path(small)
    gc.collect()
    assert project() is None  # the first one closed, nothing of it kept
    window.session.close()
    assert gc.get_freeze_count() == 0


def test_the_current_image_stays_in_view_when_the_list_gets_shorter(
        qtbot, make_window, tmp_path):
    """On a 1366x768 first run the dock settles short after the image is chosen: the
    current row must still be in view then (it was scrolled out of it)."""
    window = open_window(qtbot, make_window, make_project(tmp_path, 300))
    view = window.images.list
    for _ in range(40):
        window.actions["next"].trigger()
    assert window.session.target == "i000040.png"
    qtbot.waitUntil(lambda: view.viewport().rect().contains(
        view.visualRect(view.currentIndex())))
    view.setFixedHeight(view.sizeHintForRow(0) * 3)  # the dock settles three rows high

    def in_view() -> bool:
        return view.viewport().rect().contains(view.visualRect(view.currentIndex()))

    qtbot.waitUntil(in_view, timeout=2_000)
