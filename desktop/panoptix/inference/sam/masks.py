"""A SAM low-resolution mask (logits) as the image's pixels, computed only where it can be on.

The processors' ``post_process_masks`` upsample each mask to the whole image with bilinear
interpolation (``align_corners=False``) and keep the pixels above the mask threshold; SAM
first upsamples to the padded input square and crops the padding off. At 12 MP that is
36 million interpolated values per candidate. Here the same interpolation is evaluated
only on the rows and columns whose two source samples can include a positive one (a
bilinear value is a convex mix of its four neighbours, so elsewhere it cannot exceed the
threshold), with torch's own source index and weight rule, so the pixels are those of the
processor's result (tests compare them).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from panoptix.core.stats import Box, tight_box
from panoptix.inference.sam.frame import ModelFrame

MASK_THRESHOLD = 0.0
"""Logit above which a pixel is in the mask (the processors' ``mask_threshold``)."""


def source_index(out_size: int, in_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each output position along one axis: the two source samples and the weight of
    the second, as torch's ``upsample_bilinear2d`` computes them (``align_corners=False``)."""
    scale = np.float32(in_size) / np.float32(out_size)
    real = scale * (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) - np.float32(0.5)
    real = np.maximum(real, np.float32(0.0))
    first = real.astype(np.int64)
    second = first + (first < in_size - 1)
    weight = np.clip(real - first.astype(np.float32), 0.0, 1.0).astype(np.float32)
    return first, second, weight


def upscale(logits: Any, frame: ModelFrame,
            threshold: float = MASK_THRESHOLD) -> tuple[Box, np.ndarray] | None:
    """The mask of a (h, w) low-resolution logit tensor at the image's size: its tight box
    ``(y0, x0, y1, x1)`` and the boolean mask inside it; None when it is empty."""
    import torch
    from torch.nn import functional

    source = torch.as_tensor(logits).detach().to("cpu", torch.float32)
    if frame.keep_aspect:  # SAM: to the padded square, then the image's part of it
        side = frame.input_size
        source = functional.interpolate(source[None, None], size=(side, side),
                                        mode="bilinear", align_corners=False)[0, 0]
        resized_h, resized_w = frame.resized
        source = source[:resized_h, :resized_w]
    values = source.numpy()
    positive = values > threshold
    if not positive.any():
        return None
    height, width = frame.image_size
    rows, cols = source_index(height, values.shape[0]), source_index(width, values.shape[1])
    # A pixel's value mixes the 2x2 source samples of its cell: all above the threshold,
    # it is in; all below, out; only the cells between need the interpolation itself.
    r0, r1, c0, c1 = rows[0], rows[1], cols[0], cols[1]
    y0, y1 = _span(positive.any(axis=1), r0, r1)
    x0, x1 = _span(positive.any(axis=0), c0, c1)
    below = np.minimum(np.arange(positive.shape[0]) + 1, positive.shape[0] - 1)
    right = np.minimum(np.arange(positive.shape[1]) + 1, positive.shape[1] - 1)
    corners = (positive, positive[below], positive[:, right], positive[below][:, right])
    all_in = corners[0] & corners[1] & corners[2] & corners[3]
    some_in = corners[0] | corners[1] | corners[2] | corners[3]
    inside = _expand(all_in, r0[y0:y1], c0[x0:x1])
    ys, xs = _pixels_of(np.nonzero(some_in & ~all_in), r0[y0:y1], c0[x0:x1])
    if ys.size:
        inside[ys, xs] = _bilinear(values, rows, cols, ys + y0, xs + x0) > threshold
    box = tight_box(inside)
    if box is None:
        return None
    iy0, ix0, iy1, ix1 = box
    return (y0 + iy0, x0 + ix0, y0 + iy1, x0 + ix1), np.ascontiguousarray(
        inside[iy0:iy1, ix0:ix1])


def _span(any_positive: np.ndarray, first: np.ndarray,
          second: np.ndarray) -> tuple[int, int]:
    """The output positions along one axis with a positive source sample among their two."""
    hit = any_positive[first] | any_positive[second]
    where = np.flatnonzero(hit)
    return int(where[0]), int(where[-1]) + 1


def _expand(cells: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``cells[rows][:, cols]`` for non-decreasing ``rows`` and ``cols``, by repeating."""
    block = cells[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    block = np.repeat(block, np.bincount(rows - rows[0]), axis=0)
    return np.repeat(block, np.bincount(cols - cols[0]), axis=1)


def _pixels_of(cells: tuple[np.ndarray, np.ndarray], rows: np.ndarray,
               cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The output pixels (row, column) of the given source cells, for non-decreasing
    ``rows`` and ``cols`` (each output position's first source sample)."""
    cell_rows, cell_cols = cells
    row_start = np.searchsorted(rows, cell_rows, "left")
    row_count = np.searchsorted(rows, cell_rows, "right") - row_start
    col_start = np.searchsorted(cols, cell_cols, "left")
    col_count = np.searchsorted(cols, cell_cols, "right") - col_start
    sizes = row_count * col_count
    if not sizes.sum():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    cell = np.repeat(np.arange(sizes.size), sizes)
    local = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    width = col_count[cell]
    return row_start[cell] + local // width, col_start[cell] + local % width


def _bilinear(values: np.ndarray, rows: tuple, cols: tuple, ys: np.ndarray,
              xs: np.ndarray) -> np.ndarray:
    """Bilinear samples of ``values`` at output pixels (``ys``, ``xs``), torch's way:
    along x first, then y, in float32."""
    r0, r1, wy = (a[ys] for a in rows)
    c0, c1, wx = (a[xs] for a in cols)
    one = np.float32(1.0)
    top = (one - wx) * values[r0, c0] + wx * values[r0, c1]
    bottom = (one - wx) * values[r1, c0] + wx * values[r1, c1]
    return (one - wy) * top + wy * bottom
