"""The canvas as an annotator drives it (issue 11, defects 2-4): brush strokes over big
segments redraw only what they touch, a stroke that swallows a segment is no error, the
wheel zooms around the pointer."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from panoptix.core import edits
from panoptix.core.categories import load_table
from panoptix.core.document import Document
from panoptix.core.segment import Segment
from panoptix.gui.canvas.canvas import Canvas
from panoptix.gui.tools.editor import Editor

CATEGORIES = load_table("coco_panoptic")
PERSON, CAR = CATEGORIES.find("person").id, CATEGORIES.find("car").id
SKY, GRASS = CATEGORIES.find("sky-other-merged").id, CATEGORIES.find("grass-merged").id


def view_pos(canvas: Canvas, x: float, y: float) -> QPoint:
    return canvas.mapFromScene(QPointF(x, y))


def make_canvas(qtbot, doc: Document, size: tuple[int, int] = (600, 400)):  # noqa: ANN001, ANN201
    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.resize(*size)
    editor = Editor(canvas)
    height, width = doc.shape
    canvas.set_image(np.full((height, width, 3), 90, np.uint8))
    editor.set_document(doc)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.fit()
    return canvas, editor


def stroke(qtbot, canvas: Canvas, points: list[tuple[float, float]]) -> None:  # noqa: ANN001
    viewport = canvas.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=view_pos(canvas, *points[0]))
    for x, y in points[1:]:
        qtbot.mouseMove(viewport, view_pos(canvas, x, y))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=view_pos(canvas, *points[-1]))


def record_redraws(canvas: Canvas) -> list[tuple[int, int, int, int]]:
    """Every box the overlay recolours from now on (whichever way it does it)."""
    boxes: list[tuple[int, int, int, int]] = []
    renderer = canvas.renderer
    for name in ("render", "recolour"):
        original = getattr(renderer, name, None)
        if original is None:
            continue

        def wrapped(*args, _original=original, **kwargs):  # noqa: ANN002, ANN003, ANN202
            box = _original(*args, **kwargs)
            if box is not None:
                boxes.append(box)
            return box

        setattr(renderer, name, wrapped)
    return boxes


def extent(box: tuple[int, int, int, int]) -> tuple[int, int]:
    return box[2] - box[0], box[3] - box[1]


# -- defect 2: a dab redraws its own box, not the boxes of the segments it touches ---------
def test_a_brush_stroke_over_a_segment_covering_the_image_redraws_only_the_dabs(qtbot):
    id_map = np.ones((1200, 1600), np.int32)  # sky everywhere ...
    id_map[700:900, 200:400] = 2  # ... and a car
    doc = Document(id_map, {1: Segment(SKY), 2: Segment(CAR)}, CATEGORIES)
    canvas, editor = make_canvas(qtbot, doc)
    editor.set_tool("brush")
    editor.set_category(PERSON)
    brush = 40
    editor.set_brush_size(brush)
    boxes = record_redraws(canvas)
    points = [(300.0 + 12 * i, 600.0 + 8 * i) for i in range(30)]  # through sky and car
    viewport = canvas.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=view_pos(canvas, *points[0]))
    for x, y in points[1:]:
        qtbot.mouseMove(viewport, view_pos(canvas, x, y))
    during = list(boxes)
    assert during, "the dabs were drawn"
    for box in during:  # the dab's box plus the one-pixel boundary margin, no more
        height, width = extent(box)
        assert height <= brush + 3 and width <= brush + 3, box
    boxes.clear()
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=view_pos(canvas, *points[-1]))
    (person,) = set(doc.segments) - {1, 2}
    stroke_h, stroke_w = extent(doc.box(person))
    for box in boxes:  # release: the new segment gets its selection look, the sky nothing
        height, width = extent(box)
        assert height <= stroke_h + 2 and width <= stroke_w + 2, box
    assert doc.selection == {person}
    # what is shown is what a full redraw gives
    shown = canvas.renderer.rgba.copy()
    canvas.redraw_overlay()
    assert np.array_equal(shown, canvas.renderer.rgba)


def test_undo_of_a_stroke_kept_as_its_dabs_restores_the_map_and_the_overlay(qtbot):
    rng = np.random.default_rng(5)
    id_map = np.repeat(np.repeat(rng.integers(1, 5, (12, 16), dtype=np.int32), 25, 0), 25, 1)
    doc = Document(id_map, {i: Segment(CAR) for i in range(1, 5)}, CATEGORIES)
    canvas, editor = make_canvas(qtbot, doc)
    editor.set_tool("brush")
    editor.set_category(PERSON)
    editor.set_brush_size(30)
    before = doc.id_map.copy()
    zigzag = [(20.0 + 7 * i, 40.0 + (150 if (i // 20) % 2 else 0) + i % 20 * 3) for i in range(50)]
    stroke(qtbot, canvas, zigzag + zigzag[::-1])  # back over itself
    after = doc.id_map.copy()
    assert not np.array_equal(before, after)
    editor.undo()
    assert np.array_equal(doc.id_map, before)
    editor.redo()
    assert np.array_equal(doc.id_map, after)
    shown = canvas.renderer.rgba.copy()
    canvas.redraw_overlay()
    assert np.array_equal(shown, canvas.renderer.rgba)


# -- defect 3: a stroke that takes a whole segment over ---------------------------------------
def test_a_stroke_that_swallows_a_segment_is_committed_without_an_error(qtbot):
    doc = Document.blank(200, 300, CATEGORIES)
    person = edits.add_mask(doc, np.ones((20, 8), bool), PERSON, offset=(90, 146))
    canvas, editor = make_canvas(qtbot, doc)
    editor.set_tool("brush")
    editor.set_category(GRASS)
    editor.set_brush_size(60)
    assert not doc.selection
    stroke(qtbot, canvas, [(100.0 + 10 * i, 100.0) for i in range(11)])  # across the person
    assert person not in doc.segments
    (grass,) = doc.segments
    assert doc.segments[grass].category_id == GRASS and doc.area(grass) > 160
    assert len(doc.history) == 2
    editor.undo()
    assert doc.area(person) == 160


# -- defect 4: the wheel zooms around the pointer -------------------------------------------
def wheel_at(canvas: Canvas, pos: QPoint, steps: int) -> None:
    event = QWheelEvent(QPointF(pos), QPointF(canvas.viewport().mapToGlobal(pos)), QPoint(),
                        QPoint(0, 120 * steps), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(canvas.viewport(), event)


def test_wheel_zoom_keeps_the_image_point_under_the_pointer(qtbot):
    doc = Document.blank(480, 640, CATEGORIES)
    canvas, _editor = make_canvas(qtbot, doc)
    pos = view_pos(canvas, 268.5, 150.5)
    qtbot.mouseMove(canvas.viewport(), pos)
    anchor = canvas.mapToScene(pos)
    for steps in (1,) * 8 + (-1,) * 8:
        wheel_at(canvas, pos, steps)
        drift = canvas.mapToScene(pos) - anchor
        # within one screen pixel: the same image pixel once a pixel is bigger than that
        assert abs(drift.x()) * canvas.scale_factor <= 1.0
        assert abs(drift.y()) * canvas.scale_factor <= 1.0
    assert canvas.scale_factor > 0  # and back out where it started
    for _ in range(3):
        wheel_at(canvas, QPoint(5, 5), 1)  # near a corner: still around the pointer
    corner = canvas.mapToScene(QPoint(5, 5))
    wheel_at(canvas, QPoint(5, 5), 1)
    moved = canvas.mapToScene(QPoint(5, 5)) - corner
    assert abs(moved.x()) * canvas.scale_factor <= 1.0


def test_during_a_stroke_the_segment_list_updates_areas_without_a_reset(qtbot):
    from panoptix.gui.panels.segment_list import SegmentList

    id_map = np.ones((300, 400), np.int32)
    doc = Document(id_map, {1: Segment(SKY)}, CATEGORIES)
    table = SegmentList()
    qtbot.addWidget(table)
    table.set_document(doc)
    resets: list[int] = []
    table.model_.modelReset.connect(lambda: resets.append(1))
    stroke_ = edits.BrushStroke(doc, 10, category_id=PERSON)
    stroke_.dab(50, 50)
    table.refresh()
    assert len(resets) == 1  # a new row: the model is rebuilt
    for x in range(60, 200, 10):
        stroke_.dab(x, 50)
        table.refresh()
    assert len(resets) == 1  # areas only: cells updated in place
    person = next(i for i in doc.segments if i != 1)
    row = next(r for r, item in enumerate(table.model_.rows) if item.segment_id == person)
    assert table.model_.rows[row].area == doc.area(person)
    stroke_.finish()
    table.refresh()
    assert table.model_.rows[row].area == doc.area(person)
