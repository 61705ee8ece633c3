"""Panoptic quality (PQ, SQ, RQ) with the rules of panopticapi's ``pq_compute``.

Per image: a ground-truth and a predicted segment of one category match when their IoU
is above 0.5, where the union leaves out the prediction's pixels on void (id 0) ground
truth. Crowd ground truth never matches; an unmatched prediction that lies more than half
on void or on a crowd region of its own category is not a false positive. Per category
``PQ = sum(IoU of matches) / (TP + FP/2 + FN/2)``; the summaries average over the
categories that occur (TP + FP + FN > 0), all of them, things only and stuff only.

Works on id maps in memory, so training can score documents without writing files; the
``panoptix evaluate`` command feeds it COCO panoptic files or projects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from panoptix.core.categories import CategorySet

IOU_MATCH = 0.5
_OFFSET = 1 << 24
"""Ids are below 2^24 (COCO's 24-bit RGB), so ``gt * 2^24 + pred`` pairs them uniquely."""


class PQError(ValueError):
    """A prediction that breaks the format (an id without a segment, an unknown category)."""


class SegmentInfo(Protocol):
    """What PQ needs of a segment; :class:`panoptix.core.segment.Segment` has it."""

    @property
    def category_id(self) -> int: ...

    @property
    def iscrowd(self) -> bool: ...


@dataclass
class CategoryCounts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    iou: float = 0.0
    """Sum of the IoUs of the matched pairs."""

    @property
    def occurs(self) -> bool:
        return self.tp + self.fp + self.fn > 0

    def quality(self) -> Quality:
        if not self.occurs:
            return Quality(0.0, 0.0, 0.0, 0)
        denominator = self.tp + 0.5 * self.fp + 0.5 * self.fn
        sq = self.iou / self.tp if self.tp else 0.0
        return Quality(self.iou / denominator, sq, self.tp / denominator, 1)


@dataclass(frozen=True)
class Quality:
    pq: float
    sq: float
    rq: float
    n: int
    """Categories averaged (for one category: 1 if it occurs, else 0)."""

    def to_json(self) -> dict:
        return {"pq": self.pq, "sq": self.sq, "rq": self.rq, "n": self.n}


@dataclass(frozen=True)
class PQResult:
    all: Quality
    things: Quality
    stuff: Quality
    per_category: dict[int, Quality]
    """Every category of the table; those that never occur have zeros and ``n == 0``."""
    counts: dict[int, CategoryCounts] = field(repr=False)
    images: int = 0

    def to_json(self, categories: CategorySet | None = None) -> dict:
        """panopticapi's layout: ``All``/``Things``/``Stuff`` and ``per_class``."""
        per_class = {}
        for category_id, quality in self.per_category.items():
            counts = self.counts[category_id]
            entry = {**quality.to_json(), "tp": counts.tp, "fp": counts.fp, "fn": counts.fn}
            if categories is not None and category_id in categories:
                entry["name"] = categories[category_id].name
            per_class[str(category_id)] = entry
        return {"All": self.all.to_json(), "Things": self.things.to_json(),
                "Stuff": self.stuff.to_json(), "per_class": per_class, "images": self.images}


class PQAccumulator:
    """Adds images one at a time; :meth:`result` gives the summary so far."""

    def __init__(self, categories: CategorySet) -> None:
        self.categories = categories
        self.counts = {category.id: CategoryCounts() for category in categories}
        self.images = 0

    def add(self, gt_map: np.ndarray, gt_segments: Mapping[int, SegmentInfo],
            pred_map: np.ndarray, pred_segments: Mapping[int, SegmentInfo], *,
            gt_areas: Mapping[int, int] | None = None) -> None:
        """One image. ``gt_areas`` replaces the ground truth's pixel counts (panopticapi
        takes them from the JSON); by default they are counted in ``gt_map``."""
        if gt_map.shape != pred_map.shape:
            raise PQError(f"ground truth is {gt_map.shape[1]}x{gt_map.shape[0]} but the "
                          f"prediction is {pred_map.shape[1]}x{pred_map.shape[0]}")
        self.add_pairs(pixel_pairs(gt_map, pred_map), gt_segments, pred_segments,
                       gt_areas=gt_areas)

    def add_pairs(self, intersection: Mapping[tuple[int, int], int],
                  gt_segments: Mapping[int, SegmentInfo],
                  pred_segments: Mapping[int, SegmentInfo], *,
                  gt_areas: Mapping[int, int] | None = None) -> None:
        """One image given by its :func:`pixel_pairs` (for a caller that has them)."""
        pred_area = self._prediction_areas(intersection, pred_segments)
        gt_area = dict(gt_areas) if gt_areas is not None else _areas(intersection, 0)
        self.images += 1

        gt_matched, pred_matched = set(), set()
        for (gt_id, pred_id), overlap in intersection.items():
            gt, pred = gt_segments.get(gt_id), pred_segments.get(pred_id)
            if gt is None or pred is None or gt.iscrowd or gt.category_id != pred.category_id:
                continue
            union = (pred_area[pred_id] + gt_area.get(gt_id, 0) - overlap
                     - intersection.get((0, pred_id), 0))
            iou = overlap / union
            if iou > IOU_MATCH:
                counts = self._counts(gt.category_id)
                counts.tp += 1
                counts.iou += iou
                gt_matched.add(gt_id)
                pred_matched.add(pred_id)

        crowd_of_category: dict[int, int] = {}
        for gt_id, gt in gt_segments.items():
            if gt_id in gt_matched:
                continue
            if gt.iscrowd:
                crowd_of_category[gt.category_id] = gt_id
                continue
            self._counts(gt.category_id).fn += 1

        for pred_id, pred in pred_segments.items():
            if pred_id in pred_matched:
                continue
            ignored = intersection.get((0, pred_id), 0)
            crowd = crowd_of_category.get(pred.category_id)
            if crowd is not None:
                ignored += intersection.get((crowd, pred_id), 0)
            if ignored / pred_area[pred_id] > 0.5:
                continue
            self._counts(pred.category_id).fp += 1

    def add_documents(self, gt, pred) -> None:  # noqa: ANN001 - two core Documents
        """One image from two :class:`panoptix.core.document.Document` objects."""
        self.add(gt.id_map, gt.segments, pred.id_map, pred.segments)

    def result(self) -> PQResult:
        per_category = {category_id: counts.quality()
                        for category_id, counts in self.counts.items()}
        things = {i for i in per_category if self.categories.is_thing(i)}
        return PQResult(_average(per_category, set(per_category)),
                        _average(per_category, things),
                        _average(per_category, set(per_category) - things),
                        per_category,
                        {i: CategoryCounts(c.tp, c.fp, c.fn, c.iou)
                         for i, c in self.counts.items()},
                        self.images)

    # -- internals ------------------------------------------------------------------------
    def _counts(self, category_id: int) -> CategoryCounts:
        if category_id not in self.counts:
            raise PQError(f"category {category_id} is not in the category table")
        return self.counts[category_id]

    def _prediction_areas(self, intersection: Mapping[tuple[int, int], int],
                          pred_segments: Mapping[int, SegmentInfo]) -> dict[int, int]:
        areas = _areas(intersection, 1)
        missing = sorted(i for i in areas if i and i not in pred_segments)
        if missing:
            raise PQError(f"prediction ids {missing[:5]} are in the map but have no segment")
        absent = sorted(set(pred_segments) - set(areas))
        if absent:
            raise PQError(f"prediction segments {absent[:5]} have no pixels in the map")
        for pred_id, pred in pred_segments.items():
            if pred.category_id not in self.counts:
                raise PQError(f"prediction segment {pred_id} has category {pred.category_id}, "
                              "which is not among the ground truth's categories")
        return areas


def pixel_pairs(gt_map: np.ndarray, pred_map: np.ndarray) -> dict[tuple[int, int], int]:
    """Pixels shared by each ``(ground-truth id, predicted id)`` pair of two id maps of
    one size (id 0: void, unlabeled)."""
    pairs, counts = np.unique(gt_map.astype(np.int64) * _OFFSET + pred_map.astype(np.int64),
                              return_counts=True)
    gt_ids, pred_ids = np.divmod(pairs, _OFFSET)
    return {(g, p): n for g, p, n in zip(gt_ids.tolist(), pred_ids.tolist(), counts.tolist(),
                                         strict=True)}


def _areas(intersection: Mapping[tuple[int, int], int], side: int) -> dict[int, int]:
    """Each id's pixel count on one side (0: ground truth, 1: prediction)."""
    areas: dict[int, int] = {}
    for pair, count in intersection.items():
        areas[pair[side]] = areas.get(pair[side], 0) + count
    return areas


def _average(per_category: Mapping[int, Quality], ids: set[int]) -> Quality:
    present = [per_category[i] for i in ids if per_category[i].n]
    if not present:
        return Quality(0.0, 0.0, 0.0, 0)
    n = len(present)
    return Quality(sum(q.pq for q in present) / n, sum(q.sq for q in present) / n,
                   sum(q.rq for q in present) / n, n)


def evaluate_documents(pairs: Iterable[tuple[object, object]],
                       categories: CategorySet) -> PQResult:
    """PQ over ``(ground truth, prediction)`` document pairs."""
    accumulator = PQAccumulator(categories)
    for gt, pred in pairs:
        accumulator.add_documents(gt, pred)
    return accumulator.result()
