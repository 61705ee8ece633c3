"""Drawing in the world: boxes, upright billboards, ground shapes and their shadows.

Every scene object draws through a :class:`Pen`, which holds the canvas, the camera, the
sun's side and the object's own random generator (seeded when the layout was made, so a
repaint draws the very same shapes).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from panoptix.synth.camera import Camera
from panoptix.synth.canvas import Canvas, Material

Colour = tuple[float, float, float]


@dataclass
class Pen:
    canvas: Canvas
    camera: Camera
    sun: float
    rng: random.Random
    """Scalar draws (Python's generator: ten times quicker per draw than numpy's)."""

    def numbers(self) -> np.random.Generator:
        """A numpy generator for arrays of draws, seeded from :attr:`rng`."""
        return np.random.default_rng(self.rng.getrandbits(64))

    # -- colours --------------------------------------------------------------------------
    def jitter(self, colour: Sequence[float], amount: float = 0.08) -> Colour:
        """``colour`` with its brightness and each channel varied a little."""
        uniform = self.rng.uniform
        scale = 1.0 + uniform(-amount, amount)
        half = amount / 2
        r, g, b = colour
        return (min(r * scale * (1.0 + uniform(-half, half)), 255.0),
                min(g * scale * (1.0 + uniform(-half, half)), 255.0),
                min(b * scale * (1.0 + uniform(-half, half)), 255.0))

    def pick(self, palette: Sequence[Sequence[float]], amount: float = 0.08) -> Colour:
        return self.jitter(palette[self.rng.randrange(len(palette))], amount)

    # -- world shapes ---------------------------------------------------------------------
    def world_polygon(self, points: Sequence[Sequence[float]], segment: int,
                      material: Material) -> None:
        """A polygon of world points ``(x, y, z)`` (all in front of the camera)."""
        self.canvas.polygon(self.camera.project_many(points), segment, material)

    def ground_polygon(self, points: Sequence[Sequence[float]], segment: int,
                       material: Material) -> None:
        """A polygon on the ground from ``(x, z)`` points."""
        self.world_polygon([(x, 0.0, z) for x, z in points], segment, material)

    def box(self, x: tuple[float, float], y: tuple[float, float], z: tuple[float, float],
            segment: int, material: Material, *, top: float = 1.12, front: float = 0.9,
            side: float = 0.75) -> None:
        """An axis-aligned box: its visible faces (a convex box's faces never overlap),
        shaded by which way they face and where the sun is."""
        (x0, x1), (y0, y1), (z0, z1) = x, y, z
        eye = self.camera.eye
        lit = 1.0 + 0.18 * self.sun
        faces = [([(x0, y0, z0), (x1, y0, z0), (x1, y1, z0), (x0, y1, z0)], front)]
        if x0 > 0:
            faces.append(([(x0, y0, z0), (x0, y1, z0), (x0, y1, z1), (x0, y0, z1)],
                          side * (2.0 - lit)))
        if x1 < 0:
            faces.append(([(x1, y0, z0), (x1, y1, z0), (x1, y1, z1), (x1, y0, z1)],
                          side * lit))
        if y1 < eye:
            faces.append(([(x0, y1, z0), (x1, y1, z0), (x1, y1, z1), (x0, y1, z1)], top))
        if y0 > eye:
            faces.append(([(x0, y0, z0), (x1, y0, z0), (x1, y0, z1), (x0, y0, z1)], 0.6))
        for points, shade in faces:
            self.world_polygon(points, segment, material.shaded(shade))

    def face(self, x: tuple[float, float], y: tuple[float, float], z: float, segment: int,
             material: Material) -> None:
        """A rectangle facing the camera at depth ``z`` (a window, a door, a plate)."""
        (x0, x1), (y0, y1) = x, y
        self.world_polygon([(x0, y0, z), (x1, y0, z), (x1, y1, z), (x0, y1, z)], segment,
                           material)

    def side_face(self, xs: float, y: tuple[float, float], z: tuple[float, float],
                  segment: int, material: Material) -> None:
        """A rectangle in the plane ``x = xs`` (a window on a side wall)."""
        (y0, y1), (z0, z1) = y, z
        self.world_polygon([(xs, y0, z0), (xs, y1, z0), (xs, y1, z1), (xs, y0, z1)], segment,
                           material)

    # -- billboards: upright flat figures facing the camera -------------------------------
    def figure(self, x: float, z: float, base: float = 0.0) -> Figure:
        """Metres-to-pixels for a figure standing at ``(x, base, z)``."""
        u, v = self.camera.project(x, base, z)
        return Figure(self, u, v, self.camera.scale(z))

    def ground_shadow(self, x: float, z: float, half_width: float, half_depth: float,
                      length: float = 0.0) -> None:
        """A shadow on the ground around ``(x, z)``, stretched away from the sun."""
        cx = x - self.sun * length * 0.5
        cam = self.camera
        u, v = cam.project(cx, 0.0, z)
        scale = cam.scale(z)
        depth_px = scale * cam.eye * half_depth / z
        self.canvas.shadow_ellipse((u, v), ((half_width + abs(self.sun) * length * 0.5) * scale,
                                            max(depth_px, 0.8)))


@dataclass
class Figure:
    """Drawing in metres on an upright plane: ``(dx, dy)`` from the foot point, y up."""

    pen: Pen
    u: float
    v: float
    scale: float

    def at(self, dx: float, dy: float) -> tuple[float, float]:
        return (self.u + dx * self.scale, self.v - dy * self.scale)

    def points(self, pts: Sequence[Sequence[float]]) -> list[tuple[float, float]]:
        u, v, scale = self.u, self.v, self.scale
        return [(u + dx * scale, v - dy * scale) for dx, dy in pts]

    def polygon(self, pts: Sequence[Sequence[float]], segment: int, material: Material) -> None:
        self.pen.canvas.polygon(self.points(pts), segment, material)

    def ellipse(self, centre: Sequence[float], axes: Sequence[float], segment: int,
                material: Material, angle: float = 0.0, start: float = 0.0, end: float = 360.0,
                thickness: float = -1) -> None:
        self.pen.canvas.ellipse(self.at(*centre), (axes[0] * self.scale, axes[1] * self.scale),
                                segment, material, angle, start, end,
                                thickness if thickness < 0 else thickness * self.scale)

    def line(self, pts: Sequence[Sequence[float]], width: float, segment: int,
             material: Material) -> None:
        self.pen.canvas.line(self.points(pts), width * self.scale, segment, material)

    def rectangle(self, x0: float, y0: float, x1: float, y1: float, segment: int,
                  material: Material) -> None:
        self.polygon([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], segment, material)
