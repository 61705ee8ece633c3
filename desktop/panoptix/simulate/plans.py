"""The ways to fix one error, each with its estimated cost, for the corrector to choose from.

An :class:`Option` is a named, costed action on the :class:`~panoptix.simulate.annotator.
Annotator`: costs are the same KLM seconds as :mod:`panoptix.simulate.effort`, estimated
before acting (selection clicks, tool and category changes included) so the cheapest way
that applies can be taken first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from panoptix.core.stats import tight_box
from panoptix.simulate import geometry, vertices
from panoptix.simulate.annotator import Annotator, tool_keys
from panoptix.simulate.effort import KEY_S, POINT_S, THINK_S, drag_seconds, polygon_seconds
from panoptix.simulate.picker import pick_keys

CLICK_S = POINT_S + KEY_S
MARGIN = 2


@dataclass(frozen=True)
class Region:
    """Pixels to change, as a mask inside a box of the image."""

    box: tuple[int, int, int, int]
    mask: np.ndarray

    @classmethod
    def of(cls, full: np.ndarray) -> Region | None:
        box = tight_box(full)
        if box is None:
            return None
        height, width = full.shape
        y0, x0 = max(0, box[0] - MARGIN), max(0, box[1] - MARGIN)
        y1, x1 = min(height, box[2] + MARGIN), min(width, box[3] + MARGIN)
        return cls((y0, x0, y1, x1), full[y0:y1, x0:x1])

    def grown(self, pad: int, shape: tuple[int, int]) -> Region:
        """The same pixels in a box ``pad`` pixels larger (inside an image of ``shape``)."""
        y0, x0, y1, x1 = self.box
        box = (max(0, y0 - pad), max(0, x0 - pad), min(shape[0], y1 + pad),
               min(shape[1], x1 + pad))
        mask = np.zeros((box[2] - box[0], box[3] - box[1]), bool)
        mask[y0 - box[0]:y1 - box[0], x0 - box[1]:x1 - box[1]] = self.mask
        return Region(box, mask)

    @property
    def offset(self) -> tuple[int, int]:
        return self.box[0], self.box[1]

    @property
    def area(self) -> int:
        return int(self.mask.sum())

    def full(self, shape: tuple[int, int]) -> np.ndarray:
        out = np.zeros(shape, bool)
        y0, x0, y1, x1 = self.box
        out[y0:y1, x0:x1] = self.mask
        return out


@dataclass
class Option:
    name: str
    cost: float
    """Estimated seconds."""
    run: Callable[[], object]
    gain: float = 0.0
    """Wrong pixels it is expected to put right (drawing options)."""

    @property
    def rate(self) -> float:
        """Seconds per pixel put right: drawing options are ranked by it."""
        return self.cost / max(self.gain, 1.0)


class Costs:
    """Estimates of the annotator's overheads in the current state."""

    def __init__(self, annotator: Annotator) -> None:
        self.annotator = annotator

    def tool(self, name: str) -> float:
        return 0.0 if self.annotator.tool == name else KEY_S * tool_keys(name)

    def select(self, ids: list[int]) -> float:
        doc = self.annotator.doc
        if set(ids) == set(doc.selection):
            return 0.0
        return self.tool("select") + CLICK_S + (CLICK_S + KEY_S) * (len(ids) - 1)

    def category(self, category_id: int) -> float:
        if self.annotator.category_id == category_id:
            return 0.0
        return CLICK_S + KEY_S * pick_keys(self.annotator.doc.categories, category_id)


def polygon_option(annotator: Annotator, region: Region, category_id: int,
                   merge_into: int | None = None,
                   then_delete: int | None = None) -> Option | None:
    """Draw the region's largest part as a polygon of ``category_id``; with ``merge_into``
    (a thing the part belongs to) Shift+click that segment and merge; with ``then_delete``
    delete what is left of that segment afterwards (a thing drawn again)."""
    outlines = geometry.polygons(region.mask, region.offset)
    if not outlines:
        return None
    points = outlines[0]
    costs = Costs(annotator)
    cost = (polygon_seconds(len(points)) + costs.tool("polygon") + costs.category(category_id)
            + (CLICK_S + 2 * KEY_S if merge_into is not None else 0.0)
            + (costs.tool("select") + CLICK_S + KEY_S if then_delete is not None else 0.0))

    def run() -> None:
        created = annotator.polygon(points, category_id)
        if merge_into is not None and created is not None and created != merge_into:
            annotator.merge([created, merge_into])
        if then_delete is not None and then_delete in annotator.doc.segments:
            annotator.delete([then_delete])

    return Option("polygon", cost, run, region.area)


def fill_option(annotator: Annotator, region: Region, intended: np.ndarray,
                category_id: int, target: int | None) -> Option | None:
    """Click the unlabeled area the region lies in, when that area is (almost) all the
    region's: the fill tool takes all of it."""
    doc = annotator.doc
    y0, x0, y1, x1 = region.box
    if doc.id_map[y0:y1, x0:x1][region.mask].any():
        return None
    x, y = geometry.interior_point(region.mask, region.offset)
    unlabeled = (doc.id_map == 0).astype(np.uint8)
    flood = np.zeros((doc.shape[0] + 2, doc.shape[1] + 2), np.uint8)
    cv2.floodFill(unlabeled, flood, (x, y), 2, 0, 0, 4 | cv2.FLOODFILL_MASK_ONLY | (1 << 8))
    filled = flood[1:-1, 1:-1].astype(bool)
    if (filled & intended).sum() < 0.9 * filled.sum():
        return None
    costs = Costs(annotator)
    cost = THINK_S + CLICK_S + costs.tool("fill") + (
        costs.select([target]) if target is not None
        else costs.category(category_id) + (KEY_S if doc.selection else 0.0))
    return Option("fill", cost, lambda: annotator.fill(x, y, category_id, target),
                  float((filled & intended).sum()))


def brush_option(annotator: Annotator, region: Region, *, target: int | None = None,
                 category_id: int | None = None, erase: bool = False) -> Option | None:
    """Paint the region with a brush as wide as its thick parts allow; into a segment
    ``target`` the strokes may pass over its own pixels (the eraser over anything but the
    target's pixels that stay), as a hand goes on along an edge."""
    presses, size = geometry.resize_brush(annotator.brush_size,
                                          geometry.brush_size(region.mask))
    through = None
    if target is not None:
        region = region.grown(size // 2 + MARGIN, annotator.doc.shape)
        y0, x0, y1, x1 = region.box
        own = annotator.doc.id_map[y0:y1, x0:x1] == target
        through = ~own | region.mask if erase else own
    strokes = geometry.strokes(region.mask, size, region.offset, through)
    if not strokes:
        return None
    costs = Costs(annotator)
    pixels = sum(geometry.path_length(s) for s in strokes)
    pieces = sum(geometry.pieces(s) for s in strokes)
    cost = (THINK_S + drag_seconds(len(strokes), pieces, pixels) + KEY_S * presses
            + costs.tool("eraser" if erase else "brush")
            + (costs.select([target]) if target is not None
               else costs.category(category_id) if category_id is not None else 0.0))
    return Option("erase" if erase else "brush", cost,
                  lambda: annotator.brush(strokes, size, target=target,
                                          category_id=category_id, erase=erase),
                  _covered(region, strokes, size))


def _covered(region: Region, strokes: list[list[geometry.Point]], size: int) -> float:
    """Pixels of the region the strokes paint (each drag swept by the brush's disk)."""
    y0, x0, y1, x1 = region.box
    painted = np.zeros((y1 - y0, x1 - x0), np.uint8)
    shift = np.array([x0, y0], np.int32)
    for stroke in strokes:
        points = np.asarray(stroke, np.int32) - shift
        if len(points) == 1:
            cv2.circle(painted, (int(points[0][0]), int(points[0][1])), size // 2, 1, -1)
        else:
            cv2.polylines(painted, [points], False, 1, thickness=size)
    return float((painted.astype(bool) & region.mask).sum())


def relabel_option(annotator: Annotator, segment_id: int, category_id: int) -> Option:
    costs = Costs(annotator)
    context = annotator.context
    guesses = (context.segment_guesses(annotator.doc, {segment_id}) if context is not None
               else [])
    suggestions = [c for c, _ in guesses] or list(annotator.recent)
    cost = (THINK_S + costs.select([segment_id]) + KEY_S
            + KEY_S * pick_keys(annotator.doc.categories, category_id, suggestions))
    return Option("relabel", cost, lambda: annotator.relabel([segment_id], category_id))


def merge_option(annotator: Annotator, ids: list[int]) -> Option:
    cost = THINK_S + Costs(annotator).select(ids) + KEY_S
    return Option("merge", cost, lambda: annotator.merge(ids))


def delete_option(annotator: Annotator, segment_id: int) -> Option:
    cost = THINK_S + Costs(annotator).select([segment_id]) + KEY_S
    return Option("delete", cost, lambda: annotator.delete([segment_id]))


def split_off_option(annotator: Annotator, point: geometry.Point) -> Option:
    """Shift+X with the pointer on the part (Split Off the Part Here)."""
    cost = THINK_S + CLICK_S + KEY_S
    return Option("split off", cost, lambda: annotator.split_off(*point))


def refine_option(annotator: Annotator, segment_id: int, fine: bool = False) -> Option:
    """R, or Shift+R to refine finely."""
    cost = THINK_S + Costs(annotator).select([segment_id]) + KEY_S * (2 if fine else 1)
    return Option("refine finely" if fine else "refine", cost,
                  lambda: annotator.refine(segment_id, fine))


def vertices_option(annotator: Annotator, found: vertices.Plan) -> Option:
    """Select the segment, Ctrl+J, [ or ] to the plan's detail, the planned drags (a
    decision and a short drag each), Enter."""
    costs = Costs(annotator)
    cost = (THINK_S + costs.select([found.segment_id]) + costs.tool("vertices")
            + KEY_S * (abs(found.detail - annotator.vertex_detail) + 1)
            + sum(THINK_S + drag_seconds(1, 1, drag.length) for drag in found.drags))
    return Option("vertices", cost, lambda: annotator.edit_vertices(
        found.segment_id, found.detail, found.drags), found.gain)
