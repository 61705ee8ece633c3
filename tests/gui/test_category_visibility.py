"""Per-category hide / show / solo from the category panel and the segment list, kept per
project, and colour by instance as a view option remembered between runs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hand_segmented import entries, open_hand_segmented, open_menu
from PySide6.QtCore import QPoint, QPointF, Qt

from panoptix.core.categories import load_table
from panoptix.gui.panels.visibility import CategoryVisibility

CATEGORIES = load_table("coco_panoptic")

CAR, PERSON = CATEGORIES.find("car").id, CATEGORIES.find("person").id
SKY = CATEGORIES.find("sky-other-merged").id


@pytest.fixture
def window(qtbot, make_window, image_folder):  # noqa: ANN001, ANN201
    return open_hand_segmented(qtbot, make_window, image_folder)


def test_solo_overrides_hidden_and_ending_it_brings_the_hidden_set_back():
    visibility = CategoryVisibility()
    visibility.set_visible(CAR, False)
    assert not visibility.is_visible(CAR) and visibility.is_visible(PERSON)
    visibility.solo(PERSON)
    assert visibility.is_visible(PERSON) and not visibility.is_visible(SKY)
    visibility.set_visible(SKY, True)  # showing one while soloing adds it to the solo
    assert visibility.soloed == {PERSON, SKY}
    visibility.solo(SKY, add=True)
    visibility.solo(PERSON)  # soloing the only soloed one again ends the solo
    assert visibility.soloed == frozenset() and visibility.hidden == {CAR}
    visibility.show_all()
    assert visibility.is_default


def alpha_at(window, x: int, y: int) -> int:  # noqa: ANN001
    return int(window.canvas.renderer.rgba[y, x, 3])


def car_pixel(window) -> tuple[int, int]:  # noqa: ANN001
    return 30, window.editor.document.shape[0] // 2 + 5


def eye_of(window, name: str) -> QPoint:  # noqa: ANN001
    """The centre of a category's eye in the panel's list."""
    picker = window.categories.picker
    item = next(i for i in picker._entries() if i.text(0) == name)
    picker.tree.scrollToItem(item)
    header, column = picker.tree.header(), window.view.column.column
    return QPoint(header.sectionViewportPosition(column) + header.sectionSize(column) // 2,
                  picker.tree.visualItemRect(item).center().y())


def test_an_eye_click_hides_a_category_without_changing_the_drawing_category(qtbot, window):
    tree = window.categories.picker.tree
    drawing = window.editor.category_id
    x, y = car_pixel(window)
    assert alpha_at(window, x, y) == 255
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=eye_of(window, "car"))
    assert alpha_at(window, x, y) == 0
    assert alpha_at(window, 5, 5) == 255  # the sky still shows
    assert window.editor.category_id == drawing
    assert "hidden: car" in window.status.currentMessage()
    model = window.segments.model_
    car_row = next(r for r, row in enumerate(model.rows) if row.category_id == CAR)
    assert model.data(model.index(car_row, 1), Qt.ItemDataRole.ForegroundRole) is not None
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=eye_of(window, "car"))
    assert alpha_at(window, x, y) == 255


def test_solo_from_the_segment_list_menu_and_show_all(qtbot, window):
    doc = window.editor.document
    segments = window.segments
    segments.refresh()
    person = doc.segment_at(125, doc.shape[0] // 2 + 5)
    row = next(r for r in range(segments.model().rowCount())
               if segments.model().index(r, 0).data() == str(person))
    menu = open_menu(qtbot, segments.viewport(),
                     segments.visualRect(segments.model().index(row, 1)).center())
    (solo,) = [a for a in menu.actions() if a.text().startswith("Show only")]
    solo.trigger()
    menu.close()
    assert alpha_at(window, 125, doc.shape[0] // 2 + 5) == 255
    assert alpha_at(window, *car_pixel(window)) == 0 and alpha_at(window, 5, 5) == 0
    assert "showing only person" in window.status.currentMessage()
    assert window.actions["show_all_categories"].isEnabled()
    window.actions["show_all_categories"].trigger()
    assert alpha_at(window, *car_pixel(window)) == 255 and alpha_at(window, 5, 5) == 255
    assert not window.actions["show_all_categories"].isEnabled()


def test_the_canvas_menu_hides_the_category_under_the_pointer(qtbot, window):
    canvas = window.canvas
    x, y = car_pixel(window)
    menu = open_menu(qtbot, canvas.viewport(), canvas.mapFromScene(QPointF(x + 0.5, y + 0.5)))
    (hide,) = [a for a in menu.actions() if a.text() == "Hide “car”"]
    hide.trigger()
    menu.close()
    assert alpha_at(window, x, y) == 0


def test_visibility_is_kept_per_project(qtbot, make_window, window, image_folder):
    window.view.visibility.set_visible(CAR, False)
    window.view.visibility.solo(PERSON)
    window.close()
    manifest = json.loads(next(image_folder.parent.glob("*.panoptix")).joinpath(
        "project.json").read_text())
    assert manifest["settings"]["view"] == {"hidden_categories": [CAR],
                                            "solo_categories": [PERSON]}
    again = make_window()
    again.session.auto_presegment = False
    with qtbot.waitSignal(again.session.image_opened, timeout=10_000):
        again.open_path(image_folder)
    assert again.view.visibility.hidden == {CAR} and again.view.visibility.soloed == {PERSON}
    assert again.canvas.renderer.style.hidden_categories >= {CAR, SKY}
    assert alpha_at(again, 5, 5) == 0


def test_colour_by_instance_is_a_view_option_remembered_between_runs(qtbot, make_window,
                                                                     window):
    x, y = car_pixel(window)
    by_category = window.canvas.renderer.rgba[y, x, :3].copy()
    window.actions["instances"].trigger()
    assert window.canvas.renderer.style.color_by_instance
    assert not np.array_equal(window.canvas.renderer.rgba[y, x, :3], by_category)
    window.close()
    again = make_window()
    assert again.actions["instances"].isChecked()
    assert again.canvas.renderer.style.color_by_instance
    assert "Colour by Instance" in entries(again.menuBar().actions()[3].menu())
