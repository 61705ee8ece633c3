"""A kitchen: a room with a counter and cabinets along the back wall, a window with a view
of sky and trees, bottles, cups and bowls on the counter and the table, chairs, people."""

from __future__ import annotations

import numpy as np

from panoptix.synth import figures, indoor
from panoptix.synth.camera import make_camera
from panoptix.synth.generator import Layout, Plan
from panoptix.synth.looks import indoor_look

COUNTER_TOP = 0.93
TABLE_TOP = 0.76
SMALL_THINGS = (indoor.bottle, indoor.cup, indoor.bowl)


def kitchen(rng: np.random.Generator, height: int, width: int) -> Plan:
    look = indoor_look(rng)
    cam = make_camera(rng, height, width, eye=(1.25, 1.7), horizon=(0.38, 0.55),
                      fov=(60.0, 80.0))
    layout = Layout(rng)
    depth = float(rng.uniform(3.5, 6.0))
    walls = (-float(rng.uniform(1.6, 3.2)), float(rng.uniform(1.6, 3.2)))
    ceiling = float(rng.uniform(2.4, 2.9))
    layout.background(indoor.room, base=True, half=walls, depth=depth, ceiling=ceiling)
    span = walls[1] - walls[0]
    run = float(rng.uniform(0.45, 0.8)) * span
    from_left = rng.random() < 0.5
    counter = (walls[0], walls[0] + run) if from_left else (walls[1] - run, walls[1])
    upper = rng.random() < 0.7
    free = (counter[1], walls[1]) if from_left else (walls[0], counter[0])
    if rng.random() < 0.8:  # a window: over the counter when no wall cabinets, else beside
        room = counter if not upper else free
        if room[1] - room[0] > 1.0:
            wide = min(float(rng.uniform(0.8, 1.8)), room[1] - room[0] - 0.3)
            x0 = float(rng.uniform(room[0] + 0.15, room[1] - 0.15 - wide))
            layout.background(indoor.window, x=(x0, x0 + wide),
                              y=(float(rng.uniform(1.0, 1.3)), min(ceiling - 0.25, 2.3)),
                              depth=depth)
    layout.background(indoor.counter, x=counter, depth=depth, upper=upper)
    for _ in range(int(rng.integers(2, 9))):
        z = float(rng.uniform(depth - 0.55, depth - 0.12))
        x = float(rng.uniform(counter[0] + 0.1, counter[1] - 0.1))
        draw = SMALL_THINGS[int(rng.integers(len(SMALL_THINGS)))]
        layout.add(z, draw, x=x, z=z, base=COUNTER_TOP)
    if rng.random() < 0.3:
        z = float(rng.uniform(depth - 0.5, depth - 0.2))
        layout.add(z, figures.potted_plant, x=float(rng.uniform(counter[0] + 0.2, counter[1]
                                                                - 0.2)),
                   z=z, base=COUNTER_TOP, height=float(rng.uniform(0.25, 0.5)))
    half = (float(rng.uniform(0.45, 0.9)), float(rng.uniform(0.35, 0.55)))
    room_for_table = depth - 1.2 - 2 * half[1] - 1.9
    if rng.random() < 0.65 and room_for_table > 0.1:
        tz = float(rng.uniform(1.9, 1.9 + room_for_table))
        tx = float(rng.uniform(walls[0] + half[0] + 0.4, walls[1] - half[0] - 0.4))
        layout.add(tz + 2 * half[1] + 0.01, indoor.dining_table, x=tx, z=tz, half=half)
        for _ in range(int(rng.integers(0, 5))):
            z = float(rng.uniform(tz + 0.1, tz + 2 * half[1] - 0.1))
            x = float(rng.uniform(tx - half[0] + 0.1, tx + half[0] - 0.1))
            draw = SMALL_THINGS[int(rng.integers(len(SMALL_THINGS)))]
            layout.add(z, draw, x=x, z=z, base=TABLE_TOP)
        for _ in range(int(rng.integers(0, 5))):
            place = int(rng.integers(4))
            if place == 0:
                x, z, back_far = tx + float(rng.uniform(-0.6, 0.6)) * half[0], tz - 0.55, True
            elif place == 1:
                x, z, back_far = tx + float(rng.uniform(-0.6, 0.6)) * half[0], tz + 2 * half[
                    1] + 0.05, False
            else:
                x = tx + (half[0] + 0.35) * (1 if place == 2 else -1)
                z, back_far = tz + half[1] - 0.25, bool(rng.random() < 0.5)
            layout.add(z, indoor.chair, x=x - 0.23, z=z, back_far=back_far)
    for _ in range(int(rng.integers(0, 3))):
        z = float(rng.uniform(2.3, depth - 0.8))
        layout.add(z, figures.person, x=float(rng.uniform(walls[0] + 0.3, walls[1] - 0.3)),
                   z=z, shadow=False)
    if rng.random() < 0.3:
        z = float(rng.uniform(1.5, depth - 0.7))
        x = walls[0] + 0.35 if rng.random() < 0.5 else walls[1] - 0.35
        layout.add(z, figures.potted_plant, x=x, z=z, height=float(rng.uniform(0.6, 1.2)))
    return Plan(cam, layout, look)
