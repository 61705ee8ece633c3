"""The segment overlay: an RGBA image computed from the id map through a colour lookup table.

The RGBA buffer is a numpy array that a QImage shares without copying. Every segment id
indexes a ``uint32`` lookup table (one packed RGBA word per id), so colouring a region is a
single ``take``; after an edit only the changed box is recoloured. Boundaries are pixels
whose id differs from the right or lower neighbour, so a box is grown by one pixel before it
is redrawn (the pixels just outside an edit may gain or lose a boundary): a brush dab on a
segment that covers the whole image redraws only the dab's box, boundaries included.

What the table holds depends on the segment table, the selection and the view options
(:class:`OverlayStyle`); a change of a segment's *area* (every brush dab) leaves it alone,
so a dab never recolours anything outside its box. :func:`render_box` is a pure function
of the map, the table and the style, so a whole image can be rendered on a loader thread
(see ``prepared.py``).
"""

from __future__ import annotations

import colorsys
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from panoptix.core.document import Document
from panoptix.core.segment import Segment
from panoptix.core.stats import Box, union_box

UNLABELED_HIGHLIGHT = (255, 0, 255, 200)
BOUNDARY = (20, 20, 20, 255)
SELECTED_BOUNDARY = (255, 255, 255, 255)
UNKNOWN_CATEGORY = (128, 128, 128)
GOLDEN = 0.618033988749895


def pack_rgba(r: int, g: int, b: int, a: int) -> int:
    """One RGBA pixel as the ``uint32`` whose bytes in memory are r, g, b, a."""
    return int(np.array([r, g, b, a], np.uint8).view(np.uint32)[0])


LINE = np.uint32(pack_rgba(*BOUNDARY))
SELECTED_LINE = np.uint32(pack_rgba(*SELECTED_BOUNDARY))


def instance_shade(color: tuple[int, int, int], segment_id: int) -> tuple[int, int, int]:
    """Vary a thing's colour a little per instance so neighbours of one class differ."""
    factor = 0.78 + 0.36 * ((segment_id * 0.381966) % 1.0)
    return tuple(min(255, round(c * factor)) for c in color)  # type: ignore[return-value]


def instance_color(segment_id: int) -> tuple[int, int, int]:
    """A colour of its own per segment ("colour by instance"): hues a golden angle apart,
    so consecutive ids (neighbours, usually) never look alike."""
    hue = (segment_id * GOLDEN) % 1.0
    value = 0.95 if segment_id % 2 else 0.78
    r, g, b = colorsys.hsv_to_rgb(hue, 0.72, value)
    return round(r * 255), round(g * 255), round(b * 255)


def lighten(color: tuple[int, int, int], amount: float = 0.45) -> tuple[int, int, int]:
    return tuple(round(c + (255 - c) * amount) for c in color)  # type: ignore[return-value]


@dataclass(frozen=True)
class OverlayStyle:
    """The view options the overlay's colours depend on."""

    show_boundaries: bool = True
    highlight_unlabeled: bool = False
    color_by_instance: bool = False
    hidden_categories: frozenset[int] = frozenset()
    """Categories not drawn (hidden, or not soloed while others are)."""


@dataclass(frozen=True, eq=False)
class Lut:
    """Per segment id: its packed colour, whether it is selected, whether it is shown."""

    colors: np.ndarray
    selected: np.ndarray
    shown: np.ndarray
    entries: dict[int, Segment] = field(default_factory=dict)
    """The table entries the colours were made from (to tell when they are stale)."""

    @property
    def any_selected(self) -> bool:
        return bool(self.selected.any())


def build_lut(doc: Document, style: OverlayStyle, selection: frozenset[int]) -> Lut:
    """Colours per segment id from the categories, the selection and the style."""
    size = max(doc.segments, default=0) + 1
    rgba = np.zeros((size, 4), np.uint8)
    selected = np.zeros(size, bool)
    shown = np.ones(size, bool)
    for segment_id, segment in doc.segments.items():
        category = doc.categories.get(segment.category_id)
        if style.color_by_instance:
            color = instance_color(segment_id)
        else:
            color = category.color if category is not None else UNKNOWN_CATEGORY
            if category is not None and category.isthing:
                color = instance_shade(color, segment_id)
        if segment_id in selection:
            color = lighten(color)
            selected[segment_id] = True
        shown[segment_id] = segment.category_id not in style.hidden_categories
        if shown[segment_id]:
            rgba[segment_id] = (*color, 255)
    rgba[0] = UNLABELED_HIGHLIGHT if style.highlight_unlabeled else (0, 0, 0, 0)
    return Lut(rgba.view(np.uint32)[:, 0].copy(), selected, shown, dict(doc.segments))


def render_box(out: np.ndarray, id_map: np.ndarray, lut: Lut, style: OverlayStyle,
               box: Box | None = None) -> Box | None:
    """Recolour ``box`` of ``out`` (an H x W ``uint32`` view of the RGBA buffer), grown by
    the one pixel its boundaries may reach; all of the map when None. Returns the box
    actually drawn. Touches nothing but ``out``, so it may run on any thread; a big box is
    drawn in bands on a few threads (numpy lets go of the GIL while it gathers)."""
    height, width = id_map.shape
    if box is None:
        box = (0, 0, height, width)
    y0, x0 = max(0, box[0] - 1), max(0, box[1] - 1)
    y1, x1 = min(height, box[2] + 1), min(width, box[3] + 1)
    if y0 >= y1 or x0 >= x1:
        return None
    rows = y1 - y0
    bands = min(_BAND_THREADS, rows * (x1 - x0) // BAND_PIXELS)
    if bands > 1:
        cuts = [y0 + rows * i // bands for i in range(bands + 1)]
        list(_bands().map(lambda i: _render_rows(out, id_map, lut, style, cuts[i],
                                                 cuts[i + 1], x0, x1), range(bands)))
    else:
        _render_rows(out, id_map, lut, style, y0, y1, x0, x1)
    return y0, x0, y1, x1


def recolour_segments(out: np.ndarray, id_map: np.ndarray, lut: Lut, style: OverlayStyle,
                      segment_ids: set[int] | frozenset[int], box: Box) -> Box | None:
    """Redraw only the pixels of ``segment_ids`` inside ``box`` (which holds them all),
    after their colours changed (selected, relabelled). No other pixel can change: a
    pixel's look depends on its own id's colours and on whether its neighbours' ids
    differ, never on their colours. Cheaper than :func:`render_box` on a big segment: no
    lookup over the box, and its boundary comes from its own mask (a pixel of it is on
    the boundary when its right or lower neighbour is not)."""
    y0, x0, y1, x1 = box
    if y0 >= y1 or x0 >= x1 or not segment_ids:
        return None
    rows, cols = y1 - y0, x1 - x0
    target = out[y0:y1, x0:x1]
    boundary = pack_rgba(*BOUNDARY)
    selected_boundary = pack_rgba(*SELECTED_BOUNDARY)
    for segment_id in segment_ids:
        inside = id_map[y0:y1 + 1, x0:x1 + 1] == segment_id  # one more row, column if any
        mask = inside[:rows, :cols]
        index = min(segment_id, lut.colors.size - 1)
        np.copyto(target, lut.colors[index], where=mask)
        if not style.show_boundaries or not lut.shown[index]:
            continue
        edge = np.zeros((rows, cols), bool)
        right = inside[:rows, 1:cols + 1]  # the map's last column has no right neighbour
        edge[:, :right.shape[1]] = mask[:, :right.shape[1]] & ~right
        down = inside[1:rows + 1, :cols]
        edge[:down.shape[0]] |= mask[:down.shape[0]] & ~down
        np.copyto(target, np.uint32(selected_boundary if lut.selected[index] else boundary),
                  where=edge)
    return box


BAND_PIXELS = 1_000_000
"""Boxes above this many pixels are drawn in bands of about this size, in parallel."""
_BAND_THREADS = max(1, min(4, os.cpu_count() or 1))
_pool: ThreadPoolExecutor | None = None


def _bands() -> ThreadPoolExecutor:
    global _pool  # noqa: PLW0603 - one small pool for the process, made on first use
    if _pool is None:
        _pool = ThreadPoolExecutor(_BAND_THREADS, thread_name_prefix="panoptix-overlay")
    return _pool


def _render_rows(out: np.ndarray, id_map: np.ndarray, lut: Lut, style: OverlayStyle,
                 y0: int, y1: int, x0: int, x1: int) -> None:
    ids = id_map[y0:y1, x0:x1]
    packed = lut.colors.take(ids, mode="clip")
    hidden = bool(style.hidden_categories)
    if style.show_boundaries:
        edge = _edges(ids, id_map[y0:y1 + 1, x0:x1 + 1])
        if lut.any_selected or hidden:
            on_edge = ids[edge]  # boundary pixels are few: look only at them
            looks = np.where(lut.selected.take(on_edge, mode="clip"), SELECTED_LINE, LINE)
            if hidden:
                looks[~lut.shown.take(on_edge, mode="clip")] = 0
            packed[edge] = looks
        else:
            np.copyto(packed, LINE, where=edge)
    out[y0:y1, x0:x1] = packed


def _edges(ids: np.ndarray, extended: np.ndarray) -> np.ndarray:
    """Pixels whose right or lower neighbour (in ``extended``, one more row and column
    where the map has them) has another id."""
    rows, cols = ids.shape
    edge = np.zeros(ids.shape, bool)
    right = extended[:rows, 1:cols + 1]
    np.not_equal(ids[:, :right.shape[1]], right, out=edge[:, :right.shape[1]])
    down = extended[1:rows + 1, :cols]
    edge[:down.shape[0]] |= ids[:down.shape[0]] != down
    return edge


class OverlayRenderer:
    """Keeps ``rgba`` (and the QImage ``image`` over it) in step with a document's id map."""

    def __init__(self) -> None:
        self.style = OverlayStyle()
        self.doc: Document | None = None
        self.rgba = np.zeros((1, 1, 4), np.uint8)
        self.image = QImage()
        self.lut = Lut(np.zeros(1, np.uint32), np.zeros(1, bool), np.ones(1, bool))

    # the two toggles the window sets one by one
    @property
    def show_boundaries(self) -> bool:
        return self.style.show_boundaries

    @show_boundaries.setter
    def show_boundaries(self, on: bool) -> None:
        self.style = replace(self.style, show_boundaries=bool(on))

    @property
    def highlight_unlabeled(self) -> bool:
        return self.style.highlight_unlabeled

    @highlight_unlabeled.setter
    def highlight_unlabeled(self, on: bool) -> None:
        self.style = replace(self.style, highlight_unlabeled=bool(on))

    def set_document(self, doc: Document | None,
                     rendered: tuple[np.ndarray, Lut] | None = None) -> None:
        """Show ``doc``; ``rendered`` is its RGBA buffer and table made ahead (on a loader
        thread) for the current style, else all of it is rendered here."""
        self.doc = doc
        if doc is not None and rendered is not None:
            self.rgba, self.lut = rendered
        else:
            height, width = doc.shape if doc is not None else (1, 1)
            self.rgba = np.zeros((height, width, 4), np.uint8)
            self.rebuild_lut()
            self.render()
        height, width = self.rgba.shape[:2]
        self.image = QImage(self.rgba.data, width, height, width * 4,
                            QImage.Format.Format_RGBA8888)

    def rebuild_lut(self) -> None:
        """Colours per segment id from the categories, the selection and the style."""
        if self.doc is not None:
            self.lut = build_lut(self.doc, self.style, self.doc.selection)

    def render(self, box: Box | None = None) -> Box | None:
        """Recolour ``box`` (all of the map when None); returns the box actually redrawn."""
        if self.doc is None:
            return None
        return render_box(self.rgba.view(np.uint32)[:, :, 0], self.doc.id_map, self.lut,
                          self.style, box)

    def recolour(self, ids: frozenset[int] | set[int]) -> Box | None:
        """Redraw the pixels of segments whose colours changed; returns the box redrawn."""
        present = {i for i in ids if self.doc is not None and self.doc.area(i) > 0}
        box = self.boxes_of(present)
        if box is None or self.doc is None:
            return None
        return recolour_segments(self.rgba.view(np.uint32)[:, :, 0], self.doc.id_map,
                                 self.lut, self.style, present, box)

    def stale_ids(self, ids: frozenset[int] | set[int]) -> set[int]:
        """Those of ``ids`` whose table entry changed since the colours were made (added,
        removed, relabelled); a segment that only grew or shrank is not stale."""
        doc = self.doc
        if doc is None:
            return set()
        entries = self.lut.entries
        return {i for i in ids if entries.get(i) is not doc.segments.get(i)}

    def boxes_of(self, ids: frozenset[int] | set[int]) -> Box | None:
        """The union of the current boxes of those segments that still have pixels (one
        that a brush stroke in progress took over is still in the table, with no box)."""
        doc = self.doc
        box = None
        if doc is not None:
            for segment_id in ids:
                if doc.area(segment_id) > 0:
                    box = union_box(box, doc.box(segment_id))
        return box


class OverlayItem(QGraphicsItem):
    """Draws the renderer's image, only the exposed part, without smoothing."""

    def __init__(self, renderer: OverlayRenderer) -> None:
        super().__init__()
        self.renderer = renderer
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        if self.renderer.doc is None:
            return QRectF()
        height, width = self.renderer.doc.shape
        return QRectF(0, 0, width, height)

    def refresh(self, box: Box | None = None) -> None:
        """Schedule a repaint of ``box`` (y0, x0, y1, x1), or of everything."""
        if box is None:
            self.prepareGeometryChange()
            self.update()
        else:
            y0, x0, y1, x1 = box
            self.update(QRectF(x0, y0, x1 - x0, y1 - y0))

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        image = self.renderer.image
        if image.isNull():
            return
        exposed = option.exposedRect.toAlignedRect().intersected(image.rect())  # type: ignore[attr-defined]
        if not exposed.isEmpty():
            painter.drawImage(QRectF(exposed), image, QRectF(exposed))
