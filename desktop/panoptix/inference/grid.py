"""Per-pixel decisions over bilinearly upsampled maps, computed only where they can change.

Bilinear upsampling makes every output pixel a convex combination of the four low-resolution
samples around it (its *cell*). So when one map is the largest at all four corners of a
cell, it is the largest at every pixel of that cell; when a map is above a threshold at all
four corners (or below at all four), so is every pixel in between. Only *mixed* cells,
along boundaries, need their pixels interpolated: a few percent of the image instead of a
(K, H, W) stack. Sampling follows torch's and OpenCV's bilinear resize (pixel centres,
``align_corners=False``, edges clamped).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Axis:
    """Where each of ``size`` output positions samples a source axis of ``source`` points."""

    low: np.ndarray
    """(size,) the source sample at or before each output position."""
    frac: np.ndarray
    """(size,) float32 weight of the sample after ``low``."""
    start: np.ndarray
    """(source,) first output position whose ``low`` is each source sample."""
    count: np.ndarray
    """(source,) how many output positions have that ``low`` (they are consecutive)."""
    following: np.ndarray
    """(source,) the sample after each one, clamped at the edge."""

    @classmethod
    def between(cls, source: int, size: int) -> Axis:
        position = (np.arange(size, dtype=np.float64) + 0.5) * (source / size) - 0.5
        low = np.clip(np.floor(position), 0, source - 1).astype(np.intp)
        frac = np.clip(position - low, 0.0, 1.0).astype(np.float32)
        count = np.bincount(low, minlength=source)
        return cls(low, frac, np.cumsum(count) - count, count,
                   np.minimum(np.arange(source) + 1, source - 1))


@dataclass(frozen=True)
class CellPixels:
    """The output pixels of some cells: ``cell`` indexes the cells given, ``y``/``x`` the
    output grid, ``weights`` (P, 4) the bilinear weights of the corners
    (top-left, bottom-left, top-right, bottom-right)."""

    cell: np.ndarray
    y: np.ndarray
    x: np.ndarray
    weights: np.ndarray


class Grid:
    """Bilinear sampling of (h, w) maps onto an (H, W) output grid."""

    def __init__(self, source: tuple[int, int], shape: tuple[int, int]) -> None:
        self.shape = shape
        self.rows = Axis.between(source[0], shape[0])
        self.cols = Axis.between(source[1], shape[1])

    def corners(self, maps: np.ndarray) -> tuple[np.ndarray, ...]:
        """A (..., h, w) array's values at each cell's four corners, in ``CellPixels`` order."""
        below = maps[..., self.rows.following, :]
        return (maps, below, maps[..., self.cols.following], below[..., self.cols.following])

    def corner_indices(self, cell_y: np.ndarray, cell_x: np.ndarray
                       ) -> list[tuple[np.ndarray, np.ndarray]]:
        """The (y, x) source indices of the given cells' four corners."""
        below, right = self.rows.following[cell_y], self.cols.following[cell_x]
        return [(cell_y, cell_x), (below, cell_x), (cell_y, right), (below, right)]

    def spread(self, cell_values: np.ndarray) -> np.ndarray:
        """Each output pixel takes its cell's value (a nearest-cell upsampling)."""
        return cell_values[self.rows.low][:, self.cols.low]

    def pixels_per_cell(self) -> np.ndarray:
        """(h, w) how many output pixels each cell holds."""
        return np.outer(self.rows.count, self.cols.count)

    def pixels(self, cell_y: np.ndarray, cell_x: np.ndarray) -> CellPixels:
        """Every output pixel of the cells ``(cell_y, cell_x)``.

        Cells come in a handful of block sizes (the scale rounded down or up), so each
        size is enumerated as one dense block array.
        """
        rows, cols = self.rows, self.cols
        height, width = rows.count[cell_y], cols.count[cell_x]
        size_key = height * (int(width.max(initial=0)) + 1) + width
        cells, ys, xs = [], [], []
        for key in np.unique(size_key):
            chosen = np.flatnonzero(size_key == key)
            block = (chosen.size, int(height[chosen[0]]), int(width[chosen[0]]))
            y = rows.start[cell_y[chosen]][:, None, None] + np.arange(block[1])[:, None]
            x = cols.start[cell_x[chosen]][:, None, None] + np.arange(block[2])
            cells.append(np.repeat(chosen, block[1] * block[2]))
            ys.append(np.broadcast_to(y, block).ravel())
            xs.append(np.broadcast_to(x, block).ravel())
        cell, y, x = (np.concatenate(parts) if parts else np.zeros(0, np.intp)
                      for parts in (cells, ys, xs))
        fy, fx = rows.frac[y], cols.frac[x]
        gy, gx = 1 - fy, 1 - fx
        weights = np.stack([gy * gx, fy * gx, gy * fx, fy * fx], axis=1)
        return CellPixels(cell, y, x, weights)


def argmax_first(maps: np.ndarray) -> np.ndarray:
    """``maps.argmax(axis=0)`` for a few large maps, one pass per map (several times faster
    than numpy's strided reduction)."""
    best = maps[0].copy()
    index = np.zeros(best.shape, np.intp)
    for k in range(1, len(maps)):
        better = maps[k] > best
        np.copyto(best, maps[k], where=better)
        index[better] = k
    return index


def corners_true(flags: np.ndarray) -> np.ndarray:
    """(..., h, w) uint8: at how many of each cell's four corners ``flags`` is true."""
    padded = np.pad(flags.view(np.uint8), [(0, 0)] * (flags.ndim - 2) + [(0, 1), (0, 1)],
                    mode="edge")
    count = padded[..., :-1, :-1] + padded[..., 1:, :-1]
    count += padded[..., :-1, 1:]
    count += padded[..., 1:, 1:]
    return count


def upsampled_argmax(grid: Grid, maps: np.ndarray) -> np.ndarray:
    """Per output pixel, the index of the largest of the (K, h, w) ``maps`` once upsampled.

    Exact in cells with one winner at all four corners; in the other cells, the maps that
    win at a corner compete (a map winning at no corner could only win inside a boundary
    cell, by a hair).
    """
    winner = argmax_first(maps)
    corners = grid.corners(winner)
    uniform = (corners[0] == corners[1]) & (corners[0] == corners[2]) & (corners[0] == corners[3])
    result = grid.spread(winner)
    cell_y, cell_x = np.unravel_index(np.flatnonzero(~uniform), uniform.shape)
    if cell_y.size == 0:
        return result
    candidates = np.stack([c[cell_y, cell_x] for c in corners], axis=1)  # (M, 4)
    values = np.stack([maps[candidates, y[:, None], x[:, None]]
                       for y, x in grid.corner_indices(cell_y, cell_x)], axis=1)
    # values: (M cells, 4 corners, 4 candidates)
    pixels = grid.pixels(cell_y, cell_x)
    interpolated = np.einsum("pc,pcq->pq", pixels.weights, values[pixels.cell])
    result[pixels.y, pixels.x] = candidates[pixels.cell, interpolated.argmax(axis=1)]
    return result


def upsampled_area_at_least(grid: Grid, maps: np.ndarray, threshold: float) -> np.ndarray:
    """(K,) how many output pixels of each upsampled map are at least ``threshold``."""
    count = corners_true(maps >= threshold)
    cells = count[0].size
    full = np.flatnonzero(count == 4)
    areas = np.bincount(full // cells, weights=grid.pixels_per_cell().ravel()[full % cells],
                        minlength=len(maps)).astype(np.int64)
    index, cell_y, cell_x = np.unravel_index(np.flatnonzero((count > 0) & (count < 4)),
                                             count.shape)
    if index.size:
        values = np.stack([maps[index, y, x] for y, x in grid.corner_indices(cell_y, cell_x)],
                          axis=1)
        pixels = grid.pixels(cell_y, cell_x)
        inside = np.einsum("pc,pc->p", pixels.weights, values[pixels.cell]) >= threshold
        areas += np.bincount(index[pixels.cell][inside], minlength=len(maps))
    return areas
