"""How far a document is from the ground truth: which segment stands for which, IoU, PQ.

Every ground-truth segment is paired with at most one segment of the document, of the same
category, largest overlap first (one to one). A pair's IoU follows panopticapi's rule (the
prediction's pixels on void ground truth are left out of the union). The target is reached
when every ground-truth segment (crowd aside) is paired with IoU >= the threshold and the
image's PQ (``core.pq``, the same rules as ``panoptix evaluate``) is >= it too.
"""

from __future__ import annotations

from dataclasses import dataclass

from panoptix.core.document import Document
from panoptix.core.pq import PQAccumulator, pixel_pairs


@dataclass(frozen=True)
class Comparison:
    """A document against the ground truth, at one moment."""

    pairs: dict[int, int]
    """Ground-truth id -> the document's segment standing for it."""
    iou: dict[int, float]
    """Ground-truth id -> IoU with its pair (0 when it has none)."""
    overlap: dict[tuple[int, int], int]
    """(ground-truth id, document id) -> shared pixels (0 = unlabeled / void)."""
    unpaired: tuple[int, ...]
    """Document segments standing for no ground-truth segment."""
    pq: float
    wrong_pixels: int
    """Pixels whose segment is not the pair of their ground-truth segment."""

    def reached(self, threshold: float, crowd: frozenset[int] = frozenset()) -> bool:
        return self.pq >= threshold and all(
            iou >= threshold for gt_id, iou in self.iou.items() if gt_id not in crowd)

    def failing(self, threshold: float) -> list[int]:
        """Ground-truth segments below ``threshold``, worst (lowest IoU) first."""
        return sorted((g for g, iou in self.iou.items() if iou < threshold),
                      key=lambda g: (self.iou[g], g))

    def majority(self, doc_id: int) -> tuple[int, int]:
        """The ground-truth segment holding most of a document segment, and how much."""
        shares = [(count, gt_id) for (gt_id, d), count in self.overlap.items() if d == doc_id]
        count, gt_id = max(shares, default=(0, 0))
        return gt_id, count


def compare(gt: Document, doc: Document) -> Comparison:
    if gt.shape != doc.shape:
        raise ValueError(f"ground truth {gt.shape} and document {doc.shape} differ in size")
    overlap = pixel_pairs(gt.id_map, doc.id_map)
    gt_area: dict[int, int] = {}
    doc_area: dict[int, int] = {}
    for (g, d), n in overlap.items():
        gt_area[g] = gt_area.get(g, 0) + n
        doc_area[d] = doc_area.get(d, 0) + n
    gt_segments, doc_segments = gt.segments, doc.segments
    candidates = sorted(((n, g, d) for (g, d), n in overlap.items()
                         if g and d and gt_segments[g].category_id
                         == doc_segments[d].category_id), reverse=True)
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    for _n, g, d in candidates:
        if g not in pairs and d not in taken:
            pairs[g] = d
            taken.add(d)
    iou = {}
    for g in gt_segments:
        d = pairs.get(g)
        if d is None:
            iou[g] = 0.0
            continue
        shared = overlap[(g, d)]
        union = gt_area[g] + doc_area[d] - shared - overlap.get((0, d), 0)
        iou[g] = shared / union
    wrong = sum(n for (g, d), n in overlap.items() if g and pairs.get(g) != d)
    wrong += sum(n for (g, d), n in overlap.items() if not g and d)
    accumulator = PQAccumulator(gt.categories)
    accumulator.add_pairs(overlap, gt.segments, doc.segments)
    return Comparison(pairs, iou, overlap, tuple(d for d in doc_segments if d not in taken),
                      accumulator.result().all.pq, wrong)
