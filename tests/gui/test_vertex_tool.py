"""The vertex tool driven by real mouse events: drag, add and delete vertices of a segment's
outline, one undo step per session, Esc reverts, locks hold."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from panoptix.core import edits
from panoptix.core.attributes import set_locked
from panoptix.core.categories import load_table
from panoptix.core.document import Document
from panoptix.gui.canvas.canvas import Canvas
from panoptix.gui.tools.editor import Editor


@pytest.fixture
def setup(qtbot):  # noqa: ANN201
    categories = load_table("coco_panoptic")
    doc = Document.blank(100, 100, categories)
    car = categories.find("car").id
    edits.add_mask(doc, np.ones((41, 41), bool), car, offset=(20, 20))  # 20..60 both ways
    doc.history.clear()
    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.resize(500, 500)
    editor = Editor(canvas)
    canvas.set_image(np.zeros((100, 100, 3), np.uint8))
    editor.set_document(doc)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.fit()
    return canvas, editor, doc


def at(canvas: Canvas, x: float, y: float):  # noqa: ANN201
    """The view position of pixel (x, y)'s centre."""
    return canvas.mapFromScene(QPointF(x + 0.5, y + 0.5))


def drag(qtbot, canvas: Canvas, start: tuple[float, float], end: tuple[float, float]) -> None:  # noqa: ANN001
    viewport = canvas.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=at(canvas, *start))
    for t in np.linspace(0, 1, 6)[1:]:
        point = (start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t)
        qtbot.mouseMove(viewport, at(canvas, *point))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=at(canvas, *end))


def test_drag_a_vertex_then_enter_is_one_undo_step(qtbot, setup):
    canvas, editor, doc = setup
    doc.select([1])
    editor.set_tool("vertices")
    tool = editor.tools["vertices"]
    assert tool.edit is not None and tool.edit.segment_id == 1
    assert sorted(map(tuple, tool.edit.contours[0].points)) == [
        (20, 20), (20, 60), (60, 20), (60, 60)]
    drag(qtbot, canvas, (60, 60), (80, 80))
    assert doc.segment_at(70, 70) == 1  # written when the mouse was released
    drag(qtbot, canvas, (20, 20), (30, 30))
    assert doc.segment_at(22, 22) == 0
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    assert tool.edit is None
    assert len(doc.history) == 1 and doc.history.undo_label == "Edit vertices"
    editor.undo()
    assert doc.area(1) == 41 * 41


def test_press_on_an_edge_adds_a_vertex_and_right_click_deletes_one(qtbot, setup):
    canvas, editor, doc = setup
    doc.select([1])
    editor.set_tool("vertices")
    tool = editor.tools["vertices"]
    drag(qtbot, canvas, (40, 20), (40, 5))  # the middle of the top edge, pulled up
    assert len(tool.edit.contours[0].points) == 5
    assert doc.segment_at(40, 10) == 1
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.RightButton, pos=at(canvas, 40, 5))
    assert len(tool.edit.contours[0].points) == 4
    assert doc.segment_at(40, 10) == 0
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)  # revert: the square as it was
    assert doc.area(1) == 41 * 41 and not doc.history.can_undo


def test_switching_tool_applies_and_a_locked_segment_cannot_be_edited(qtbot, setup):
    canvas, editor, doc = setup
    editor.set_tool("vertices")
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=at(canvas, 40, 40))
    tool = editor.tools["vertices"]
    assert tool.edit is not None
    drag(qtbot, canvas, (60, 60), (70, 60))
    editor.set_tool("select")
    assert len(doc.history) == 1
    set_locked(doc, [1], True)
    editor.set_tool("vertices")
    messages: list[str] = []
    editor.message.connect(messages.append)
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=at(canvas, 40, 40))
    assert tool.edit is None and messages[-1] == "car #1 is locked"
