"""Refine edge: snap a segment's boundary to image edges inside a narrow band (GrabCut)."""

from __future__ import annotations

import cv2
import numpy as np

from panoptix.core.document import Document
from panoptix.core.edits import EditError
from panoptix.core.history import Command, MapPatch

BAND = 6
"""Refine edge (R): how far a boundary may move."""
FINE_BAND = 2
"""Refine edge finely (Shift+R): for an edge that is nearly right, or a small segment that
a 6 px band would swallow whole (GrabCut then has no certain foreground left)."""
WORK_PIXELS = 1_000_000
"""GrabCut runs on at most this many pixels; larger crops are cut at a reduced scale."""


def refine_edge(doc: Document, image_rgb: np.ndarray, segment_id: int, band: int = BAND,
                iterations: int = 3, work_pixels: int = WORK_PIXELS) -> bool:
    """Move ``segment_id``'s boundary by at most ``band`` pixels towards image edges.

    GrabCut starts from the segment: its interior (eroded by ``band``) is certain
    foreground, everything beyond the dilated band certain background, the band itself
    "probably" one or the other. Pixels the segment gives up go to the nearest neighbouring
    segment (or stay unlabeled), so adjacent segments don't open gaps. One undo step;
    returns False when nothing moved. GrabCut's cost grows with the crop, so a crop over
    ``work_pixels`` is cut at a reduced scale and the result upsampled; it can still move
    pixels only inside the full-resolution band.
    """
    if segment_id not in doc.segments:
        raise EditError("select a segment to refine")
    patch = refine_patch(doc.id_map, image_rgb, segment_id, doc.box(segment_id), band,
                         iterations, work_pixels)
    return apply_refine(doc, patch)


def apply_refine(doc: Document, patch: MapPatch | None) -> bool:
    """Record a patch from :func:`refine_patch` as one undo step."""
    if patch is None:
        return False
    doc.execute(Command("Refine edge", [patch]))
    return True


def refine_patch(id_map: np.ndarray, image_rgb: np.ndarray, segment_id: int,
                 box: tuple[int, int, int, int], band: int = BAND, iterations: int = 3,
                 work_pixels: int = WORK_PIXELS) -> MapPatch | None:
    """The change :func:`refine_edge` would make, computed from arrays alone (a copy of the
    map can be refined on another thread while the document stays editable)."""
    if image_rgb.shape[:2] != id_map.shape:
        raise EditError("the image and the annotation differ in size")
    height, width = id_map.shape
    y0, x0, y1, x1 = box
    margin = 3 * band
    y0, x0 = max(0, y0 - margin), max(0, x0 - margin)
    y1, x1 = min(height, y1 + margin), min(width, x1 + margin)
    before = id_map[y0:y1, x0:x1]
    inside = before == segment_id
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
    inner = cv2.erode(inside.astype(np.uint8), kernel).astype(bool)
    outer = cv2.dilate(inside.astype(np.uint8), kernel).astype(bool)
    labels = np.full(inside.shape, cv2.GC_BGD, np.uint8)
    labels[outer] = cv2.GC_PR_BGD
    labels[inside] = cv2.GC_PR_FGD
    labels[inner] = cv2.GC_FGD
    crop = np.ascontiguousarray(image_rgb[y0:y1, x0:x1, ::-1])
    refined = _grabcut(crop, labels, iterations, work_pixels)
    refined = (refined | inner) & outer
    after = before.copy()
    after[refined & ~inside] = segment_id
    lost = inside & ~refined
    if lost.any():
        after[lost] = _nearest_other(after, lost)
    return MapPatch.from_change((y0, x0, y1, x1), before, after)


def _grabcut(crop_bgr: np.ndarray, labels: np.ndarray, iterations: int,
             work_pixels: int) -> np.ndarray:
    """GrabCut's foreground for ``labels`` (initial GC_* classes), at full size."""
    height, width = labels.shape
    scale = min(1.0, float(np.sqrt(work_pixels / (height * width))))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    work_labels = labels if scale == 1.0 else cv2.resize(labels, size,
                                                          interpolation=cv2.INTER_NEAREST)
    work_image = crop_bgr if scale == 1.0 else cv2.resize(crop_bgr, size,
                                                          interpolation=cv2.INTER_AREA)
    background, foreground = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    try:
        cv2.grabCut(work_image, work_labels, None, background, foreground, iterations,
                    cv2.GC_INIT_WITH_MASK)
    except cv2.error as exc:  # e.g. a segment too thin to hold certain foreground
        raise EditError(f"cannot refine this segment: {exc.err}") from exc
    chosen = (work_labels == cv2.GC_FGD) | (work_labels == cv2.GC_PR_FGD)
    if scale == 1.0:
        return chosen
    return cv2.resize(chosen.astype(np.float32), (width, height),
                      interpolation=cv2.INTER_LINEAR) > 0.5


def _nearest_other(ids: np.ndarray, lost: np.ndarray) -> np.ndarray:
    """For each lost pixel, the id held by the nearest pixel of another segment or of the
    unlabeled area (0)."""
    owner = ids[lost][0]
    source = ~lost & (ids != owner)
    if not source.any():
        return np.zeros(int(lost.sum()), np.int32)
    _, nearest = cv2.distanceTransformWithLabels((~source).astype(np.uint8), cv2.DIST_L2, 5,
                                                 labelType=cv2.DIST_LABEL_PIXEL)
    ys, xs = np.nonzero(source)
    lookup = np.zeros(int(nearest.max()) + 1, np.int32)
    lookup[nearest[ys, xs]] = ids[ys, xs]
    return lookup[nearest[lost]]
