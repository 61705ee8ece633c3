"""The editing operations. Each builds one undoable command that stores only what changes.

Rules kept by every edit: a pixel has at most one segment; a stuff category has at most
one segment per image, so any edit that would make a second one joins the existing one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from panoptix.core.document import Document, DocumentError
from panoptix.core.history import Command, MapPatch
from panoptix.core.segment import Segment
from panoptix.core.stats import Box, tight_box, union_box


class EditError(DocumentError):
    """An edit that cannot be done as asked; the message says why."""


def _existing(doc: Document, ids: Iterable[int]) -> list[int]:
    found = sorted({int(i) for i in ids if int(i) in doc.segments})
    if not found:
        raise EditError("select at least one segment first")
    return found


def _move_patch(doc: Document, source: int, target: int) -> MapPatch:
    box, mask = doc.region(source)
    return MapPatch(box, mask, source, target)


def target_for(doc: Document, category_id: int) -> tuple[int, Segment | None]:
    """The segment a new region of ``category_id`` goes into: a stuff category's existing
    segment, else a fresh id (with the Segment to create)."""
    doc.categories[category_id]  # raises for an unknown category
    if not doc.categories.is_thing(category_id):
        existing = doc.stuff_segment(category_id)
        if existing is not None:
            return existing, None
    return doc.new_id(), Segment(category_id)


def merge(doc: Document, ids: Iterable[int], label: str = "Merge") -> int:
    """Join segments into the first one (lowest id); it keeps its category."""
    found = _existing(doc, ids)
    if len(found) < 2:
        raise EditError("select two or more segments to merge")
    target, others = found[0], found[1:]
    command = Command(label, [_move_patch(doc, other, target) for other in others])
    command.note_table({i: doc.segments[i] for i in others}, dict.fromkeys(others))
    doc.execute(command)
    return target


def fuse_stuff(doc: Document) -> bool:
    """Join every stuff category's segments into one (after a category became stuff)."""
    duplicates = doc.duplicate_stuff()
    command = Command("Fuse stuff")
    for keep, others in duplicates.items():
        command.patches += [_move_patch(doc, other, keep) for other in others]
        command.note_table({i: doc.segments[i] for i in others}, dict.fromkeys(others))
    return doc.execute(command, enforce_locks=False) is not None  # keeps the map valid


def relabel(doc: Document, ids: Iterable[int], category_id: int) -> list[int]:
    """Give segments a new category. Relabelling to a stuff category joins them into that
    category's one segment; relabelling to a thing keeps each segment separate."""
    found = _existing(doc, ids)
    doc.categories[category_id]
    command = Command("Relabel")
    if doc.categories.is_thing(category_id):
        kept = found
    else:
        existing = doc.stuff_segment(category_id)
        target = existing if existing is not None else found[0]
        others = [i for i in found if i != target]
        command.patches = [_move_patch(doc, other, target) for other in others]
        command.note_table({i: doc.segments[i] for i in others}, dict.fromkeys(others))
        kept = [target]
    for segment_id in kept:
        old = doc.segments[segment_id]
        command.note_table({segment_id: old},
                           {segment_id: replace(old, category_id=category_id, source="manual")})
    doc.execute(command)
    return kept


def delete(doc: Document, ids: Iterable[int]) -> None:
    """Turn segments' pixels back to unlabeled."""
    found = _existing(doc, ids)
    command = Command("Delete", [_move_patch(doc, i, 0) for i in found])
    command.note_table({i: doc.segments[i] for i in found}, dict.fromkeys(found))
    doc.execute(command)


@dataclass(frozen=True)
class SplitResult:
    parts: list[int]
    """The segment's id (its largest part) first, then the new segments."""
    specks: int = 0
    """Parts under the minimum area, given to a neighbouring segment instead."""


def split(doc: Document, segment_id: int, min_area: int = 1) -> list[int]:
    """Split a thing segment into its 8-connected parts; see :func:`split_parts`."""
    return split_parts(doc, segment_id, min_area).parts


def split_parts(doc: Document, segment_id: int, min_area: int = 1) -> SplitResult:
    """Split a thing segment into its 8-connected parts; the largest part keeps the id.

    A part of fewer than ``min_area`` pixels (a speck left by a brush or a model's ragged
    edge) does not become a segment: it joins the segment it borders most, or stays with
    the largest part when it only borders unlabeled pixels. One undo step either way."""
    (segment_id,) = _existing(doc, [segment_id])
    if not doc.is_thing(segment_id):
        raise EditError("stuff is one segment per category; relabel a part to split it off")
    box, mask = doc.region(segment_id)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8),
                                                               connectivity=8)
    if count <= 2:
        return SplitResult([segment_id])
    order = [1 + int(i) for i in np.argsort(-stats[1:, cv2.CC_STAT_AREA], kind="stable")]
    kept = [order[0], *(c for c in order[1:] if stats[c, cv2.CC_STAT_AREA] >= min_area)]
    specks = [c for c in order[1:] if stats[c, cv2.CC_STAT_AREA] < min_area]
    first_new = doc.new_id()
    lookup = np.zeros(count, np.int32)
    lookup[kept[0]] = segment_id
    new_ids = list(range(first_new, first_new + len(kept) - 1))
    lookup[kept[1:]] = new_ids
    for component in specks:
        lookup[component] = _bordering(doc, box, labels, stats, component) or segment_id
    y0, x0, y1, x1 = box
    before = doc.id_map[y0:y1, x0:x1]
    after = np.where(mask, lookup[labels], before)
    patch = MapPatch.from_change(box, before, after)
    command = Command("Split", [patch] if patch else [])
    source = doc.segments[segment_id]
    command.note_table(dict.fromkeys(new_ids), dict.fromkeys(new_ids, source))
    doc.execute(command)
    return SplitResult([segment_id, *new_ids], len(specks))


def split_off(doc: Document, x: int, y: int) -> int:
    """Make the 8-connected part of the thing segment at pixel (x, y) a segment of its own
    (same category and attributes); the rest of the segment keeps its id. Returns the new
    id. Unlike :func:`split`, the other parts stay together: what is cut off is only the
    part that does not belong."""
    segment_id = doc.segment_at(x, y)
    if not segment_id:
        raise EditError(f"no segment at ({x}, {y}) to split a part off")
    if not doc.is_thing(segment_id):
        raise EditError("stuff is one segment per category; relabel a part to split it off")
    box, count, labels = _parts(doc, segment_id)
    if count <= 1:
        raise EditError(f"#{segment_id} is one connected part: nothing to split off")
    y0, x0, y1, x1 = box
    part = labels == labels[y - y0, x - x0]
    new_id = doc.new_id()
    before = doc.id_map[y0:y1, x0:x1]
    patch = MapPatch.from_change(box, before, np.where(part, np.int32(new_id), before))
    command = Command("Split Off", [patch] if patch else [])
    command.note_table({new_id: None}, {new_id: doc.segments[segment_id]})
    doc.execute(command)
    return new_id


def thing_parts(doc: Document, segment_id: int) -> int:
    """How many 8-connected parts a thing segment has, that split and split off would
    separate (1 for stuff, which they leave alone)."""
    return _parts(doc, segment_id)[1] if doc.is_thing(segment_id) else 1


def _parts(doc: Document, segment_id: int) -> tuple[Box, int, np.ndarray]:
    """The segment's box, its number of 8-connected parts and their labels (1..n, 0 not
    the segment) in the box."""
    box, mask = doc.region(segment_id)
    count, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    return box, count - 1, labels


def _bordering(doc: Document, box: Box, labels: np.ndarray, stats: np.ndarray,
               component: int) -> int | None:
    """The segment that most of a component's 8-neighbours belong to (None: unlabeled).
    Every such neighbour lies outside the segment being split (else it would belong to
    the component), so it is another segment or unlabeled."""
    height, width = doc.shape
    left, top = int(stats[component, cv2.CC_STAT_LEFT]), int(stats[component, cv2.CC_STAT_TOP])
    cols, rows = int(stats[component, cv2.CC_STAT_WIDTH]), int(stats[component, cv2.CC_STAT_HEIGHT])
    gy0, gx0 = max(0, box[0] + top - 1), max(0, box[1] + left - 1)
    gy1, gx1 = min(height, box[0] + top + rows + 1), min(width, box[1] + left + cols + 1)
    own = np.zeros((gy1 - gy0, gx1 - gx0), np.uint8)
    ly0, lx0 = gy0 - box[0], gx0 - box[1]
    sub = labels[max(0, ly0):ly0 + own.shape[0], max(0, lx0):lx0 + own.shape[1]] == component
    own[max(0, -ly0):max(0, -ly0) + sub.shape[0], max(0, -lx0):max(0, -lx0) + sub.shape[1]] = sub
    ring = cv2.dilate(own, np.ones((3, 3), np.uint8)).astype(bool) & ~own.astype(bool)
    around = doc.id_map[gy0:gy1, gx0:gx1][ring]
    around = around[around != 0]
    if around.size == 0:
        return None
    ids, counts = np.unique(around, return_counts=True)
    return int(ids[np.argmax(counts)])


def add_mask(doc: Document, mask: np.ndarray, category_id: int, *, offset: tuple[int, int] = (0, 0),
             only_unlabeled: bool = False, score: float | None = None, source: str = "manual",
             iscrowd: bool = False, label: str = "New segment") -> int | None:
    """Paint a binary mask (placed at ``offset`` = (y, x)) as a segment of ``category_id``.

    Pixels are taken from whatever segment held them unless ``only_unlabeled``. Returns the
    segment id, or None when nothing changed.
    """
    target, created = target_for(doc, category_id)
    if created is not None:
        created = replace(created, score=score, source=source, iscrowd=iscrowd)
    return paint_region(doc, mask, target, created, offset=offset,
                        only_unlabeled=only_unlabeled, label=label)


def paint_region(doc: Document, mask: np.ndarray, target: int, created: Segment | None, *,
                 offset: tuple[int, int] = (0, 0), only_unlabeled: bool = False,
                 label: str = "Paint") -> int | None:
    """Set the pixels of ``mask`` to ``target`` (0 erases); ``created`` is its new entry."""
    inner = tight_box(mask)
    if inner is None:
        return None
    height, width = doc.shape
    oy, ox = offset
    box = (max(0, inner[0] + oy), max(0, inner[1] + ox),
           min(height, inner[2] + oy), min(width, inner[3] + ox))
    if box[0] >= box[2] or box[1] >= box[3]:
        return None
    y0, x0, y1, x1 = box
    region_mask = mask[y0 - oy:y1 - oy, x0 - ox:x1 - ox].astype(bool)
    before = doc.id_map[y0:y1, x0:x1]
    if only_unlabeled:
        region_mask &= before == 0
    after = np.where(region_mask, np.int32(target), before)
    patch = MapPatch.from_change(box, before, after)
    if patch is None:
        return None
    command = Command(label, [patch])
    if created is not None:
        command.note_table({target: None}, {target: created})
    doc.execute(command)
    return target


def fill_polygon(doc: Document, points: Sequence[tuple[float, float]], category_id: int,
                 only_unlabeled: bool = False) -> int | None:
    """Fill a polygon given as (x, y) points as a new segment (or the category's stuff)."""
    if len(points) < 3:
        raise EditError("a polygon needs at least three points")
    height, width = doc.shape
    pts = np.round(np.asarray(points, np.float64)).astype(np.int32)
    x_min, y_min = np.clip(pts.min(axis=0), 0, [width - 1, height - 1])
    x_max, y_max = np.clip(pts.max(axis=0), 0, [width - 1, height - 1])
    mask = np.zeros((y_max - y_min + 1, x_max - x_min + 1), np.uint8)
    cv2.fillPoly(mask, [pts - [x_min, y_min]], 1)
    return add_mask(doc, mask.astype(bool), category_id, offset=(int(y_min), int(x_min)),
                    only_unlabeled=only_unlabeled, label="Polygon")


def flood_fill(doc: Document, x: int, y: int, category_id: int,
               target: int | None = None) -> int | None:
    """Fill the 4-connected unlabeled region around (x, y) into ``target`` or a new segment."""
    if doc.segment_at(x, y) != 0 or not (0 <= x < doc.shape[1] and 0 <= y < doc.shape[0]):
        raise EditError("fill works on unlabeled pixels: click inside an unlabeled region")
    unlabeled = (doc.id_map == 0).astype(np.uint8)
    flood = np.zeros((doc.shape[0] + 2, doc.shape[1] + 2), np.uint8)
    cv2.floodFill(unlabeled, flood, (int(x), int(y)), 2, 0, 0,
                  4 | cv2.FLOODFILL_MASK_ONLY | (1 << 8))
    mask = flood[1:-1, 1:-1].astype(bool)
    if target is not None:
        return paint_region(doc, mask, target, None, only_unlabeled=True, label="Fill")
    return add_mask(doc, mask, category_id, only_unlabeled=True, label="Fill")


def _scalar_or_values(values: np.ndarray) -> np.ndarray | int:
    """A dab's old values: one int when they are all one id (the usual case)."""
    return int(values[0]) if values.size and (values == values[0]).all() else values


def disk(radius: float) -> np.ndarray:
    r = max(0, int(np.ceil(radius - 0.5)))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    return (yy * yy + xx * xx) <= max(radius, 0.5) ** 2


class BrushStroke:
    """A brush or eraser stroke: dabs paint at once, the whole stroke is one undo step.

    Each dab holds only the pixels it changed (cropped to their box), so the dabs of a
    stroke never share a pixel and each holds that pixel's value from before the stroke:
    the dabs themselves are the command's patches. Folding them into one patch over their
    joint box would cost a pass over that box (the whole image, for a stroke across it)
    at release, and more memory than the dabs whenever the stroke is not compact.
    """

    def __init__(self, doc: Document, radius: float, *, target: int | None = None,
                 category_id: int | None = None, erase: bool = False,
                 only_unlabeled: bool = False, only_segment: int | None = None) -> None:
        self.doc = doc
        self.radius = float(radius)
        self.only_unlabeled = only_unlabeled
        self.only_segment = only_segment
        self._dabs: list[MapPatch] = []
        self._created: Segment | None = None
        self._last: tuple[float, float] | None = None
        if erase:
            self.value = 0
        elif target is not None:
            if target not in doc.segments:
                raise EditError(f"no segment {target} to paint into")
            self.value = target
        elif category_id is not None:
            self.value, self._created = target_for(doc, category_id)
            if self._created is not None:
                doc.set_segment_untracked(self.value, self._created)
        else:
            raise EditError("choose a segment or a category to paint")
        self._disk = disk(self.radius)

    def dab(self, x: float, y: float) -> None:
        r = self._disk.shape[0] // 2
        cx, cy = int(round(x)), int(round(y))
        height, width = self.doc.shape
        y0, x0 = max(0, cy - r), max(0, cx - r)
        y1, x1 = min(height, cy + r + 1), min(width, cx + r + 1)
        if y0 >= y1 or x0 >= x1:
            return
        region = self.doc.id_map[y0:y1, x0:x1]
        mask = self._disk[y0 - cy + r:y1 - cy + r, x0 - cx + r:x1 - cx + r] & (region != self.value)
        if self.only_unlabeled:
            mask &= region == 0
        if self.only_segment is not None:
            mask &= region == self.only_segment
        inner = tight_box(mask)
        if inner is None:
            return
        mask = np.ascontiguousarray(mask[inner[0]:inner[2], inner[1]:inner[3]])
        region = region[inner[0]:inner[2], inner[1]:inner[3]]
        box = (y0 + inner[0], x0 + inner[1], y0 + inner[2], x0 + inner[3])
        written = self.doc.apply_live(
            MapPatch(box, mask, _scalar_or_values(region[mask]), self.value))
        if written is not None:  # clipped to unlocked pixels: what the command replays
            self._dabs.append(written)

    def line_to(self, x: float, y: float) -> None:
        """Dab along the segment from the last point, spaced a quarter of the brush."""
        if self._last is None:
            self.dab(x, y)
        else:
            lx, ly = self._last
            steps = max(1, int(np.hypot(x - lx, y - ly) / max(1.0, self.radius / 2)))
            for t in np.linspace(0, 1, steps + 1)[1:]:
                self.dab(lx + (x - lx) * t, ly + (y - ly) * t)
        self._last = (x, y)

    def finish(self) -> Command | None:
        if not self._dabs:
            if self._created is not None:
                self.doc.set_segment_untracked(self.value, None)
            return None
        command = Command("Erase" if self.value == 0 else "Brush", list(self._dabs))
        if self._created is not None:
            command.note_table({self.value: None}, {self.value: self._created})
        self._dabs.clear()
        return self.doc.commit_applied(command, shown=True)


def before_live(doc: Document, patches: Sequence[MapPatch], box: Box) -> np.ndarray:
    """The map inside ``box`` as it was before ``patches`` were written live (each patch
    lies inside ``box``)."""
    y0, x0, y1, x1 = box
    before = doc.id_map[y0:y1, x0:x1].copy()
    for patch in reversed(patches):
        py0, px0, py1, px1 = patch.box
        before[py0 - y0:py1 - y0, px0 - x0:px1 - x0][patch.mask] = patch.old
    return before


def fold_live(doc: Document, patches: Sequence[MapPatch]) -> MapPatch | None:
    """Patches written live, as one: the pixels whose value really changed, with their
    values from before the first."""
    box: Box | None = None
    for patch in patches:
        box = union_box(box, patch.box)
    if box is None:
        return None
    y0, x0, y1, x1 = box
    return MapPatch.from_change(box, before_live(doc, patches, box), doc.id_map[y0:y1, x0:x1])
