"""The image as a SAM model's ``pixel_values``: resize, rescale and normalise, pad.

What transformers' SAM image processors do, without torchvision: the uint8 image is resized
with antialiased bilinear interpolation (``torch.nn.functional.interpolate``, the kernel
torchvision's ``resize`` runs on uint8 tensors), normalised as ``(v - 255 mean) / (255 std)``
(the processors fuse rescale and normalise so), and, for SAM, zero-padded on the right and
at the bottom to the square input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from panoptix.inference.sam.frame import ModelFrame

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Normalization:
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    rescale_factor: float = 1 / 255
    """Applied before ``mean``/``std``: 1.0 when the processor does not rescale (and mean 0,
    std 1 when it does not normalise)."""


def pixel_values(image: np.ndarray, frame: ModelFrame, norm: Normalization,
                 device: str = "cpu") -> Any:
    """(1, 3, S, S) float32 tensor for an (H, W, 3) uint8 RGB image on ``device``."""
    import torch
    from torch.nn import functional

    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an RGB uint8 image (H, W, 3), got {image.shape} "
                         f"{image.dtype}")
    if tuple(image.shape[:2]) != frame.image_size:
        raise ValueError(f"image is {image.shape[:2]}, the frame is for {frame.image_size}")
    if not image.flags.writeable or not image.flags.c_contiguous:
        image = np.array(image)  # torch wants writable memory (Pillow's arrays are not)
    tensor = torch.from_numpy(image).to(device).permute(2, 0, 1)[None]
    resized_h, resized_w = frame.resized
    if (resized_h, resized_w) != frame.image_size:
        tensor = functional.interpolate(tensor.contiguous(), size=(resized_h, resized_w),
                                        mode="bilinear", antialias=True, align_corners=False)
    mean = torch.tensor(norm.mean, device=device).view(1, 3, 1, 1) / norm.rescale_factor
    std = torch.tensor(norm.std, device=device).view(1, 3, 1, 1) / norm.rescale_factor
    side = frame.input_size
    values = torch.zeros((1, 3, side, side), dtype=torch.float32, device=device)
    values[:, :, :resized_h, :resized_w] = (tensor.float() - mean) / std
    return values
