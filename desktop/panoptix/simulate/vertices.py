"""Vertex editing of an almost-right segment, planned as the simulated annotator would.

The window's vertex tool (Ctrl+J, ``gui/tools/vertex_tool.py``) shows the selected
segment's outline as polygons at its default detail (:data:`DETAIL`: 2 screen pixels
between outline and boundary, at 100 % zoom); a drag moves a vertex, a press on an edge
adds a vertex there and drags it; Enter applies the session as one undo step. The
annotator sees where the true edge runs, so each drag puts a vertex on it: a vertex onto
the nearest true edge pixel (within :data:`REACH`), or a new vertex on an edge where the
true edge bulges away from it (its farthest pixel there). The plan is greedy on what the
tool would write (``VertexEdit.shape_in``): the drag that puts most pixels right, while
one puts right at least :data:`MIN_GAIN` and until the segment's IoU reaches the target,
at most :data:`MAX_DRAGS`. Pixels count as the corrector counts them (wrong when their
segment is not the one standing for their ground truth) plus the segment's own IoU error
(so giving back a neighbour's pixels counts, though they become unlabeled).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from panoptix.core.document import Document
from panoptix.core.stats import Box, tight_box
from panoptix.core.vertex_edit import VertexEdit

DETAILS = (8.0, 4.0, 2.0, 1.0, 0.75)
"""Image pixels between the offered polygon and the boundary at each of the vertex tool's
details at 100 % zoom (``DETAIL_PX``, at least ``LEAST_EPSILON``); [ and ] step along."""
DEFAULT_DETAIL = 2
"""The tool's detail at start (2 px)."""
TRIED_DETAILS = (2, 3, 4)
"""Details the annotator considers: the default, one ] finer (1 px) and two (0.75 px)."""
REACH = 10
"""Pixels a vertex is dragged at most: fixing an edge, not drawing a new one."""
MIN_GAIN = 2
"""Pixels a drag must put right to be worth it."""
BESIDE = 1.5
"""Pixels the true edge must stray from a polygon edge for a vertex to be added there."""
MAX_DRAGS = 20
MAX_POINTS = 400
"""Outlines with more vertices are left to other tools (a long stuff edge)."""


@dataclass(frozen=True)
class Drag:
    contour: int
    index: int
    """The vertex moved, or the first vertex of the edge a new vertex is added on."""
    insert: bool
    x: int
    y: int
    length: float
    """Pixels the mouse travels with the button down."""


@dataclass(frozen=True)
class Plan:
    segment_id: int
    detail: int
    """The tool's detail the drags are made at (:data:`DETAILS`)."""
    drags: tuple[Drag, ...]
    gain: int
    """Wrong pixels put right (as the corrector counts them) plus IoU error removed."""
    iou: float
    """The segment's IoU with its ground truth afterwards."""


def session(doc: Document, segment_id: int, detail: int = DEFAULT_DETAIL,
            only_unlabeled: bool = False) -> VertexEdit:
    """What Ctrl+J opens on ``segment_id`` at ``detail`` (raises ``DocumentError`` as the
    tool would)."""
    return VertexEdit(doc, segment_id, only_unlabeled=only_unlabeled,
                      at_least=DETAILS[detail])


def perform(edit: VertexEdit, drag: Drag) -> None:
    """One drag in the tool: the polygons change and the map follows (live)."""
    change(edit, drag)
    edit.apply()


def change(edit: VertexEdit, drag: Drag) -> None:
    """The drag's change of the polygons alone."""
    if drag.insert:
        edit.insert_vertex(drag.contour, drag.index, drag.x, drag.y)
    else:
        edit.move_vertex(drag.contour, drag.index, drag.x, drag.y)


def plan(doc: Document, segment_id: int, truth: np.ndarray, expected: np.ndarray,
         target: float, only_unlabeled: bool = False) -> Plan | None:
    """Drags that bring ``segment_id`` towards ``truth`` (its ground truth, a full-size
    mask) until IoU ``target``; ``expected`` is, per pixel, the segment that should hold
    it (0 unlabeled, -1 none does yet). Of the :data:`TRIED_DETAILS`, the plan that
    reaches the target with the fewest drags, else the one that gains most; None when no
    drag helps."""
    found = [p for p in (_plan(doc, segment_id, truth, expected, target, detail,
                               only_unlabeled) for detail in TRIED_DETAILS) if p is not None]
    return min(found, key=lambda p: (p.iou < target, len(p.drags) if p.iou >= target
                                     else -p.gain), default=None)


def _plan(doc: Document, segment_id: int, truth: np.ndarray, expected: np.ndarray,
          target: float, detail: int, only_unlabeled: bool) -> Plan | None:
    edit = session(doc, segment_id, detail, only_unlabeled)
    if sum(len(c.points) for c in edit.contours) > MAX_POINTS:
        return None
    box = _box(doc, segment_id, truth, REACH + edit.band + 2)
    if box is None:
        return None
    y0, x0, y1, x1 = box
    state = _State(edit, box, doc.id_map[y0:y1, x0:x1].copy(), truth[y0:y1, x0:x1],
                   expected[y0:y1, x0:x1])
    edge_points = _EdgePixels(_edge_points(state.truth, (y0, x0)), box)
    drags: list[Drag] = []
    gain = 0
    while len(drags) < MAX_DRAGS and state.iou() < target:
        best: tuple[int, Drag] | None = None
        for drag in _candidates(edit, edge_points, state.error_near(), (y0, x0)):
            change = state.gain(drag)
            if change >= MIN_GAIN and (best is None or change > best[0]):
                best = (change, drag)
        if best is None:
            break
        state.commit(best[1])
        gain += best[0]
        drags.append(best[1])
    return Plan(segment_id, detail, tuple(drags), gain, state.iou()) if drags else None


class _State:
    """The planning session: the polygons and what the tool would write in ``box``."""

    def __init__(self, edit: VertexEdit, box: Box, before: np.ndarray, truth: np.ndarray,
                 expected: np.ndarray) -> None:
        self.edit, self.box, self.before = edit, box, before
        self.truth, self.expected = truth, expected
        self.own = before == edit.segment_id
        self.held = edit.shape_in(box, before)
        self._gains: dict[tuple, tuple[tuple[slice, slice], int]] = {}
        """Gains measured, by the drag's geometry (:meth:`_key`), with the window each was
        measured in: one stays true until a committed drag changes pixels there."""

    def _cost(self, held: np.ndarray, window: tuple[slice, slice]) -> int:
        """Wrong pixels in ``window`` of the box with the segment at ``held`` there."""
        before, own = self.before[window], self.own[window]
        after = np.where(held, np.int32(self.edit.segment_id), np.where(own, 0, before))
        return int((after != self.expected[window]).sum()
                   + (held ^ self.truth[window]).sum())

    def gain(self, drag: Drag) -> int:
        """Pixels the drag would put right (negative: make wrong)."""
        key = self._key(drag)
        known = self._gains.get(key)
        if known is None:
            known = self._gains[key] = self._measure(drag)
        return known[1]

    def _key(self, drag: Drag) -> tuple:
        """What the drag's effect depends on: the vertices it moves or adds between, and
        where to."""
        around = self._around(self.edit.contours[drag.contour].points, drag)
        return (drag.contour, drag.insert, drag.x, drag.y,
                *(int(value) for point in around for value in point))

    def _measure(self, drag: Drag) -> tuple[tuple[slice, slice], int]:
        contour = self.edit.contours[drag.contour]
        saved = contour.points.copy()
        window = self._window(contour.points, drag)
        y0, x0 = self.box[0], self.box[1]
        local = (window[0].start + y0, window[1].start + x0,
                 window[0].stop + y0, window[1].stop + x0)
        before = self.before[window]
        current = self._cost(self.edit.shape_in(local, before), window)
        change(self.edit, drag)
        after = self._cost(self.edit.shape_in(local, before), window)
        contour.points = saved
        return window, current - after

    def commit(self, drag: Drag) -> None:
        """Make the drag. Outside the box of the vertices it moves between (and a pixel
        more) no pixel of the polygons' raster changes, so gains measured away from there
        stay true."""
        points = [*self._around(self.edit.contours[drag.contour].points, drag),
                  (drag.x, drag.y)]
        y0, x0 = self.box[0], self.box[1]
        top = min(int(p[1]) for p in points) - y0 - 2
        bottom = max(int(p[1]) for p in points) - y0 + 3
        left = min(int(p[0]) for p in points) - x0 - 2
        right = max(int(p[0]) for p in points) - x0 + 3
        change(self.edit, drag)
        self.held = self.edit.shape_in(self.box, self.before)
        self._gains = {key: (window, value) for key, (window, value) in self._gains.items()
                       if window[0].stop <= top or window[0].start >= bottom
                       or window[1].stop <= left or window[1].start >= right}

    def iou(self) -> float:
        union = int((self.held | self.truth).sum())
        return int((self.held & self.truth).sum()) / union if union else 1.0

    def error_near(self) -> np.ndarray:
        """Box pixels within :data:`REACH` of a pixel the segment has wrong."""
        wrong = (self.held ^ self.truth).astype(np.uint8)
        size = 2 * REACH + 1
        return cv2.dilate(wrong, np.ones((size, size), np.uint8)).astype(bool)

    @staticmethod
    def _around(points: np.ndarray, drag: Drag) -> list[np.ndarray]:
        """The vertices whose edges the drag changes."""
        count = len(points)
        if drag.insert:
            return [points[drag.index], points[(drag.index + 1) % count]]
        return [points[drag.index - 1], points[drag.index], points[(drag.index + 1) % count]]

    def _window(self, points: np.ndarray, drag: Drag) -> tuple[slice, slice]:
        """The part of the box the drag can change: around the edges it moves."""
        around = self._around(points, drag)
        xs = [int(p[0]) for p in around] + [drag.x]
        ys = [int(p[1]) for p in around] + [drag.y]
        pad = 2 * self.edit.band + 2
        y0, x0, y1, x1 = self.box
        return (slice(max(0, min(ys) - pad - y0), min(y1, max(ys) + pad + 1) - y0),
                slice(max(0, min(xs) - pad - x0), min(x1, max(xs) + pad + 1) - x0))


def _candidates(edit: VertexEdit, edge: _EdgePixels, near: np.ndarray,
                origin: tuple[int, int]) -> list[Drag]:
    """Each vertex near an error (``near``: a mask placed at ``origin``) onto the nearest
    true edge pixel; on each polygon edge near an error, a new vertex at the farthest of
    the true edge pixels that lie nearest to that polygon edge (beside its middle part,
    :data:`BESIDE` to :data:`REACH` pixels away). Ties go to the first edge pixel in
    ``edge``'s order and the first polygon edge."""
    owners = [(index, vertex) for index, contour in enumerate(edit.contours)
              for vertex in range(len(contour.points))]
    if not len(edge.points) or not owners:
        return []
    y0, x0 = origin
    a = np.concatenate([c.points for c in edit.contours]).astype(float)
    b = np.concatenate([np.roll(c.points, -1, axis=0) for c in edit.contours]).astype(float)
    along = b - a
    length2 = np.maximum((along ** 2).sum(axis=1), 1e-9)
    low, high = np.minimum(a, b) - REACH, np.maximum(a, b) + REACH
    found = []
    for number, (index, vertex) in enumerate(owners):
        x, y = int(a[number, 0]), int(a[number, 1])
        if _inside(near, x - x0, y - y0):
            onto = edge.nearest(x, y)
            if onto is not None:
                found.append(Drag(index, vertex, False, *onto))
        middle = (a[number] + b[number]) / 2
        if length2[number] < 4 or not _inside(near, int(middle[0]) - x0, int(middle[1]) - y0):
            continue
        # Any polygon edge nearer than REACH to a pixel beside this one has its box, widened
        # by REACH, overlapping this one's.
        (left, top), (right, bottom) = low[number], high[number]
        rivals = np.flatnonzero((low[:, 0] <= right) & (high[:, 0] >= left)
                                & (low[:, 1] <= bottom) & (high[:, 1] >= top))
        onto = edge.farthest_beside(a[rivals], b[rivals], int(np.searchsorted(rivals, number)))
        if onto is not None:
            found.append(Drag(index, vertex, True, *onto))
    return found


class _EdgePixels:
    """The true edge's pixels (x, y) in the order they were traced (a pixel may come more
    than once), with a map to find those in a rectangle quickly. The edge stays the same
    through a plan, so what was found for a vertex or a polygon edge is remembered."""

    def __init__(self, points: np.ndarray, box: Box) -> None:
        self.origin = (box[0], box[1])
        first = np.full((box[2] - box[0], box[3] - box[1]), len(points), np.int64)
        if len(points):
            np.minimum.at(first, (points[:, 1] - box[0], points[:, 0] - box[1]),
                          np.arange(len(points)))
        self.points = points
        self._first = first
        self._nearest: dict[tuple[int, int], tuple[int, int, float] | None] = {}
        self._beside: dict[tuple[int, bytes, bytes], tuple[int, int, float] | None] = {}

    def nearest(self, x: int, y: int) -> tuple[int, int, float] | None:
        """The nearest pixel to vertex (x, y) and its distance, when within :data:`REACH`
        and not under the vertex."""
        if (x, y) not in self._nearest:
            # Only pixels within REACH count, so the nearest is looked for around the vertex.
            close = self.points[self.within(x - REACH, y - REACH, x + REACH, y + REACH)]
            found = None
            if len(close):
                distance = np.hypot(close[:, 0] - x, close[:, 1] - y)
                nearest = int(distance.argmin())
                if 0 < distance[nearest] <= REACH:
                    found = (int(close[nearest, 0]), int(close[nearest, 1]),
                             float(distance[nearest]))
            self._nearest[(x, y)] = found
        return self._nearest[(x, y)]

    def farthest_beside(self, a: np.ndarray, b: np.ndarray,
                        own: int) -> tuple[int, int, float] | None:
        """Of the pixels nearer to polygon edge ``a[own]``-``b[own]`` than to the other
        edges ``a``-``b`` (those that may be near it), beside its middle part and
        :data:`BESIDE` to :data:`REACH` pixels away, the farthest and its distance."""
        key = (own, a.tobytes(), b.tobytes())
        if key in self._beside:
            return self._beside[key]
        (left, top), (right, bottom) = (np.minimum(a[own], b[own]) - REACH,
                                        np.maximum(a[own], b[own]) + REACH)
        close = self.points[self.within(left, top, right, bottom)]
        found = None
        if len(close):
            along = b - a
            length2 = np.maximum((along ** 2).sum(axis=1), 1e-9)
            relative = close[:, None, :] - a[None]
            t = np.clip((relative * along[None]).sum(axis=2) / length2[None], 0.0, 1.0)
            offset = np.hypot(*(relative - t[..., None] * along[None]).transpose(2, 0, 1))
            beside = ((offset.argmin(axis=1) == own) & (t[:, own] > 0.15)
                      & (t[:, own] < 0.85) & (offset[:, own] >= BESIDE)
                      & (offset[:, own] <= REACH))
            if beside.any():
                pick = int(np.argmax(np.where(beside, offset[:, own], -1.0)))
                found = (int(close[pick, 0]), int(close[pick, 1]), float(offset[pick, own]))
        self._beside[key] = found
        return found

    def within(self, left: float, top: float, right: float, bottom: float) -> np.ndarray:
        """Indices into :attr:`points` of the pixels in the rectangle (edges included),
        ascending; one per pixel."""
        y0, x0 = self.origin
        height, width = self._first.shape
        rows = slice(max(0, math.ceil(top) - y0), max(0, min(height, math.floor(bottom) - y0 + 1)))
        columns = slice(max(0, math.ceil(left) - x0),
                        max(0, min(width, math.floor(right) - x0 + 1)))
        found = self._first[rows, columns]
        return np.sort(found[found < len(self.points)])


def _inside(mask: np.ndarray, x: int, y: int) -> bool:
    return 0 <= y < mask.shape[0] and 0 <= x < mask.shape[1] and bool(mask[y, x])


def _edge_points(truth: np.ndarray, offset: tuple[int, int]) -> np.ndarray:
    """(x, y) of every boundary pixel of ``truth`` (outer edges and holes)."""
    found, _ = cv2.findContours(truth.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    if not found:
        return np.zeros((0, 2), np.int64)
    return np.concatenate([c.reshape(-1, 2) for c in found]).astype(np.int64) + \
        np.array([offset[1], offset[0]])


def _box(doc: Document, segment_id: int, truth: np.ndarray, pad: int) -> Box | None:
    own, wanted = doc.box(segment_id), tight_box(truth)
    if wanted is None:
        return None
    height, width = doc.shape
    return (max(0, min(own[0], wanted[0]) - pad), max(0, min(own[1], wanted[1]) - pad),
            min(height, max(own[2], wanted[2]) + pad), min(width, max(own[3], wanted[3]) + pad))
