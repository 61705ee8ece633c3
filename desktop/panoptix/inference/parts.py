"""Splitting an object segment whose mask fell apart into separate objects.

A small model's query often covers two objects of one category (two people side by side,
a car and the car behind it): its mask is then two or more blobs that do not touch. Each
detached part of a *thing* segment that is large enough becomes a segment of its own with
the same label, score and queries; the largest part keeps the segment's id, and specks
stay where they are. Stuff is never split (one segment per category is its rule).

What it costs when it is wrong: an object cut in two by something in front of it becomes
two segments, which one merge (M) puts back, where a missed object costs a polygon.
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from panoptix.inference.boxes import id_boxes

MIN_PART_OF_IMAGE = 1 / 3000
"""A detached part smaller than this share of the image stays with its segment (about
100 pixels of a 640x480 image)."""
MIN_PART_OF_SEGMENT = 0.1
"""... and so does one smaller than this share of its segment."""


def split_detached_parts(id_map: np.ndarray, thing_ids: Iterable[int],
                         next_id: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """``id_map`` with every large detached part of the segments ``thing_ids`` under a new
    id from ``next_id`` on, and the new ids as (new id, the segment it came from)."""
    boxes = id_boxes(id_map)
    split, made = id_map, []
    for segment_id in thing_ids:
        box = boxes.get(segment_id)
        if box is None:
            continue
        parts, split_off = _split_off(id_map[box] == segment_id, id_map.size)
        for label in split_off:
            if split is id_map:
                split = id_map.copy()
            split[box][parts == label] = next_id
            made.append((next_id, segment_id))
            next_id += 1
    return split, made


def part_at(mask: np.ndarray, row: int, col: int, image_area: int) -> np.ndarray:
    """The object of ``mask`` (bool) at (``row``, ``col``) once its detached parts are
    split as :func:`split_detached_parts` splits a segment: a large part split off, or the
    rest (the largest part with the specks); ``mask`` itself when nothing splits off or the
    point is outside it."""
    if not (0 <= row < mask.shape[0] and 0 <= col < mask.shape[1]) or not mask[row, col]:
        return mask
    parts, split_off = _split_off(mask, image_area)
    if not split_off:
        return mask
    here = int(parts[row, col])
    return parts == here if here in split_off else mask & ~np.isin(parts, split_off)


def _split_off(mask: np.ndarray, image_area: int) -> tuple[np.ndarray, list[int]]:
    """The connected parts of ``mask`` (labels) and those large enough to become objects of
    their own: every part but the largest that holds ``MIN_PART_OF_IMAGE`` of the image and
    ``MIN_PART_OF_SEGMENT`` of the mask, largest first."""
    inside = np.ascontiguousarray(mask).view(np.uint8)
    count, parts, stats, _ = cv2.connectedComponentsWithStats(inside, connectivity=8)
    if count <= 2:
        return parts, []
    areas = stats[1:, cv2.CC_STAT_AREA]
    least = max(MIN_PART_OF_IMAGE * image_area, MIN_PART_OF_SEGMENT * float(areas.sum()))
    order = np.argsort(-areas, kind="stable")[1:].tolist()
    return parts, [index + 1 for index in order if areas[index] >= least]
