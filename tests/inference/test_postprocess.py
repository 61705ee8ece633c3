"""Our post-processing against transformers' on the same outputs."""

from __future__ import annotations

from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from synthetic import COCO_THINGS, Query, ellipse, street_scene, synthetic_raw
from transformers.models.mask2former import Mask2FormerImageProcessorPil

from panoptix.inference.postprocess import (
    Segmentation,
    instance_segmentation,
    panoptic_segmentation,
    segment,
    semantic_segmentation,
)
from panoptix.inference.raw_outputs import RawOutputs

REFERENCE = Mask2FormerImageProcessorPil()


def _outputs(raws: list[RawOutputs]) -> SimpleNamespace:
    """transformers-style model outputs for a batch of equally sized raw outputs."""
    return SimpleNamespace(
        class_queries_logits=torch.from_numpy(np.stack([r.class_logits for r in raws])),
        masks_queries_logits=torch.from_numpy(
            np.stack([r.mask_logits for r in raws]).astype(np.float32)))


def _reference_panoptic(raw: RawOutputs, **thresholds: float) -> dict:
    return REFERENCE.post_process_panoptic_segmentation(
        _outputs([raw]), label_ids_to_fuse=set(range(80, raw.num_labels)),
        target_sizes=[raw.image_size], **thresholds)[0]


def _near_boundaries(id_map: np.ndarray, radius: int) -> np.ndarray:
    values = id_map.astype(np.float32)
    kernel = np.ones((3, 3), np.uint8)
    edges = (cv2.dilate(values, kernel) != cv2.erode(values, kernel)).astype(np.uint8)
    return cv2.dilate(edges, np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)) > 0


def assert_same_segmentation(ours: Segmentation, reference: np.ndarray, labels: dict[int, int],
                             max_differing: float, radius: int = 3) -> None:
    """Same segments with the same labels; differing pixels few and only on boundaries."""
    reference = reference.astype(np.int32)
    ref_ids = sorted(int(i) for i in np.unique(reference) if i > 0)
    our_labels = {s.id: s.label_id for s in ours.segments}
    assert len(ref_ids) == len(ours.segments)
    relabelled = np.zeros_like(reference)
    for ref_id in ref_ids:
        region = ours.id_map[reference == ref_id]
        our_id = int(np.bincount(region).argmax())
        assert our_labels[our_id] == labels[ref_id]
        relabelled[ours.id_map == our_id] = ref_id
    differing = relabelled != reference
    assert differing.mean() <= max_differing
    boundaries = _near_boundaries(reference, radius) | _near_boundaries(relabelled, radius)
    assert not (differing & ~boundaries).any()


@pytest.mark.parametrize("working_size", [1024, 256])
def test_panoptic_matches_transformers(scene: RawOutputs, working_size: int) -> None:
    reference = _reference_panoptic(scene, threshold=0.8, mask_threshold=0.5,
                                    overlap_mask_area_threshold=0.8)
    ours = panoptic_segmentation(scene, COCO_THINGS, working_size=working_size)
    labels = {info["id"]: info["label_id"] for info in reference["segments_info"]}
    assert sorted(s.label_id for s in ours.segments) == sorted(labels.values())
    assert_same_segmentation(ours, reference["segmentation"].numpy(), labels, 0.01)


def test_panoptic_fuses_stuff_into_one_segment_listing_every_query(scene: RawOutputs) -> None:
    reference = _reference_panoptic(scene, threshold=0.8)
    road_ids = [info["id"] for info in reference["segments_info"] if info["label_id"] == 100]
    assert road_ids == [road_ids[0]] * 2  # transformers repeats the fused id
    ours = panoptic_segmentation(scene, COCO_THINGS)
    roads = [s for s in ours.segments if s.label_id == 100]
    assert len(roads) == 1 and roads[0].query_indices == (2, 3)
    assert [s.id for s in ours.segments] == list(range(1, len(ours.segments) + 1))


def test_segments_after_a_fused_query_keep_their_own_ids() -> None:
    """transformers numbers the segment after a fused query from the fused segment's id,
    so it repeats the id of another segment; here the person would share the sky's."""
    low, size = (40, 60), (80, 120)
    columns = np.arange(low[1], dtype=np.float32)
    left, right = 0.5 * (25 - columns), 0.5 * (columns - 35)
    rows = np.arange(low[0], dtype=np.float32)[:, None] * np.ones((1, low[1]), np.float32)
    person = ellipse(low, 28, 30, 6, 4)
    sky = np.minimum(0.5 * (15 - rows), -person)
    road_left = np.minimum(np.minimum(0.5 * (rows - 15), left), -person)
    road_right = np.minimum(np.minimum(0.5 * (rows - 15), right), -person)
    middle = np.minimum(np.minimum(0.5 * (rows - 15), -left), -right)
    middle = np.minimum(middle, -person)
    raw = synthetic_raw([Query(100, road_left), Query(119, sky), Query(100, road_right),
                         Query(0, person, 12.0), Query(100, middle)], size)
    reference = _reference_panoptic(raw, threshold=0.8)
    ids = {info["label_id"]: info["id"] for info in reference["segments_info"]}
    assert ids[0] == ids[119]  # transformers: person and sky share an id
    ours = panoptic_segmentation(raw, COCO_THINGS)
    assert sorted((s.label_id, s.query_indices) for s in ours.segments) == [
        (0, (3,)), (100, (0, 2, 4)), (119, (1,))]
    assert len({s.id for s in ours.segments}) == 3


def test_panoptic_drops_unsure_no_object_and_hidden_queries(scene: RawOutputs) -> None:
    ours = panoptic_segmentation(scene, COCO_THINGS)
    used = {q for s in ours.segments for q in s.query_indices}
    assert used == set(range(8))
    assert ours.id_map.dtype == np.int32 and ours.id_map.shape == scene.image_size
    assert set(np.unique(ours.id_map)) == {s.id for s in ours.segments}


def test_panoptic_with_nothing_found_is_an_int32_zero_map(scene: RawOutputs) -> None:
    reference = _reference_panoptic(scene, threshold=0.9999)
    assert reference["segmentation"].dtype == torch.float32
    assert (reference["segmentation"] == -1).all()
    ours = panoptic_segmentation(scene, COCO_THINGS, threshold=0.9999)
    assert ours.segments == [] and ours.id_map.dtype == np.int32 and not ours.id_map.any()


def test_thing_labels_may_be_a_predicate(scene: RawOutputs) -> None:
    by_set = panoptic_segmentation(scene, COCO_THINGS)
    by_function = panoptic_segmentation(scene, lambda label: label < 80)
    assert by_set.segments == by_function.segments
    assert np.array_equal(by_set.id_map, by_function.id_map)


def test_tiny_model_outputs_match_transformers(mask2former) -> None:
    """Real (random) mask logits: same segments and labels, boundary-only differences."""
    image = np.random.default_rng(0).integers(0, 255, (150, 260, 3), np.uint8)
    raw = mask2former.predict(image)
    # Random weights give near-uniform classes and masks near 0.5: make five queries sure
    # of distinct labels and sharpen the masks, keeping their shapes.
    class_logits = np.zeros_like(raw.class_logits)
    class_logits[:, -1] = 10.0
    class_logits[np.arange(5), -1] = 0.0
    class_logits[np.arange(5), [0, 3, 6, 90, 100]] = 10.0
    # (to a spread of 0.55: the size of a random head's logits depends on the transformers
    # version's initialisation, 0.055 on 5.24 and 0.0002 on 5.18)
    mask_logits = raw.mask_logits.astype(np.float32)
    mask_logits = (mask_logits * (0.55 / mask_logits.std())).astype(np.float16)
    raw = RawOutputs(class_logits, mask_logits, raw.image_size, raw.id2label)
    reference = _reference_panoptic(raw, threshold=0.5, overlap_mask_area_threshold=0.5)
    ours = panoptic_segmentation(raw, COCO_THINGS, threshold=0.5, overlap_threshold=0.5)
    labels = {info["id"]: info["label_id"] for info in reference["segments_info"]}
    assert labels, "the test needs segments"
    assert sorted(s.label_id for s in ours.segments) == sorted(labels.values())
    assert_same_segmentation(ours, reference["segmentation"].numpy(), labels, 0.05)


def test_semantic_matches_transformers(scene: RawOutputs) -> None:
    reference = REFERENCE.post_process_semantic_segmentation(
        _outputs([scene]), target_sizes=[scene.image_size])[0].numpy()
    ours = semantic_segmentation(scene)
    labels = {s.id: s.label_id for s in ours.segments}
    as_labels = np.vectorize(labels.get)(ours.id_map)
    assert set(np.unique(reference)) == set(labels.values())
    assert (as_labels != reference).mean() < 0.005
    assert len(labels) == len(set(labels.values()))  # one segment per label
    roads = [s for s in ours.segments if s.label_id == 100]
    assert set(roads[0].query_indices) == {2, 3}


def test_instance_finds_transformers_instances_without_overlaps() -> None:
    low, size = (40, 60), (200, 300)
    raw = synthetic_raw([Query(0, ellipse(low, 10, 10, 6, 6)),
                         Query(2, ellipse(low, 30, 40, 6, 12)),
                         Query(0, ellipse(low, 12, 12, 6, 6), 6.0),  # mostly under query 0
                         Query(None, ellipse(low, 20, 20, 5, 5))], size, task="instance")
    reference = REFERENCE.post_process_instance_segmentation(
        _outputs([raw]), threshold=0.5, target_sizes=[size])[0]
    ours = instance_segmentation(raw, COCO_THINGS, threshold=0.5)
    assert sorted(s.label_id for s in ours.segments) == [0, 2]
    assert sorted(i["label_id"] for i in reference["segments_info"]) == [0, 0, 2]
    assert sorted(s.query_indices for s in ours.segments) == [(0,), (1,)]
    ref_map = reference["segmentation"].numpy()
    for predicted in ours.segments:
        ours_mask = ours.id_map == predicted.id
        overlap = (ours_mask & (ref_map >= 0)).sum() / ours_mask.sum()
        assert overlap > 0.95


def test_instance_fuses_stuff_labels() -> None:
    low = (40, 60)
    raw = synthetic_raw([Query(100, ellipse(low, 10, 10, 6, 6)),
                         Query(100, ellipse(low, 30, 40, 6, 12))], (80, 120), task="instance")
    ours = segment(raw, COCO_THINGS, threshold=0.5)
    assert len(ours.segments) == 1 and sorted(ours.segments[0].query_indices) == [0, 1]


def test_segment_dispatches_on_the_task(scene: RawOutputs) -> None:
    semantic = RawOutputs(scene.class_logits, scene.mask_logits, scene.image_size,
                          scene.id2label, "semantic")
    assert len(segment(semantic, COCO_THINGS).segments) == len(
        {s.label_id for s in semantic_segmentation(semantic).segments})
    assert segment(scene, COCO_THINGS).segments == panoptic_segmentation(
        scene, COCO_THINGS).segments


def test_large_image_uses_a_working_grid_and_keeps_small_segments() -> None:
    raw = street_scene(image_size=(3000, 4000))
    ours = panoptic_segmentation(raw, COCO_THINGS, working_size=512)
    assert ours.id_map.shape == (3000, 4000)
    assert set(np.unique(ours.id_map)) == {s.id for s in ours.segments}
    assert len(ours.segments) == 7
