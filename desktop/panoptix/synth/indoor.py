"""A kitchen: the room box, cabinets and counter, a window with a view, and the things on
counters and tables (bottles, cups, bowls), chairs and a dining table."""

from __future__ import annotations

import numpy as np

from panoptix.synth.canvas import Material
from panoptix.synth.categories import category_id
from panoptix.synth.figures import WOOD
from panoptix.synth.pen import Pen

WALL_PAINT = [(225, 220, 205), (200, 215, 220), (235, 225, 200), (190, 200, 180),
              (215, 200, 190), (240, 240, 235)]
CABINETS = [(235, 235, 230), (120, 85, 55), (70, 90, 110), (160, 170, 150), (40, 45, 50),
            (190, 150, 100)]
TOPS = [(60, 60, 62), (215, 210, 200), (150, 120, 90), (30, 30, 32)]
CERAMIC = [(240, 240, 235), (200, 60, 50), (60, 110, 170), (230, 200, 70), (90, 150, 110),
           (40, 40, 45)]
BOTTLES = [(40, 110, 50), (110, 60, 25), (190, 215, 225), (200, 40, 40), (235, 235, 230)]


def room(pen: Pen, half: tuple[float, float], depth: float, ceiling: float) -> None:
    """Floor, ceiling, back wall and side walls of a room from ``x = half[0]..half[1]``."""
    canvas = pen.canvas
    left, right = half
    near = 0.3
    wall = Material(pen.pick(WALL_PAINT), "grain", 0.025, gradient=0.15)
    wall_seg = canvas.stuff(category_id("wall-other-merged"))
    pen.face((left, right), (0.0, ceiling), depth, wall_seg, wall)
    pen.side_face(left, (0.0, ceiling), (near, depth), wall_seg, wall.shaded(0.85 - 0.1 * pen.sun))
    pen.side_face(right, (0.0, ceiling), (near, depth), wall_seg,
                  wall.shaded(0.85 + 0.1 * pen.sun))
    pen.world_polygon([(left, ceiling, near), (right, ceiling, near), (right, ceiling, depth),
                       (left, ceiling, depth)], canvas.stuff(category_id("ceiling-merged")),
                      Material(pen.jitter((235, 235, 230)), "grain", 0.015, gradient=-0.3))
    floor_seg = canvas.stuff(category_id("floor-wood"))
    boards = Material(pen.pick(WOOD + [(190, 150, 105)]), "wood", 0.14, gradient=0.2)
    pen.ground_polygon([(left, near), (right, near), (right, depth), (left, depth)], floor_seg,
                       boards)
    gap = boards.shaded(0.7)
    for x in np.arange(left + 0.18, right, 0.18):  # the gaps between boards, towards the wall
        pen.ground_polygon([(x - 0.008, near), (x + 0.008, near), (x + 0.008, depth),
                            (x - 0.008, depth)], floor_seg, gap)


def window(pen: Pen, x: tuple[float, float], y: tuple[float, float], depth: float) -> None:
    """A window in the back wall: frame and bars, and the sky and treetops behind it."""
    rng, canvas, cam = pen.rng, pen.canvas, pen.camera
    (x0, x1), (y0, y1) = x, y
    frame = Material(pen.pick([(245, 245, 240), (110, 80, 50), (60, 60, 65)]), "smooth")
    pen.face((x0 - 0.06, x1 + 0.06), (y0 - 0.06, y1 + 0.06), depth - 0.01,
             canvas.stuff(category_id("window-other")), frame)
    sky = Material(pen.jitter((150, 190, 230), 0.1), "clouds", 0.05, gradient=0.3, clouds=0.7)
    pen.face((x0, x1), (y0, y1), depth - 0.02, canvas.stuff(category_id("sky-other-merged")), sky)
    if rng.random() < 0.75:  # treetops outside, inside the pane
        pane = cam.project_many([(x0, y0, depth), (x1, y1, depth)])
        (u0, v1), (u1, v0) = pane
        xs = np.linspace(u0, u1, 24)
        tops = v1 - (v1 - v0) * rng.uniform(0.2, 0.7) * (0.75 + 0.25 * np.sin(
            np.linspace(0, rng.uniform(6, 14), 24)) * pen.numbers().uniform(0.5, 1.0, 24))
        tops = np.clip(tops, v0 + 1, v1)
        points = np.concatenate([np.stack([xs, tops], 1), [[u1, v1], [u0, v1]]])
        canvas.polygon(points, canvas.stuff(category_id("tree-merged")),
                       Material(pen.jitter((70, 120, 55), 0.1), "foliage", 0.2, gradient=0.3))
    bars = frame.shaded(0.95)
    seg = canvas.stuff(category_id("window-other"))
    mid = (x0 + x1) / 2
    pen.face((mid - 0.03, mid + 0.03), (y0, y1), depth - 0.03, seg, bars)
    if rng.random() < 0.6:
        mid_y = (y0 + y1) / 2
        pen.face((x0, x1), (mid_y - 0.03, mid_y + 0.03), depth - 0.03, seg, bars)


def counter(pen: Pen, x: tuple[float, float], depth: float, upper: bool) -> None:
    """Base cabinets with doors, the worktop on them and, optionally, wall cabinets."""
    canvas = pen.canvas
    x0, x1 = x
    cabinet_seg = canvas.stuff(category_id("cabinet-merged"))
    paint = Material(pen.pick(CABINETS), "grain", 0.04)
    front_z = depth - 0.62
    pen.box((x0, x1), (0.0, 0.1), (front_z + 0.06, depth), cabinet_seg, paint.shaded(0.5))
    pen.box((x0, x1), (0.1, 0.88), (front_z, depth), cabinet_seg, paint)
    handle = Material(pen.jitter((180, 180, 185)), "smooth")
    doors = max(1, round((x1 - x0) / 0.6))
    width = (x1 - x0) / doors
    for i in range(doors):
        d0 = x0 + i * width
        pen.face((d0 + 0.02, d0 + width - 0.02), (0.14, 0.84), front_z - 0.005, cabinet_seg,
                 paint.shaded(1.05, gradient=0.15))
        pen.face((d0 + width / 2 - 0.08, d0 + width / 2 + 0.08), (0.76, 0.79), front_z - 0.01,
                 cabinet_seg, handle)
    pen.box((x0 - 0.02, x1 + 0.02), (0.88, 0.93), (front_z - 0.03, depth),
            canvas.stuff(category_id("counter")), Material(pen.pick(TOPS), "grain", 0.08))
    if upper:
        top_front = depth - 0.35
        pen.box((x0, x1), (1.45, 2.15), (top_front, depth), cabinet_seg, paint)
        for i in range(doors):
            d0 = x0 + i * width
            pen.face((d0 + 0.02, d0 + width - 0.02), (1.48, 2.12), top_front - 0.005,
                     cabinet_seg, paint.shaded(1.05, gradient=0.15))


def bottle(pen: Pen, x: float, z: float, base: float) -> None:
    rng, canvas = pen.rng, pen.canvas
    seg = canvas.thing(category_id("bottle"))
    fig = pen.figure(x, z, base)
    tall = float(rng.uniform(0.2, 0.33))
    half = tall * float(rng.uniform(0.12, 0.17))
    glass = Material(pen.pick(BOTTLES), "fine", 0.04, side=0.5 * pen.sun)
    body = tall * 0.62
    fig.rectangle(-half, 0, half, body, seg, glass)
    fig.polygon([(-half, body), (half, body), (half * 0.35, tall * 0.8),
                 (-half * 0.35, tall * 0.8)], seg, glass)
    fig.rectangle(-half * 0.35, tall * 0.8, half * 0.35, tall, seg, glass)
    fig.rectangle(-half * 0.4, tall * 0.95, half * 0.4, tall * 1.02, seg,
                  Material(pen.pick(CERAMIC)))
    if rng.random() < 0.6:  # a label
        fig.rectangle(-half, body * 0.3, half, body * 0.7, seg,
                      Material(pen.pick(CERAMIC), "fine", 0.03))
    fig.rectangle(-half * 0.6, body * 0.1, -half * 0.35, body * 0.95, seg, glass.shaded(1.35))


def cup(pen: Pen, x: float, z: float, base: float) -> None:
    rng, canvas = pen.rng, pen.canvas
    seg = canvas.thing(category_id("cup"))
    fig = pen.figure(x, z, base)
    tall = float(rng.uniform(0.08, 0.12))
    half = tall * float(rng.uniform(0.4, 0.5))
    ceramic = Material(pen.pick(CERAMIC), "fine", 0.03, side=0.4 * pen.sun)
    side = 1 if rng.random() < 0.5 else -1
    fig.ellipse((side * half * 1.05, tall * 0.55), (tall * 0.25, tall * 0.28), seg, ceramic,
                thickness=tall * 0.09)
    fig.polygon([(-half, tall), (half, tall), (half * 0.85, 0), (-half * 0.85, 0)], seg, ceramic)
    fig.ellipse((0, tall), (half, tall * 0.12), seg, ceramic.shaded(0.6))


def bowl(pen: Pen, x: float, z: float, base: float) -> None:
    rng, canvas = pen.rng, pen.canvas
    seg = canvas.thing(category_id("bowl"))
    fig = pen.figure(x, z, base)
    half = float(rng.uniform(0.08, 0.15))
    deep = half * float(rng.uniform(0.45, 0.7))
    ceramic = Material(pen.pick(CERAMIC), "fine", 0.03, gradient=0.3, side=0.3 * pen.sun)
    fig.ellipse((0, deep), (half, half * 0.22), seg, ceramic.shaded(0.7))
    fig.ellipse((0, deep), (half, deep), seg, ceramic, start=0, end=180)
    fig.rectangle(-half * 0.4, 0, half * 0.4, deep * 0.15, seg, ceramic.shaded(0.85))


def chair(pen: Pen, x: float, z: float, back_far: bool) -> None:
    """A chair facing the camera (``back_far``) or turned away from it."""
    rng, canvas = pen.rng, pen.canvas
    seg = canvas.thing(category_id("chair"))
    half = float(rng.uniform(0.2, 0.26))
    wood = Material(pen.pick(WOOD + [(40, 40, 42), (230, 230, 225)]), "wood", 0.1)
    pen.ground_shadow(x, z + half, half * 1.2, half * 1.1, length=0.4)
    legs = [(x - half, z), (x + half - 0.04, z), (x - half, z + 2 * half - 0.04),
            (x + half - 0.04, z + 2 * half - 0.04)]
    back_z = z + 2 * half - 0.04 if back_far else z
    for lx, lz in sorted(legs, key=lambda leg: -leg[1]):
        top = 0.95 if abs(lz - back_z) < 1e-6 else 0.45
        pen.box((lx, lx + 0.04), (0.0, top), (lz, lz + 0.04), seg, wood)
    pen.box((x - half, x + half), (0.43, 0.47), (z, z + 2 * half), seg, wood)
    pen.box((x - half, x + half), (0.72, 0.92), (back_z, back_z + 0.04), seg, wood)


def dining_table(pen: Pen, x: float, z: float, half: tuple[float, float]) -> None:
    canvas = pen.canvas
    seg = canvas.thing(category_id("dining table"))
    hx, hz = half
    wood = Material(pen.pick(WOOD + [(235, 235, 230)]), "wood", 0.12)
    pen.ground_shadow(x, z + hz, hx * 1.1, hz * 1.1, length=0.3)
    for lx in (x - hx + 0.05, x + hx - 0.11):
        for lz in (z + 2 * hz - 0.11, z + 0.05):
            pen.box((lx, lx + 0.06), (0.0, 0.72), (lz, lz + 0.06), seg, wood.shaded(0.9))
    pen.box((x - hx, x + hx), (0.72, 0.76), (z, z + 2 * hz), seg, wood)
