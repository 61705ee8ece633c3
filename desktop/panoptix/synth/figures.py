"""People, dogs, bicycles, benches and potted plants: each call draws one instance."""

from __future__ import annotations

from panoptix.synth.canvas import Material
from panoptix.synth.categories import category_id
from panoptix.synth.pen import Pen

SKINS = [(236, 200, 170), (210, 160, 120), (170, 115, 80), (120, 80, 55), (90, 60, 40),
         (245, 215, 190)]
HAIR = [(30, 25, 20), (70, 45, 25), (120, 85, 50), (200, 170, 110), (90, 90, 90),
        (150, 60, 30)]
CLOTHES = [(200, 40, 40), (40, 70, 160), (240, 240, 235), (30, 30, 35), (60, 130, 70),
           (230, 190, 50), (130, 60, 140), (230, 120, 40), (110, 140, 170), (160, 130, 100),
           (200, 90, 120), (80, 80, 90)]
TROUSERS = [(40, 50, 80), (30, 30, 35), (90, 80, 70), (60, 70, 100), (150, 130, 100),
            (110, 110, 115)]
FUR = [(120, 80, 45), (30, 25, 22), (220, 190, 140), (240, 235, 225), (160, 110, 60),
       (90, 85, 80)]
FRAMES = [(200, 30, 30), (20, 20, 25), (40, 90, 170), (230, 230, 230), (40, 130, 60),
          (240, 180, 30)]
WOOD = [(140, 95, 55), (110, 70, 40), (170, 125, 80), (90, 60, 40)]
POTS = [(185, 95, 60), (60, 60, 65), (230, 230, 225), (120, 150, 170)]
LEAVES = [(60, 120, 50), (40, 95, 40), (90, 140, 60), (50, 110, 70)]
DETAIL_PX = 24.0
"""People shorter than this on screen leave out shoes, hands, hair and bags."""


def person(pen: Pen, x: float, z: float, height: float | None = None, base: float = 0.0,
           shadow: bool = True) -> None:
    rng, canvas = pen.rng, pen.canvas
    tall = height if height is not None else float(rng.uniform(1.5, 1.92))
    fig = pen.figure(x, z, base)
    seg = canvas.thing(category_id("person"))
    if shadow:
        pen.ground_shadow(x, z, 0.28, 0.22, length=tall * 0.6)
    side = 0.3 * pen.sun
    skin = Material(pen.pick(SKINS, 0.05), "fabric", 0.03, gradient=-0.1, side=side)
    shirt = Material(pen.pick(CLOTHES), "fabric", 0.06, gradient=0.15, side=side)
    legs = Material(pen.pick(TROUSERS), "fabric", 0.06, gradient=0.2, side=side)
    hair = Material(pen.pick(HAIR), "fine", 0.08, side=side)
    shoe = Material(pen.jitter((35, 30, 30)), "smooth")
    stride = float(rng.uniform(-1, 1)) * (rng.random() < 0.7)
    turn = float(rng.uniform(-1, 1))
    detailed = tall * fig.scale >= DETAIL_PX
    width = tall * float(rng.uniform(0.22, 0.27))
    hip, shoulder = 0.52 * tall, 0.81 * tall
    for sign in (-1, 1):
        foot = sign * 0.055 * tall + sign * stride * 0.09 * tall
        top = sign * 0.045 * tall
        fig.polygon([(top - 0.05 * tall, hip), (top + 0.05 * tall, hip),
                     (foot + 0.033 * tall, 0.03 * tall), (foot - 0.033 * tall, 0.03 * tall)],
                    seg, legs)
        if detailed:
            fig.ellipse((foot + 0.02 * tall * turn, 0.022 * tall),
                        (0.048 * tall, 0.024 * tall), seg, shoe)
    if rng.random() < 0.25 and detailed:  # a skirt or a coat over the hips
        fig.polygon([(-0.42 * width, hip + 0.02 * tall), (0.42 * width, hip + 0.02 * tall),
                     (0.6 * width, 0.33 * tall), (-0.6 * width, 0.33 * tall)], seg, shirt)
    fig.polygon([(-width / 2, shoulder), (width / 2, shoulder),
                 (0.4 * width, hip - 0.02 * tall), (-0.4 * width, hip - 0.02 * tall)], seg, shirt)
    fig.ellipse((0, shoulder - 0.01 * tall), (width / 2, 0.035 * tall), seg, shirt)
    sleeve = shirt if rng.random() < 0.6 else skin
    for sign in (-1, 1):
        swing = -sign * stride * 0.07 * tall
        shoulder_at = (sign * (width / 2 - 0.025 * tall), shoulder - 0.015 * tall)
        elbow = (sign * (width / 2 + 0.012 * tall) + swing / 2, 0.64 * tall)
        hand = (sign * (width / 2 + 0.015 * tall) + swing, 0.47 * tall)
        fig.line([shoulder_at, elbow], 0.062 * tall, seg, shirt)
        fig.line([elbow, hand], 0.055 * tall, seg, sleeve)
        if detailed:
            fig.ellipse(hand, (0.027 * tall, 0.032 * tall), seg, skin)
    fig.rectangle(-0.025 * tall, shoulder, 0.025 * tall, 0.87 * tall, seg, skin)
    head = (0.01 * tall * turn, 0.915 * tall)
    fig.ellipse(head, (0.056 * tall, 0.07 * tall), seg, skin)
    if rng.random() < 0.9 and detailed:
        fig.ellipse((head[0], head[1] + 0.012 * tall), (0.06 * tall, 0.065 * tall), seg, hair,
                    start=180, end=360)
    if rng.random() < 0.2 and detailed:  # a bag
        bag = Material(pen.pick(TROUSERS + CLOTHES[:4]), "fabric", 0.05)
        sign = 1 if rng.random() < 0.5 else -1
        fig.rectangle(sign * 0.5 * width, 0.42 * tall, sign * 0.5 * width + sign * 0.13 * tall,
                      0.56 * tall, seg, bag)


def dog(pen: Pen, x: float, z: float) -> None:
    rng, canvas = pen.rng, pen.canvas
    length = float(rng.uniform(0.45, 0.95))
    high = length * float(rng.uniform(0.6, 0.8))
    facing = 1 if rng.random() < 0.5 else -1
    fig = pen.figure(x, z)
    seg = canvas.thing(category_id("dog"))
    pen.ground_shadow(x, z, length * 0.6, 0.2, length=high)
    fur = Material(pen.pick(FUR), "fabric", 0.08, gradient=0.25, side=0.2 * pen.sun)
    dark = fur.shaded(0.7)
    for offset, shade in ((0.04, dark), (-0.04, fur)):
        for end in (-0.36, 0.36):
            fig.line([(end * length + offset, high * 0.7), (end * length + offset * 1.5, 0.02)],
                     0.075 * length, seg, shade)
    fig.ellipse((0, high * 0.75), (length * 0.5, high * 0.22), seg, fur)
    neck = (facing * 0.38 * length, high * 0.82)
    head = (facing * 0.55 * length, high * 1.05)
    fig.line([neck, head], 0.16 * length, seg, fur)
    fig.ellipse(head, (0.13 * length, 0.11 * length), seg, fur)
    fig.ellipse((head[0] + facing * 0.12 * length, head[1] - 0.03 * length),
                (0.09 * length, 0.055 * length), seg, fur.shaded(0.9))
    fig.ellipse((head[0] - facing * 0.05 * length, head[1] + 0.04 * length),
                (0.04 * length, 0.08 * length), seg, dark, angle=facing * 20)
    fig.line([(-facing * 0.47 * length, high * 0.85), (-facing * 0.62 * length, high * 1.08)],
             0.045 * length, seg, fur)


def bicycle(pen: Pen, x: float, z: float) -> None:
    rng, canvas = pen.rng, pen.canvas
    facing = 1 if rng.random() < 0.5 else -1
    fig = pen.figure(x, z)
    seg = canvas.thing(category_id("bicycle"))
    pen.ground_shadow(x, z, 0.8, 0.12, length=0.6)
    radius = 0.34
    tyre = Material((30, 30, 32), "fine", 0.04)
    frame = Material(pen.pick(FRAMES), "smooth", 0.0, side=0.2 * pen.sun)
    metal = Material((170, 170, 175), "fine", 0.05)
    rear, front = (-facing * 0.52, radius), (facing * 0.52, radius)
    for hub in (rear, front):
        fig.ellipse(hub, (radius, radius), seg, tyre, thickness=0.05)
        fig.ellipse(hub, (radius - 0.05, radius - 0.05), seg, metal, thickness=0.015)
        fig.ellipse(hub, (0.035, 0.035), seg, metal)
    crank = (-facing * 0.05, 0.3)
    seat = (-facing * 0.2, 0.82)
    head = (facing * 0.36, 0.84)
    for a, b in ((rear, crank), (crank, seat), (seat, rear), (crank, head), (seat, head),
                 (head, front)):
        fig.line([a, b], 0.04, seg, frame)
    fig.line([head, (facing * 0.32, 1.0), (facing * 0.45, 1.02)], 0.03, seg, metal)
    fig.ellipse((seat[0] - facing * 0.02, 0.88), (0.11, 0.03), seg, Material((25, 25, 25)))
    fig.line([(crank[0] - 0.1, 0.22), (crank[0] + 0.1, 0.38)], 0.03, seg, metal)


def bench(pen: Pen, x: float, z: float) -> None:
    rng, canvas = pen.rng, pen.canvas
    seg = canvas.thing(category_id("bench"))
    half = float(rng.uniform(0.7, 1.0))
    wood = Material(pen.pick(WOOD), "wood", 0.12)
    iron = Material(pen.jitter((45, 45, 48)), "fine", 0.04)
    pen.ground_shadow(x, z + 0.25, half * 1.1, 0.45, length=0.5)
    for dx in (-half * 0.85, half * 0.85):
        pen.box((x + dx - 0.04, x + dx + 0.04), (0.0, 0.44), (z + 0.05, z + 0.12), seg, iron)
        pen.box((x + dx - 0.04, x + dx + 0.04), (0.0, 0.85), (z + 0.42, z + 0.48), seg, iron)
    for slat in range(3):
        z0 = z + slat * 0.14
        pen.box((x - half, x + half), (0.41, 0.45), (z0, z0 + 0.11), seg, wood)
    for row in range(2):
        y0 = 0.55 + row * 0.16
        pen.box((x - half, x + half), (y0, y0 + 0.11), (z + 0.45, z + 0.48), seg, wood)


def potted_plant(pen: Pen, x: float, z: float, base: float = 0.0,
                 height: float | None = None) -> None:
    rng, canvas = pen.rng, pen.canvas
    tall = height if height is not None else float(rng.uniform(0.3, 1.1))
    fig = pen.figure(x, z, base)
    seg = canvas.thing(category_id("potted plant"))
    pot_h, pot_w = tall * 0.35, tall * 0.22
    pot = Material(pen.pick(POTS), "grain", 0.05, gradient=0.2, side=0.3 * pen.sun)
    fig.polygon([(-pot_w, pot_h), (pot_w, pot_h), (0.75 * pot_w, 0), (-0.75 * pot_w, 0)], seg,
                pot)
    fig.rectangle(-pot_w * 1.08, pot_h * 0.85, pot_w * 1.08, pot_h, seg, pot.shaded(1.1))
    for _ in range(rng.randrange(5, 10)):
        angle = float(rng.uniform(-70, 70))
        length = tall * float(rng.uniform(0.25, 0.45))
        top = (float(rng.uniform(-0.4, 0.4)) * tall * 0.5, pot_h + length * 0.9)
        leaf = Material(pen.pick(LEAVES), "foliage", 0.12, gradient=0.3)
        fig.ellipse(top, (length * 0.22, length * 0.7), seg, leaf, angle=angle)
