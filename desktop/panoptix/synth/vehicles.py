"""Cars, trucks and buses (boxes along the road, seen from behind or ahead) and boats."""

from __future__ import annotations

import numpy as np

from panoptix.synth.canvas import Material
from panoptix.synth.categories import category_id
from panoptix.synth.pen import Colour, Pen

PAINT = [(180, 25, 25), (30, 60, 150), (235, 235, 235), (25, 25, 28), (130, 135, 140),
         (190, 190, 195), (30, 100, 60), (220, 170, 30), (120, 30, 40), (70, 110, 150),
         (200, 90, 30)]
GLASS = (45, 60, 75)
DETAIL_PX = 16.0
"""Vehicles narrower than this on screen leave out wheels, side windows, plate, bumper."""
HULLS = [(240, 240, 240), (180, 30, 30), (30, 50, 110), (40, 90, 60), (225, 200, 60),
         (60, 60, 65), (120, 160, 190)]


def _glass(pen: Pen) -> Material:
    return Material(pen.jitter(GLASS, 0.15), "clouds", 0.08, gradient=0.5)


def _shadow(pen: Pen, x: tuple[float, float], z: tuple[float, float]) -> None:
    shift = -pen.sun * 0.7
    (x0, x1), (z0, z1) = x, z
    ground = np.array([(x0 - 0.15 + min(shift, 0), 0, z0 - 0.2), (x1 + 0.15 + max(shift, 0), 0,
                       z0 - 0.2), (x1 + 0.15 + max(shift, 0), 0, z1 + 0.2),
                       (x0 - 0.15 + min(shift, 0), 0, z1 + 0.2)], np.float64)
    pen.canvas.shadow_polygon(pen.camera.project_many(ground))


def _wheels(pen: Pen, x: tuple[float, float], zs: list[float], radius: float, seg: int) -> None:
    """Wheels on the side of a vehicle that faces the camera (none when seen head-on)."""
    x0, x1 = x
    side = x0 if x0 > 0 else x1 if x1 < 0 else None
    if side is None:
        return
    cam = pen.camera
    tyre = Material((28, 28, 30), "fine", 0.05)
    hub = Material(pen.jitter((150, 150, 155)), "fine", 0.05)
    for zc in zs:
        u0, _ = cam.project(side, radius, zc - radius)
        u1, _ = cam.project(side, radius, zc + radius)
        u, v = cam.project(side, radius, zc)
        axes = (abs(u1 - u0) / 2, radius * cam.scale(zc))
        pen.canvas.ellipse((u, v), axes, seg, tyre)
        pen.canvas.ellipse((u, v), (axes[0] * 0.55, axes[1] * 0.55), seg, hub)


def _lights(pen: Pen, x: tuple[float, float], y: tuple[float, float], z: float, facing: int,
            seg: int) -> None:
    x0, x1 = x
    colour = (250, 245, 225) if facing > 0 else (200, 20, 20)
    lamp = Material(pen.jitter(colour, 0.05), "smooth")
    width = (x1 - x0) * 0.16
    pen.face((x0 + 0.05, x0 + 0.05 + width), y, z - 0.01, seg, lamp)
    pen.face((x1 - 0.05 - width, x1 - 0.05), y, z - 0.01, seg, lamp)


def car(pen: Pen, x: float, z: float, facing: int = -1) -> None:
    """A car whose near end is at depth ``z``; ``facing`` -1 shows its back, 1 its front."""
    rng, canvas = pen.rng, pen.canvas
    seg = canvas.thing(category_id("car"))
    width, length = float(rng.uniform(1.65, 1.9)), float(rng.uniform(3.8, 4.7))
    belt, roof = float(rng.uniform(0.9, 1.1)), float(rng.uniform(1.38, 1.6))
    x0, x1 = x - width / 2, x + width / 2
    paint = Material(pen.pick(PAINT), "grain", 0.03)
    detailed = pen.camera.scale(z) * width >= DETAIL_PX
    _shadow(pen, (x0, x1), (z, z + length))
    for zc in (z + 0.7, z + length - 0.8):  # tyres showing under the bumper
        for tx in ((x0 + 0.08, x0 + 0.33), (x1 - 0.33, x1 - 0.08)):
            pen.face(tx, (0.0, 0.3), zc, seg, Material((25, 25, 27)))
    pen.box((x0, x1), (0.28, belt), (z, z + length), seg, paint)
    if detailed:
        _wheels(pen, (x0, x1), [z + 0.8, z + length - 0.85], 0.33, seg)
    near0, near1 = z + length * float(rng.uniform(0.18, 0.3)), z + length * 0.38
    far0, far1 = z + length * 0.7, z + length * float(rng.uniform(0.78, 0.88))
    inset = width * 0.07
    glass = _glass(pen)
    cam = pen.camera
    windscreen = np.array([(x0 + inset, belt, near0), (x1 - inset, belt, near0),
                           (x1 - 2 * inset, roof, near1), (x0 + 2 * inset, roof, near1)])
    pen.world_polygon(windscreen, seg, paint.shaded(0.9))
    inner = np.array(cam.project_many(windscreen))
    centre = inner.mean(axis=0)
    canvas.polygon(centre + (inner - centre) * 0.82, seg, glass)
    if roof < cam.eye:
        pen.world_polygon([(x0 + 2 * inset, roof, near1), (x1 - 2 * inset, roof, near1),
                           (x1 - 2 * inset, roof, far0), (x0 + 2 * inset, roof, far0)], seg,
                          paint.shaded(1.12))
    side = x0 + inset if x0 > 0 else x1 - inset if x1 < 0 else None
    if side is not None and detailed:
        top_side = side + (inset if x0 > 0 else -inset)
        pen.world_polygon([(side, belt, near0), (top_side, roof, near1), (top_side, roof, far0),
                           (side, belt, far1)], seg, paint.shaded(0.8))
        pen.world_polygon([(side, belt + 0.06, near0 + 0.2), (top_side, roof - 0.05, near1 + 0.1),
                           (top_side, roof - 0.05, far0 - 0.1), (side, belt + 0.06, far1 - 0.2)],
                          seg, glass.shaded(0.9))
    _lights(pen, (x0, x1), (belt - 0.25, belt - 0.1), z, facing, seg)
    if detailed:
        pen.face((x - 0.26, x + 0.26), (0.45, 0.57), z - 0.01, seg, Material((230, 230, 220)))
        pen.face((x0, x1), (0.28, 0.4), z - 0.005, seg, Material(pen.jitter((40, 40, 42))))


def truck(pen: Pen, x: float, z: float, facing: int = -1) -> None:
    rng, canvas = pen.rng, pen.canvas
    seg = canvas.thing(category_id("truck"))
    width = float(rng.uniform(2.3, 2.5))
    cargo_len, cab_len = float(rng.uniform(5.0, 7.5)), 2.2
    x0, x1 = x - width / 2, x + width / 2
    box_paint = Material(pen.pick([(235, 235, 230), (200, 200, 195), (60, 90, 150),
                                   (170, 40, 35)]), "grain", 0.04)
    cab_paint = Material(pen.pick(PAINT), "grain", 0.03)
    _shadow(pen, (x0, x1), (z, z + cargo_len + cab_len))
    cargo_z = (z, z + cargo_len) if facing < 0 else (z + cab_len + 0.1, z + cab_len + 0.1
                                                     + cargo_len)
    cab_z = (z + cargo_len + 0.1, z + cargo_len + 0.1 + cab_len) if facing < 0 else (z, z + cab_len)
    dark = Material((35, 35, 38))
    parts = [(cargo_z, (0.9, float(rng.uniform(3.2, 3.8))), box_paint, (x0, x1)),
             (cab_z, (0.5, 2.8), cab_paint, (x0 + 0.05, x1 - 0.05))]
    parts.sort(key=lambda part: -part[0][0])  # far part first
    for (z0, z1), (y0, y1), paint, (px0, px1) in parts:
        pen.box((px0 + 0.2, px1 - 0.2), (0.3, y0), (z0 + 0.3, z1 - 0.3), seg, dark)
        pen.box((px0, px1), (y0, y1), (z0, z1), seg, paint)
        _wheels(pen, (px0, px1), [z0 + 0.9] if paint is cab_paint else [z0 + 1.0, z1 - 1.0],
                0.5, seg)
        if paint is cab_paint:
            near = z0 if facing > 0 else None
            if near is not None:
                pen.face((px0 + 0.15, px1 - 0.15), (1.6, 2.5), near - 0.01, seg, _glass(pen))
        elif facing < 0:
            pen.face((x - 0.02, x + 0.02), (y0 + 0.1, y1 - 0.1), z0 - 0.01, seg, dark)
    _lights(pen, (x0, x1), (0.6, 0.85), z, facing, seg)


def bus(pen: Pen, x: float, z: float, facing: int = -1) -> None:
    rng, canvas = pen.rng, pen.canvas
    seg = canvas.thing(category_id("bus"))
    width, length, top = 2.5, float(rng.uniform(10.0, 12.5)), float(rng.uniform(3.0, 3.3))
    x0, x1 = x - width / 2, x + width / 2
    paint = Material(pen.pick([(220, 190, 40), (200, 40, 35), (40, 90, 170), (235, 235, 235),
                               (40, 140, 90)]), "grain", 0.03)
    _shadow(pen, (x0, x1), (z, z + length))
    pen.box((x0, x1), (0.35, top), (z, z + length), seg, paint)
    glass = _glass(pen)
    side = x0 if x0 > 0 else x1 if x1 < 0 else None
    if side is not None:
        pen.side_face(side, (1.3, top - 0.35), (z + 0.4, z + length - 0.4), seg, glass)
        for pillar in np.arange(z + 1.6, z + length - 0.8, 1.4):
            pen.side_face(side, (1.3, top - 0.35), (pillar, pillar + 0.15), seg, paint.shaded(0.8))
    pen.face((x0 + 0.15, x1 - 0.15), (1.3 if facing > 0 else 1.6, top - 0.35), z - 0.01, seg,
             glass)
    if facing > 0:
        pen.face((x0 + 0.4, x1 - 0.4), (top - 0.3, top - 0.08), z - 0.02, seg,
                 Material((255, 170, 40)))
    _wheels(pen, (x0, x1), [z + 2.2, z + length - 2.8], 0.5, seg)
    _lights(pen, (x0, x1), (0.6, 0.9), z, facing, seg)


def boat(pen: Pen, x: float, z: float, water: Colour) -> None:
    """A boat on the water at ``(x, z)`` with its reflection (which is water)."""
    rng, canvas = pen.rng, pen.canvas
    seg = canvas.thing(category_id("boat"))
    length = float(rng.uniform(4.0, 14.0))
    freeboard = length * float(rng.uniform(0.08, 0.13))
    facing = 1 if rng.random() < 0.5 else -1
    fig = pen.figure(x, z)
    hull = Material(pen.pick(HULLS), "grain", 0.04, gradient=0.25, side=0.15 * pen.sun)
    half = length / 2

    def flip(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(facing * px, py) for px, py in points]

    outline = flip([(-half, freeboard), (half * 0.8, freeboard), (half, freeboard * 1.3),
                    (half * 0.72, 0.0), (-half * 0.95, 0.0)])
    reflection = Material(hull.mixed(water, 0.6).colour, "ripples", 0.25)
    wobble = [(px + float(rng.uniform(-0.05, 0.05)) * length, -py * 0.8) for px, py in outline]
    fig.polygon(wobble, canvas.stuff(category_id("water-other")), reflection)
    fig.polygon(outline, seg, hull)
    stripe = Material(pen.pick(HULLS), "smooth")
    fig.polygon(flip([(-half, freeboard * 0.78), (half * 0.83, freeboard * 0.78),
                      (half * 0.86, freeboard * 0.9), (-half, freeboard * 0.9)]), seg, stripe)
    white = Material(pen.jitter((238, 238, 235)), "grain", 0.03, gradient=0.2,
                     side=0.2 * pen.sun)
    if rng.random() < 0.4:  # a sailing boat
        mast = length * float(rng.uniform(0.9, 1.3))
        fig.line(flip([(0.05 * length, freeboard), (0.05 * length, freeboard + mast)]),
                 max(0.02 * length, 0.06), seg, Material((200, 200, 200)))
        if rng.random() < 0.7:
            fig.polygon(flip([(0.02 * length, freeboard + 0.15 * mast),
                              (0.02 * length, freeboard + 0.95 * mast),
                              (-0.38 * length, freeboard + 0.15 * mast)]), seg, white)
    else:
        cabin_h = freeboard * float(rng.uniform(0.8, 1.6))
        c0, c1 = -0.3 * length, float(rng.uniform(0.0, 0.2)) * length
        fig.polygon(flip([(c0, freeboard), (c1, freeboard), (c1 - 0.05 * length,
                                                             freeboard + cabin_h),
                          (c0, freeboard + cabin_h)]), seg, white)
        window = Material(pen.jitter(GLASS), "smooth")
        fig.polygon(flip([(c0 + 0.03 * length, freeboard + cabin_h * 0.45),
                          (c1 - 0.08 * length, freeboard + cabin_h * 0.45),
                          (c1 - 0.08 * length, freeboard + cabin_h * 0.8),
                          (c0 + 0.03 * length, freeboard + cabin_h * 0.8)]), seg, window)
