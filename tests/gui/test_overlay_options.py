"""The overlay's view options: colour by instance, hidden categories, and the cheap
recolouring of selected segments that must match a full redraw."""

from __future__ import annotations

import numpy as np
import pytest
from test_canvas_defects import make_canvas, stroke

from panoptix.core.categories import load_table
from panoptix.core.document import Document
from panoptix.core.segment import Segment
from panoptix.gui.canvas.overlay import OverlayStyle, build_lut, recolour_segments, render_box

CATEGORIES = load_table("coco_panoptic")
CAR, SKY = CATEGORIES.find("car").id, CATEGORIES.find("sky-other-merged").id


def two_cars_and_sky() -> Document:
    id_map = np.zeros((60, 90), np.int32)
    id_map[:20] = 1
    id_map[30:50, 10:40] = 2
    id_map[30:50, 40:70] = 3
    return Document(id_map, {1: Segment(SKY), 2: Segment(CAR), 3: Segment(CAR)}, CATEGORIES)


def test_colour_by_instance_gives_each_segment_its_own_colour(qtbot):
    doc = two_cars_and_sky()
    canvas, _editor = make_canvas(qtbot, doc)
    canvas.set_style(show_boundaries=False)

    def colour(x: int, y: int) -> np.ndarray:
        return canvas.renderer.rgba[y, x, :3].astype(int)

    by_class = colour(20, 40), colour(60, 40)
    assert np.abs(by_class[0] - by_class[1]).max() < 80  # shades of the car colour
    canvas.set_style(color_by_instance=True)
    cars = colour(20, 40), colour(60, 40)
    assert np.abs(cars[0] - cars[1]).sum() > 120  # clearly different
    assert not np.array_equal(colour(5, 5), np.array(doc.categories[SKY].color))
    canvas.set_style(color_by_instance=False)
    assert np.array_equal(colour(20, 40), by_class[0])


def test_hidden_categories_are_not_drawn_and_edits_keep_them_hidden(qtbot):
    doc = two_cars_and_sky()
    canvas, editor = make_canvas(qtbot, doc)
    canvas.set_style(hidden_categories=frozenset({CAR}))
    alpha = canvas.renderer.rgba[:, :, 3]
    assert alpha[40, 20] == 0 and alpha[40, 60] == 0  # cars, boundaries too
    assert (alpha[31:49, 11:69] == 0).all()
    assert alpha[5, 5] == 255  # sky
    editor.set_tool("brush")
    editor.set_category(CAR)
    editor.set_brush_size(6)
    stroke(qtbot, canvas, [(80.5, 55.5), (84.5, 55.5)])
    (new,) = set(doc.segments) - {1, 2, 3}
    assert canvas.renderer.rgba[55, 82, 3] == 0  # a new car is hidden like the others
    canvas.set_style(hidden_categories=frozenset())
    assert canvas.renderer.rgba[55, 82, 3] == 255 and doc.segments[new].category_id == CAR


@pytest.mark.parametrize("hidden", [frozenset(), frozenset({CAR})])
def test_recolouring_selected_segments_equals_a_full_redraw(hidden):
    rng = np.random.default_rng(2)
    id_map = rng.integers(0, 6, (40, 50), dtype=np.int32)
    id_map[10:30, 10:30] = 7
    doc = Document(id_map, {i: Segment(CAR if i % 2 else SKY) for i in range(1, 8)},
                   CATEGORIES)
    style = OverlayStyle(hidden_categories=hidden)
    out = np.zeros(doc.shape, np.uint32)
    render_box(out, doc.id_map, build_lut(doc, style, frozenset()), style)
    lut = build_lut(doc, style, frozenset({7, 3}))
    box = (0, 0, 40, 50)
    recolour_segments(out, doc.id_map, lut, style, {7, 3}, box)
    full = np.zeros(doc.shape, np.uint32)
    render_box(full, doc.id_map, lut, style)
    assert np.array_equal(out, full)
