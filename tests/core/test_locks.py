"""Locks live in the document's edit path: every edit, old or new, leaves locked pixels as
they are, and a refused edit says why in one line and changes nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_edits import CAR, CATEGORIES, GRASS, PERSON, assert_consistent, make_doc, state

from panoptix.core import edits
from panoptix.core.attributes import set_crowd, set_locked
from panoptix.core.document import Document, LockedError
from panoptix.core.history import Command, MapPatch
from panoptix.core.project import Project


def locked_doc(*ids: int) -> tuple[Document, list[str]]:
    doc = make_doc()
    notices: list[str] = []
    doc.notice.connect(notices.append)
    set_locked(doc, ids, True)
    return doc, notices


def test_brush_over_a_locked_segment_leaves_its_pixels_and_says_so():
    doc, notices = locked_doc(3)
    person = doc.full_mask(3)
    stroke = edits.BrushStroke(doc, 6, category_id=CAR)
    stroke.line_to(1, 12)
    stroke.line_to(12, 12)
    stroke.finish()
    assert np.array_equal(doc.full_mask(3), person)
    car = doc.stuff_segment(CAR) or max(doc.segments)
    assert doc.area(car) > 0  # the rest of the stroke was painted
    assert any("person #3 is locked" in n for n in notices)
    assert_consistent(doc)
    doc.undo()
    assert np.array_equal(doc.full_mask(3), person)


def test_brush_and_fill_into_a_locked_segment_change_nothing():
    doc, notices = locked_doc(4)
    before = state(doc)
    stroke = edits.BrushStroke(doc, 4, target=4)
    stroke.line_to(9, 18)
    assert stroke.finish() is None
    assert state(doc) == before
    assert notices[-1] == "person #4 is locked"
    with pytest.raises(LockedError, match="person #4 is locked"):
        edits.flood_fill(doc, 21, 3, PERSON, target=4)
    assert state(doc) == before


def test_polygon_and_proposal_masks_take_only_unlocked_pixels():
    doc, _ = locked_doc(3, 4)
    people = doc.full_mask(3) | doc.full_mask(4)
    created = edits.fill_polygon(doc, [(0, 9), (14, 9), (14, 17), (0, 17)], CAR)
    assert created is not None
    assert np.array_equal(doc.full_mask(3) | doc.full_mask(4), people)
    assert doc.area(created) == 9 * 15 - people[9:18, :15].sum()
    mask = np.ones((20, 30), bool)
    proposal = edits.add_mask(doc, mask, PERSON, score=0.7, source="model")
    assert np.array_equal(doc.full_mask(3) | doc.full_mask(4), people)
    assert doc.area(proposal) == 20 * 30 - people.sum()


def test_an_edit_entirely_on_locked_pixels_is_refused():
    doc, _ = locked_doc(3)
    before = state(doc)
    with pytest.raises(LockedError, match="person #3 is locked"):
        edits.fill_polygon(doc, [(2, 10), (5, 10), (5, 14), (2, 14)], CAR)
    assert state(doc) == before


@pytest.mark.parametrize(("locked", "edit", "why"), [
    (3, lambda doc: edits.merge(doc, [3, 4]), "person #3"),
    (3, lambda doc: edits.relabel(doc, [3], CAR), "person #3"),
    (3, lambda doc: edits.delete(doc, [3]), "person #3"),
    (5, lambda doc: edits.split(doc, 5), "car #5"),
    (3, lambda doc: set_crowd(doc, [3], True), "person #3"),
    (1, lambda doc: edits.add_mask(doc, np.ones((2, 2), bool), 40, offset=(11, 3)), "sky #1"),
])
def test_table_edits_of_a_locked_segment_are_refused(locked, edit, why):
    doc, _ = locked_doc(locked)
    before, steps = state(doc), len(doc.history)
    with pytest.raises(LockedError, match=f"{why} is locked"):
        edit(doc)
    assert state(doc) == before and len(doc.history) == steps


def test_a_tool_written_later_respects_locks_through_execute():
    """A hand-built command (as a new tool would make) is clipped like any other."""
    doc, notices = locked_doc(1)
    before = doc.id_map.copy()
    box = (0, 0, 20, 30)
    patch = MapPatch.from_change(box, before, np.full((20, 30), 2, np.int32))
    assert patch is not None
    doc.execute(Command("Future tool", [patch]))
    assert np.array_equal(doc.id_map == 1, before == 1)  # sky, locked, untouched
    assert (doc.id_map[before != 1] == 2).all()
    assert "sky #1 is locked" in notices[-1]


def test_locked_categories_lock_every_segment_of_them():
    doc = make_doc()
    doc.set_locked_categories({PERSON})
    assert doc.locked_ids() == {3, 4}
    before = state(doc)
    with pytest.raises(LockedError, match="category person is locked"):
        edits.merge(doc, [3, 4])
    stroke = edits.BrushStroke(doc, 3, category_id=PERSON)  # a new person: refused too
    stroke.line_to(25, 10)
    assert stroke.finish() is None
    assert state(doc) == before
    doc.set_locked_categories(())
    edits.merge(doc, [3, 4])
    assert 4 not in doc.segments


def test_lock_is_undoable_and_unlocking_is_allowed():
    doc, _ = locked_doc(3)
    assert doc.is_locked(3)
    assert doc.history.undo_label == "Lock"
    set_locked(doc, [3])  # toggles
    assert not doc.is_locked(3)
    edits.delete(doc, [3])
    doc.undo()
    doc.undo()
    assert doc.is_locked(3)


def test_undo_that_would_change_a_locked_segment_is_refused_until_unlocked():
    doc = make_doc()
    edits.relabel(doc, [3], CAR)
    doc.set_locked_categories({CAR})
    with pytest.raises(LockedError, match="cannot undo relabel: category car is locked"):
        doc.undo()
    assert doc.segments[3].category_id == CAR and doc.history.can_undo
    doc.set_locked_categories(())
    doc.undo()
    assert doc.segments[3].category_id == PERSON
    doc.set_locked_categories({PERSON})
    with pytest.raises(LockedError, match="cannot redo"):
        doc.redo()
    assert doc.history.can_redo


def test_crowd_toggle_is_undoable_and_refused_on_stuff():
    doc = make_doc()
    assert set_crowd(doc, [5]) is True
    assert doc.segments[5].iscrowd and doc.history.undo_label == "Crowd"
    doc.undo()
    assert not doc.segments[5].iscrowd
    with pytest.raises(edits.EditError, match="grass is stuff"):
        set_crowd(doc, [2], True)


def test_locks_and_crowds_are_saved_with_the_annotation(tmp_path: Path):
    folder = tmp_path / "photos"
    folder.mkdir()
    from PIL import Image
    Image.new("RGB", (30, 20)).save(folder / "a.png")
    doc = make_doc()
    set_locked(doc, [3], True)
    set_crowd(doc, [5], True)
    with Project.open_or_create_for_images(folder, categories=CATEGORIES) as project:
        project.save_document("a.png", doc)
    with Project.open(tmp_path / "photos.panoptix") as project:
        loaded = project.load_document("a.png")
    assert loaded.is_locked(3) and not loaded.is_locked(4)
    assert loaded.segments[5].iscrowd


def test_locked_segments_survive_a_new_model_result():
    from panoptix.core.keep_locked import keep_locked
    from panoptix.core.segment import Segment

    old = make_doc()
    set_locked(old, [3], True)  # a person
    old.set_locked_categories({GRASS})
    model = np.full((20, 30), 1, np.int32)  # the model says: all sky...
    model[15:, :] = 2  # ...and a strip of grass
    new = Document(model, {1: Segment(40, score=0.9, source="model"),
                           2: Segment(GRASS, score=0.8, source="model")}, CATEGORIES)
    kept = keep_locked(old, new)
    person = kept.segment_at(3, 11)
    assert kept.segments[person].locked and kept.segments[person].category_id == PERSON
    assert np.array_equal(kept.full_mask(person), old.full_mask(3))
    grass = kept.stuff_segment(GRASS)
    assert grass is not None and np.array_equal(kept.full_mask(grass), old.full_mask(2))
    assert kept.locked_categories == {GRASS}
    assert len([s for s in kept.segments.values() if s.category_id == GRASS]) == 1
    assert keep_locked(make_doc(), new) is new
