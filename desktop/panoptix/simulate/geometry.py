"""Where the annotator puts the mouse: polygon vertices, click points, brush strokes.

Points are ``(x, y)`` image pixels, the way the window's tools hand them to ``core.edits``
(a vertex or dab on a pixel's centre).
"""

from __future__ import annotations

import cv2
import numpy as np

POLYGON_EPSILON = 1.5
"""Pixels a drawn polygon may stray from the true boundary (a careful annotator)."""
MAX_BRUSH = 400
"""The editor's largest brush (``gui.editor.MAX_BRUSH``)."""
MAX_RADIUS = 20
"""The largest brush radius the annotator reaches for (a 40 px brush)."""
JOIN_ROWS = 8
"""Rows a drag may skip over pixels it may pass (``strokes``' ``through``)."""

Point = tuple[int, int]


def polygons(mask: np.ndarray, offset: tuple[int, int] = (0, 0),
             epsilon: float = POLYGON_EPSILON) -> list[np.ndarray]:
    """The outer outline of each part of ``mask`` (placed at ``offset`` = (y, x)) as (N, 2)
    ``(x, y)`` vertices through boundary pixel centres, simplified within ``epsilon``;
    largest part first. Parts too small for three vertices are left out."""
    found, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                cv2.CHAIN_APPROX_NONE)
    shift = np.array([offset[1], offset[0]], np.int32)
    outlines = []
    for contour in sorted(found, key=lambda c: -cv2.contourArea(c)):
        points = cv2.approxPolyDP(contour, epsilon, True).reshape(-1, 2)
        if len(points) >= 3:
            outlines.append(points.astype(np.int32) + shift)
    return outlines


def interior_point(mask: np.ndarray, offset: tuple[int, int] = (0, 0)) -> Point:
    """The pixel deepest inside ``mask`` (the centre of the largest error, as interactive
    segmentation benchmarks click), as (x, y) in image pixels."""
    padded = np.pad(mask.astype(np.uint8), 1)
    depth = cv2.distanceTransform(padded, cv2.DIST_L2, 3)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(depth)), depth.shape)
    return int(x) + offset[1], int(y) + offset[0]


def depth(mask: np.ndarray) -> np.ndarray:
    """Euclidean distance of each pixel of ``mask`` to the nearest pixel outside it (the
    image border counts as outside): 1 on the mask's edge, 0 outside."""
    padded = np.pad(mask.astype(np.uint8), 1)
    return cv2.distanceTransform(padded, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)[1:-1, 1:-1]


def brush_size(mask: np.ndarray) -> int:
    """The widest brush whose disk fits inside the region's thickest part (odd sizes, so
    the disk is centred on a pixel): size 1 paints single pixels."""
    thickness = float(depth(mask).max())
    return int(max(1, min(2 * MAX_RADIUS - 1, 2 * np.floor(thickness) - 1)))


def resize_brush(size: int, wanted: int) -> tuple[int, int]:
    """``]`` / ``[`` presses that bring brush size ``size`` nearest to ``wanted``, each
    ~20 % (at least one pixel) as ``gui.editor.Editor.grow_brush`` steps; and the size
    reached."""
    presses = 0
    direction = 1 if wanted > size else -1
    while size != wanted:
        grown = round(size * 1.2 ** direction)
        grown = max(1, min(MAX_BRUSH, grown if grown != size else size + direction))
        if abs(grown - wanted) >= abs(size - wanted):
            break
        size, presses = grown, presses + 1
    return presses, size


def strokes(region: np.ndarray, size: int, offset: tuple[int, int] = (0, 0),
            through: np.ndarray | None = None) -> list[list[Point]]:
    """Brush strokes of a ``size`` brush that paint inside ``region`` and never outside it
    (nor outside ``through``, pixels the brush may pass over harmlessly: the segment
    painted into already holds them): dab centres where the disk fits and touches the
    region, on rows ``radius`` apart, each row's runs joined into back-and-forth drags (a
    drag goes on to a later row, at most :data:`JOIN_ROWS` rows on, when the way there
    keeps the disk inside). What the disk cannot reach (thin rims, corners) is left for a
    smaller brush."""
    radius = size / 2
    allowed = region if through is None else region | through
    valid = depth(allowed) > radius
    if through is not None:
        valid &= _distance_to(region) <= radius
    ys, xs = np.nonzero(valid)
    if ys.size == 0:
        return []
    spacing = max(1, int(round(radius)))
    rows: dict[int, list[int]] = {}
    for y, x in zip(ys.tolist(), xs.tolist(), strict=True):
        if (y - int(ys[0])) % spacing == 0:
            rows.setdefault(y, []).append(x)
    runs: list[list[Point]] = []
    for y in sorted(rows):
        columns = rows[y]
        start = previous = columns[0]
        for x in [*columns[1:], None]:
            if x is not None and x - previous <= 1:
                previous = x
                continue
            picked = list(range(start, previous + 1, spacing))
            if picked[-1] != previous:
                picked.append(previous)
            runs.append([(px, y) for px in picked])
            if x is not None:
                start = previous = x
    passable = valid if through is None else depth(allowed) > radius
    oy, ox = offset
    return [[(x + ox, y + oy) for x, y in stroke]
            for stroke in _join_runs(runs, passable, spacing,
                                     1 if through is None else JOIN_ROWS)]


def _distance_to(mask: np.ndarray) -> np.ndarray:
    """Each pixel's distance to the nearest pixel of ``mask`` (0 on it)."""
    return cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def _join_runs(runs: list[list[Point]], inside: np.ndarray, spacing: int,
               reach: int = 1) -> list[list[Point]]:
    """Chain runs of following rows into one drag, reversing every other one: the next
    row's runs by a straight move; with ``reach`` > 1 also runs up to ``reach`` rows on,
    by the shortest way inside (a drag that bends along an edge)."""
    strokes_: list[list[Point]] = []
    used = [False] * len(runs)
    for first in range(len(runs)):
        if used[first]:
            continue
        used[first] = True
        stroke = list(runs[first])
        while True:
            end = stroke[-1]
            ways: _Ways | None = None
            best = None
            for other in range(first + 1, len(runs)):
                step = runs[other][0][1] - end[1]
                if used[other] or not 0 < step <= reach * spacing:
                    continue
                for candidate in (runs[other], runs[other][::-1]):
                    if step <= spacing and _straight_inside(inside, end, candidate[0]):
                        way = [candidate[0]]
                    elif reach > 1:
                        if ways is None:  # searched only once a run needs a way round
                            ways = _Ways(inside, end, reach * spacing * 2)
                        if not ways.reaches(candidate[0]):
                            continue
                        way = ways.way_to(candidate[0])
                    else:
                        continue
                    distance = abs(candidate[0][0] - end[0]) + step + len(way)
                    if best is None or distance < best[0]:
                        best = (distance, other, way[:-1] + candidate)
            if best is None:
                break
            used[best[1]] = True
            stroke += best[2]
        strokes_.append(stroke)
    return strokes_


_STEPS = np.array([(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1)])
"""8-connected steps (dx, dy) in the order the search tries them."""


class _Ways:
    """Pixels of ``inside`` reachable from ``start`` in at most ``limit`` 8-connected
    steps, each with the pixel it was first reached from: a breadth-first search, one
    step's pixels at a time, that finds the same ways as one that takes pixels first in,
    first out and tries the steps in :data:`_STEPS`' order."""

    def __init__(self, inside: np.ndarray, start: Point, limit: int) -> None:
        x, y = start
        self.top, self.left = max(0, y - limit), max(0, x - limit)
        window = inside[self.top:y + limit + 1, self.left:x + limit + 1]
        height, width = window.shape
        self._width = width
        self._came = np.full(height * width, -1, np.int64)
        """Per pixel of the window (flat), the pixel it was reached from; -2 the start."""
        level = np.array([(y - self.top) * width + x - self.left])
        self._came[level] = -2
        for _ in range(limit):
            ys, xs = np.divmod(level, width)
            ny = (ys[:, None] + _STEPS[None, :, 1]).ravel()
            nx = (xs[:, None] + _STEPS[None, :, 0]).ravel()
            parents = np.repeat(level, len(_STEPS))
            fits = (ny >= 0) & (ny < height) & (nx >= 0) & (nx < width)
            ny, nx, parents = ny[fits], nx[fits], parents[fits]
            flat = ny * width + nx
            new = window[ny, nx] & (self._came[flat] == -1)
            flat, parents = flat[new], parents[new]
            if not len(flat):
                break
            _, first = np.unique(flat, return_index=True)  # first reached, in queue order
            first.sort()
            level = flat[first]
            self._came[level] = parents[first]

    def _index(self, point: Point) -> int | None:
        x, y = point[0] - self.left, point[1] - self.top
        if 0 <= x < self._width and 0 <= y < len(self._came) // self._width:
            return y * self._width + x
        return None

    def reaches(self, point: Point) -> bool:
        index = self._index(point)
        return index is not None and self._came[index] != -1

    def way_to(self, target: Point) -> list[Point]:
        """The way from the start to ``target`` (start left out)."""
        way = [target]
        index = self._index(target)
        assert index is not None
        while (index := int(self._came[index])) != -2:
            y, x = divmod(index, self._width)
            way.append((x + self.left, y + self.top))
        return way[-2::-1]


def _straight_inside(inside: np.ndarray, a: Point, b: Point) -> bool:
    steps = max(abs(b[0] - a[0]), abs(b[1] - a[1]), 1)
    xs = np.rint(np.linspace(a[0], b[0], steps + 1)).astype(int)
    ys = np.rint(np.linspace(a[1], b[1], steps + 1)).astype(int)
    return bool(inside[ys, xs].all())


def path_length(stroke: list[Point]) -> float:
    points = np.asarray(stroke, np.float64)
    return float(np.hypot(*np.diff(points, axis=0).T).sum()) if len(points) > 1 else 0.0


def pieces(stroke: list[Point], tolerance: float = 2.0) -> int:
    """Straight pieces of a drag (KLM's D counts each): the path simplified within
    ``tolerance`` pixels, as a hand follows a staircase of pixels in one smooth move."""
    if len(stroke) < 3:
        return 1
    points = np.asarray(stroke, np.int32).reshape(-1, 1, 2)
    return max(1, len(cv2.approxPolyDP(points, tolerance, False)) - 1)
