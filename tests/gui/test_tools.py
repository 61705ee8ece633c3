"""Tools driven through real mouse events on the canvas (no project, no model)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from panoptix.core import edits
from panoptix.core.categories import load_table
from panoptix.core.document import Document
from panoptix.gui.canvas.canvas import Canvas
from panoptix.gui.tools.editor import Editor
from panoptix.gui.tools.tools import TOOLS, Tool, register_tool


@pytest.fixture
def setup(qtbot):  # noqa: ANN201
    categories = load_table("coco_panoptic")
    doc = Document.blank(100, 100, categories)
    car = categories.find("car").id
    edits.add_mask(doc, np.ones((20, 20), bool), car, offset=(10, 10))
    edits.add_mask(doc, np.ones((20, 20), bool), car, offset=(10, 50))
    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.resize(400, 400)
    editor = Editor(canvas)
    canvas.set_image(np.zeros((100, 100, 3), np.uint8))
    editor.set_document(doc)
    editor.set_category(categories.find("person").id)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.fit()
    return canvas, editor, doc


def view_pos(canvas: Canvas, x: float, y: float) -> QPoint:
    return canvas.mapFromScene(QPointF(x, y))


def click(qtbot, canvas: Canvas, x: float, y: float,  # noqa: ANN001
          modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, modifier,
                     view_pos(canvas, x, y))


def test_click_selects_and_shift_click_adds(qtbot, setup):
    canvas, _editor, doc = setup
    click(qtbot, canvas, 15.5, 15.5)
    assert doc.selection == {1}
    click(qtbot, canvas, 55.5, 15.5, Qt.KeyboardModifier.ShiftModifier)
    assert doc.selection == {1, 2}
    click(qtbot, canvas, 90.5, 90.5)
    assert doc.selection == frozenset()


def test_brush_stroke_is_one_undo_step_and_extends_the_selected_segment(qtbot, setup):
    canvas, editor, doc = setup
    editor.set_tool("brush")
    editor.set_brush_size(5)
    area = doc.area(1)
    doc.select([1])
    viewport = canvas.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=view_pos(canvas, 30.5, 20.5))
    for x in range(31, 45, 2):
        qtbot.mouseMove(viewport, view_pos(canvas, x + 0.5, 20.5))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=view_pos(canvas, 45.5, 20.5))
    assert doc.area(1) > area
    assert len(doc.history) == 3  # two setup masks + one stroke
    editor.undo()
    assert doc.area(1) == area


def test_a_brush_stroke_that_paints_a_whole_segment_away_keeps_the_canvas_drawing(qtbot, setup):
    """A dab that covers a small segment empties it before the stroke ends; the canvas
    asked the document for the gone segment's box and the stroke died."""
    canvas, editor, doc = setup
    edits.add_mask(doc, np.ones((3, 3), bool), doc.categories.find("dog").id, offset=(60, 60))
    dog = doc.segment_at(61, 61)
    editor.set_tool("brush")
    editor.set_brush_size(12)
    viewport = canvas.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=view_pos(canvas, 55.5, 61.5))
    for x in range(57, 70, 2):
        qtbot.mouseMove(viewport, view_pos(canvas, x + 0.5, 61.5))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=view_pos(canvas, 70.5, 61.5))
    assert dog not in doc.segments
    painted = doc.segment_at(61, 61)
    assert doc.segments[painted].category_id == doc.categories.find("person").id
    colour = canvas.renderer.rgba[61, 61]
    assert tuple(colour[:3]) != (0, 0, 0) and colour[3] > 0


def test_brush_without_selection_makes_a_new_segment_of_the_current_category(qtbot, setup):
    canvas, editor, doc = setup
    editor.set_tool("brush")
    click(qtbot, canvas, 80.5, 80.5)
    (new,) = set(doc.segments) - {1, 2}
    assert doc.segments[new].category_id == editor.category_id
    assert doc.selection == {new}


def test_eraser_fill_and_polygon(qtbot, setup):
    canvas, editor, doc = setup
    editor.set_tool("eraser")
    editor.set_brush_size(3)
    click(qtbot, canvas, 15.5, 15.5)
    assert doc.segment_at(15, 15) == 0
    editor.set_tool("fill")
    click(qtbot, canvas, 15.5, 15.5)  # the erased hole is enclosed: fill it back
    assert doc.segment_at(15, 15) != 0
    editor.set_tool("polygon")
    for x, y in ((60, 60), (90, 60), (90, 90)):
        click(qtbot, canvas, x, y)
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    assert doc.segment_at(85, 65) != 0
    assert doc.segments[doc.segment_at(85, 65)].category_id == editor.category_id


def test_escape_cancels_an_open_polygon_before_the_deselect_shortcut(qtbot, setup):
    canvas, editor, _doc = setup
    editor.set_tool("polygon")
    click(qtbot, canvas, 60, 60)
    assert canvas.key_filter is not None
    tool = editor.tools["polygon"]
    assert tool.points
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert tool.points == []


def test_errors_become_messages(qtbot, setup):
    _canvas, editor, doc = setup
    doc.select([1])
    with qtbot.waitSignal(editor.message) as blocker:
        editor.merge()
    assert "two or more" in blocker.args[0]


def test_merge_split_and_hover_text(qtbot, setup):
    _canvas, editor, doc = setup
    doc.select([1, 2])
    editor.merge()
    assert set(doc.segments) == {1}
    editor.split()
    assert len(doc.segments) == 2
    assert "car" in editor.describe(15, 15) and "area 400 px" in editor.describe(15, 15)
    assert editor.describe(95, 95).endswith("unlabeled")


def test_tools_are_pluggable(qtbot, setup):
    class Probe(Tool):
        name = "probe-test"
        text = "Probe"

    try:
        register_tool(Probe)
        assert TOOLS["probe-test"] is Probe
        with pytest.raises(ValueError):
            register_tool(Probe)
    finally:
        TOOLS.pop("probe-test", None)


def test_wheel_zooms_and_fit_restores(qtbot, setup):
    canvas, _editor, _doc = setup
    fitted = canvas.scale_factor
    canvas.zoom_by(4.0)
    assert canvas.scale_factor == pytest.approx(fitted * 4)
    canvas.fit()
    assert canvas.scale_factor == pytest.approx(fitted)
