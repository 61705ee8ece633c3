"""A harbour: open water with boats and their reflections, a quay or a pier with people,
benches and parked cars, a far shore of hills, trees and houses."""

from __future__ import annotations

import numpy as np

from panoptix.synth import buildings, figures, nature, vehicles
from panoptix.synth.canvas import Material
from panoptix.synth.categories import category_id
from panoptix.synth.generator import Plan
from panoptix.synth.looks import ground, hazy, layout_colour, outdoor_scene, sky
from panoptix.synth.pen import Pen

WATER = [(40, 80, 110), (35, 70, 90), (50, 95, 115), (45, 85, 85)]
STONE = [(150, 145, 135), (125, 120, 115), (170, 160, 145)]


def quay(pen: Pen, region: list[tuple[float, float]], edge: list[tuple[float, float]],
         stone: Material) -> None:
    """The quay's surface (``(x, z)`` outline) and a lighter kerb along its water edge."""
    seg = pen.canvas.stuff(category_id("pavement-merged"))
    pen.ground_polygon(region, seg, stone)
    pen.ground_polygon(edge, seg, stone.shaded(1.2))


def harbour(rng: np.random.Generator, height: int, width: int) -> Plan:
    weather, cam, layout, near = outdoor_scene(rng, height, width, eye=(2.0, 5.0),
                                               horizon=(0.33, 0.48))
    horizon = cam.horizon
    layout.background(sky, base=True, weather=weather)
    if rng.random() < 0.6:
        layout.background(nature.ridge, row=horizon + 1,
                          height=float(rng.uniform(0.04, 0.16)) * height,
                          colour=tuple(0.5 * c + 0.5 * h for c, h in zip(
                              (80, 100, 95), weather.haze, strict=True)))
    water_colour = layout_colour(rng, WATER)
    water = Material(water_colour, "ripples", 0.14,
                     top=tuple(0.4 * c + 0.6 * s for c, s in zip(water_colour,
                                                                 weather.sky_horizon,
                                                                 strict=True)))
    layout.background(ground, base=True, category="water-other", material=water)
    shore = float(rng.uniform(300, 1200))
    if rng.random() < 0.5:
        layout.background(nature.tree_line, row=horizon + 1,
                          height=float(rng.uniform(0.01, 0.04)) * height,
                          colour=tuple(0.6 * c + 0.4 * h for c, h in zip(
                              (60, 90, 55), weather.haze, strict=True)))
    if rng.random() < 0.6:
        span = cam.visible_x(shore)
        layout.background(buildings.skyline, x=span, z=shore, heights=(6.0, 30.0),
                          distance=shore)
    stone = hazy(Material(layout_colour(rng, STONE), "grain", 0.05), weather.haze, 0.2)
    pier = rng.random() < 0.5
    if pier:  # a pier along one side, the water beside it
        side = 1 if rng.random() < 0.5 else -1
        edge = side * float(rng.uniform(1.5, 6))
        length = float(rng.uniform(40, 160))
        outer = side * 400.0
        region = [(edge, near * 0.4), (outer, near * 0.4), (outer, length), (edge, length)]
        kerb = [(edge, near * 0.4), (edge + side * 0.3, near * 0.4), (edge + side * 0.3, length),
                (edge, length)]
        layout.background(quay, region=region, edge=kerb, stone=stone)
        if rng.random() < 0.5:
            layout.background(buildings.block, x=edge + side * float(rng.uniform(10, 25)),
                              z=(near * 0.4, length), height=float(rng.uniform(6, 18)))

        def on_land(z: float) -> float:
            return edge + side * float(rng.uniform(0.6, 8.0))

        def on_water(z: float, reach: float) -> float:
            """Clear of the pier (a boat's reflection must not fall on it); maybe out of
            view, then the boat is simply not seen."""
            lo, hi = cam.visible_x(z)
            if side > 0:
                limit = edge - reach - 1.0
                return float(rng.uniform(min(lo, limit - 5.0), limit))
            limit = edge + reach + 1.0
            return float(rng.uniform(limit, max(hi, limit + 5.0)))

        water_from = near + 2
        land_depth = (near, min(length, 40.0))
    else:  # a quay across the foreground, the water beyond its edge
        edge = near + float(rng.uniform(1.5, 7))
        region = [(-400.0, near * 0.4), (400.0, near * 0.4), (400.0, edge), (-400.0, edge)]
        kerb = [(-400.0, edge - 0.3), (400.0, edge - 0.3), (400.0, edge), (-400.0, edge)]
        layout.add(edge, quay, region=region, edge=kerb, stone=stone)
        if rng.random() < 0.4:
            layout.add(edge - 0.2, nature.fence, start=(-60.0, edge - 0.2), end=(60.0, edge - 0.2))

        def on_land(z: float) -> float:
            return float(rng.uniform(*cam.visible_x(z)))

        def on_water(z: float, reach: float) -> float:
            return float(rng.uniform(*cam.visible_x(z)))

        water_from = edge + 3
        land_depth = (near, edge - 0.4)
    for _ in range(int(rng.integers(3, 10))):
        z = float(water_from + rng.exponential(40))
        layout.add(z, vehicles.boat, x=on_water(z, 7.0), z=z, water=water_colour)
    for _ in range(int(rng.integers(1, 7))):
        z = float(rng.uniform(*land_depth))
        layout.add(z, figures.person, x=on_land(z), z=z)
    for _ in range(int(rng.integers(0, 3))):
        z = float(rng.uniform(*land_depth))
        layout.add(z + 0.5, figures.bench, x=on_land(z), z=z)
    if rng.random() < 0.2:
        z = float(rng.uniform(*land_depth))
        layout.add(z, figures.dog, x=on_land(z), z=z)
    if pier and rng.random() < 0.5:
        for _ in range(int(rng.integers(1, 3))):
            z = float(rng.uniform(near + 2, 30))
            layout.add(z, vehicles.car, x=edge + side * float(rng.uniform(3, 6)), z=z,
                       facing=-1 if rng.random() < 0.5 else 1)
    return Plan(cam, layout, weather.look)
