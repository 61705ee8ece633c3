"""Training-time augmentation of an image and its id map, always together.

Random scale (0.5-2x the working size, which fits the image's shortest side to the crop),
a random crop of the crop size (padding where the scaled image is smaller), horizontal
flip and mild colour jitter. With probability ``object_crops`` the crop is instead placed
around one of the image's objects (a random one of the thing segments the caller names),
so that small objects are seen whole and often; at 0 the draws are exactly those without
it. Scale, crop and flip are one affine warp, applied to the
image bilinearly and to the id map by nearest neighbour, so the two never disagree;
pixels from outside the image get id 0, which the loss ignores.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import cv2
import numpy as np

PAD_COLOR = (124, 116, 104)
"""ImageNet's mean colour: padding normalises to about zero, like the processor's own."""


@dataclass(frozen=True)
class Augmentation:
    size: int
    """Crop side; the image's shortest side is scaled to this before the random scale."""
    min_scale: float = 0.5
    max_scale: float = 2.0
    flip: bool = True
    jitter: float = 0.2
    """Brightness, contrast and saturation each change by up to this factor."""
    object_crops: float = 0.0
    """Probability of a crop placed around a random object of the image."""

    def apply(self, image: np.ndarray, ids: np.ndarray, rng: np.random.Generator,
              objects: Collection[int] = ()) -> tuple[np.ndarray, np.ndarray]:
        """``(image crop, id map crop)``, both ``size`` x ``size``; ``objects``: the ids
        of the thing segments a crop may be placed around."""
        height, width = ids.shape
        scale = self.size / min(height, width) * rng.uniform(self.min_scale, self.max_scale)
        image, ids, scale = _shrink_first(image, ids, scale)
        height, width = ids.shape
        scaled_w, scaled_h = width * scale, height * scale
        # the crop's corner in the scaled image; negative where the image is smaller
        # than the crop, which places it at random inside the padding
        x0 = rng.uniform(min(0.0, scaled_w - self.size), max(0.0, scaled_w - self.size))
        y0 = rng.uniform(min(0.0, scaled_h - self.size), max(0.0, scaled_h - self.size))
        centre = 0.5 * scale - 0.5  # pixel centres map onto pixel centres
        flip = self.flip and rng.random() < 0.5
        if self.object_crops > 0 and len(objects) and rng.random() < self.object_crops:
            corner = self._around_object(ids, objects, scale, centre, rng)
            if corner is not None:
                x0, y0 = corner
                if flip:  # the same window of the mirrored image
                    x0 = scaled_w - self.size - x0
        row = ([-scale, 0.0, scaled_w - centre - 1.0 - x0] if flip
               else [scale, 0.0, centre - x0])
        matrix = np.array([row, [0.0, scale, centre - y0]], np.float64)
        out = (self.size, self.size)
        image = cv2.warpAffine(image, matrix, out, flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=PAD_COLOR)
        ids = cv2.warpAffine(ids, matrix, out, flags=cv2.INTER_NEAREST,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        if self.jitter > 0:
            image = color_jitter(image, self.jitter, rng, valid=ids > 0)
        return image, ids

    def _around_object(self, ids: np.ndarray, objects: Collection[int], scale: float,
                       centre: float, rng: np.random.Generator
                       ) -> tuple[float, float] | None:
        """The crop's corner (scaled, unflipped) with a random present object inside it,
        or inside the object where it is larger than the crop, and inside the image
        where that is possible too; None when none of ``objects`` is in ``ids``."""
        present = np.intersect1d(np.unique(ids), np.fromiter(objects, np.int64))
        if not present.size:
            return None
        rows, columns = np.nonzero(ids == present[rng.integers(present.size)])
        height, width = ids.shape
        half = scale / 2  # a pixel's half width, scaled
        return (_place(scale * columns.min() + centre - half,
                       scale * columns.max() + centre + half, width * scale, self.size, rng),
                _place(scale * rows.min() + centre - half,
                       scale * rows.max() + centre + half, height * scale, self.size, rng))


def _place(first: float, last: float, extent: float, size: int,
           rng: np.random.Generator) -> float:
    """A crop start (its first pixel's centre) that puts ``first``..``last`` (scaled
    coordinates) inside the crop with a pixel to spare on each side, or the crop inside
    them where they are longer; inside ``0..extent`` too where that is possible."""
    if last - first + 2 <= size:
        first, last = first - 1, last + 1
    low, high = sorted((last - size + 0.5, first + 0.5))
    inside_low, inside_high = min(0.0, extent - size), max(0.0, extent - size)
    if max(low, inside_low) <= min(high, inside_high):
        low, high = max(low, inside_low), min(high, inside_high)
    return rng.uniform(low, high)


def _shrink_first(image: np.ndarray, ids: np.ndarray,
                  scale: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Bilinear warping aliases when it shrinks much: shrink by area first, to twice the
    final size, and return the scale still to apply."""
    if scale >= 0.5:
        return image, ids, scale
    factor = scale * 2
    height, width = ids.shape
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    ids = cv2.resize(ids, size, interpolation=cv2.INTER_NEAREST_EXACT)
    return image, ids, scale * width / size[0]


def color_jitter(image: np.ndarray, strength: float, rng: np.random.Generator,
                 valid: np.ndarray | None = None) -> np.ndarray:
    """Brightness, contrast and saturation, each by a factor in 1 +- ``strength``."""
    pixels = image.astype(np.float32)
    pixels *= rng.uniform(1 - strength, 1 + strength)
    gray = pixels @ np.array([0.299, 0.587, 0.114], np.float32)
    mean = float(gray[valid].mean()) if valid is not None and valid.any() else float(gray.mean())
    contrast = rng.uniform(1 - strength, 1 + strength)
    pixels = (pixels - mean) * contrast + mean
    saturation = rng.uniform(1 - strength, 1 + strength)
    gray = (pixels @ np.array([0.299, 0.587, 0.114], np.float32))[..., None]
    pixels = (pixels - gray) * saturation + gray
    return np.clip(pixels, 0, 255).astype(np.uint8)
