"""One scene: a layout of items, painted back to front, cleaned of specks, rendered.

The ground truth is *exact* in this sense: every pixel's segment is the segment of the
primitive painted last at that pixel, and the image pixel is rendered from that same
primitive. Nothing is drawn into the image that the labels do not have (no anti-aliased
edges from another layer, no object left out of the labels): only the final global blur
and noise mix neighbouring colours, as a camera does, while labels stay crisp. Things
that would show as a speck (any visible piece under :data:`MIN_FRAGMENT` pixels) are
taken out of the layout and the scene is painted again without them, so image and labels
lose them together; stuff has one segment per category and image.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from panoptix.core.categories import CategorySet
from panoptix.core.document import Document
from panoptix.core.segment import Segment
from panoptix.core.stats import region_stats
from panoptix.synth.camera import Camera
from panoptix.synth.canvas import Canvas
from panoptix.synth.categories import synth_categories
from panoptix.synth.pen import Pen
from panoptix.synth.render import Look, render

MIN_FRAGMENT = 20
"""Pixels: the smallest visible piece of a thing (8-connected) and of a stuff category."""
BACKGROUND = 1e12


@dataclass(frozen=True)
class Item:
    """One object of a layout: drawn by ``draw(pen, **arguments)`` with its own seed."""

    depth: float
    draw: Callable[..., None]
    arguments: dict
    seed: int
    base: bool = False
    """Base items (sky, ground) are never removed: they guarantee no pixel is void."""
    distance: float = float("inf")
    """Metres from the camera for the haze (inf: none, or the item fades by itself)."""


@dataclass
class Layout:
    """The items of a scene, added in any order; painting goes far to near."""

    rng: np.random.Generator
    items: list[Item] = field(default_factory=list)

    def add(self, depth: float, draw: Callable[..., None], **arguments: object) -> None:
        self.items.append(Item(depth, draw, arguments, int(self.rng.integers(1 << 62)),
                               distance=depth))

    def background(self, draw: Callable[..., None], base: bool = False,
                   distance: float = float("inf"), **arguments: object) -> None:
        """Painted before every depth-sorted item, in the order added."""
        self.items.append(Item(BACKGROUND - len(self.items), draw, arguments,
                               int(self.rng.integers(1 << 62)), base, distance))


@dataclass(frozen=True)
class Plan:
    camera: Camera
    layout: Layout
    look: Look


@dataclass(frozen=True)
class Scene:
    kind: str
    seed: int
    image: np.ndarray
    """``HxWx3`` uint8 RGB."""
    document: Document
    """The exact ground truth: segments ``1..N``, ``Segment(category_id)``."""
    removed: int = 0
    """Items left out because they would have shown as specks."""

    @property
    def id_map(self) -> np.ndarray:
        return self.document.id_map


def paint(plan: Plan, height: int, width: int) -> Canvas:
    canvas = Canvas(height, width)
    order = sorted(range(len(plan.layout.items)), key=lambda i: -plan.layout.items[i].depth)
    for index in order:
        item = plan.layout.items[index]
        canvas.item = index
        item.draw(Pen(canvas, plan.camera, plan.look.sun, random.Random(item.seed)),
                  **item.arguments)
    return canvas


def segment_map(canvas: Canvas) -> np.ndarray:
    return np.take(np.asarray(canvas.segment_of, np.int32), canvas.primitives)


def specks(canvas: Canvas, items: list[Item]) -> set[int]:
    """The removable items that show as specks: things with a visible piece under
    :data:`MIN_FRAGMENT` pixels, and what painted a stuff category that small."""
    segments = segment_map(canvas)
    ids, areas, boxes = region_stats(segments)
    found: set[int] = set()
    for segment, area, (y0, x0, y1, x1) in zip(ids.tolist(), areas.tolist(), boxes.tolist(),
                                              strict=True):
        if segment == 0:
            continue
        inside = segments[y0:y1, x0:x1] == segment
        if canvas.segments[segment][1]:
            if area < MIN_FRAGMENT or _smallest_piece(inside) < MIN_FRAGMENT:
                found.add(canvas.owner[segment])
        elif area < MIN_FRAGMENT:
            shown = np.unique(canvas.primitives[y0:y1, x0:x1][inside])
            found.update(canvas.item_of[p] for p in shown.tolist())
    return {i for i in found if i >= 0 and not items[i].base}


def _smallest_piece(mask: np.ndarray) -> int:
    count, _labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8),
                                                                connectivity=8)
    return int(stats[1:count, cv2.CC_STAT_AREA].min()) if count > 1 else 0


def to_document(canvas: Canvas, categories: CategorySet) -> Document:
    """Segments renumbered ``1..N`` in painting order; void stays 0."""
    segments = segment_map(canvas)
    present = np.flatnonzero(np.bincount(segments.ravel(), minlength=len(canvas.segments)))
    present = present[present > 0]
    renumber = np.zeros(len(canvas.segments), np.int32)
    renumber[present] = np.arange(1, len(present) + 1, dtype=np.int32)
    table = {int(renumber[s]): Segment(canvas.segments[s][0]) for s in present.tolist()}
    return Document(np.take(renumber, segments), table, categories)


def build(kind: str, seed: int, plan: Plan, height: int, width: int,
          render_rng: np.random.Generator, blur: float | None) -> Scene:
    """Paint, drop specks (repainting until none is left), render."""
    look = plan.look if blur is None else replace(plan.look, blur=float(blur))
    first = canvas = paint(plan, height, width)
    skip: set[int] = set()
    while True:
        found = specks(canvas, plan.layout.items) - skip
        if not found:
            break
        skip |= found
        canvas = first.replay(skip)
    distances = np.array([np.inf] + [plan.layout.items[i].distance
                                     for i in canvas.item_of[1:]], np.float64)
    image = render(canvas, look, render_rng, distances)
    return Scene(kind, seed, image, to_document(canvas, synth_categories()), len(skip))
