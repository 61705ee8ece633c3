"""From the layout canvas to a photo-like RGB image.

Per pixel, everything is a lookup of the primitive painted there: its material's colour,
texture and gradient; then shadows, the scene's light (tint, exposure, a broad light
gradient, vignette), a blur and sensor noise are applied to the whole image. These last
steps soften edges in the image only; the labels (a lookup of the same map) stay crisp.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from panoptix.synth.canvas import Canvas

TEXTURES = ("smooth", "fine", "grain", "blotchy", "foliage", "clouds", "ripples", "blades",
            "wood", "fabric")


@dataclass(frozen=True)
class Look:
    """A scene's light and camera: the same layout under another look is another photo."""

    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
    """White balance, per channel."""
    exposure: float = 1.0
    shadow: float = 0.45
    """How much a cast shadow darkens (0 = none)."""
    sun: float = 0.5
    """-1 (light from the left) .. 1 (from the right): sides and shadow offsets."""
    cloudiness: float = 0.3
    vignette: float = 0.15
    light_slope: float = 0.0
    """Brightness change across the image, left to right."""
    blur: float = 0.0
    """Gaussian sigma in pixels on top of the slight softening every image gets."""
    noise: float = 3.0
    """Sensor noise: its standard deviation in 0..255 units at mid grey."""
    cloud_colour: tuple[float, float, float] = (245.0, 245.0, 248.0)
    haze: tuple[float, float, float] = (200.0, 210.0, 220.0)
    """What distant things fade into (the sky at the horizon)."""
    visibility: float = float("inf")
    """Metres over which distant things fade about two thirds of the way into the haze."""


PAD = 96
"""Texture tiles are this much larger than the image; each scene views them at its own
offset and orientation."""


@lru_cache(maxsize=8)
def texture_stack(height: int, width: int) -> np.ndarray:
    """All textures, ``(len(TEXTURES), height + PAD, width + PAD)``, made once per size.

    A tile depends only on its name and size, so scenes stay reproducible; each scene
    looks at the stack through its own offset."""
    stack = np.stack([_tile(name, height + PAD, width + PAD) for name in TEXTURES])
    stack.flags.writeable = False
    return stack


@lru_cache(maxsize=8)
def sensor_noise(height: int, width: int) -> np.ndarray:
    """Camera grain (brightness only)."""
    rng = np.random.default_rng(zlib.crc32(b"sensor"))
    noise = rng.standard_normal((height + PAD, width + PAD), dtype=np.float32)
    noise.flags.writeable = False
    return noise


def _tile(name: str, height: int, width: int) -> np.ndarray:
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    shape = (height, width)
    # feature sizes are set for 640x480 and follow the image size: a scene looks the
    # same at any resolution
    scale = max(min(height - PAD, width - PAD) / 480, 0.25)

    def noise(cell_y: float, cell_x: float) -> np.ndarray:
        """Smooth noise with features about ``cell`` pixels across (at 640x480)."""
        cell_y, cell_x = max(cell_y * scale, 1.0), max(cell_x * scale, 1.0)
        small = rng.standard_normal((max(2, int(height / cell_y) + 2),
                                     max(2, int(width / cell_x) + 2)), dtype=np.float32)
        return cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)

    def white() -> np.ndarray:
        return rng.standard_normal(shape, dtype=np.float32)

    recipes = {
        "smooth": lambda: np.zeros(shape, np.float32),
        "fine": white,
        "grain": lambda: 0.35 * white() + noise(3, 3) + 0.6 * noise(12, 12),
        "blotchy": lambda: noise(10, 10) + 0.5 * noise(3, 3),
        "foliage": lambda: noise(5, 5) + 0.7 * noise(2, 2) + 0.5 * noise(14, 14),
        "clouds": lambda: sum(noise(c, c * 1.6) / (i + 1)
                              for i, c in enumerate((200, 100, 50, 25, 12))),
        "ripples": lambda: noise(3, 40) + 0.6 * noise(1.5, 12) + 0.3 * noise(40, 40),
        "blades": lambda: noise(6, 1.2) + 0.5 * white() + 0.6 * noise(20, 20),
        "wood": lambda: noise(1.5, 60) + 0.3 * noise(3, 3),
        "fabric": lambda: noise(1.5, 1.5) + 0.4 * noise(8, 8),
    }
    field = np.asarray(recipes[name](), np.float32)
    spread = float(field.std())
    return field / spread if spread > 0 else field


def render(canvas: Canvas, look: Look, rng: np.random.Generator,
           depths: np.ndarray | None = None) -> np.ndarray:
    """The ``HxWx3`` uint8 RGB image of a painted canvas; ``depths`` (metres, per
    primitive, ``inf`` where none) fades distant primitives into the haze."""
    height, width = canvas.height, canvas.width
    prim = canvas.primitives.astype(np.intp)  # once, not in every lookup below
    tables = _tables(canvas, look, depths)
    ys = np.arange(height, dtype=np.float32)[:, None]
    xs = np.arange(width, dtype=np.float32)[None, :]

    light = np.take(tables["offset"], prim)
    light += np.take(tables["slope_y"], prim) * ys
    light += np.take(tables["slope_x"], prim) * xs
    stack = texture_stack(height, width)
    plane_h, plane_w = stack.shape[1:]
    oy, ox = (int(v) for v in rng.integers(0, PAD, 2))
    where = (np.arange(oy, oy + height, dtype=np.intp)[:, None] * plane_w
             + np.arange(ox, ox + width, dtype=np.intp)[None, :])
    where += np.take(tables["texture"] * (plane_h * plane_w), prim)
    light += np.take(tables["amount"], prim) * np.take(stack.reshape(-1), where)

    if look.shadow > 0 and canvas.shadows.any():
        shade = (prim < canvas.shadows).astype(np.float32)
        shade = cv2.GaussianBlur(shade, (0, 0), max(1.0, min(height, width) / 300))
        light *= 1.0 - look.shadow * shade
    light *= _illumination(look, height, width)
    if look.noise > 0:  # sensor grain, softened with the rest by the blur below
        ny, nx = (int(v) for v in rng.integers(0, PAD, 2))
        light *= 1.0 + sensor_noise(height, width)[ny:ny + height, nx:nx + width] * (
            look.noise / 128.0)

    channels = []
    for c in range(3):
        channel = np.take(tables["colour"][:, c], prim)
        channel += np.take(tables["colour_slope"][:, c], prim) * ys
        channel *= light
        channels.append(channel)
    _clouds(canvas, prim, look, tables, channels, stack[TEXTURES.index("clouds"), oy:, ox:])
    rgb = cv2.merge([np.clip(channel, 0, 255, out=channel).astype(np.uint8)
                     for channel in channels])
    return cv2.GaussianBlur(rgb, (0, 0), float(np.hypot(0.55, look.blur)))


def _tables(canvas: Canvas, look: Look, depths: np.ndarray | None) -> dict[str, np.ndarray]:
    """Per-primitive lookup tables.

    Brightness is the plane ``offset + slope_y * y + slope_x * x`` that puts a material's
    gradients across its own box, plus its texture. Colour is ``colour + colour_slope * y``
    (a material's ``top`` colour at its box's top), white balance and exposure included."""
    materials = canvas.materials
    boxes = np.asarray(canvas.boxes, np.float32)
    x0, y0, x1, y1 = boxes.T
    tall = np.maximum(y1 - y0, 1.0)
    gradient = np.array([m.gradient for m in materials], np.float32)
    side = np.array([m.side for m in materials], np.float32)
    slope_y = gradient / tall
    slope_x = side / np.maximum(x1 - x0, 1.0)
    offset = 1.0 - slope_y * (y0 + y1) / 2 - slope_x * (x0 + x1) / 2
    colour = np.array([m.colour for m in materials], np.float32)
    top = np.array([m.top if m.top is not None else m.colour for m in materials], np.float32)
    if depths is not None and np.isfinite(look.visibility):
        fade = (1.0 - np.exp(-np.nan_to_num(depths, posinf=0.0) / look.visibility))[:, None]
        haze = np.asarray(look.haze, np.float32)
        colour += (haze - colour) * fade.astype(np.float32)
        top += (haze - top) * fade.astype(np.float32)
    colour_slope = (colour - top) / tall[:, None]
    base = top - colour_slope * y0[:, None]
    balance = np.asarray(look.tint, np.float32) * np.float32(look.exposure)
    return {"colour": np.ascontiguousarray(base * balance),
            "colour_slope": np.ascontiguousarray(colour_slope * balance),
            "offset": offset.astype(np.float32), "slope_y": slope_y, "slope_x": slope_x,
            "amount": np.array([m.amount for m in materials], np.float32),
            "texture": np.array([TEXTURES.index(m.texture) for m in materials], np.intp),
            "clouds": np.array([m.clouds for m in materials], np.float32)}


def _clouds(canvas: Canvas, prim: np.ndarray, look: Look, tables: dict[str, np.ndarray],
            channels: list[np.ndarray], field: np.ndarray) -> None:
    """Whiten cloudy materials (skies) towards the cloud colour where the field is high."""
    cloudy = np.flatnonzero(tables["clouds"])
    if not cloudy.size:
        return
    boxes = np.asarray(canvas.boxes, np.float32)[cloudy]
    r0 = max(int(boxes[:, 1].min()), 0)
    r1 = min(int(np.ceil(boxes[:, 3].max())) + 1, canvas.height)
    if r1 <= r0:
        return
    cover = np.clip((field[r0:r1, :canvas.width] + (look.cloudiness - 0.5) * 3.0) * 0.6, 0, 1)
    weight = np.take(tables["clouds"], prim[r0:r1]) * cover
    balance = np.asarray(look.tint, np.float32) * np.float32(look.exposure)
    for c, channel in enumerate(channels):
        rows = channel[r0:r1]
        rows += weight * (float(look.cloud_colour[c] * balance[c]) - rows)


def _illumination(look: Look, height: int, width: int) -> np.ndarray:
    """A broad light gradient and a vignette."""
    ys = np.linspace(-1.0, 1.0, height, dtype=np.float32)[:, None]
    xs = np.linspace(-1.0, 1.0, width, dtype=np.float32)[None, :]
    return (1.0 + look.light_slope * xs * 0.5) * (1.0 - look.vignette * 0.5 * (xs * xs + ys * ys))
