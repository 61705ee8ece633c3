"""The bundled demo model: ``--model demo`` is ``panoptix/resources/models/demo``.

A small Mask2Former that Panoptix trained from scratch on its own generated scenes
(:mod:`panoptix.synth`; the recipe is ``packaging/train_demo_model.py``). It loads like any
local folder (safetensors, no remote code) and needs no network, so a fresh offline
install segments its sample images. It knows only those scenes: on real photos it is no
use, which every message offering it says.
"""

from __future__ import annotations

from pathlib import Path

from panoptix.core.bundled import DEMO_MODEL, bundled_path

DEMO_SPEC = "demo"
"""What ``--model`` (and the window's model settings) accept for the demo model."""
DEMO_TITLE = "Panoptix demo model"
DEMO_SCOPE = ("it segments only scenes like Panoptix's generated samples (streets, parks, "
              "kitchens: sky, road, grass, trees, buildings, walls well; cars, people and "
              "other objects roughly, and misses many), nothing real")
"""What the demo model can and cannot segment, in words for messages."""


def is_demo_spec(spec: str) -> bool:
    return spec.strip().casefold() == DEMO_SPEC


def is_demo_folder(folder: str | Path) -> bool:
    """Whether ``folder`` is the bundled demo model (``demo`` resolves to it)."""
    try:
        return Path(folder).expanduser().resolve() == demo_folder().resolve()
    except OSError:
        return False


def is_demo(spec: str) -> bool:
    """``demo``, or the demo model's folder given by its path."""
    return is_demo_spec(spec) or is_demo_folder(spec.strip())


def demo_folder() -> Path:
    """The demo model's folder on disk: transformers loads it by path."""
    return bundled_path(*DEMO_MODEL)


OFFER = "; or try the bundled demo model (--model demo): "


def with_demo_offer(message: str) -> str:
    """A message about a model that cannot be had, offering the demo model instead."""
    return f"{message.rstrip('.')}{OFFER}{DEMO_SCOPE}"


def without_demo_offer(message: str) -> str:
    """``message`` without what :func:`with_demo_offer` added (the window offers it its
    own way)."""
    head, found, _ = message.partition(OFFER)
    return head if found else message


def demo_title(spec: str) -> str | None:
    """The demo model's name for the status bar, or None for any other model."""
    return f"{DEMO_TITLE} (generated scenes only)" if is_demo(spec) else None
