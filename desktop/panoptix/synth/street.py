"""A street seen along its length: road, pavements, façades, trees, traffic, people."""

from __future__ import annotations

import numpy as np

from panoptix.synth import buildings, figures, nature, vehicles
from panoptix.synth.canvas import Material
from panoptix.synth.categories import category_id
from panoptix.synth.generator import Plan
from panoptix.synth.looks import ground, hazy, layout_colour, outdoor_scene, sky
from panoptix.synth.pen import Pen

ASPHALT = [(85, 85, 90), (70, 70, 75), (100, 98, 95), (60, 62, 68)]
PAVING = [(160, 155, 150), (140, 135, 130), (180, 170, 160), (125, 125, 130)]


def markings(pen: Pen, centre: float, half_road: float, near: float, far: float,
             crossing: float | None) -> None:
    """Dashes down the middle and, maybe, a zebra crossing: painted road."""
    rng = pen.rng
    seg = pen.canvas.stuff(category_id("road"))
    paint = Material(pen.jitter((225, 225, 215)), "grain", 0.06)
    dash, gap = float(rng.uniform(2, 4)), float(rng.uniform(4, 9))
    z = near + float(rng.uniform(0, gap))
    while z < far:
        pen.ground_polygon([(centre - 0.07, z), (centre + 0.07, z), (centre + 0.07, z + dash),
                            (centre - 0.07, z + dash)], seg, paint)
        z += dash + gap
    if crossing is not None:
        for x in np.arange(centre - half_road + 0.5, centre + half_road - 0.5, 1.0):
            pen.ground_polygon([(x, crossing), (x + 0.5, crossing), (x + 0.5, crossing + 3),
                                (x, crossing + 3)], seg, paint)


def pavement(pen: Pen, inner: float, outer: float, near: float, far: float) -> None:
    """A pavement between the kerb at ``inner`` and the houses at ``outer``, with joints."""
    seg = pen.canvas.stuff(category_id("pavement-merged"))
    stone = Material(pen.pick(PAVING), "grain", 0.08)
    pen.ground_polygon([(inner, near), (outer, near), (outer, far), (inner, far)], seg, stone)
    kerb = inner + np.sign(outer - inner) * 0.2
    pen.ground_polygon([(inner, near), (kerb, near), (kerb, far), (inner, far)], seg,
                       stone.shaded(1.15))
    joint = stone.shaded(0.75)
    z = near
    while z < min(far, 30):
        pen.ground_polygon([(inner, z), (outer, z), (outer, z + 0.05), (inner, z + 0.05)], seg,
                           joint)
        z += 1.5


def street(rng: np.random.Generator, height: int, width: int) -> Plan:
    weather, cam, layout, near = outdoor_scene(rng, height, width, eye=(1.4, 2.6),
                                               horizon=(0.36, 0.5))
    far = float(rng.uniform(70, 180))
    half_road = float(rng.uniform(3.2, 6.5))
    centre = float(rng.uniform(-0.6, 0.6)) * half_road
    walks = [float(rng.uniform(2.0, 4.5)) for _ in range(2)]
    kerbs = (centre - half_road, centre + half_road)
    fronts = (kerbs[0] - walks[0], kerbs[1] + walks[1])
    asphalt = hazy(Material(layout_colour(rng, ASPHALT), "grain", 0.07), weather.haze, 0.4)
    layout.background(sky, base=True, weather=weather)
    layout.background(ground, base=True, category="road", material=asphalt)
    crossing = float(rng.uniform(near + 2, 25)) if rng.random() < 0.35 else None
    layout.background(markings, centre=centre, half_road=half_road, near=near, far=far,
                      crossing=crossing)
    for kerb, front in zip(kerbs, fronts, strict=True):
        layout.background(pavement, inner=kerb, outer=front, near=near, far=far)
    layout.background(buildings.skyline, x=(fronts[0] - 60, fronts[1] + 60), z=far,
                      heights=(8.0, 30.0), distance=far)
    blocks = []
    for front in fronts:
        if rng.random() < 0.85:
            z = near * 0.5
            while z < far:
                length = float(rng.uniform(8, 25))
                blocks.append({"x": front, "z": (z, min(z + length, far)),
                               "height": float(rng.uniform(7, 28))})
                z += length
    for block in sorted(blocks, key=lambda b: -b["z"][0]):  # far to near
        layout.background(buildings.block, **block)
    for kerb, side in zip(kerbs, (-1, 1), strict=True):
        if rng.random() < 0.55:
            for z in np.arange(near + rng.uniform(1, 8), far * 0.7, rng.uniform(8, 16)):
                if rng.random() < 0.8:
                    layout.add(float(z), nature.tree, x=kerb + side * 0.9, z=float(z),
                               height=float(rng.uniform(5, 10)))
    lanes = [(centre + half_road / 2, -1), (centre - half_road / 2, 1)]
    if half_road > 5:
        lanes += [(kerbs[0] + 1.1, -1), (kerbs[1] - 1.1, -1)]
    for lane_x, facing in lanes:
        z = near + float(rng.uniform(1, 15))
        while z < far * 0.6:
            kind = rng.choice(["car", "truck", "bus"], p=[0.8, 0.1, 0.1])
            draw = {"car": vehicles.car, "truck": vehicles.truck, "bus": vehicles.bus}[kind]
            if rng.random() < 0.75:
                layout.add(z, draw, x=lane_x + float(rng.uniform(-0.3, 0.3)), z=z, facing=facing)
            z += {"car": 4.5, "truck": 9.0, "bus": 12.5}[kind] + float(rng.uniform(2, 25))
    for _ in range(int(rng.integers(2, 11))):
        z = float(near + rng.exponential(15))
        if rng.random() < 0.2:
            x = float(rng.uniform(kerbs[0], kerbs[1]))  # crossing the road
        else:
            side = int(rng.integers(2))
            x = float(rng.uniform(min(kerbs[side], fronts[side]) + 0.4,
                                  max(kerbs[side], fronts[side]) - 0.4))
        layout.add(z, figures.person, x=x, z=z)
        if rng.random() < 0.1:
            layout.add(z - 0.3, figures.dog, x=x + 0.7, z=z - 0.3)
    for _ in range(int(rng.integers(0, 4))):
        side = int(rng.integers(2))
        z = float(near + rng.uniform(1, 25))
        x = kerbs[side] + (-0.6, 0.6)[side]  # on the pavement, by the kerb
        layout.add(z, figures.bicycle, x=x, z=z)
    return Plan(cam, layout, weather.look)


