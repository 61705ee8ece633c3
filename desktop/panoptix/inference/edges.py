"""Snapping a segmentation's boundaries to the image's edges (a guided filter).

A Mask2Former's masks come out at a quarter of its input size, so at the image's size
every boundary is a smooth, blurred curve that cuts across the object's true outline by a
few pixels. Here each segment's indicator (1 inside, 0 outside) is filtered with the
grey image as the guide (He, Sun and Tang, "Guided Image Filtering", ECCV 2010 / TPAMI
2013): within ``radius`` pixels of a boundary, the filtered indicator follows the image's
intensity edges, and each pixel goes to the segment whose filtered indicator is highest.
Only pixels within two radii of a boundary can change, and a segment keeps its id, label
and score. Snapping moves boundaries, it does not delete: a segment that would keep less
than half of its pixels (a small object inside the filter's window) is left as it was.

This is a decision rule on the working grid, as the thresholds are: nothing is learnt and
the raw outputs are untouched, so the threshold panel switches it on and off from the
kept outputs.
"""

from __future__ import annotations

import cv2
import numpy as np

from panoptix.inference.boxes import id_boxes

EPSILON = 1e-3
"""The guided filter's regulariser, for a guide in [0, 1]: an edge whose contrast over the
window (standard deviation) is well above sqrt(EPSILON) ~ 0.03 steers the boundary."""
KEPT_AT_LEAST = 0.5
"""A segment that would keep less than this share of its pixels is not snapped."""
RADIUS_PER_CELL = 1.5
"""The filter's radius in mask-grid cells: about the width of the blur that upsampling
the masks leaves on a boundary."""


def edge_guide(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The guide for an RGB (or grey) ``image``: grey, uint8, at ``shape`` (h, w)."""
    grey = image if image.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(image[..., :3]),
                                                     cv2.COLOR_RGB2GRAY)
    if grey.dtype != np.uint8:
        grey = np.clip(grey, 0, 255).astype(np.uint8)
    if grey.shape != tuple(shape):
        grey = cv2.resize(grey, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    return grey


def snap_radius(mask_shape: tuple[int, int], grid_shape: tuple[int, int]) -> int:
    """The filter radius on a ``grid_shape`` map made from ``mask_shape`` masks."""
    scale = max(grid_shape) / max(1, max(mask_shape))
    return max(1, round(RADIUS_PER_CELL * scale))


def snap_to_edges(id_map: np.ndarray, guide: np.ndarray, radius: int,
                  epsilon: float = EPSILON) -> np.ndarray:
    """``id_map`` (int, 0 = unlabeled, which competes as a segment too) with its
    boundaries moved onto ``guide``'s edges (uint8 grey of the same shape).

    Each segment is filtered inside its box grown by twice the radius, which gives exactly
    the whole-image result: farther out its indicator is 0 throughout every window."""
    if guide.shape != id_map.shape:
        raise ValueError(f"guide {guide.shape} and map {id_map.shape} differ in size")
    boxes = id_boxes(id_map, margin=2 * radius + 1)
    if len(boxes) < 2 or radius < 1:
        return id_map
    image = guide.astype(np.float32) / 255.0
    best = np.full(id_map.shape, -np.inf, np.float32)
    snapped = id_map.copy()
    regions = []
    for segment_id, box in boxes.items():
        own = id_map[box] == segment_id
        filtered = _guided(own.astype(np.float32), image[box], radius, epsilon)
        window = best[box]
        wins = filtered > window
        window[wins] = filtered[wins]
        snapped[box][wins] = segment_id
        regions.append((segment_id, box, own))
    for segment_id, box, own in regions:
        if np.count_nonzero(snapped[box][own] == segment_id) < KEPT_AT_LEAST * own.sum():
            snapped[box][own] = segment_id
    return snapped


def _guided(indicator: np.ndarray, guide: np.ndarray, radius: int,
            epsilon: float) -> np.ndarray:
    size = (2 * radius + 1, 2 * radius + 1)

    def mean(values: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(values, -1, size, borderType=cv2.BORDER_REFLECT)

    mean_guide, mean_indicator = mean(guide), mean(indicator)
    variance = mean(guide * guide) - mean_guide * mean_guide
    covariance = mean(guide * indicator) - mean_guide * mean_indicator
    slope = covariance / (variance + epsilon)
    offset = mean_indicator - slope * mean_guide
    return mean(slope) * guide + mean(offset)
