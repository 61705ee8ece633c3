"""Every segment's bounding box in one pass over an id map, so that per-segment work
(edge snapping, splitting detached parts) touches only its own box."""

from __future__ import annotations

import numpy as np

Box = tuple[slice, slice]


def id_boxes(id_map: np.ndarray, margin: int = 0) -> dict[int, Box]:
    """Segment id -> (rows, columns) of its bounding box grown by ``margin`` pixels (within
    the map), for every id present in ``id_map`` (non-negative ints), 0 included."""
    height, width = id_map.shape
    top = int(id_map.max(initial=0))
    rows = np.zeros((top + 1, height), bool)
    cols = np.zeros((top + 1, width), bool)
    rows[id_map, np.arange(height)[:, None]] = True
    cols[id_map, np.arange(width)[None, :]] = True
    boxes = {}
    for segment_id in np.flatnonzero(rows.any(axis=1)).tolist():
        ys, xs = np.flatnonzero(rows[segment_id]), np.flatnonzero(cols[segment_id])
        boxes[segment_id] = (slice(max(0, ys[0] - margin), min(height, ys[-1] + 1 + margin)),
                             slice(max(0, xs[0] - margin), min(width, xs[-1] + 1 + margin)))
    return boxes
