"""A segment's outline as polygons with holes, and back to pixels.

``trace`` follows every boundary of a mask (OpenCV's contour tree: outer contours, the
holes in them, islands in the holes...) and simplifies them to at most a given number of
vertices; ``rasterize`` fills them again by nesting depth: outer contours filled, holes
cut out, islands filled. Unsimplified, ``rasterize(trace(mask))`` is the mask exactly.

Points are ``(x, y)`` pixel indices: a vertex sits on a pixel centre, and contours run
through the centres of the segment's boundary pixels (a hole's contour too, which is why
a hole is cut out and its contour drawn back).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from panoptix.core.stats import Box

MAX_VERTICES = 1500
"""Vertices offered for editing in all; a larger outline is simplified further."""
EPSILONS = (0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0)
"""Simplification tolerances tried in turn (pixels between outline and boundary)."""


@dataclass
class Contour:
    points: np.ndarray
    """``(N, 2)`` int32 ``(x, y)`` in image pixels."""
    depth: int
    """0 for an outer contour, 1 for a hole in it, 2 for an island in the hole..."""

    @property
    def is_hole(self) -> bool:
        return self.depth % 2 == 1

    def copy(self) -> Contour:
        return Contour(self.points.copy(), self.depth)


def trace(mask: np.ndarray, offset: tuple[int, int] = (0, 0), *, epsilon: float | None = None,
          at_least: float = 0.0,
          max_vertices: int = MAX_VERTICES) -> tuple[list[Contour], float]:
    """The contours of ``mask`` (placed at ``offset`` = (y, x)) and the tolerance used:
    ``epsilon`` if given (0: exact), else the smallest tolerance of ``at_least`` and
    :data:`EPSILONS` above it that keeps the outline within ``max_vertices`` (``at_least``:
    what a person would draw at the zoom in use, see the vertex tool)."""
    found, hierarchy = cv2.findContours(mask.astype(np.uint8), cv2.RETR_TREE,
                                        cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return [], 0.0
    parents = hierarchy[0][:, 3]
    depths = []
    for index in range(len(found)):
        depth, parent = 0, parents[index]
        while parent >= 0:
            depth, parent = depth + 1, parents[parent]
        depths.append(depth)
    shift = np.array([offset[1], offset[0]], np.int32)
    tolerances = (epsilon,) if epsilon is not None else (
        *((at_least,) if at_least > 0 else ()), *(e for e in EPSILONS if e > at_least))
    for tolerance in tolerances:
        contours = [Contour(_simplify(points, tolerance) + shift, depth)
                    for points, depth in zip(found, depths, strict=True)]
        if sum(len(c.points) for c in contours) <= max_vertices:
            break
    return contours, float(tolerance)


def _simplify(points: np.ndarray, epsilon: float) -> np.ndarray:
    if epsilon > 0 and len(points) > 3:
        points = cv2.approxPolyDP(points, epsilon, True)
    return points.reshape(-1, 2).astype(np.int32)


def rasterize(contours: Sequence[Contour], box: Box) -> np.ndarray:
    """The pixels inside the outline, as a bool mask of ``box`` (y0, x0, y1, x1)."""
    y0, x0, y1, x1 = box
    canvas = np.zeros((y1 - y0, x1 - x0), np.uint8)
    shift = np.array([x0, y0], np.int32)
    for depth in sorted({c.depth for c in contours}):
        layer = [c.points - shift for c in contours if c.depth == depth and len(c.points)]
        if not layer:
            continue
        if depth % 2 == 0:
            cv2.fillPoly(canvas, layer, 1)
        else:
            cv2.fillPoly(canvas, layer, 0)
        cv2.polylines(canvas, layer, True, 1)
    return canvas.astype(bool)


def bounds(contours: Sequence[Contour]) -> Box | None:
    """The ``(y0, x0, y1, x1)`` box of every vertex."""
    points = [c.points for c in contours if len(c.points)]
    if not points:
        return None
    stacked = np.concatenate(points)
    (xmin, ymin), (xmax, ymax) = stacked.min(axis=0), stacked.max(axis=0)
    return int(ymin), int(xmin), int(ymax) + 1, int(xmax) + 1


def edges(contours: Sequence[Contour]) -> set[tuple[int, int, int, int, int]]:
    """Every edge as ``(depth, xa, ya, xb, yb)``, direction-free."""
    found = set()
    for contour in contours:
        points = contour.points
        for (xa, ya), (xb, yb) in zip(points, np.roll(points, -1, axis=0), strict=True):
            a, b = (int(xa), int(ya)), (int(xb), int(yb))
            found.add((contour.depth, *min(a, b), *max(a, b)))
    return found
