"""PQ against hotcoco, an independent implementation of panopticapi's pq_compute."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.pq_cases import CATEGORIES, perturb, random_image, write_coco
from panoptix.core.pq import PQAccumulator, PQError
from panoptix.core.segment import Segment

hotcoco_panoptic = pytest.importorskip("hotcoco.panoptic")

@pytest.mark.parametrize("seed", range(24))
def test_pq_equals_hotcoco_on_random_cases(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    gts = [random_image(rng, crowd=seed % 2 == 1) for _ in range(3)]
    preds = [perturb(rng, *gt) for gt in gts]
    accumulator = PQAccumulator(CATEGORIES)
    for (gt_map, gt_segments), (pred_map, pred_segments) in zip(gts, preds, strict=True):
        accumulator.add(gt_map, gt_segments, pred_map, pred_segments)
    ours = accumulator.result()

    oracle = hotcoco_panoptic.pq_compute(write_coco(tmp_path, "gt", gts),
                                         write_coco(tmp_path, "pred", preds))
    for key, quality in (("All", ours.all), ("Things", ours.things), ("Stuff", ours.stuff)):
        expected = oracle[key]
        assert quality.n == expected["n"]
        for metric in ("pq", "sq", "rq"):
            assert getattr(quality, metric) == pytest.approx(expected[metric], abs=1e-6)


def test_a_perfect_prediction_scores_one_and_an_empty_one_zero() -> None:
    gt_map, gt_segments = random_image(np.random.default_rng(5))
    perfect = PQAccumulator(CATEGORIES)
    perfect.add(gt_map, gt_segments, gt_map, gt_segments)
    assert perfect.result().all.pq == pytest.approx(1.0)
    empty = PQAccumulator(CATEGORIES)
    empty.add(gt_map, gt_segments, np.zeros_like(gt_map), {})
    assert empty.result().all.pq == 0.0
    assert empty.result().all.n == len({s.category_id for s in gt_segments.values()})


def test_a_prediction_mostly_on_void_is_not_a_false_positive() -> None:
    gt_map = np.zeros((10, 10), np.int32)
    gt_map[:, :5] = 1
    pred_map = np.zeros_like(gt_map)
    pred_map[:, 3:] = 2  # 14 of its 35 pixels on the person, 21 on void
    accumulator = PQAccumulator(CATEGORIES)
    accumulator.add(gt_map, {1: Segment(1)}, pred_map, {2: Segment(3)})
    counts = accumulator.result().counts
    assert (counts[1].fn, counts[3].fp) == (1, 0)


def test_a_prediction_id_without_a_segment_is_refused() -> None:
    gt_map = np.ones((4, 4), np.int32)
    with pytest.raises(PQError, match="no segment"):
        PQAccumulator(CATEGORIES).add(gt_map, {1: Segment(1)}, gt_map * 7, {})
