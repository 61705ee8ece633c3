"""PQ against hotcoco, an independent implementation of panopticapi's pq_compute."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from panoptix.core.categories import Category, CategorySet
from panoptix.core.panoptic_png import write_panoptic_png
from panoptix.core.pq import PQAccumulator, PQError
from panoptix.core.segment import Segment

hotcoco_panoptic = pytest.importorskip("hotcoco.panoptic")

CATEGORIES = CategorySet([Category(1, "person", True, (220, 20, 60)),
                          Category(3, "car", True, (0, 0, 142)),
                          Category(184, "tree", False, (107, 142, 35)),
                          Category(187, "sky", False, (70, 130, 180))])
THINGS, STUFF = [1, 3], [184, 187]


def _random_image(rng: np.random.Generator, height: int = 48, width: int = 64,
                  crowd: bool = False) -> tuple[np.ndarray, dict[int, Segment]]:
    """Stuff bands, then thing rectangles over them, with some void."""
    id_map = np.zeros((height, width), np.int32)
    segments: dict[int, Segment] = {}
    next_id = 1
    for category_id in rng.permutation(STUFF)[: rng.integers(1, 3)]:
        y0 = int(rng.integers(0, height // 2))
        id_map[y0:y0 + int(rng.integers(8, height)), :] = next_id
        segments[next_id] = Segment(int(category_id))
        next_id += 1
    for _ in range(int(rng.integers(1, 6))):
        y, x = int(rng.integers(0, height - 6)), int(rng.integers(0, width - 6))
        h, w = int(rng.integers(4, 20)), int(rng.integers(4, 24))
        id_map[y:y + h, x:x + w] = next_id
        segments[next_id] = Segment(int(rng.choice(THINGS)),
                                    iscrowd=crowd and bool(rng.random() < 0.3))
        next_id += 1
    if rng.random() < 0.7:  # void
        y, x = int(rng.integers(0, height - 4)), int(rng.integers(0, width - 4))
        id_map[y:y + int(rng.integers(2, 16)), x:x + int(rng.integers(2, 20))] = 0
    present = set(np.unique(id_map).tolist()) - {0}
    return id_map, {i: s for i, s in segments.items() if i in present}


def _perturb(rng: np.random.Generator, id_map: np.ndarray,
             segments: dict[int, Segment]) -> tuple[np.ndarray, dict[int, Segment]]:
    """A prediction: shifted, partly relabelled, some segments dropped or added."""
    pred = np.roll(id_map, (int(rng.integers(-3, 4)), int(rng.integers(-3, 4))), axis=(0, 1))
    pred_segments = {i: Segment(s.category_id) for i, s in segments.items()}
    for segment_id in list(pred_segments):
        roll = rng.random()
        if roll < 0.15:
            pred[pred == segment_id] = 0
        elif roll < 0.3:
            category = pred_segments[segment_id].category_id
            pool = THINGS if category in THINGS else STUFF
            pred_segments[segment_id] = Segment(int(rng.choice(pool)))
    extra = max(pred_segments, default=0) + 1
    y, x = int(rng.integers(0, pred.shape[0] - 5)), int(rng.integers(0, pred.shape[1] - 5))
    pred[y:y + int(rng.integers(3, 12)), x:x + int(rng.integers(3, 12))] = extra
    pred_segments[extra] = Segment(int(rng.choice(THINGS)))
    present = set(np.unique(pred).tolist()) - {0}
    return pred, {i: s for i, s in pred_segments.items() if i in present}


def _write_coco(folder: Path, name: str,
                images: list[tuple[np.ndarray, dict[int, Segment]]]) -> Path:
    png_dir = folder / name
    png_dir.mkdir(parents=True)
    annotations, records = [], []
    for index, (id_map, segments) in enumerate(images):
        write_panoptic_png(png_dir / f"{index}.png", id_map)
        infos = []
        for segment_id, segment in segments.items():
            ys, xs = np.nonzero(id_map == segment_id)
            infos.append({"id": segment_id, "category_id": segment.category_id,
                          "area": int(ys.size), "iscrowd": int(segment.iscrowd),
                          "bbox": [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1),
                                   int(ys.max() - ys.min() + 1)]})
        annotations.append({"image_id": index, "file_name": f"{index}.png",
                            "segments_info": infos})
        records.append({"id": index, "file_name": f"{index}.jpg",
                        "height": id_map.shape[0], "width": id_map.shape[1]})
    path = folder / f"{name}.json"
    path.write_text(json.dumps({"images": records, "annotations": annotations,
                                "categories": CATEGORIES.to_coco()}))
    return path


@pytest.mark.parametrize("seed", range(24))
def test_pq_equals_hotcoco_on_random_cases(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    gts = [_random_image(rng, crowd=seed % 2 == 1) for _ in range(3)]
    preds = [_perturb(rng, *gt) for gt in gts]
    accumulator = PQAccumulator(CATEGORIES)
    for (gt_map, gt_segments), (pred_map, pred_segments) in zip(gts, preds, strict=True):
        accumulator.add(gt_map, gt_segments, pred_map, pred_segments)
    ours = accumulator.result()

    oracle = hotcoco_panoptic.pq_compute(_write_coco(tmp_path, "gt", gts),
                                         _write_coco(tmp_path, "pred", preds))
    for key, quality in (("All", ours.all), ("Things", ours.things), ("Stuff", ours.stuff)):
        expected = oracle[key]
        assert quality.n == expected["n"]
        for metric in ("pq", "sq", "rq"):
            assert getattr(quality, metric) == pytest.approx(expected[metric], abs=1e-6)


def test_a_perfect_prediction_scores_one_and_an_empty_one_zero() -> None:
    gt_map, gt_segments = _random_image(np.random.default_rng(5))
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
