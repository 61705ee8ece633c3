import cv2
import numpy as np
import pytest

from panoptix.core.categories import load_table
from panoptix.core.document import Document
from panoptix.core.edits import EditError
from panoptix.core.refine import refine_edge
from panoptix.core.review import image_uncertainty, review_order, step_review
from panoptix.core.segment import Segment

COCO = load_table("coco_panoptic")
WALL = COCO.find("wall-other-merged").id


def _doc_with_scores() -> Document:
    id_map = np.zeros((10, 10), np.int32)
    id_map[0:5, 0:5] = 1
    id_map[5:10, 0:5] = 2
    id_map[0:5, 5:10] = 3
    id_map[5:10, 5:10] = 4
    segments = {1: Segment(1, score=0.9, source="model"), 2: Segment(3, score=0.3, source="model"),
                3: Segment(WALL, score=0.6, source="model"), 4: Segment(1, source="manual")}
    return Document(id_map, segments, COCO)


def test_review_order_lists_model_segments_least_confident_first():
    doc = _doc_with_scores()
    assert review_order(doc) == [2, 3, 1]
    assert step_review(doc, None) == 2
    assert step_review(doc, 2) == 3
    assert step_review(doc, 1) == 2  # wraps
    assert step_review(doc, 2, forward=False) == 1


def test_uncertainty_weighs_area_by_doubt_and_counts_unlabeled_fully():
    doc = _doc_with_scores()
    assert image_uncertainty(doc) == pytest.approx((25 * 0.1 + 25 * 0.7 + 25 * 0.4) / 100)
    blank = Document.blank(4, 4, COCO)
    assert image_uncertainty(blank) == 1.0


def _disc_scene(offset: int):
    image = np.full((160, 200, 3), 30, np.uint8)
    cv2.circle(image, (100, 80), 40, (230, 210, 40), -1)
    truth = np.zeros((160, 200), np.uint8)
    cv2.circle(truth, (100, 80), 40, 1, -1)
    id_map = np.zeros((160, 200), np.int32)
    cv2.circle(id_map, (100, 80), 40 + offset, 1, -1)
    id_map[:, :30] = np.where(id_map[:, :30] == 0, 2, id_map[:, :30])
    doc = Document(id_map, {1: Segment(1), 2: Segment(WALL)}, COCO)
    return doc, image, truth.astype(bool)


def _iou(a, b):
    return (a & b).sum() / (a | b).sum()


@pytest.mark.parametrize("offset", [-5, 5])
def test_refine_edge_snaps_a_too_small_or_too_large_segment_to_the_image_edge(offset):
    doc, image, truth = _disc_scene(offset)
    before = _iou(doc.id_map == 1, truth)
    assert refine_edge(doc, image, 1, band=8)
    assert _iou(doc.id_map == 1, truth) > 0.98 > before
    # the neighbouring stuff segment is untouched, pixels given up go back to unlabeled
    assert (doc.id_map[:, :30] == 2).all()
    doc.undo()
    assert _iou(doc.id_map == 1, truth) == before


@pytest.mark.parametrize("offset", [-6, 6])
def test_refine_edge_on_a_big_segment_works_at_a_reduced_scale_within_two_pixels(offset):
    image = np.full((700, 700, 3), 30, np.uint8)
    cv2.circle(image, (350, 350), 300, (230, 210, 40), -1)
    truth = np.zeros((700, 700), np.uint8)
    cv2.circle(truth, (350, 350), 300, 1, -1)
    id_map = np.zeros((700, 700), np.int32)
    cv2.circle(id_map, (350, 350), 300 + offset, 1, -1)
    doc = Document(id_map, {1: Segment(1)}, COCO)
    assert refine_edge(doc, image, 1, band=10, work_pixels=100_000)  # ~1/2 scale
    wrong = int(((doc.id_map == 1) != truth.astype(bool)).sum())
    assert wrong < 2 * 2 * np.pi * 300  # under 2 px along the whole boundary
    assert wrong < abs(offset) * 2 * np.pi * 300 / 2


def test_refine_edge_gives_lost_pixels_to_the_neighbour_not_to_a_hole():
    image = np.zeros((100, 100, 3), np.uint8)
    image[:, 50:] = 255
    id_map = np.full((100, 100), 2, np.int32)
    id_map[:, :56] = 1  # segment 1 spills 6 px over the edge at x=50
    doc = Document(id_map, {1: Segment(1), 2: Segment(WALL)}, COCO)
    assert refine_edge(doc, image, 1, band=8)
    assert (doc.id_map[:, 50:] == 2).all() and (doc.id_map[:, :50] == 1).all()


def test_refine_edge_refuses_a_mismatched_image():
    doc, image, _ = _disc_scene(0)
    with pytest.raises(EditError):
        refine_edge(doc, image[:10], 1)


def test_a_category_turned_stuff_is_fused_into_one_segment_in_one_undo_step():
    from panoptix.core.categories import CategorySet
    from panoptix.core.edits import fuse_stuff

    cats = CategorySet.from_labels({0: "tree", 1: "car"})
    id_map = np.zeros((6, 6), np.int32)
    id_map[:, :2], id_map[:, 2:4], id_map[:, 4:] = 1, 2, 3
    doc = Document(id_map, {1: Segment(1), 2: Segment(1), 3: Segment(2)}, cats)
    assert not fuse_stuff(doc)  # all things: nothing to do
    cats.update(1, isthing=False)
    assert fuse_stuff(doc)
    assert sorted(doc.segments) == [1, 3] and doc.area(1) == 24
    doc.undo()
    assert sorted(doc.segments) == [1, 2, 3] and doc.area(2) == 12
