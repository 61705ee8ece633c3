"""A pinhole camera over a flat ground: where world points fall in the image.

World coordinates are metres: ``x`` to the right, ``y`` up from the ground, ``z`` forward
from the camera. The camera looks along ``+z`` from height :attr:`Camera.eye`, level, so
the horizon is one image row and a thing of height ``h`` standing at depth ``z`` is
``h * focal / z`` pixels tall: things get smaller towards the horizon.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Point = tuple[float, float]


@dataclass(frozen=True)
class Camera:
    width: int
    height: int
    focal: float
    """Pixels per metre at a depth of one metre."""
    horizon: float
    """The image row of the horizon (may lie outside the image)."""
    centre: float
    """The image column straight ahead (the vanishing point of lines along ``z``)."""
    eye: float
    """Camera height above the ground, metres."""

    def scale(self, z: float) -> float:
        """Pixels per metre at depth ``z``."""
        return self.focal / z

    def project(self, x: float, y: float, z: float) -> Point:
        return (self.centre + self.focal * x / z, self.horizon + self.focal * (self.eye - y) / z)

    def project_many(self, points: Sequence[Sequence[float]] | np.ndarray) -> list[Point]:
        """World points ``(x, y, z)`` -> image points (plain Python: shapes have few)."""
        f, cx, cy, eye = self.focal, self.centre, self.horizon, self.eye
        return [(cx + f * x / z, cy + f * (eye - y) / z) for x, y, z in points]

    def ground_row(self, z: float) -> float:
        """The image row of ground at depth ``z``."""
        return self.horizon + self.focal * self.eye / z

    def depth_at_row(self, row: float) -> float:
        """The depth of the ground seen at image ``row`` (below the horizon)."""
        return self.focal * self.eye / max(row - self.horizon, 1e-3)

    def ground_x(self, column: float, z: float) -> float:
        """The world ``x`` of ground seen at ``column`` and depth ``z``."""
        return (column - self.centre) * z / self.focal

    def near_depth(self) -> float:
        """The depth of the ground at the image's bottom row."""
        return self.depth_at_row(self.height)

    def visible_x(self, z: float, margin: float = 0.0) -> tuple[float, float]:
        """The world ``x`` range seen at depth ``z``, widened by ``margin`` metres."""
        return (self.ground_x(0, z) - margin, self.ground_x(self.width, z) + margin)


def make_camera(rng: np.random.Generator, height: int, width: int, *, eye: tuple[float, float],
                horizon: tuple[float, float], fov: tuple[float, float] = (50.0, 70.0),
                centre: tuple[float, float] = (0.35, 0.65)) -> Camera:
    """A camera with eye height, horizon row (fraction of the image height), horizontal
    field of view (degrees) and vanishing column (fraction of the width) drawn in ranges."""
    fov_deg = rng.uniform(*fov)
    focal = width / 2 / np.tan(np.radians(fov_deg) / 2)
    return Camera(width, height, float(focal), float(rng.uniform(*horizon) * height),
                  float(rng.uniform(*centre) * width), float(rng.uniform(*eye)))
