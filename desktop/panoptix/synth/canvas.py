"""The layout canvas: every shape is painted as one *primitive* into a single map.

A primitive is one filled shape of one segment with one material. The canvas holds one
``uint16`` map of primitive numbers, painted back to front without anti-aliasing, and a
table per primitive (segment, material, box). The id map is a lookup of that map, and so
is the image (:mod:`panoptix.synth.render`), which is why labels and pixels cannot
disagree. Shadows go into a second map that records, per pixel, how many primitives
existed when the shadow fell: it darkens only what was painted before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

SHIFT = 3
"""Sub-pixel bits for OpenCV's drawing (shapes keep their size at a distance)."""
_ONE = 1 << SHIFT
MAX_PRIMITIVES = 65535
_FAR = 8192.0


@dataclass(frozen=True)
class Material:
    """How a primitive's pixels look before the global light."""

    colour: tuple[float, float, float]
    """RGB, 0..255."""
    texture: str = "smooth"
    amount: float = 0.0
    """Texture contrast, as a fraction of the brightness."""
    gradient: float = 0.0
    """Brightness change from the primitive's top to its bottom (fraction; < 0 darkens
    towards the top)."""
    side: float = 0.0
    """Brightness change from the primitive's left to its right."""
    clouds: float = 0.0
    """How much the cloud field whitens it (skies)."""
    top: tuple[float, float, float] | None = None
    """The colour at the top of the primitive's box, blending into ``colour`` at its
    bottom (a sky paling towards the horizon, ground hazy in the distance)."""

    def shaded(self, factor: float, **changes: float) -> Material:
        r, g, b = self.colour
        shaded = Material((r * factor, g * factor, b * factor), self.texture, self.amount,
                          self.gradient, self.side, self.clouds, self.top)
        return replace(shaded, **changes) if changes else shaded

    def mixed(self, other: tuple[float, float, float], weight: float) -> Material:
        """The colour moved ``weight`` of the way towards ``other`` (haze, reflections)."""
        colour = tuple(a + (b - a) * weight for a, b in zip(self.colour, other, strict=True))
        return replace(self, colour=colour)  # type: ignore[arg-type]


VOID = Material((0.0, 0.0, 0.0))


class Canvas:
    """Primitives painted back to front, with the segments and items they belong to.

    Every drawing call is also recorded, so :meth:`replay` can paint the same scene again
    without some items at the cost of the OpenCV calls alone."""

    def __init__(self, height: int, width: int) -> None:
        self.height, self.width = height, width
        self.primitives = np.zeros((height, width), np.uint16)
        self.shadows = np.zeros((height, width), np.uint16)
        self.materials: list[Material] = [VOID]
        self.boxes: list[tuple[float, float, float, float]] = [(0.0, 0.0, 1.0, 1.0)]
        """Per primitive: ``(x0, y0, x1, y1)`` of its shape (for gradients)."""
        self.segment_of: list[int] = [0]
        """Per primitive: its segment (0 = void)."""
        self.item_of: list[int] = [-1]
        self.segments: list[tuple[int, bool]] = [(0, False)]
        """Per segment: ``(category id, isthing)``; index 0 is void."""
        self.owner: list[int] = [-1]
        """Per segment: the item that made it (things) or -1 (stuff, shared)."""
        self._stuff: dict[int, int] = {}
        self._ops: list[tuple] = []
        self.item = -1
        """The item now drawing; set by the generator."""

    # -- segments -------------------------------------------------------------------------
    def thing(self, category_id: int) -> int:
        """A new instance of a thing category, owned by the current item."""
        self.segments.append((category_id, True))
        self.owner.append(self.item)
        return len(self.segments) - 1

    def stuff(self, category_id: int) -> int:
        """The one segment of a stuff category."""
        if category_id not in self._stuff:
            self.segments.append((category_id, False))
            self.owner.append(-1)
            self._stuff[category_id] = len(self.segments) - 1
        return self._stuff[category_id]

    # -- painting -------------------------------------------------------------------------
    def polygon(self, points: Sequence[Sequence[float]] | np.ndarray, segment: int,
                material: Material) -> None:
        if len(points) < 3:
            return
        xs = [float(p[0]) for p in points]
        ys = [float(p[1]) for p in points]
        box = (min(xs), min(ys), max(xs), max(ys))
        if not self._overlaps(box):
            return
        self._paint(("polygon", _fixed(xs, ys, box)), segment, material, box)

    def ellipse(self, centre: Sequence[float], axes: Sequence[float], segment: int,
                material: Material, angle: float = 0.0, start: float = 0.0,
                end: float = 360.0, thickness: float = -1) -> None:
        ax, ay = max(float(axes[0]), 0.5), max(float(axes[1]), 0.5)
        cx, cy = float(centre[0]), float(centre[1])
        reach = max(ax, ay) + max(thickness, 0)
        box = (cx - reach, cy - reach, cx + reach, cy + reach)
        if not self._overlaps(box):
            return
        width = -1 if thickness < 0 else max(1, round(thickness))
        self._paint(("ellipse", (round(cx * _ONE), round(cy * _ONE)),
                     (round(ax * _ONE), round(ay * _ONE)), angle, start, end, width),
                    segment, material, box)

    def rectangle(self, x0: float, y0: float, x1: float, y1: float, segment: int,
                  material: Material) -> None:
        self.polygon([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], segment, material)

    def line(self, points: Sequence[Sequence[float]] | np.ndarray, thickness: float,
             segment: int, material: Material) -> None:
        """A polyline as a band of quads (square ends), at least a pixel wide."""
        half = max(thickness, 1.2) / 2
        for (ax, ay), (bx, by) in zip(points[:-1], points[1:], strict=True):
            dx, dy = bx - ax, by - ay
            length = (dx * dx + dy * dy) ** 0.5
            if length < 1e-6:
                continue
            nx, ny = -dy / length * half, dx / length * half
            self.polygon([(ax + nx, ay + ny), (bx + nx, by + ny), (bx - nx, by - ny),
                          (ax - nx, ay - ny)], segment, material)

    def shadow_ellipse(self, centre: Sequence[float], axes: Sequence[float]) -> None:
        """A soft shadow on whatever is already painted there."""
        op = ("ellipse", (round(centre[0] * _ONE), round(centre[1] * _ONE)),
              (max(1, round(axes[0] * _ONE)), max(1, round(axes[1] * _ONE))), 0, 0, 360, -1)
        self._ops.append((op, self.item, None))
        _draw(self.shadows, op, len(self.materials))

    def shadow_polygon(self, points: Sequence[Sequence[float]] | np.ndarray) -> None:
        xs, ys = [float(p[0]) for p in points], [float(p[1]) for p in points]
        op = ("polygon", _fixed(xs, ys, (min(xs), min(ys), max(xs), max(ys))))
        self._ops.append((op, self.item, None))
        _draw(self.shadows, op, len(self.materials))

    def replay(self, skip: set[int] | frozenset[int]) -> Canvas:
        """The same drawing without the items in ``skip`` (same segments and materials)."""
        canvas = Canvas(self.height, self.width)
        canvas.segments, canvas.owner, canvas._stuff = self.segments, self.owner, self._stuff
        for op, item, primitive in self._ops:
            if item in skip:
                continue
            if primitive is None:
                canvas._ops.append((op, item, None))
                _draw(canvas.shadows, op, len(canvas.materials))
                continue
            canvas.item = item
            material, box = self.materials[primitive], self.boxes[primitive]
            canvas._paint(op, self.segment_of[primitive], material, box)
        return canvas

    # -- internals ------------------------------------------------------------------------
    def _overlaps(self, box: tuple[float, float, float, float]) -> bool:
        return box[2] >= 0 and box[0] < self.width and box[3] >= 0 and box[1] < self.height

    def _paint(self, op: tuple, segment: int, material: Material,
               box: tuple[float, float, float, float]) -> None:
        index = len(self.materials)
        if index > MAX_PRIMITIVES:
            raise OverflowError("a scene has at most 65535 primitives")
        self.materials.append(material)
        self.boxes.append(box)
        self.segment_of.append(segment)
        self.item_of.append(self.item)
        self._ops.append((op, self.item, index))
        _draw(self.primitives, op, index)


def _draw(target: np.ndarray, op: tuple, value: int) -> None:
    if op[0] == "polygon":
        cv2.fillPoly(target, [op[1]], value, cv2.LINE_8, SHIFT)
    else:
        _, centre, axes, angle, start, end, width = op
        cv2.ellipse(target, centre, axes, angle, start, end, value, width, cv2.LINE_8, SHIFT)


def _fixed(xs: list[float], ys: list[float], box: tuple[float, float, float, float]
           ) -> np.ndarray:
    """Points in OpenCV's fixed point; far outside the image is as good as clipped."""
    if box[0] < -_FAR or box[2] > _FAR or box[1] < -_FAR or box[3] > _FAR:
        xs = [min(max(x, -_FAR), _FAR) for x in xs]
        ys = [min(max(y, -_FAR), _FAR) for y in ys]
    return np.array([(int(x * _ONE + 0.5), int(y * _ONE + 0.5))
                     for x, y in zip(xs, ys, strict=True)], np.int32)
