"""The history's clean mark, strokes committed without a second map announcement, and
split's minimum area (issue 11)."""

from __future__ import annotations

import numpy as np

from panoptix.core import edits
from panoptix.core.categories import load_table
from panoptix.core.document import Document
from panoptix.core.history import Command, History
from panoptix.core.segment import Segment
from panoptix.core.stats import tight_box

CATEGORIES = load_table("coco_panoptic")
CAR, SKY = CATEGORIES.find("car").id, CATEGORIES.find("sky-other-merged").id


def test_the_clean_mark_comes_back_on_undo_and_is_lost_with_its_branch():
    history = History(max_steps=3)
    assert history.is_clean
    history.push(Command("a"))
    history.mark_clean()
    history.push(Command("b"))
    assert not history.is_clean
    history.pop_undo()
    assert history.is_clean
    history.pop_undo()
    assert not history.is_clean  # before the mark
    history.pop_redo()
    assert history.is_clean
    history.pop_redo()
    history.pop_undo()
    history.pop_undo()  # below the mark, then a new edit: the mark's branch is gone
    history.push(Command("c"))
    history.pop_undo()
    assert not history.is_clean


def test_a_clean_mark_trimmed_off_the_bottom_is_never_reached_again():
    history = History(max_steps=2)
    assert history.is_clean  # the empty start
    for name in "abc":
        history.push(Command(name))
    while history.can_undo:
        history.pop_undo()
    assert not history.is_clean  # "a" was dropped: this is not the start


def test_a_stroke_commits_without_announcing_the_map_again():
    doc = Document.blank(100, 100, CATEGORIES)
    boxes: list[tuple] = []
    doc.map_changed.connect(boxes.append)
    stroke = edits.BrushStroke(doc, 5, category_id=CAR)
    for x in range(10, 90, 3):
        stroke.line_to(x, 50)
    live = len(boxes)
    assert live > 0 and all(b[2] - b[0] <= 11 for b in boxes)
    command = stroke.finish()
    assert command is not None and len(boxes) == live
    (car,) = doc.segments
    assert doc.box(car) == tight_box(doc.id_map == car) == (45, 5, 56, 94)
    doc.undo()
    assert len(boxes) == live + 1 and not doc.segments


def test_split_gives_specks_to_the_segment_around_or_keeps_them_when_unlabeled():
    id_map = np.zeros((40, 60), np.int32)
    id_map[:, 30:] = 2  # sky on the right
    id_map[5:15, 5:15] = 1  # the car's big part
    id_map[25:35, 5:15] = 1  # another big part
    id_map[20, 40:42] = 1  # a 2-pixel speck inside the sky
    id_map[2, 25] = 1  # a 1-pixel speck with only unlabeled around
    doc = Document(id_map, {1: Segment(CAR), 2: Segment(SKY)}, CATEGORIES)
    result = edits.split_parts(doc, 1, min_area=5)
    assert len(result.parts) == 2 and result.specks == 2
    assert doc.segment_at(40, 20) == 2 and doc.segment_at(41, 20) == 2
    assert doc.segment_at(25, 2) == 1  # stays with the largest part, nothing lost
    assert doc.area(2) == 40 * 30  # the sky has its two pixels back
    doc.undo()
    assert np.array_equal(doc.id_map, id_map)
    assert edits.split(doc, 1) == [1, 3, 4, 5]  # without a minimum: every part


def test_a_stroke_over_a_locked_segment_replays_only_what_it_painted():
    from panoptix.core.attributes import set_locked

    id_map = np.zeros((60, 80), np.int32)
    id_map[20:40, 30:50] = 1
    doc = Document(id_map, {1: Segment(CAR)}, CATEGORIES)
    set_locked(doc, [1])
    car = doc.full_mask(1)
    stroke = edits.BrushStroke(doc, 8, category_id=SKY)
    for x in range(5, 75, 4):
        stroke.line_to(x, 30)
    assert stroke.finish() is not None
    painted = doc.id_map.copy()
    assert np.array_equal(doc.full_mask(1), car)  # the brush went around the car
    doc.undo()
    assert np.array_equal(doc.id_map, id_map)
    doc.redo()
    assert np.array_equal(doc.id_map, painted) and np.array_equal(doc.full_mask(1), car)
