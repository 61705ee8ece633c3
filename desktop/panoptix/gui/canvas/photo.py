"""The photo under the overlay, and both made ahead on the thread that reads an image.

Switching to a 12 MP image used to cost the GUI thread ~35 ms to turn the RGB array into
a QPixmap and ~90 ms to render the overlay. Both are now made where the image is read
(the session's loader thread calls :class:`DisplayPreparer`); the canvas then only adopts
them. The photo is kept as a QImage in the raster engine's native 32-bit format, which it
draws as fast as a pixmap, so no pixmap conversion is needed on the GUI thread at all.
Anything not prepared ahead (a test, a model result) is made on the spot, as before.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from panoptix.core.document import Document
from panoptix.gui.canvas.overlay import Lut, OverlayStyle, build_lut, render_box


@dataclass(frozen=True, eq=False)
class Photo:
    """A QImage over ``pixels`` (which it does not own, so both are kept together)."""

    pixels: np.ndarray
    image: QImage


def make_photo(rgb: np.ndarray) -> Photo:
    """The photo of an H x W x 3 ``uint8`` array, in a format drawn without conversion.
    Safe on any thread (QImage, unlike QPixmap, is not tied to the GUI thread)."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    height, width = rgb.shape[:2]
    if sys.byteorder == "little":  # 0xffRRGGBB words are B, G, R, 255 in memory
        pixels = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGRA)
        fmt = QImage.Format.Format_RGB32
    else:
        pixels = cv2.cvtColor(rgb, cv2.COLOR_RGB2RGBA)
        fmt = QImage.Format.Format_RGBX8888
    return Photo(pixels, QImage(pixels.data, width, height, width * 4, fmt))


def render_overlay(doc: Document, style: OverlayStyle) -> tuple[np.ndarray, Lut]:
    """A document's whole overlay (RGBA buffer and colour table) with nothing selected."""
    height, width = doc.shape
    rgba = np.zeros((height, width, 4), np.uint8)
    lut = build_lut(doc, style, frozenset())
    render_box(rgba.view(np.uint32)[:, :, 0], doc.id_map, lut, style)
    return rgba, lut


@dataclass(frozen=True, eq=False)
class _Prepared:
    rgb: np.ndarray
    photo: Photo
    doc: Document
    revision: int
    style: OverlayStyle
    overlay: tuple[np.ndarray, Lut]


class DisplayPreparer:
    """Called on a loader thread with each image and document it read; keeps the last
    one's photo and overlay until the canvas shows them."""

    def __init__(self, style: Callable[[], OverlayStyle]) -> None:
        self._style = style
        self._lock = threading.Lock()
        self._ready: _Prepared | None = None

    def __call__(self, rgb: np.ndarray, doc: Document) -> None:
        style = self._style()
        prepared = _Prepared(rgb, make_photo(rgb), doc, doc.revision, style,
                             render_overlay(doc, style))
        with self._lock:
            self._ready = prepared

    def photo_for(self, rgb: np.ndarray) -> Photo | None:
        with self._lock:
            ready = self._ready
        return ready.photo if ready is not None and ready.rgb is rgb else None

    def overlay_for(self, doc: Document, style: OverlayStyle) -> tuple[np.ndarray, Lut] | None:
        """``doc``'s overlay if it was made for this very document, unedited since, with
        ``style`` and nothing selected; handed over once."""
        with self._lock:
            ready, self._ready = self._ready, None
        if (ready is None or ready.doc is not doc or ready.revision != doc.revision
                or ready.style != style or doc.selection):
            return None
        return ready.overlay


class PhotoItem(QGraphicsItem):
    """Draws the photo, only the exposed part, without smoothing."""

    def __init__(self) -> None:
        super().__init__()
        self.photo: Photo | None = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)

    def set_photo(self, photo: Photo | None) -> None:
        self.prepareGeometryChange()
        self.photo = photo
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        if self.photo is None:
            return QRectF()
        return QRectF(self.photo.image.rect())

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        if self.photo is None:
            return
        image = self.photo.image
        exposed = option.exposedRect.toAlignedRect().intersected(image.rect())  # type: ignore[attr-defined]
        if not exposed.isEmpty():
            painter.drawImage(QRectF(exposed), image, QRectF(exposed))
