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


def segment_stats(id_map: np.ndarray) -> dict[int, SegmentStats]:
    """Area and tight box of every non-zero id.

    Ids are compacted to 0..K-1, then one ``bincount`` over ``row*K + label`` (and one over
    columns) gives each id's rows and columns: no per-id scan of the whole map.
    """
    if id_map.size == 0:
        return {}
    flat = id_map.ravel()
    max_id = int(flat.max())
    if max_id <= 0:
        return {}
    areas = np.bincount(flat, minlength=max_id + 1)
    ids = np.flatnonzero(areas)
    ids = ids[ids != 0]
    lookup = np.zeros(max_id + 1, dtype=np.int64)
    lookup[ids] = np.arange(1, len(ids) + 1)
    compact = lookup[id_map]  # 0 for unlabeled, 1..K otherwise
    k = len(ids) + 1
    height, width = id_map.shape
    rows = np.bincount((np.arange(height)[:, None] * k + compact).ravel(),
                       minlength=height * k).reshape(height, k) > 0
    cols = np.bincount((np.arange(width)[None, :] * k + compact).ravel(),
                       minlength=width * k).reshape(width, k) > 0
    result: dict[int, SegmentStats] = {}
    for index, segment_id in enumerate(ids, start=1):
        ys = np.flatnonzero(rows[:, index])
        xs = np.flatnonzero(cols[:, index])
        result[int(segment_id)] = SegmentStats(
            int(areas[segment_id]), (int(ys[0]), int(xs[0]), int(ys[-1]) + 1, int(xs[-1]) + 1))
    return result


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
