"""The real window as an annotator uses it (issue 11, defects 1, 5, 6 and 9): redo after
undoing everything, one current category, the keyboard back on the canvas, and the
feedback every command owes. No model: the images are pre-segmented by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hand_segmented import entries, open_hand_segmented, open_menu
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QLabel

from conftest import configure_project
from panoptix.core import edits
from panoptix.core.categories import load_table
from panoptix.core.document import Document
from panoptix.core.project import ImageStatus
from panoptix.gui.panels.image_list import KEY_ROLE

CATEGORIES = load_table("coco_panoptic")


@pytest.fixture
def window(qtbot, make_window, image_folder):  # noqa: ANN001, ANN201
    return open_hand_segmented(qtbot, make_window, image_folder)


def brush_stroke(qtbot, window, y: float) -> None:  # noqa: ANN001
    canvas = window.canvas
    viewport = canvas.viewport()

    def at(x: float) -> QPoint:
        return canvas.mapFromScene(QPointF(x, y))

    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=at(200))
    for x in range(205, 260, 5):
        qtbot.mouseMove(viewport, at(x))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=at(260))


# -- defect 1 ---------------------------------------------------------------------------------
def test_redo_stays_available_after_undoing_back_to_the_start(qtbot, window):
    doc = window.editor.document
    window.editor.set_tool("brush")
    window.editor.set_category(CATEGORIES.find("dog").id)
    before = doc.id_map.copy()
    brush_stroke(qtbot, window, 300)
    brush_stroke(qtbot, window, 330)
    after = doc.id_map.copy()
    window.actions["undo"].trigger()
    window.actions["undo"].trigger()
    assert np.array_equal(doc.id_map, before)
    assert not window.actions["undo"].isEnabled()
    assert window.actions["redo"].isEnabled()
    assert "Brush" in window.actions["redo"].text()
    window.actions["redo"].trigger()
    window.actions["redo"].trigger()
    assert np.array_equal(doc.id_map, after)
    assert not window.actions["redo"].isEnabled()


# -- defect 5 ---------------------------------------------------------------------------------
def row_of(picker, name: str):  # noqa: ANN001, ANN201
    return next(item for item in picker._entries() if item.text(0) == name)


def test_the_highlighted_category_is_the_one_drawn_with(qtbot, window):
    picker = window.categories.picker
    tree = picker.tree
    person = row_of(picker, "person")
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton,
                     pos=tree.visualItemRect(person).center())
    assert window.editor.category_name() == "person"
    for _ in range(3):
        qtbot.keyClick(tree, Qt.Key.Key_Down)
    assert tree.currentItem().text(0) == "motorcycle"
    assert window.editor.category_name() == "motorcycle"
    window.editor.clear_selection()
    window.editor.set_tool("brush")
    brush_stroke(qtbot, window, 300)
    (painted,) = window.editor.document.selection
    assert window.editor.document.segments[painted].category_id == \
        CATEGORIES.find("motorcycle").id
    # typing in the list filters instead of jumping to another row behind your back
    tree.setFocus()
    qtbot.keyClick(tree, "t")
    assert picker.filter.hasFocus()  # the next letters are typed there, not shortcuts
    qtbot.keyClicks(picker.filter, "ru")
    assert picker.filter.text() == "tru" and window.editor.category_name() == "motorcycle"
    assert picker.visible_ids() == [CATEGORIES.find("truck").id]
    # the edit button edits the current category
    window.categories.edit_button.click()
    assert window.categories.dialog.name.text() == "motorcycle"
    window.categories.dialog.reject()


# -- defect 6 ---------------------------------------------------------------------------------
def test_enter_and_esc_in_the_category_filter_give_the_canvas_the_keyboard(qtbot, window):
    picker = window.categories.picker
    picker.filter.setFocus()
    qtbot.keyClicks(picker.filter, "grass")
    qtbot.keyClick(picker.filter, Qt.Key.Key_Return)
    assert window.editor.category_name() == "grass-merged"
    assert window.canvas.hasFocus()
    assert picker.filter.text() == "" and len(picker.visible_ids()) > 100
    picker.filter.setFocus()
    qtbot.keyClicks(picker.filter, "tre")
    qtbot.keyClick(picker.filter, Qt.Key.Key_Escape)
    assert window.canvas.hasFocus() and picker.filter.text() == ""
    assert window.editor.category_name() == "grass-merged"


# -- defect 9 ---------------------------------------------------------------------------------
def select_at(window, x: int, y: int) -> int:  # noqa: ANN001
    doc = window.editor.document
    segment_id = doc.segment_at(x, y)
    doc.select([segment_id])
    return segment_id


def test_delete_says_what_it_deleted(window):
    car = select_at(window, 30, window.editor.document.shape[0] // 2 + 5)
    window.actions["delete"].trigger()
    message = window.status.currentMessage()
    assert "deleted" in message and f"#{car} car" in message and "2,400 pixels" in message


def test_new_segment_on_a_stuff_category_says_it_joins_the_existing_one(window):
    window.editor.set_category(CATEGORIES.find("sky-other-merged").id)
    window.actions["new_segment"].trigger()
    message = window.status.currentMessage()
    assert "joins" in message and "sky-other-merged" in message
    window.editor.set_category(CATEGORIES.find("dog").id)
    window.actions["new_segment"].trigger()
    assert window.status.currentMessage() == "drawing a new dog segment"


def test_split_merges_specks_under_the_minimum_area_into_their_neighbour(window):
    doc = window.editor.document
    car = select_at(window, 30, doc.shape[0] // 2 + 5)
    y0, x0 = doc.box(car)[:2]
    edits.add_mask(doc, np.ones((20, 20), bool), CATEGORIES.find("car").id,
                   offset=(y0 + 60, x0))  # a second part of the car, far enough
    far = doc.segment_at(x0 + 5, y0 + 65)
    edits.merge(doc, [car, far])
    # a two-pixel speck of the car inside the sky
    patch = np.zeros(doc.shape, bool)
    patch[10, 300:302] = True
    car_only = np.where(patch, car, doc.id_map)
    doc.execute(edits.Command("speck", [edits.MapPatch.from_change(
        (0, 0, *doc.shape), doc.id_map, car_only)]))
    doc.select([car])
    sky = doc.segment_at(5, 5)
    sky_area = doc.area(sky)
    window.actions["split"].trigger()
    assert len(doc.selection) == 2  # two parts, no two-pixel segment
    assert doc.segment_at(300, 10) == sky and doc.area(sky) == sky_area + 2
    assert "1 speck" in window.status.currentMessage()


def test_undoing_every_edit_gives_the_image_its_status_back(qtbot, window):
    key = window.session.key  # the first image, open
    session, images = window.session, window.images
    assert images.status_of(key) == "presegmented"
    window.editor.set_tool("brush")
    window.editor.set_category(CATEGORIES.find("dog").id)
    brush_stroke(qtbot, window, 300)
    assert images.status_of(key) == "edited"
    window.actions["undo"].trigger()
    assert images.status_of(key) == "presegmented"
    session.flush()
    assert session.status(key) == ImageStatus.PRESEGMENTED
    window.actions["redo"].trigger()
    assert images.status_of(key) == "edited"


def test_a_done_image_no_longer_reads_unsure(qtbot, window):
    key = window.session.key  # the first image, open
    model = window.images.list.model()
    row = next(model.index(i, 0) for i in range(model.rowCount())
               if model.index(i, 0).data(KEY_ROLE) == key)
    assert "98% unsure" in row.data()
    window.actions["done"].trigger()
    assert "unsure" not in row.data()
    window.actions["done"].trigger()  # not done again: the figure is back
    assert "% unsure" in row.data()


def test_the_threshold_note_is_cleared_on_the_next_image(qtbot, window):
    window.thresholds.status.setText("12 segments, post-processed again in 30 ms")
    with qtbot.waitSignal(window.session.image_opened, timeout=10_000):
        window.actions["next"].trigger()
    assert "12 segments" not in window.thresholds.status.text()


def test_one_segment_is_not_one_segments():
    from panoptix.gui.work.worker import JobResult

    doc = Document.blank(10, 10, CATEGORIES)
    edits.add_mask(doc, np.ones((3, 3), bool), CATEGORIES.find("car").id)
    result = JobResult(1, "a.jpg", doc, "tiny", "cpu", {}, 0.1, background=False)
    assert result.summary().startswith("1 segment from")


def test_ctrl_s_saves_now_and_says_so(qtbot, window):
    key = window.session.key  # the first image, open
    doc = window.editor.document
    edits.add_mask(doc, np.ones((5, 5), bool), CATEGORIES.find("dog").id, offset=(300, 300))
    with qtbot.waitSignal(window.session.message, timeout=10_000,
                          check_params_cb=lambda text: text.startswith("saved")):
        qtbot.keyClick(window.canvas, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert window.status.currentMessage() == f"saved {key}"
    on_disk = window.session.project.load_document(key)  # read back from the file
    assert on_disk is not doc and on_disk.segment_at(302, 302) != 0


def test_messages_do_not_hide_what_is_under_the_pointer(qtbot, window):
    window.status.message("merged")
    canvas = window.canvas
    qtbot.mouseMove(canvas.viewport(), canvas.mapFromScene(QPointF(30.5, 5.5)))
    assert "sky-other-merged" in window.status.hover.text()
    assert window.status.hover.isVisible()
    assert window.status.currentMessage() == "merged"


def test_right_click_menus_on_the_canvas_and_both_lists(qtbot, window):
    doc, canvas = window.editor.document, window.canvas
    car_at = canvas.mapFromScene(QPointF(30.5, doc.shape[0] // 2 + 5.5))
    menu = open_menu(qtbot, canvas.viewport(), car_at)
    car = doc.segment_at(30, doc.shape[0] // 2 + 5)
    assert doc.selection == {car}  # the segment under the click
    assert {"Relabel…", "Delete", "Split"} <= set(entries(menu))
    menu.close()

    segments = window.segments
    segments.set_document(doc)
    segments.refresh()
    row = segments.visualRect(segments.model().index(0, 1)).center()
    menu = open_menu(qtbot, segments.viewport(), row)
    assert "Delete" in entries(menu) and len(doc.selection) == 1
    menu.close()

    images = window.images.list
    other = images.visualRect(images.model().index(1, 0)).center()
    menu = open_menu(qtbot, images.viewport(), other)
    assert "Open" in entries(menu) and "Copy Path" in entries(menu)
    menu.close()


# -- defect 7 ---------------------------------------------------------------------------------
def test_background_progress_counts_every_image_and_is_shown_in_full(
        qtbot, make_window, image_folder, tiny_model, monkeypatch):
    from panoptix.gui.panels.status import StatusBar

    shown: list[tuple[int, int, str, bool]] = []
    original = StatusBar.set_background

    def recording(self, done: int, total: int) -> None:  # noqa: ANN001
        original(self, done, total)
        if total:
            label = next((w for w in self.findChildren(QLabel)
                          if w.isVisibleTo(self) and w.text().endswith("images")), None)
            text = label.text() if label is not None else ""
            fits = label is not None and label.width() >= label.sizeHint().width()
            shown.append((done, total, text, fits))

    monkeypatch.setattr(StatusBar, "set_background", recording)
    configure_project(image_folder, tiny_model)
    window = make_window()
    window.resize(1200, 800)
    assert window.open_path(image_folder)
    keys = window.images.keys()
    qtbot.waitUntil(lambda: all(window.images.status_of(k) == "presegmented" for k in keys),
                    timeout=60_000)
    assert shown, "the background run showed its progress"
    assert {total for _, total, _, _ in shown} == {len(keys)}  # 3 images, not 2
    done, total, text, fits = shown[-1]
    assert text == f"Pre-segmenting: {done} of {total} images" and fits
    qtbot.waitUntil(lambda: not window.status.progress_text.isVisible(), timeout=10_000)
