"""Weather and light: what one layout looks like at noon, under cloud, in the evening or
indoors, and the sky and ground that go with it."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from panoptix.synth.canvas import Material
from panoptix.synth.categories import category_id
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


def outdoor_weather(rng: np.random.Generator) -> Weather:
    name = str(rng.choice(WEATHERS, p=[0.45, 0.2, 0.2, 0.15]))
    sun = float(rng.uniform(-1, 1))
    camera = _camera_look(rng)
    if name == "sunny":
        look = Look(tint=_vary((1.0, 1.0, 1.0), rng, 0.04), exposure=float(rng.uniform(0.95, 1.1)),
                    shadow=float(rng.uniform(0.35, 0.55)), sun=sun,
                    cloudiness=float(rng.uniform(0.0, 0.45)),
                    visibility=float(rng.uniform(600, 1500)), **camera)
        weather = Weather(name, look, _vary((55, 115, 200), rng), _vary((175, 205, 235), rng),
                          1.0)
    elif name == "hazy":
        look = Look(tint=_vary((1.02, 1.0, 0.97), rng, 0.03), exposure=float(rng.uniform(1.0, 1.1)),
                    shadow=float(rng.uniform(0.2, 0.3)), sun=sun,
                    cloudiness=float(rng.uniform(0.3, 0.6)),
                    visibility=float(rng.uniform(150, 400)), **camera)
        weather = Weather(name, look, _vary((125, 160, 205), rng), _vary((215, 220, 225), rng),
                          0.6)
    elif name == "overcast":
        look = Look(tint=_vary((0.96, 0.98, 1.02), rng, 0.03),
                    exposure=float(rng.uniform(0.85, 1.0)), shadow=float(rng.uniform(0.05, 0.12)),
                    sun=sun * 0.3, cloudiness=float(rng.uniform(0.8, 1.0)),
                    visibility=float(rng.uniform(300, 800)), **camera)
        weather = Weather(name, look, _vary((150, 155, 165), rng), _vary((205, 208, 212), rng),
                          0.9)
    else:
        look = Look(tint=_vary((1.12, 0.97, 0.82), rng, 0.04),
                    exposure=float(rng.uniform(0.8, 0.95)), shadow=float(rng.uniform(0.4, 0.5)),
                    sun=float(np.sign(sun) or 1.0) * float(rng.uniform(0.7, 1.0)),
                    cloudiness=float(rng.uniform(0.2, 0.6)), cloud_colour=(250, 215, 185),
                    visibility=float(rng.uniform(400, 900)), **camera)
        weather = Weather(name, look, _vary((70, 95, 155), rng), _vary((240, 185, 140), rng),
                          0.8)
    return replace(weather, look=replace(weather.look, haze=weather.sky_horizon))


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
