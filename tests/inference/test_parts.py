"""Detached parts of an object segment become objects of their own
(``panoptix.inference.parts`` and the ``split_parts`` setting)."""

from __future__ import annotations

import numpy as np
from synthetic import COCO_THINGS, Query, ellipse, synthetic_raw

from panoptix.core.categories import load_table
from panoptix.core.document import Document
from panoptix.inference.assist import AssistContext
from panoptix.inference.boxes import id_boxes
from panoptix.inference.labels import categories_for_model
from panoptix.inference.parts import part_at, split_detached_parts
from panoptix.inference.postprocess import segment
from panoptix.inference.proposals import accept_proposal
from panoptix.inference.settings import InferenceSettings


def test_large_parts_split_specks_stay_and_stuff_is_never_split() -> None:
    id_map = np.ones((120, 160), np.int32)  # 1: stuff in two pieces
    id_map[:, 80:82] = 3
    id_map[10:40, 10:40] = 2  # a thing in two large parts and a speck
    id_map[60:90, 100:130] = 2
    id_map[100:104, 10:14] = 2
    split, made = split_detached_parts(id_map, [2, 3], next_id=4)
    assert made == [(4, 2)]
    assert (split == 4).sum() == 900 and (split == 2).sum() == 900 + 16
    assert np.array_equal(split == 1, id_map == 1) and np.array_equal(split == 3, id_map == 3)
    untouched, none = split_detached_parts(id_map, [3], next_id=4)
    assert untouched is id_map and none == []


def _two_people_in_one_mask():
    low = (40, 60)
    people = np.maximum(ellipse(low, 20, 15, 10, 5), ellipse(low, 20, 45, 10, 5))
    return synthetic_raw([Query(0, people, 12.0), Query(100, -people, 12.0)], (160, 240))


def test_a_mask_over_two_people_gives_two_people() -> None:
    raw = _two_people_in_one_mask()
    split = segment(raw, COCO_THINGS, split_parts=True)
    whole = segment(raw, COCO_THINGS)
    assert [s.label_id for s in whole.segments] == [0, 100]
    people = [s for s in split.segments if s.label_id == 0]
    assert len(people) == 2 and len({s.id for s in split.segments}) == 3
    assert people[0].query_indices == people[1].query_indices == (0,)
    assert all((split.id_map == s.id).sum() > 1000 for s in people)
    assert np.array_equal(split.id_map > 0, whole.id_map > 0)


def test_the_switch_is_a_stored_setting_off_unless_the_model_advises_it() -> None:
    assert InferenceSettings().resolved_split_parts is False  # the hub model: no advice
    assert InferenceSettings(model="demo").resolved_split_parts is True
    settings = InferenceSettings(split_parts=True)
    assert InferenceSettings.from_stored(settings.stored()).split_parts is True


def test_every_box_in_one_pass() -> None:
    id_map = np.zeros((50, 60), np.int32)
    id_map[5:10, 7:20] = 3
    id_map[40:50, 0:2] = 1
    boxes = id_boxes(id_map, margin=2)
    assert set(boxes) == {0, 1, 3}
    assert boxes[3] == (slice(3, 12), slice(5, 22))
    assert boxes[1] == (slice(38, 50), slice(0, 4))
    assert boxes[0] == (slice(0, 50), slice(0, 60))


def test_the_part_at_a_point_is_the_object_splitting_would_leave_there() -> None:
    mask = np.zeros((120, 160), bool)
    mask[10:40, 10:40] = True  # the largest part
    mask[60:85, 100:130] = True  # a large part: split off
    mask[100:104, 10:14] = True  # a speck: stays with the largest
    right = part_at(mask, 70, 110, mask.size)
    assert right.sum() == 25 * 30 and right[70, 110] and not right[20, 20]
    for row, col in ((20, 20), (101, 11)):  # the largest part, or the speck that stays with it
        rest = part_at(mask, row, col, mask.size)
        assert rest.sum() == 900 + 16 and not rest[70, 110]
    assert part_at(mask, 0, 0, mask.size) is mask  # outside it: the whole mask
    one = mask[:50]
    assert part_at(one, 20, 20, mask.size) is one  # nothing splits off


def test_a_proposal_at_a_click_is_the_person_there_when_parts_split() -> None:
    raw = _two_people_in_one_mask()
    categories = load_table("coco_panoptic")
    model_categories = categories_for_model(raw.model_id, raw.id2label, categories)
    person = categories.find("person").id
    for split in (True, False):
        context = AssistContext(raw, model_categories, split_parts=split)
        candidate = context.candidates_at(180, 80)[0]
        assert candidate.category_id == person
        doc = Document.blank(*raw.image_size, categories)
        created = accept_proposal(doc, context.index, candidate.proposal, person)
        columns = np.flatnonzero((doc.id_map == created).any(axis=0))
        assert (columns.min() > 120) == split  # only the right one, or both
    road = AssistContext(raw, model_categories, split_parts=True).candidates_at(120, 5)[0]
    assert road.proposal.point is None  # stuff is never cut
