"""Per-segment pixel counts and bounding boxes of an id map, in one pass each."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Box = tuple[int, int, int, int]
"""``(y0, x0, y1, x1)`` with exclusive ends."""


@dataclass(frozen=True)
class SegmentStats:
    area: int
    box: Box

    @property
    def coco_bbox(self) -> list[int]:
        """``[x, y, w, h]`` with ``w = xmax - xmin + 1``."""
        y0, x0, y1, x1 = self.box
        return [x0, y0, x1 - x0, y1 - y0]


def region_stats(id_map: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each id of the map (0 included), its pixel count and its ``(y0, x0, y1, x1)`` box.

    Works on horizontal runs: one comparison per pixel finds where runs start, the rest is
    per run, so it costs little more than reading the map (no array sized by the largest
    id, which for imported COCO ids can be 2^24).
    """
    height, width = id_map.shape
    if id_map.size == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros((0, 4), np.int64)
    starts = np.ones((height, width), bool)
    np.not_equal(id_map[:, 1:], id_map[:, :-1], out=starts[:, 1:])
    flat = np.flatnonzero(starts)
    lengths = np.diff(np.append(flat, height * width))
    rows, cols = np.divmod(flat, width)
    ids, inverse = np.unique(id_map.ravel()[flat], return_inverse=True)
    areas = np.bincount(inverse, weights=lengths, minlength=len(ids)).astype(np.int64)
    order = np.argsort(inverse, kind="stable")
    groups = np.flatnonzero(np.r_[True, np.diff(inverse[order]) != 0])
    boxes = np.stack([np.minimum.reduceat(rows[order], groups),
                      np.minimum.reduceat(cols[order], groups),
                      np.maximum.reduceat(rows[order], groups) + 1,
                      np.maximum.reduceat((cols + lengths)[order], groups)], axis=1)
    return ids, areas, boxes


def segment_stats(id_map: np.ndarray) -> dict[int, SegmentStats]:
    """Area and tight box of every non-zero id."""
    ids, areas, boxes = region_stats(id_map)
    return {int(i): SegmentStats(int(a), tuple(int(v) for v in b))  # type: ignore[misc]
            for i, a, b in zip(ids, areas, boxes, strict=True) if i != 0}


def tight_box(mask: np.ndarray) -> Box | None:
    """The box of the true pixels of ``mask``, or None if there are none."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def union_box(a: Box | None, b: Box | None) -> Box | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])
