"""Every edit does what it says, undoes to the exact state before and redoes to the exact
state after; stuff stays one segment per category; history stays small."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest

from panoptix.core import edits
from panoptix.core.categories import Category, CategorySet
from panoptix.core.document import Document
from panoptix.core.segment import Segment
from panoptix.core.stats import segment_stats

PERSON, CAR, SKY, GRASS = 1, 3, 40, 41
CATEGORIES = CategorySet([
    Category(PERSON, "person", True, (220, 20, 60)),
    Category(CAR, "car", True, (0, 0, 142)),
    Category(SKY, "sky", False, (70, 130, 180)),
    Category(GRASS, "grass", False, (0, 200, 0)),
])


def make_doc() -> Document:
    """20x30: sky on top (id 1), grass below (id 2), two people (3, 4), a car in two parts (5),
    an unlabeled hole."""
    id_map = np.zeros((20, 30), np.int32)
    id_map[:8] = 1
    id_map[8:] = 2
    id_map[10:15, 2:6] = 3
    id_map[10:16, 8:11] = 4
    id_map[12:14, 15:18] = 5
    id_map[16:18, 22:26] = 5
    id_map[2:5, 20:24] = 0
    segments = {1: Segment(SKY), 2: Segment(GRASS), 3: Segment(PERSON, score=0.9, source="model"),
                4: Segment(PERSON), 5: Segment(CAR)}
    return Document(id_map, segments, CATEGORIES)


State = tuple[bytes, dict[int, Segment]]


def state(doc: Document) -> State:
    return doc.id_map.tobytes(), dict(doc.segments)


def assert_consistent(doc: Document) -> None:
    """The document's cached areas and boxes equal a fresh count of the map."""
    fresh = segment_stats(np.asarray(doc.id_map))
    assert set(fresh) == set(doc.segments)
    assert doc.stats() == fresh


def check_undo_redo(doc: Document, edit: Callable[[], object]) -> object:
    before = state(doc)
    result = edit()
    after = state(doc)
    assert after != before, "the edit changed nothing"
    assert_consistent(doc)
    assert doc.undo()
    assert state(doc) == before
    assert_consistent(doc)
    assert doc.redo()
    assert state(doc) == after
    assert_consistent(doc)
    return result


def stuff_count(doc: Document, category_id: int) -> int:
    return sum(s.category_id == category_id for s in doc.segments.values())


def test_merge_joins_into_the_lowest_id():
    doc = make_doc()
    area = doc.area(3) + doc.area(4)
    assert check_undo_redo(doc, lambda: edits.merge(doc, [4, 3])) == 3
    assert 4 not in doc.segments and doc.area(3) == area


def test_merge_needs_two_segments():
    doc = make_doc()
    with pytest.raises(edits.EditError):
        edits.merge(doc, [3])
    with pytest.raises(edits.EditError):
        edits.merge(doc, [98, 99])


def test_relabel_to_a_thing_keeps_segments_apart():
    doc = make_doc()
    kept = check_undo_redo(doc, lambda: edits.relabel(doc, [3, 4], CAR))
    assert kept == [3, 4]
    assert doc.segments[3].category_id == CAR and doc.segments[3].source == "manual"


def test_relabel_to_a_stuff_joins_its_existing_segment():
    doc = make_doc()
    sky_area = doc.area(1)
    kept = check_undo_redo(doc, lambda: edits.relabel(doc, [3, 4], SKY))
    assert kept == [1]
    assert doc.area(1) == sky_area + 20 + 18
    assert stuff_count(doc, SKY) == 1


def test_relabel_to_a_stuff_not_yet_present_makes_one_segment():
    doc = make_doc()
    edits.delete(doc, [2])
    check_undo_redo(doc, lambda: edits.relabel(doc, [3, 4], GRASS))
    assert stuff_count(doc, GRASS) == 1
    assert 4 not in doc.segments


def test_relabel_to_an_unknown_category_is_refused():
    doc = make_doc()
    with pytest.raises(Exception, match="unknown category"):
        edits.relabel(doc, [3], 999)


def test_delete_makes_pixels_unlabeled():
    doc = make_doc()
    check_undo_redo(doc, lambda: edits.delete(doc, [3, 5]))
    assert 3 not in doc.segments and 5 not in doc.segments
    assert (doc.id_map[10:15, 2:6] == 0).all()


def test_split_a_thing_into_its_parts_the_largest_keeping_the_id():
    doc = make_doc()
    parts = check_undo_redo(doc, lambda: edits.split(doc, 5))
    assert parts[0] == 5 and len(parts) == 2
    assert doc.area(5) == 8 and doc.area(parts[1]) == 6
    assert doc.segments[parts[1]] == doc.segments[5]


def test_split_refuses_stuff_and_leaves_one_part_alone():
    doc = make_doc()
    with pytest.raises(edits.EditError):
        edits.split(doc, 1)
    assert edits.split(doc, 3) == [3]
    assert not doc.history.can_undo


def test_split_off_cuts_only_the_part_under_the_point():
    """A car in three parts: the part clicked leaves, the other two stay one segment."""
    made = make_doc()
    id_map = made.id_map.copy()
    id_map[19, 0:2] = 5  # a third part of the car (5), beside its two of 6 and 8 pixels
    doc = Document(id_map, dict(made.segments), CATEGORIES)
    new = check_undo_redo(doc, lambda: edits.split_off(doc, 23, 16))
    assert doc.area(new) == 8 and doc.area(5) == 6 + 2
    assert (doc.id_map[16:18, 22:26] == new).all() and doc.id_map[19, 0] == 5
    assert doc.segments[new] == doc.segments[5]
    assert doc.history.undo_label == "Split Off"


def test_split_off_refuses_stuff_one_part_and_nothing():
    doc = make_doc()
    for x, y in ((0, 0), (3, 11), (21, 3)):  # sky (stuff), a one-part person, unlabeled
        with pytest.raises(edits.EditError):
            edits.split_off(doc, x, y)
    assert not doc.history.can_undo


def test_add_mask_takes_pixels_or_only_unlabeled_ones():
    doc = make_doc()
    mask = np.ones((4, 6), bool)
    new = check_undo_redo(doc, lambda: edits.add_mask(doc, mask, CAR, offset=(1, 19)))
    assert doc.area(new) == 24
    doc = make_doc()
    new = edits.add_mask(doc, mask, CAR, offset=(1, 19), only_unlabeled=True)
    assert doc.area(new) == 12 and doc.area(1) == make_doc().area(1)


def test_add_mask_of_stuff_joins_the_existing_segment():
    doc = make_doc()
    mask = np.ones((2, 2), bool)
    target = check_undo_redo(doc, lambda: edits.add_mask(doc, mask, GRASS, offset=(0, 0)))
    assert target == 2 and stuff_count(doc, GRASS) == 1


def test_a_mask_outside_the_image_changes_nothing():
    doc = make_doc()
    assert edits.add_mask(doc, np.ones((3, 3), bool), CAR, offset=(50, 50)) is None
    assert edits.add_mask(doc, np.zeros((3, 3), bool), CAR) is None
    assert not doc.history.can_undo


def test_polygon_fills_a_new_segment():
    doc = make_doc()
    new = check_undo_redo(
        doc, lambda: edits.fill_polygon(doc, [(20, 2), (23, 2), (23, 4), (20, 4)], CAR))
    assert doc.box(new) == (2, 20, 5, 24)
    with pytest.raises(edits.EditError):
        edits.fill_polygon(doc, [(0, 0), (1, 1)], CAR)


def test_flood_fill_fills_only_the_unlabeled_region():
    doc = make_doc()
    new = check_undo_redo(doc, lambda: edits.flood_fill(doc, 21, 3, CAR))
    assert doc.area(new) == 12
    doc = make_doc()
    check_undo_redo(doc, lambda: edits.flood_fill(doc, 21, 3, SKY, target=1))
    assert (doc.id_map == 0).sum() == 0
    with pytest.raises(edits.EditError):
        edits.flood_fill(doc, 0, 0, CAR)


def test_brush_stroke_is_one_undo_step():
    doc = make_doc()
    before = state(doc)

    def stroke() -> None:
        brush = edits.BrushStroke(doc, 2, category_id=CAR)
        brush.line_to(1, 1)
        brush.line_to(12, 1)
        brush.line_to(12, 18)
        brush.finish()

    check_undo_redo(doc, stroke)
    assert len(doc.history) == 1
    doc.undo()
    assert state(doc) == before


def test_eraser_and_restricted_brushes():
    doc = make_doc()

    def erase() -> None:
        brush = edits.BrushStroke(doc, 1, erase=True, only_segment=3)
        brush.line_to(0, 12)
        brush.line_to(29, 12)
        brush.finish()

    check_undo_redo(doc, erase)
    assert doc.area(3) == 8 and doc.area(4) == 18  # rows 11-13 of person 3 only
    doc = make_doc()
    brush = edits.BrushStroke(doc, 3, target=3, only_unlabeled=True)
    brush.dab(21, 3)
    brush.finish()
    assert doc.area(1) == make_doc().area(1)


def test_a_brush_that_paints_nothing_leaves_no_trace():
    doc = make_doc()
    before = state(doc)
    brush = edits.BrushStroke(doc, 2, category_id=CAR, only_unlabeled=True)
    brush.dab(0, 0)
    assert brush.finish() is None
    assert state(doc) == before and not doc.history.can_undo
    with pytest.raises(edits.EditError):
        edits.BrushStroke(doc, 2, target=99)


def test_painting_a_stuff_category_grows_its_one_segment():
    doc = make_doc()
    brush = edits.BrushStroke(doc, 2, category_id=SKY)
    brush.dab(5, 15)
    brush.finish()
    assert stuff_count(doc, SKY) == 1
    assert doc.segment_at(5, 15) == 1


def test_duplicate_stuff_in_a_loaded_map_is_joined():
    id_map = np.array([[1, 2], [3, 3]], np.int32)
    doc = Document(id_map, {1: Segment(SKY), 2: Segment(SKY), 3: Segment(CAR)}, CATEGORIES)
    assert stuff_count(doc, SKY) == 1 and doc.area(1) == 2


def test_a_new_edit_clears_redo():
    doc = make_doc()
    edits.delete(doc, [3])
    doc.undo()
    edits.delete(doc, [4])
    assert not doc.redo()


def test_history_keeps_the_last_100_steps():
    doc = make_doc()
    for step in range(105):
        edits.relabel(doc, [3], CAR if step % 2 == 0 else PERSON)
    assert len(doc.history) == 100
    undone = 0
    while doc.undo():
        undone += 1
    assert undone == 100
    assert doc.segments[3].category_id == CAR  # the state after the 5th edit


def test_100_brush_strokes_cost_a_few_times_their_boxes():
    """Memory held by undo is proportional to what changed, not to the 12 MP map."""
    height, width = 3000, 4000
    id_map = np.zeros((height, width), np.int32)
    id_map[: height // 2] = 1
    doc = Document(id_map, {1: Segment(SKY)}, CATEGORIES)
    rng = np.random.default_rng(3)
    gc.collect()
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    box_bytes = 0
    for _ in range(100):
        x, y = rng.integers(100, width - 300), rng.integers(100, height - 300)
        brush = edits.BrushStroke(doc, 12, category_id=CAR)
        for step in range(0, 200, 6):
            brush.line_to(x + step, y + step // 3)
        command = brush.finish()
        assert command is not None
        y0, x0 = (min(p.box[i] for p in command.patches) for i in (0, 1))
        y1, x1 = (max(p.box[i] for p in command.patches) for i in (2, 3))
        box_bytes += (y1 - y0) * (x1 - x0) * id_map.itemsize
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - start
    tracemalloc.stop()
    assert len(doc.history) == 100
    assert held < 3 * box_bytes
    assert held < id_map.nbytes  # less than one copy of the map for all 100 steps
