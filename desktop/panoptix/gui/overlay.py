"""The segment overlay: an RGBA image computed from the id map through a colour lookup table.

The RGBA buffer is a numpy array that a QImage shares without copying. Every segment id
indexes a ``uint32`` lookup table (one packed RGBA word per id), so colouring a region is a
single ``take``; after an edit only the changed box is recoloured. Boundaries are pixels
whose id differs from the right or lower neighbour, so a box is grown by one pixel before it
is redrawn (the pixels just outside an edit may gain or lose a boundary).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from panoptix.core.document import Document
from panoptix.core.stats import Box, union_box

UNLABELED_HIGHLIGHT = (255, 0, 255, 200)
BOUNDARY = (20, 20, 20, 255)
SELECTED_BOUNDARY = (255, 255, 255, 255)
UNKNOWN_CATEGORY = (128, 128, 128)


def pack_rgba(r: int, g: int, b: int, a: int) -> int:
    """One RGBA pixel as the ``uint32`` whose bytes in memory are r, g, b, a."""
    return int(np.array([r, g, b, a], np.uint8).view(np.uint32)[0])


def instance_shade(color: tuple[int, int, int], segment_id: int) -> tuple[int, int, int]:
    """Vary a thing's colour a little per instance so neighbours of one class differ."""
    factor = 0.78 + 0.36 * ((segment_id * 0.381966) % 1.0)
    return tuple(min(255, round(c * factor)) for c in color)  # type: ignore[return-value]


def lighten(color: tuple[int, int, int], amount: float = 0.45) -> tuple[int, int, int]:
    return tuple(round(c + (255 - c) * amount) for c in color)  # type: ignore[return-value]


class OverlayRenderer:
    """Keeps ``rgba`` (and the QImage ``image`` over it) in step with a document's id map."""

    def __init__(self) -> None:
        self.show_boundaries = True
        self.highlight_unlabeled = False
        self.doc: Document | None = None
        self.rgba = np.zeros((1, 1, 4), np.uint8)
        self.image = QImage()
        self._lut = np.zeros(1, np.uint32)
        self._selected = np.zeros(1, bool)

    def set_document(self, doc: Document | None) -> None:
        self.doc = doc
        height, width = doc.shape if doc is not None else (1, 1)
        self.rgba = np.zeros((height, width, 4), np.uint8)
        self.image = QImage(self.rgba.data, width, height, width * 4, QImage.Format.Format_RGBA8888)
        self.rebuild_lut()
        self.render()

    def rebuild_lut(self) -> None:
        """Colours per segment id from the categories, the selection and the toggles."""
        doc = self.doc
        if doc is None:
            return
        size = max(doc.segments, default=0) + 1
        lut = np.zeros(size, np.uint32)
        selected = np.zeros(size, bool)
        for segment_id, segment in doc.segments.items():
            category = doc.categories.get(segment.category_id)
            color = category.color if category is not None else UNKNOWN_CATEGORY
            if category is not None and category.isthing:
                color = instance_shade(color, segment_id)
            if segment_id in doc.selection:
                color = lighten(color)
                selected[segment_id] = True
            lut[segment_id] = pack_rgba(*color, 255)
        lut[0] = pack_rgba(*UNLABELED_HIGHLIGHT) if self.highlight_unlabeled else 0
        self._lut, self._selected = lut, selected

    def render(self, box: Box | None = None) -> Box | None:
        """Recolour ``box`` (all of the map when None); returns the box actually redrawn."""
        doc = self.doc
        if doc is None:
            return None
        height, width = doc.shape
        if box is None:
            box = (0, 0, height, width)
        y0, x0 = max(0, box[0] - 1), max(0, box[1] - 1)
        y1, x1 = min(height, box[2] + 1), min(width, box[3] + 1)
        if y0 >= y1 or x0 >= x1:
            return None
        id_map = doc.id_map
        ids = id_map[y0:y1, x0:x1]
        packed = self._lut.take(ids, mode="clip")
        if self.show_boundaries:
            self._draw_boundaries(packed, ids, id_map[y0:y1 + 1, x0:x1 + 1])
        self.rgba.view(np.uint32)[y0:y1, x0:x1, 0] = packed
        return y0, x0, y1, x1

    def _draw_boundaries(self, packed: np.ndarray, ids: np.ndarray,
                         extended: np.ndarray) -> None:
        rows, cols = ids.shape
        edge = np.zeros(ids.shape, bool)
        right = extended[:rows, 1:cols + 1]
        edge[:, :right.shape[1]] |= ids[:, :right.shape[1]] != right
        down = extended[1:rows + 1, :cols]
        edge[:down.shape[0]] |= ids[:down.shape[0]] != down
        on_selected = self._selected.take(ids, mode="clip") & edge
        packed[edge] = pack_rgba(*BOUNDARY)
        packed[on_selected] = pack_rgba(*SELECTED_BOUNDARY)

    def boxes_of(self, ids: frozenset[int] | set[int]) -> Box | None:
        """The union of the current boxes of the given segments that still have pixels
        (a brush stroke may empty a segment before it ends and drops it from the table)."""
        doc = self.doc
        box = None
        if doc is not None:
            for segment_id in ids:
                if segment_id in doc.segments and doc.area(segment_id):
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
