"""Editing a segment as polygons: the outline round-trips exactly, an edit changes only the
pixels near the edges moved, the session is one undo step, and locks still hold."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from test_edits import CAR, CATEGORIES, GRASS, assert_consistent, state

from panoptix.core import edits
from panoptix.core.attributes import set_locked
from panoptix.core.document import Document, LockedError
from panoptix.core.outline import rasterize, trace
from panoptix.core.segment import Segment
from panoptix.core.vertex_edit import VertexEdit


def ring_doc() -> Document:
    """60x80: grass everywhere (1), a car ring (2) from (10, 10) to (40, 40) with a 10x10
    hole of grass, a second car (3) to its right."""
    id_map = np.ones((60, 80), np.int32)
    id_map[10:41, 10:41] = 2
    id_map[20:31, 20:31] = 1
    id_map[10:30, 50:70] = 3
    return Document(id_map, {1: Segment(GRASS), 2: Segment(CAR), 3: Segment(CAR)}, CATEGORIES)


def test_unsimplified_outline_rasterizes_back_to_the_exact_mask():
    rng = np.random.default_rng(1)
    for _ in range(50):
        mask = np.zeros((48, 48), np.uint8)
        for _ in range(7):
            centre = (int(rng.integers(4, 44)), int(rng.integers(4, 44)))
            cv2.circle(mask, centre, int(rng.integers(2, 10)), int(rng.integers(0, 2)), -1)
        mask[rng.random(mask.shape) < 0.03] ^= 1
        contours, epsilon = trace(mask, (5, 7), epsilon=0)
        assert epsilon == 0
        assert np.array_equal(rasterize(contours, (5, 7, 53, 55)), mask.astype(bool))


def test_the_outline_has_outer_contours_and_holes_within_the_vertex_budget():
    doc = ring_doc()
    box, mask = doc.region(2)
    contours, _ = trace(mask, box[:2])
    assert sorted(c.is_hole for c in contours) == [False, True]
    disk = np.zeros((2000, 2000), np.uint8)
    cv2.circle(disk, (1000, 1000), 900, 1, -1)
    contours, epsilon = trace(disk, max_vertices=200)
    assert sum(len(c.points) for c in contours) <= 200 and epsilon > 0.75


def outer(edit: VertexEdit) -> tuple[int, np.ndarray]:
    index = next(i for i, c in enumerate(edit.contours) if not c.is_hole)
    return index, edit.contours[index].points


def test_dragging_a_corner_changes_only_pixels_near_its_edges_as_one_undo_step():
    doc = ring_doc()
    before = state(doc)
    edit = VertexEdit(doc, 2)
    index, points = outer(edit)
    corner = int(np.flatnonzero((points == [40, 40]).all(axis=1))[0])
    edit.move_vertex(index, corner, 50.2, 50.4)
    assert edit.apply()
    assert doc.id_map[45, 45] == 2  # the segment grew towards the new corner
    assert doc.id_map[20:31, 20:31].tolist() == before_map(before)[20:31, 20:31].tolist()
    assert (doc.id_map[10:41, 10:20] == 2).all()  # the far side kept its pixels
    command = edit.finish()
    assert command is not None and doc.history.undo_label == "Edit vertices"
    assert len(doc.history) == 1
    assert_consistent(doc)
    doc.undo()
    assert state(doc) == before


def before_map(saved: tuple[bytes, dict]) -> np.ndarray:
    return np.frombuffer(saved[0], np.int32).reshape(60, 80)


def test_deleting_a_hole_fills_it_and_shrinking_gives_pixels_to_unlabeled():
    doc = ring_doc()
    edit = VertexEdit(doc, 2)
    hole = next(i for i, c in enumerate(edit.contours) if c.is_hole)
    while not edit.delete_vertex(hole, 0):
        pass
    edit.apply()
    assert (doc.id_map[20:31, 20:31] == 2).all()
    index, points = outer(edit)
    corner = int(np.flatnonzero((points == [10, 10]).all(axis=1))[0])
    edit.move_vertex(index, corner, 25, 25)
    edit.apply()
    edit.finish()
    assert doc.id_map[12, 12] == 0  # given up: unlabeled, not grass
    assert len(doc.history) == 1


def test_dragging_over_a_neighbour_and_back_gives_its_pixels_back():
    doc = ring_doc()
    before = state(doc)
    edit = VertexEdit(doc, 2)
    index, points = outer(edit)
    corner = int(np.flatnonzero((points == [40, 10]).all(axis=1))[0])
    edit.move_vertex(index, corner, 60, 10)
    edit.apply()
    assert doc.id_map[12, 52] == 2  # took part of car 3
    edit.move_vertex(index, corner, 40, 10)
    edit.apply()
    assert state(doc) == before
    assert edit.finish() is None and not doc.history.can_undo


def test_inserted_vertex_bends_an_edge_and_cancel_restores():
    doc = ring_doc()
    before = state(doc)
    edit = VertexEdit(doc, 2)
    index, points = outer(edit)
    start = int(np.flatnonzero((points == [10, 10]).all(axis=1))[0])
    following = points[(start + 1) % len(points)]
    assert following[0] == 10  # the outline runs down the left side first
    new = edit.insert_vertex(index, start, 10, 25)
    edit.move_vertex(index, new, 3, 25)
    edit.apply()
    assert doc.id_map[25, 5] == 2
    edit.cancel()
    assert state(doc) == before


def test_locks_hold_while_editing_vertices():
    doc = ring_doc()
    set_locked(doc, [3], True)
    with pytest.raises(LockedError, match="car #3 is locked"):
        VertexEdit(doc, 3)
    car3 = doc.full_mask(3)
    edit = VertexEdit(doc, 2)
    index, points = outer(edit)
    corner = int(np.flatnonzero((points == [40, 10]).all(axis=1))[0])
    edit.move_vertex(index, corner, 60, 10)
    edit.apply()
    edit.finish()
    assert np.array_equal(doc.full_mask(3), car3)
    assert doc.id_map[12, 45] == 2  # grass between them was taken


def test_protect_labeled_takes_only_unlabeled_pixels():
    doc = ring_doc()
    edits.delete(doc, [1])
    edits.fill_polygon(doc, [(45, 0), (79, 0), (79, 59), (45, 59)], GRASS)
    edit = VertexEdit(doc, 2, only_unlabeled=True)
    index, points = outer(edit)
    corner = int(np.flatnonzero((points == [40, 40]).all(axis=1))[0])
    edit.move_vertex(index, corner, 55, 55)
    edit.apply()
    assert doc.id_map[42, 42] == 2 and doc.id_map[50, 50] != 2
