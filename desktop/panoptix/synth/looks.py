"""Weather and light: what one layout looks like at noon, under cloud, in the evening or
indoors, and the sky and ground that go with it."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from panoptix.synth.camera import Camera, make_camera
from panoptix.synth.canvas import Material
from panoptix.synth.categories import category_id
from panoptix.synth.generator import Layout
from panoptix.synth.pen import Colour, Pen
from panoptix.synth.render import Look

WEATHERS = ("sunny", "hazy", "overcast", "evening")


@dataclass(frozen=True)
class Weather:
    name: str
    look: Look
    sky_top: Colour
    sky_horizon: Colour
    clouds: float
    """How much the sky shows clouds (0..1)."""

    @property
    def haze(self) -> Colour:
        """What distant things fade towards."""
        return self.sky_horizon


def _vary(colour: Colour, rng: np.random.Generator, amount: float = 0.08) -> Colour:
    return tuple(float(np.clip(c * (1 + rng.uniform(-amount, amount)), 0, 255))
                 for c in colour)  # type: ignore[return-value]


def _camera_look(rng: np.random.Generator) -> dict:
    return {"blur": 0.0 if rng.random() < 0.6 else float(rng.uniform(0.3, 1.4)),
            "noise": float(rng.uniform(1.5, 5.0)), "vignette": float(rng.uniform(0.0, 0.35)),
            "light_slope": float(rng.uniform(-0.25, 0.25))}


@dataclass(frozen=True)
class _Kind:
    """The ranges one kind of weather draws from."""

    tint: Colour
    tint_vary: float
    exposure: tuple[float, float]
    shadow: tuple[float, float]
    cloudiness: tuple[float, float]
    visibility: tuple[float, float]
    sky_top: Colour
    sky_horizon: Colour
    clouds: float
    cloud_colour: Colour = (245.0, 245.0, 248.0)


_KINDS = {
    "sunny": _Kind((1.0, 1.0, 1.0), 0.04, (0.95, 1.1), (0.35, 0.55), (0.0, 0.45), (600, 1500),
                   (55, 115, 200), (175, 205, 235), 1.0),
    "hazy": _Kind((1.02, 1.0, 0.97), 0.03, (1.0, 1.1), (0.2, 0.3), (0.3, 0.6), (150, 400),
                  (125, 160, 205), (215, 220, 225), 0.6),
    "overcast": _Kind((0.96, 0.98, 1.02), 0.03, (0.85, 1.0), (0.05, 0.12), (0.8, 1.0),
                      (300, 800), (150, 155, 165), (205, 208, 212), 0.9),
    "evening": _Kind((1.12, 0.97, 0.82), 0.04, (0.8, 0.95), (0.4, 0.5), (0.2, 0.6), (400, 900),
                     (70, 95, 155), (240, 185, 140), 0.8, (250, 215, 185)),
}


def outdoor_weather(rng: np.random.Generator) -> Weather:
    name = str(rng.choice(WEATHERS, p=[0.45, 0.2, 0.2, 0.15]))
    kind = _KINDS[name]
    sun = float(rng.uniform(-1, 1))
    camera = _camera_look(rng)
    tint = _vary(kind.tint, rng, kind.tint_vary)
    exposure = float(rng.uniform(*kind.exposure))
    shadow = float(rng.uniform(*kind.shadow))
    if name == "evening":  # a low sun, from one side
        sun = float(np.sign(sun) or 1.0) * float(rng.uniform(0.7, 1.0))
    elif name == "overcast":
        sun *= 0.3
    look = Look(tint=tint, exposure=exposure, shadow=shadow, sun=sun,
                cloudiness=float(rng.uniform(*kind.cloudiness)), cloud_colour=kind.cloud_colour,
                visibility=float(rng.uniform(*kind.visibility)), **camera)
    sky_top, horizon = _vary(kind.sky_top, rng), _vary(kind.sky_horizon, rng)
    return Weather(name, replace(look, haze=horizon), sky_top, horizon, kind.clouds)


def outdoor_scene(rng: np.random.Generator, height: int, width: int, *,
                  eye: tuple[float, float], horizon: tuple[float, float]
                  ) -> tuple[Weather, Camera, Layout, float]:
    """What every outdoor kind starts with: weather, camera, an empty layout, and the
    depth from which to place things (a little nearer than the image's bottom row)."""
    weather = outdoor_weather(rng)
    camera = make_camera(rng, height, width, eye=eye, horizon=horizon)
    return weather, camera, Layout(rng), max(camera.near_depth() * 0.7, 0.5)


def indoor_look(rng: np.random.Generator) -> Look:
    return Look(tint=_vary((1.06, 1.0, 0.9), rng, 0.05), exposure=float(rng.uniform(0.85, 1.1)),
                shadow=float(rng.uniform(0.2, 0.35)), sun=float(rng.uniform(-1, 1)),
                cloudiness=float(rng.uniform(0.1, 0.6)), **_camera_look(rng))


def sky(pen: Pen, weather: Weather) -> None:
    """The sky from the top of the image to just below the horizon."""
    canvas = pen.canvas
    bottom = min(pen.camera.horizon + 3, canvas.height)
    canvas.rectangle(-1, -1, canvas.width + 1, bottom,
                     canvas.stuff(category_id("sky-other-merged")),
                     Material(weather.sky_horizon, "clouds", 0.03, clouds=weather.clouds,
                              top=weather.sky_top))


def ground(pen: Pen, category: str, material: Material) -> None:
    """A stuff category covering everything below the horizon."""
    canvas = pen.canvas
    top = max(pen.camera.horizon - 1, -1)
    canvas.rectangle(-1, top, canvas.width + 1, canvas.height + 1, canvas.stuff(
        category_id(category)), material)


def layout_colour(rng: np.random.Generator, palette: list) -> Colour:
    """A colour from ``palette``, a little brighter or darker."""
    base = palette[int(rng.integers(len(palette)))]
    scale = float(rng.uniform(0.92, 1.08))
    return (base[0] * scale, base[1] * scale, base[2] * scale)


def hazy(material: Material, haze: Colour, amount: float) -> Material:
    """A ground material whose far edge (its top in the image) fades into ``haze``."""
    top = tuple(c + (h - c) * amount for c, h in zip(material.colour, haze, strict=True))
    return replace(material, top=top)  # type: ignore[arg-type]
