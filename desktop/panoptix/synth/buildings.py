"""Buildings: façades along a street (planes ``x = const``) and fronts facing the camera,
with floors of windows, doors and a cornice. All of it is ``building-other-merged``."""

from __future__ import annotations

import numpy as np

from panoptix.synth.canvas import Material
from panoptix.synth.categories import category_id
from panoptix.synth.pen import Pen

WALLS = [(190, 170, 140), (160, 90, 70), (210, 205, 195), (140, 140, 145), (200, 180, 120),
         (120, 95, 80), (175, 185, 190), (225, 215, 190)]
MIN_WINDOW_PX = 2.5
"""Windows smaller than this on screen are left out (the wall texture stands in)."""


def _window_glass(pen: Pen) -> Material:
    return Material(pen.jitter((70, 85, 100), 0.2), "clouds", 0.1, gradient=0.4)


def _grid(starts: np.ndarray, span: float, lows: np.ndarray, tall: float) -> tuple:
    """Window columns ``starts`` (``span`` wide) and floors ``lows`` (``tall`` high) as
    glass bands per floor and wall pillars between columns: a grid of windows from
    ``len(lows) + len(starts)`` shapes instead of one per window."""
    bands = [(float(y0), float(y0 + tall)) for y0 in lows]
    pillars = [(float(a + span), float(b)) for a, b in zip(starts[:-1], starts[1:], strict=True)]
    return bands, pillars


def block(pen: Pen, x: float, z: tuple[float, float], height: float) -> None:
    """A building along a street: its front in the plane ``x`` from depth ``z[0]`` to
    ``z[1]``, its end wall showing above lower buildings nearer the camera."""
    rng, canvas, cam = pen.rng, pen.canvas, pen.camera
    seg = canvas.stuff(category_id("building-other-merged"))
    z0, z1 = z
    lit = 1.0 + 0.15 * pen.sun * (1 if x < 0 else -1)
    wall = Material(pen.pick(WALLS), "grain", 0.05, gradient=0.1).shaded(lit)
    deep = 15.0 if x > 0 else -15.0
    pen.box((min(x, x + deep), max(x, x + deep)), (0.0, height), (z0, z1), seg, wall, side=1.0,
            front=0.8)
    floor_h = float(rng.uniform(2.8, 3.4))
    spacing = float(rng.uniform(2.2, 3.2))
    win_w = spacing * float(rng.uniform(0.35, 0.55))
    win_h = floor_h * float(rng.uniform(0.4, 0.55))
    starts = np.arange(z0 + spacing * 0.6, z1 - spacing * 0.4, spacing)
    visible = [zc for zc in starts if cam.scale(zc) * win_w * abs(x) / zc >= MIN_WINDOW_PX]
    if len(visible) >= 2:
        glass = _window_glass(pen)
        lows = np.arange(floor_h + 0.8, height - 1.2, floor_h)
        bands, pillars = _grid(np.array(visible), win_w, lows, win_h)
        for y0, y1 in bands:
            pen.side_face(x, (y0, y1), (visible[0], visible[-1] + win_w), seg, glass)
        if bands:
            for a, b in pillars:
                pen.side_face(x, (bands[0][0], bands[-1][1]), (a, b), seg, wall)
        for zc in visible:
            if rng.random() < 0.4:  # a shop window or a door
                pen.side_face(x, (0.0, 2.4), (zc, zc + win_w * 1.3), seg, glass.shaded(0.7))
    pen.side_face(x, (height - 0.6, height), (z0, z1), seg, wall.shaded(0.8))


def front(pen: Pen, x: tuple[float, float], z: float, height: float) -> None:
    """A building front facing the camera at depth ``z``."""
    rng, canvas, cam = pen.rng, pen.canvas, pen.camera
    seg = canvas.stuff(category_id("building-other-merged"))
    x0, x1 = x
    wall = Material(pen.pick(WALLS), "grain", 0.05, gradient=0.12)
    pen.face((x0, x1), (0.0, height), z, seg, wall)
    if rng.random() < 0.5:  # a pitched roof
        peak = height + (x1 - x0) * float(rng.uniform(0.15, 0.35))
        pen.world_polygon([(x0 - 0.3, height, z), (x1 + 0.3, height, z), ((x0 + x1) / 2, peak, z)],
                          seg, Material(pen.pick([(120, 60, 45), (80, 80, 85), (150, 80, 55)]),
                                        "grain", 0.1))
    else:
        pen.face((x0 - 0.2, x1 + 0.2), (height - 0.5, height), z - 0.01, seg, wall.shaded(0.8))
    floor_h = float(rng.uniform(2.8, 3.4))
    spacing = float(rng.uniform(2.0, 3.0))
    win_w = spacing * float(rng.uniform(0.35, 0.55))
    win_h = floor_h * float(rng.uniform(0.4, 0.55))
    starts = np.arange(x0 + spacing * 0.5, x1 - win_w - 0.2, spacing)
    if win_w * cam.scale(z) < MIN_WINDOW_PX or len(starts) < 2:
        return
    glass = _window_glass(pen)
    lows = np.arange(floor_h * 0.35 + floor_h, height - floor_h * 0.7, floor_h)
    bands, pillars = _grid(starts, win_w, lows, win_h)
    for y0, y1 in bands:
        pen.face((float(starts[0]), float(starts[-1] + win_w)), (y0, y1), z - 0.01, seg, glass)
    if bands:
        for a, b in pillars:
            pen.face((a, b), (bands[0][0], bands[-1][1]), z - 0.02, seg, wall)
    for xc in starts:
        if rng.random() < 0.35:  # doors and shop windows
            pen.face((float(xc), float(xc + win_w)), (0.0, 2.2), z - 0.02, seg,
                     glass.shaded(0.6))


def skyline(pen: Pen, x: tuple[float, float], z: float, heights: tuple[float, float]) -> None:
    """A row of building fronts at depth ``z`` across ``x``."""
    rng = pen.rng
    fronts = []
    left = x[0]
    while left < x[1]:
        width = float(rng.uniform(8, 22))
        fronts.append(((left, left + width), z + float(rng.uniform(0, 6)),
                       float(rng.uniform(*heights))))
        left += width + float(rng.uniform(-1, 3))
    for span, depth, tall in sorted(fronts, key=lambda f: -f[1]):
        front(pen, span, depth, tall)
