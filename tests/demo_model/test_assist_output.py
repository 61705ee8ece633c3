"""Model-assisted editing on the demo model's real outputs, fresh scenes: a click on an
object offers the model's good mask of it (IoU >= 0.8 to the truth) when the model proposes
one there, a click on an object the pre-segmentation missed offers the model's best mask of it, the
top-5 guesses of a segment hold its true category, and a threshold re-run from kept
outputs is exactly a fresh pre-segmentation at those thresholds.

The counts asserted are those measured on these scenes less a margin for floating-point
differences between machines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from panoptix.inference.assist import TOP_K, AssistContext, postprocess_document
from panoptix.inference.labels import categories_for_model
from panoptix.inference.raw_outputs import RawOutputs
from panoptix.inference.settings import InferenceSettings
from panoptix.synth import Scene

SWITCHES_ON = InferenceSettings(snap_edges=True, split_parts=True)
"""The post-processing switches (off by default) the figures here are measured with."""
GOOD_IOU = 0.8
MATCH_IOU = 0.5
"""A true segment is found when a predicted one overlaps it more than this (PQ's rule)."""
MIN_AREA = 400
"""Objects smaller than this (in pixels of 640x480) are not clicked on."""
SHOWN = 8
"""Proposals the window lists at once beside a click (``proposal_tool.LIST_ROWS``)."""
GOOD_MASKS_MEASURED = 61
"""True segments of at least MIN_AREA with a proposal of IoU >= GOOD_IOU at a click on
them, measured with proposals snapped to the image's edges (58 not snapped). A mask the
model itself scores under the proposal floor (a class it gives almost no probability) is
no proposal (53 with the model of the first two training stages, not snapped)."""
MISSED_MEASURED = 15
"""Segments the pre-segmentation missed whose best model mask has IoU > MATCH_IOU, measured
(18 before detached parts were split into objects; 9 with the model of the first two
training stages)."""
NEARLY_BEST = 0.05
"""A click on a missed object offers the model's best mask of it, or one this close in IoU
(measured: 14 of the 15 offer the best itself)."""
MISSED_NOT_OFFERED = 2
"""Measured, one is not (at the model's own masks: its best mask, IoU 0.70, is no proposal
at the click, and the best offered there has IoU 0.59); and a margin of one for a near tie
elsewhere."""
COUNT_MARGIN = 2
TOP5_MEASURED = 128 / 132
"""Share of the true segments whose top-5 guesses hold their category, measured."""
TOP5_MARGIN = 0.05


@pytest.fixture(scope="module")
def outputs(demo_predictor, fresh_scenes, categories) -> dict[str, tuple]:
    """Per scene: its raw outputs, their assist context, and the pre-segmentation, as
    the window has them with both post-processing switches on (boundaries snapped to the
    image, detached parts split; the proposals snapped too)."""
    model_categories = categories_for_model("demo", demo_predictor.id2label, categories)
    found = {}
    for stem, scene in fresh_scenes.items():
        raw = demo_predictor.predict(scene.image)
        document = postprocess_document(raw, model_categories, SWITCHES_ON,
                                        scene.image).document
        found[stem] = (raw, AssistContext(raw, model_categories, scene.image), document)
    return found


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0


def _full(context: AssistContext, query: int, shape: tuple[int, int]) -> np.ndarray:
    full = np.zeros(shape, bool)
    placed = context.index.mask(query)
    if placed is not None:
        (y0, x0, y1, x1), mask = placed
        full[y0:y1, x0:x1] = mask
    return full


def _inside(mask: np.ndarray) -> tuple[int, int]:
    distance = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
    y, x = np.unravel_index(int(distance.argmax()), distance.shape)
    return int(x), int(y)


def _clicks(fresh_scenes: dict[str, Scene], outputs: dict[str, tuple]
            ) -> Iterator[tuple[bool, dict[int, float], int, list[int], list[int]]]:
    """Per true segment of at least MIN_AREA: whether the pre-segmentation found it, the
    IoU of each model mask with it, the query of the best mask, and at a click on its
    innermost pixel the queries proposed there and those the window shows."""
    for stem, scene in fresh_scenes.items():
        raw, context, document = outputs[stem]
        truth, predicted = scene.document, document.id_map
        masks = {q: _full(context, q, truth.id_map.shape) for q in range(raw.num_queries)}
        for segment_id in truth.segments:
            target = truth.id_map == segment_id
            if target.sum() < MIN_AREA:
                continue
            found = any(_iou(target, predicted == p) > MATCH_IOU
                        for p in np.unique(predicted[target]) if p)
            ious = {q: _iou(target, mask) for q, mask in masks.items()}
            best = max(ious, key=ious.__getitem__)
            proposed = [c.proposal.query for c in
                        context.candidates_at(*_inside(target), limit=raw.num_queries)]
            yield found, ious, best, proposed, proposed[:SHOWN]


def test_a_click_on_an_object_offers_the_models_good_mask_of_it(fresh_scenes,
                                                                outputs) -> None:
    clicked = offered = 0
    for _found, ious, _best, proposed, shown in _clicks(fresh_scenes, outputs):
        if any(ious[q] >= GOOD_IOU for q in proposed):
            clicked += 1
            offered += any(ious[q] >= GOOD_IOU for q in shown)
    print(f"MEASURED good masks: {clicked}, offered {offered}")
    assert clicked >= GOOD_MASKS_MEASURED - COUNT_MARGIN
    assert offered == clicked


def test_a_click_on_a_missed_object_offers_the_models_best_mask_of_it(fresh_scenes,
                                                                      outputs) -> None:
    clicked = offered = 0
    for found, ious, best, _proposed, shown in _clicks(fresh_scenes, outputs):
        if not found and ious[best] > MATCH_IOU:
            clicked += 1
            offered += any(ious[q] >= ious[best] - NEARLY_BEST for q in shown)
    print(f"MEASURED missed objects with a mask: {clicked}, offered {offered}")
    assert clicked >= MISSED_MEASURED - COUNT_MARGIN
    assert offered >= clicked - MISSED_NOT_OFFERED


def test_top5_guesses_hold_the_true_category_of_most_segments(fresh_scenes,
                                                              outputs) -> None:
    hits = total = 0
    for stem, scene in fresh_scenes.items():
        _raw, context, _document = outputs[stem]
        truth = scene.document
        for segment_id, segment in truth.segments.items():
            guesses = context.segment_guesses(truth, {segment_id}, k=TOP_K)
            assert len(guesses) <= TOP_K
            hits += segment.category_id in [category for category, _p in guesses]
            total += 1
    print(f"MEASURED top-5 share: {hits / total:.4f} ({hits} of {total})")
    assert hits / total >= TOP5_MEASURED - TOP5_MARGIN


def test_a_threshold_rerun_from_kept_outputs_is_a_fresh_presegmentation(
        demo_predictor, fresh_scenes, categories, outputs, tmp_path: Path) -> None:
    model_categories = categories_for_model("demo", demo_predictor.id2label, categories)
    lower = SWITCHES_ON.with_changes(threshold=0.5, mask_threshold=0.4, overlap_threshold=0.6)
    changed = 0
    for stem, scene in fresh_scenes.items():
        raw, _context, before = outputs[stem]
        raw.save(tmp_path / f"{stem}.npz")
        rerun = postprocess_document(RawOutputs.load(tmp_path / f"{stem}.npz"),
                                     model_categories, lower, scene.image).document
        fresh = postprocess_document(demo_predictor.predict(scene.image), model_categories,
                                     lower, scene.image).document
        assert np.array_equal(rerun.id_map, fresh.id_map)
        assert rerun.segments == fresh.segments
        changed += not np.array_equal(rerun.id_map, before.id_map)
    assert changed >= len(fresh_scenes) // 2  # the thresholds did change the outcome
