"""The scene kinds and :func:`generate`, the one entry point to a single scene."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from panoptix.synth.generator import Plan, Scene, build
from panoptix.synth.harbour import harbour
from panoptix.synth.kitchen import kitchen
from panoptix.synth.park import park
from panoptix.synth.street import street

BUILDERS: dict[str, Callable[[np.random.Generator, int, int], Plan]] = {
    "street": street, "park": park, "harbour": harbour, "kitchen": kitchen}
SCENE_KINDS = tuple(BUILDERS)
_KIND_CODES = {"street": 1, "park": 2, "harbour": 3, "kitchen": 4}
"""Fixed per kind (never Python's salted ``hash``), so seeds mean the same everywhere."""
MIN_SIDE, MAX_SIDE = 32, 8192


class SceneError(ValueError):
    """A scene that cannot be made: unknown kind, bad size or seed. One line."""


def check_kind(kind: str) -> str:
    if kind not in BUILDERS:
        raise SceneError(f"unknown scene kind {kind!r} (known: {', '.join(SCENE_KINDS)})")
    return kind


def check_size(size: tuple[int, int]) -> tuple[int, int]:
    height, width = (int(v) for v in size)
    if not (MIN_SIDE <= height <= MAX_SIDE and MIN_SIDE <= width <= MAX_SIDE):
        raise SceneError(f"scene size {width}x{height} is outside {MIN_SIDE}..{MAX_SIDE} pixels "
                         "a side")
    return height, width


def generate(kind: str, seed: int, size: tuple[int, int] = (480, 640), *,
             blur: float | None = None) -> Scene:
    """One scene of ``kind`` (see :data:`SCENE_KINDS`) at ``size = (height, width)``.

    The same kind, seed and size give the same image and labels, bit for bit, on one
    installation; the layout does not depend on the size, so a seed at another size is
    the same scene seen by a camera of another resolution. ``blur`` (Gaussian sigma in
    pixels) replaces the scene's own choice, which is usually none.
    """
    check_kind(kind)
    height, width = check_size(size)
    if int(seed) < 0:
        raise SceneError(f"a seed is a whole number >= 0, not {seed}")
    layout_seed, render_seed = np.random.SeedSequence([_KIND_CODES[kind], int(seed)]).spawn(2)
    plan = BUILDERS[kind](np.random.default_rng(layout_seed), height, width)
    return build(kind, int(seed), plan, height, width, np.random.default_rng(render_seed), blur)
