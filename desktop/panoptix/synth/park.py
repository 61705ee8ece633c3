"""A park: lawns, a winding path, trees and bushes, maybe a pond, a fence, hills; people
walking, dogs, benches, bicycles."""

from __future__ import annotations

import numpy as np

from panoptix.synth import figures, nature
from panoptix.synth.canvas import Material
from panoptix.synth.categories import category_id
from panoptix.synth.generator import Plan
from panoptix.synth.looks import ground, hazy, layout_colour, outdoor_scene, sky
from panoptix.synth.pen import Pen

GRASS = [(85, 135, 55), (100, 150, 60), (70, 120, 50), (120, 150, 70), (95, 125, 60)]
DIRT = [(175, 150, 115), (150, 125, 95), (190, 170, 135), (135, 115, 90)]
WATER = [(70, 105, 120), (60, 95, 115), (85, 115, 125)]


def pond(pen: Pen, x: float, z: float, radii: tuple[float, float], water: Material) -> None:
    """An oval of water on the ground, with a muddy rim."""
    angles = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    wobble = 1 + 0.08 * np.sin(angles * 3 + pen.rng.uniform(0, 6.3))
    outline = [(x + radii[0] * w * np.cos(a), z + radii[1] * w * np.sin(a))
               for a, w in zip(angles, wobble, strict=True)]
    rim = [(x + (px - x) * 1.06, z + (pz - z) * 1.06) for px, pz in outline]
    pen.ground_polygon(rim, pen.canvas.stuff(category_id("dirt-merged")),
                       Material(pen.pick(DIRT), "grain", 0.08))
    pen.ground_polygon(outline, pen.canvas.stuff(category_id("water-other")), water)


def park(rng: np.random.Generator, height: int, width: int) -> Plan:
    weather, cam, layout, near = outdoor_scene(rng, height, width, eye=(1.4, 2.2),
                                               horizon=(0.34, 0.5))
    horizon = cam.horizon
    layout.background(sky, base=True, weather=weather)
    if rng.random() < 0.45:
        layout.background(nature.ridge, row=horizon + 1, height=float(rng.uniform(0.05, 0.2))
                          * height, colour=tuple(0.55 * c + 0.45 * h for c, h in zip(
                              (70, 100, 80), weather.haze, strict=True)))
    grass = hazy(Material(layout_colour(rng, GRASS), "blades", 0.12), weather.haze, 0.35)
    layout.background(ground, base=True, category="grass-merged", material=grass)
    if rng.random() < 0.75:
        layout.background(nature.tree_line, row=horizon + 2,
                          height=float(rng.uniform(0.02, 0.09)) * height,
                          colour=tuple(0.7 * c + 0.3 * h for c, h in zip(
                              (60, 95, 50), weather.haze, strict=True)))
    track = None
    if rng.random() < 0.85:
        track = nature.Track(float(rng.uniform(-3, 3)), float(rng.uniform(0.5, 4)),
                             float(rng.uniform(8, 30)), float(rng.uniform(0, 6.3)),
                             float(rng.uniform(1.5, 3.2)))
        layout.background(nature.path, track=track, near=near * 0.5, far=250.0,
                          category="dirt-merged",
                          material=hazy(Material(layout_colour(rng, DIRT), "grain", 0.1),
                                        weather.haze, 0.3))
    if rng.random() < 0.35:
        radii = (float(rng.uniform(4, 12)), float(rng.uniform(3, 8)))
        z = float(rng.uniform(near + radii[1] + 4, 45))
        side = 1 if rng.random() < 0.5 else -1
        x = (track.x(z) if track else 0.0) + side * (radii[0] + float(rng.uniform(3, 8)))
        water = Material(layout_colour(rng, WATER), "ripples", 0.12, top=weather.sky_horizon)
        layout.background(pond, x=x, z=z, radii=radii, water=water)
    if rng.random() < 0.3:
        side = 1 if rng.random() < 0.5 else -1
        fx = side * float(rng.uniform(4, 12))
        layout.add(near + 0.5, nature.fence, start=(fx, near + 0.5), end=(fx, 80.0))
    lo, hi = cam.visible_x(30.0)
    for _ in range(int(rng.integers(3, 10))):
        z = float(rng.uniform(near + 2, 60))
        x = float(rng.uniform(*cam.visible_x(z, 2.0)))
        if track is not None and abs(x - float(track.x(z))) < track.width:
            x += 2 * track.width
        layout.add(z, nature.tree, x=x, z=z, height=float(rng.uniform(4, 13)),
                   autumn=bool(rng.random() < 0.15))
    for _ in range(int(rng.integers(0, 6))):
        z = float(rng.uniform(near + 1, 40))
        layout.add(z, nature.bush, x=float(rng.uniform(*cam.visible_x(z))), z=z,
                   width=float(rng.uniform(1, 3)))
    people = []
    for _ in range(int(rng.integers(2, 10))):
        z = float(near + rng.exponential(12))
        if track is not None and rng.random() < 0.6:
            x = float(track.x(z)) + float(rng.uniform(-0.5, 0.5)) * track.width
        else:
            x = float(rng.uniform(*cam.visible_x(z)))
        layout.add(z, figures.person, x=x, z=z)
        people.append((x, z))
    for x, z in people:
        if rng.random() < 0.3:
            layout.add(z - 0.2, figures.dog, x=x + float(rng.uniform(-1.5, 1.5)), z=z - 0.2)
    for _ in range(int(rng.integers(0, 3))):
        z = float(rng.uniform(near + 1.5, 25))
        x = (float(track.x(z)) + (track.width / 2 + 1.0) * (1 if rng.random() < 0.5 else -1)
             if track is not None else float(rng.uniform(lo, hi) * 0.3))
        layout.add(z + 0.5, figures.bench, x=x, z=z)
    for _ in range(int(rng.integers(0, 3))):
        z = float(rng.uniform(near + 1, 30))
        layout.add(z, figures.bicycle, x=float(rng.uniform(*cam.visible_x(z))) * 0.8, z=z)
    return Plan(cam, layout, weather.look)
