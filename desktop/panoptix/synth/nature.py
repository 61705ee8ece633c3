"""Trees, bushes, far tree lines, mountain ridges, fences and paths: stuff that is not a
rectangle."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from panoptix.synth.canvas import Material
from panoptix.synth.categories import category_id
from panoptix.synth.pen import Colour, Pen

GREENS = [(55, 105, 40), (70, 120, 45), (40, 85, 35), (85, 130, 55), (60, 95, 50)]
AUTUMN = [(170, 110, 40), (190, 140, 50), (140, 70, 30), (120, 110, 40)]
BARK = [(85, 60, 40), (70, 55, 45), (100, 80, 60)]


def tree(pen: Pen, x: float, z: float, height: float, autumn: bool = False,
         base: float = 0.0) -> None:
    rng, canvas = pen.rng, pen.canvas
    seg = canvas.stuff(category_id("tree-merged"))
    fig = pen.figure(x, z, base)
    crown = height * float(rng.uniform(0.22, 0.34))
    if base == 0.0:
        pen.ground_shadow(x, z, crown * 0.8, crown * 0.5, length=height * 0.6)
    bark = Material(pen.pick(BARK), "grain", 0.12, side=0.4 * pen.sun)
    trunk = height * float(rng.uniform(0.015, 0.028))
    top = height - crown * 1.2
    fig.polygon([(-trunk, 0), (trunk, 0), (trunk * 0.6, top), (-trunk * 0.6, top)], seg, bark)
    for sign in (-1, 1):
        fig.line([(0, top * 0.8), (sign * crown * 0.5, top + crown * 0.2)], trunk * 0.8, seg,
                 bark)
    palette = AUTUMN if autumn else GREENS
    leaf = pen.pick(palette, 0.1)
    if rng.random() < 0.25:  # a conifer
        for level in range(4):
            y0 = top * 0.6 + level * (height - top * 0.6) / 4.5
            half = crown * (1.0 - level * 0.2)
            fig.polygon([(-half, y0), (half, y0), (0, y0 + crown * 1.3)], seg,
                        Material(pen.jitter(leaf, 0.08), "foliage", 0.2, gradient=0.35))
        return
    centre_y = height - crown
    blobs = rng.randrange(7, 15) if crown * fig.scale >= 10 else 4  # far: fewer, same look
    for _ in range(blobs):
        dx = rng.gauss(0, 0.45) * crown
        dy = rng.gauss(0, 0.35) * crown
        size = crown * float(rng.uniform(0.4, 0.65))
        light = 1.0 + 0.35 * dy / crown + 0.15 * pen.sun * dx / crown
        blob = Material(pen.jitter(leaf, 0.1), "foliage", 0.22, gradient=0.3)
        fig.ellipse((dx, centre_y + dy), (size, size * float(rng.uniform(0.75, 1.0))), seg,
                    blob.shaded(light))


def bush(pen: Pen, x: float, z: float, width: float) -> None:
    rng, canvas = pen.rng, pen.canvas
    seg = canvas.stuff(category_id("tree-merged"))
    fig = pen.figure(x, z)
    pen.ground_shadow(x, z, width * 0.6, width * 0.3, length=width * 0.4)
    leaf = pen.pick(GREENS, 0.1)
    for _ in range(rng.randrange(4, 8)):
        dx = float(rng.uniform(-0.4, 0.4)) * width
        size = width * float(rng.uniform(0.2, 0.35))
        dy = size * float(rng.uniform(0.6, 1.3))
        fig.ellipse((dx, dy), (size, size * 0.8), seg,
                    Material(pen.jitter(leaf, 0.12), "foliage", 0.22, gradient=0.3))


def tree_line(pen: Pen, row: float, height: float, colour: Colour) -> None:
    """A distant edge of woods along image row ``row``: a bumpy band (in pixels)."""
    rng, canvas = pen.rng, pen.canvas
    seg = canvas.stuff(category_id("tree-merged"))
    width = canvas.width
    xs = np.linspace(-20, width + 20, 80)
    draws = pen.numbers()
    bumps = np.abs(np.cumsum(draws.normal(0, 0.25, len(xs)))) + draws.uniform(0.4, 1.0, len(xs))
    top = row - height * bumps / bumps.max()
    points = np.concatenate([np.stack([xs, top], 1), [[width + 20, row + 4], [-20, row + 4]]])
    canvas.polygon(points, seg, Material(pen.jitter(colour), "foliage", 0.18, gradient=0.25))
    for _ in range(rng.randrange(6, 16)):
        cx = float(rng.uniform(0, width))
        size = height * float(rng.uniform(0.3, 0.7))
        canvas.ellipse((cx, row - size * 0.6), (size * 0.7, size), seg,
                       Material(pen.jitter(colour, 0.12), "foliage", 0.2, gradient=0.3))


def ridge(pen: Pen, row: float, height: float, colour: Colour) -> None:
    """Mountains standing on image row ``row``, peaks up to ``height`` pixels high."""
    rng, canvas = pen.rng, pen.canvas
    seg = canvas.stuff(category_id("mountain-merged"))
    width = canvas.width
    count = 65
    xs = np.linspace(-20, width + 20, count)
    profile = np.zeros(count)
    for octave in range(1, 6):  # sums of random sines: peaks and valleys, not a wall
        profile += rng.uniform(0.4, 1.0) / octave * np.sin(
            xs / width * np.pi * octave * rng.uniform(0.8, 1.6) + rng.uniform(0, 6.3))
    profile = (profile - profile.min()) / max(profile.max() - profile.min(), 1e-6)
    top = row - height * (0.25 + 0.75 * profile)
    points = np.concatenate([np.stack([xs, top], 1), [[width + 20, row + 6], [-20, row + 6]]])
    canvas.polygon(points, seg, Material(pen.jitter(colour), "blotchy", 0.05, gradient=0.2,
                                         side=0.15 * pen.sun))


def fence(pen: Pen, start: tuple[float, float], end: tuple[float, float],
          height: float = 1.0) -> None:
    """A fence on the ground from ``(x, z)`` to ``(x, z)``: posts and two rails."""
    rng, canvas = pen.rng, pen.canvas
    seg = canvas.stuff(category_id("fence-merged"))
    wood = Material(pen.pick([(150, 120, 85), (90, 90, 95), (235, 235, 230)]), "wood", 0.1)
    cam = pen.camera
    (xa, za), (xb, zb) = start, end
    length = float(np.hypot(xb - xa, zb - za))
    posts = max(2, int(length / float(rng.uniform(1.8, 2.6))) + 1)
    for rail in (0.45, 0.9):
        pa, pb = np.array(cam.project_many([(xa, rail * height, za), (xb, rail * height, zb)]))
        up = np.array([0.0, 1.0])
        half_a, half_b = cam.scale(za) * 0.05, cam.scale(zb) * 0.05  # rails 10 cm high
        canvas.polygon([pa - up * half_a, pb - up * half_b, pb + up * half_b, pa + up * half_a],
                       seg, wood)
    for t in np.linspace(0, 1, posts):
        x, z = xa + (xb - xa) * t, za + (zb - za) * t
        fig = pen.figure(x, z)
        fig.rectangle(-0.05, 0, 0.05, height, seg, wood.shaded(0.85))


@dataclass(frozen=True)
class Track:
    """A winding line on the ground: ``x = centre + wiggle * sin(z / period + phase)``."""

    centre: float
    wiggle: float
    period: float
    phase: float
    width: float

    def x(self, z: float | np.ndarray) -> float | np.ndarray:
        return self.centre + self.wiggle * np.sin(z / self.period + self.phase)


def path(pen: Pen, track: Track, near: float, far: float, category: str,
         material: Material) -> None:
    """A band on the ground along ``track`` (a path, a track) from depth ``near`` to ``far``."""
    zs = np.geomspace(near, far, 48)
    xs = track.x(zs)
    half = track.width / 2
    points = np.concatenate([np.stack([xs - half, zs], 1), np.stack([xs + half, zs], 1)[::-1]])
    pen.ground_polygon(points, pen.canvas.stuff(category_id(category)), material)
