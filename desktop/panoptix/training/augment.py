"""Training-time augmentation of an image and its id map, always together.

Random scale (0.5-2x the working size, which fits the image's shortest side to the crop),
a random crop of the crop size (padding where the scaled image is smaller), horizontal
flip and mild colour jitter. Scale, crop and flip are one affine warp, applied to the
image bilinearly and to the id map by nearest neighbour, so the two never disagree;
pixels from outside the image get id 0, which the loss ignores.
"""

from __future__ import annotations

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

    def apply(self, image: np.ndarray, ids: np.ndarray,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``(image crop, id map crop)``, both ``size`` x ``size``."""
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
        if self.flip and rng.random() < 0.5:
            row = [-scale, 0.0, scaled_w - centre - 1.0 - x0]
        else:
            row = [scale, 0.0, centre - x0]
        matrix = np.array([row, [0.0, scale, centre - y0]], np.float64)
        out = (self.size, self.size)
        image = cv2.warpAffine(image, matrix, out, flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=PAD_COLOR)
        ids = cv2.warpAffine(ids, matrix, out, flags=cv2.INTER_NEAREST,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        if self.jitter > 0:
            image = color_jitter(image, self.jitter, rng, valid=ids > 0)
        return image, ids


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
