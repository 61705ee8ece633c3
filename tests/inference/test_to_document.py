"""From a predicted segmentation to an editable document."""

from __future__ import annotations

import numpy as np
from synthetic import COCO_LABELS

from panoptix.core.categories import Category, CategorySet
from panoptix.inference.labels import categories_for_model
from panoptix.inference.postprocess import (
    PredictedSegment,
    Segmentation,
    panoptic_segmentation,
    semantic_segmentation,
)
from panoptix.inference.raw_outputs import RawOutputs
from panoptix.inference.to_document import to_document


def test_panoptic_scene_becomes_a_model_document(scene: RawOutputs) -> None:
    mapped = categories_for_model("facebook/mask2former-swin-tiny-coco-panoptic", COCO_LABELS)
    segmentation = panoptic_segmentation(scene, mapped.thing_labels)
    conversion = to_document(segmentation, mapped)
    doc = conversion.document
    assert conversion.dropped == {}
    assert doc.shape == scene.image_size
    names = sorted(mapped.categories[s.category_id].name for s in doc.segments.values())
    assert names == sorted(["sky-other-merged", "wall-wood", "road", "person",
                            "person", "person", "car"])
    assert all(s.source == "model" and 0 < s.score <= 1 for s in doc.segments.values())
    road = next(i for i, s in doc.segments.items()
                if mapped.categories[s.category_id].name == "road")
    assert conversion.query_indices[road] == (2, 3)
    assert doc.area(road) == int((segmentation.id_map == 3).sum())


def test_labels_without_a_category_are_dropped_and_counted() -> None:
    id_map = np.array([[1, 1, 2], [3, 3, 2]], np.int32)
    segmentation = Segmentation(id_map, [PredictedSegment(1, 0, 0.9, (0,)),
                                         PredictedSegment(2, 1, 0.8, (1,)),
                                         PredictedSegment(3, 1, 0.7, (2,))])
    mapped = categories_for_model("x", {0: "person", 1: "hoverboard"}, "coco_panoptic")
    conversion = to_document(segmentation, mapped)
    assert conversion.dropped == {"hoverboard": 2} and conversion.dropped_count == 2
    assert conversion.document.id_map.tolist() == [[1, 1, 0], [0, 0, 0]]


def test_stuff_is_one_segment_per_category_whatever_the_task() -> None:
    categories = CategorySet([Category(1, "ground", False, (1, 2, 3)),
                              Category(2, "person", True, (4, 5, 6))])
    mapped = categories_for_model("x", {0: "ground", 1: "Ground ", 2: "person"}, categories)
    id_map = np.array([[1, 2, 3, 4]], np.int32)
    segmentation = Segmentation(id_map, [PredictedSegment(1, 0, 0.6, (0,)),
                                         PredictedSegment(2, 1, 0.9, (1,)),
                                         PredictedSegment(3, 2, 0.9, (2,)),
                                         PredictedSegment(4, 2, 0.8, (3,))])
    conversion = to_document(segmentation, mapped)
    doc = conversion.document
    assert doc.id_map.tolist() == [[1, 1, 2, 3]]
    assert doc.segments[1].category_id == 1 and doc.segments[1].score == 0.9
    assert conversion.query_indices == {1: (0, 1), 2: (2,), 3: (3,)}


def test_semantic_output_converts_too(scene: RawOutputs) -> None:
    mapped = categories_for_model("facebook/mask2former-swin-tiny-coco-panoptic", COCO_LABELS)
    semantic = semantic_segmentation(scene)
    doc = to_document(semantic, mapped).document
    categories = [s.category_id for s in doc.segments.values()]
    assert len(categories) == len(set(categories))  # the three people are one "person"
    assert 1 in categories and not (doc.id_map == 0).any()
