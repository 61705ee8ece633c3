"""Split Off the Part Here (Shift+X, and the canvas menu): a thing in several parts loses
only the part pointed at, which becomes a segment of its own and is selected; the other
parts stay one segment. Split (X) would have made every part a segment."""

from __future__ import annotations

import numpy as np
import pytest
from hand_segmented import open_hand_segmented, open_menu
from PySide6.QtCore import QPointF

from panoptix.core import edits


@pytest.fixture
def window(qtbot, make_window, image_folder):  # noqa: ANN001, ANN201
    """The hand-segmented window, its car (40x60 at column 20) cut into three parts by two
    unlabeled columns."""
    window = open_hand_segmented(qtbot, make_window, image_folder)
    doc = window.editor.document
    top = doc.shape[0] // 2
    cuts = np.zeros(doc.shape, bool)
    cuts[top:top + 40, [39, 59]] = True
    edits.paint_region(doc, cuts, 0, None)
    return window


def car_part(window, index: int) -> tuple[int, int]:  # noqa: ANN001
    """A pixel inside the car's part ``index`` (0: left, 1: middle, 2: right)."""
    return (25, 45, 70)[index], window.editor.document.shape[0] // 2 + 20


def test_the_canvas_menu_splits_off_the_part_clicked(qtbot, window):
    doc = window.editor.document
    x, y = car_part(window, 1)
    car = doc.segment_at(x, y)
    area = doc.area(car)
    canvas = window.canvas
    menu = open_menu(qtbot, canvas.viewport(), canvas.mapFromScene(QPointF(x + 0.5, y + 0.5)))
    (entry,) = [a for a in menu.actions() if a.text().startswith("Split Off This Part")]
    assert entry.isEnabled() and entry.text().endswith("\tShift+X")
    entry.trigger()
    menu.close()
    new = doc.segment_at(x, y)
    assert new != car and doc.selection == {new}
    assert doc.area(new) == 40 * 19
    assert doc.segment_at(*car_part(window, 0)) == doc.segment_at(*car_part(window, 2)) == car
    assert doc.area(car) == area - doc.area(new)
    assert doc.segments[new].category_id == doc.segments[car].category_id
    assert f"split off #{new}" in window.status.currentMessage()
    window.actions["undo"].trigger()
    assert doc.segment_at(x, y) == car and doc.area(car) == area


def test_a_one_part_segment_offers_no_split_off(qtbot, window):
    doc = window.editor.document
    person = (125, doc.shape[0] // 2 + 5)
    canvas = window.canvas
    menu = open_menu(qtbot, canvas.viewport(),
                     canvas.mapFromScene(QPointF(person[0] + 0.5, person[1] + 0.5)))
    (entry,) = [a for a in menu.actions() if a.text().startswith("Split Off This Part")]
    assert not entry.isEnabled()
    menu.close()


def test_shift_x_splits_off_the_part_under_the_pointer(window, monkeypatch):
    doc = window.editor.document
    x, y = car_part(window, 2)
    car = doc.segment_at(x, y)
    assert window.actions["split_off"].shortcut().toString() == "Shift+X"
    monkeypatch.setattr(window.canvas, "pixel_under_cursor", lambda: (x, y))
    window.actions["split_off"].trigger()
    new = doc.segment_at(x, y)
    assert new != car and doc.area(new) == 40 * 20
    assert doc.segment_at(*car_part(window, 0)) == doc.segment_at(*car_part(window, 1)) == car

    monkeypatch.setattr(window.canvas, "pixel_under_cursor", lambda: None)
    window.actions["split_off"].trigger()
    assert "point at the part to split off" in window.status.currentMessage()
    monkeypatch.setattr(window.canvas, "pixel_under_cursor", lambda: (5, 5))  # the sky
    window.actions["split_off"].trigger()
    assert "stuff is one segment per category" in window.status.currentMessage()
