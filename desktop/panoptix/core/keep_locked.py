"""Locked segments survive a new model result (a re-run, or thresholds moved).

A model result replaces the document of the image in view; the segments the user locked
(by their own lock or their category's) are put back on top of it with their pixels,
category and lock, so a re-run never undoes work the user protected. A stuff category
keeps one segment per image: a new segment of a category whose locked segment comes back
gives its pixels up (they become unlabeled).
"""

from __future__ import annotations

import numpy as np

from panoptix.core.document import Document
from panoptix.core.segment import Segment


def keep_locked(old: Document | None, new: Document) -> Document:
    """``new`` with ``old``'s locked segments pasted back; ``new`` itself when none."""
    if old is None or old.shape != new.shape:
        return new
    locked = sorted(old.locked_ids())
    if not locked:
        return new
    id_map = np.array(new.id_map)
    segments: dict[int, Segment] = dict(new.segments)
    kept_stuff = {old.segments[i].category_id for i in locked if not old.is_thing(i)}
    for segment_id, segment in list(segments.items()):
        if segment.category_id in kept_stuff:
            _paint(id_map, *new.region(segment_id), 0)
            del segments[segment_id]
    next_id = max(segments, default=0) + 1
    for segment_id in locked:
        _paint(id_map, *old.region(segment_id), next_id)
        segments[next_id] = old.segments[segment_id]
        next_id += 1
    document = Document(id_map, segments, new.categories)  # drops entries left without pixels
    document.set_locked_categories(old.locked_categories)
    return document


def _paint(id_map: np.ndarray, box: tuple[int, int, int, int], mask: np.ndarray,
           value: int) -> None:
    y0, x0, y1, x1 = box
    id_map[y0:y1, x0:x1][mask] = value
