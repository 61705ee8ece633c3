"""Where an image sits in a SAM model's square input, and the exact mapping between the two.

SAM 2 (transformers' ``Sam2ImageProcessor`` and ``Sam2Processor``, as Meta's
``SAM2Transforms``) stretches the whole image onto the square input, each axis by its own
factor, with no padding. SAM (``SamImageProcessor``) scales the longest side to the input
size, keeping the aspect ratio (the other side rounded to the nearest pixel), and pads on
the right and at the bottom. Either way a prompt's coordinates are scaled per axis by
resized / original, and the model's low-resolution masks cover the whole square input, so
SAM's padding is cropped off before a mask is upscaled to the image.

Coordinates follow the processors' convention: ``(x, y)`` in pixels with pixel ``i``
spanning ``[i, i + 1)``; the prompt encoder itself adds the half pixel to reach its centre.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Size = tuple[int, int]
"""``(height, width)``."""


@dataclass(frozen=True)
class ModelFrame:
    image_size: Size
    """(H, W) of the image as displayed (EXIF orientation applied)."""
    input_size: int
    """The side of the model's square input (1024 for the published checkpoints)."""
    keep_aspect: bool
    """SAM: longest side scaled and padded; SAM 2 (False): stretched to the square."""

    def __post_init__(self) -> None:
        height, width = self.image_size
        if height < 1 or width < 1 or self.input_size < 1:
            raise ValueError(f"bad frame: image {self.image_size}, input {self.input_size}")

    @property
    def resized(self) -> Size:
        """(h, w) the image is resized to inside the input square (the rest is padding)."""
        if not self.keep_aspect:
            return self.input_size, self.input_size
        height, width = self.image_size
        scale = self.input_size * 1.0 / max(height, width)
        return int(height * scale + 0.5), int(width * scale + 0.5)

    @property
    def scale_xy(self) -> tuple[float, float]:
        """Model pixels per image pixel along x and along y."""
        (height, width), (resized_h, resized_w) = self.image_size, self.resized
        return resized_w / width, resized_h / height

    def to_model(self, points: np.ndarray) -> np.ndarray:
        """Image ``(..., 2)`` x, y coordinates in the model's input frame (float32)."""
        points = np.asarray(points, np.float64)
        return (points * np.array(self.scale_xy)).astype(np.float32)

    def box_to_model(self, box: tuple[float, float, float, float]) -> np.ndarray:
        """An image ``(x0, y0, x1, y1)`` box in the model's input frame (float32)."""
        return self.to_model(np.reshape(np.asarray(box, np.float64), (2, 2))).reshape(4)

    def from_model(self, points: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`to_model` (float64)."""
        return np.asarray(points, np.float64) / np.array(self.scale_xy)
