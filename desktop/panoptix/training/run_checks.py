"""Checks of what an interrupted run left, before a resume trusts it: ``run.json``,
``data.json`` and ``checkpoint.pt`` belong to this run and are whole, or the resume stops
with one line naming the file, deleting nothing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from panoptix.core.imageio import ImageLoadError, image_size
from panoptix.training.project_data import AnnotatedImage, TrainingDataError
from panoptix.training.settings import TrainSettings

CHECKPOINT_KEYS = ("step", "model", "optimizer", "scheduler", "scaler", "rng", "cuda_rng",
                   "history", "settings")
BASE_KINDS = ("scratch", "checkpoint")


def check_run(run: object) -> dict:
    """``run.json`` as :meth:`RunFolder.create` writes it; ValueError says what is wrong."""
    if not isinstance(run, dict):
        raise ValueError("not a JSON object")
    TrainSettings.from_json(run.get("settings"))  # type: ignore[arg-type]
    base, labels = run.get("base"), run.get("labels")
    if not isinstance(base, dict) or base.get("kind") not in BASE_KINDS \
            or not isinstance(base.get("model"), str):
        raise ValueError("'base' is not a model kind and name")
    if not isinstance(labels, dict) or not _list_of(labels.get("category_ids"), int) \
            or not _list_of(labels.get("names"), str) \
            or not _list_of(labels.get("things"), bool) \
            or not len(labels["category_ids"]) == len(labels["names"]) == len(labels["things"]):
        raise ValueError("'labels' are not lists of category ids, names and kinds alike long")
    for split in ("train", "validation"):
        if not _list_of(run.get(split), str):
            raise ValueError(f"{split!r} is not a list of image keys")
    return run


def check_images(run: dict, images: Sequence[AnnotatedImage]) -> None:
    """Every image the run names is in ``data.json``, its labels' PNG header of the image's
    size (read from both headers: no pixel is decoded); ValueError otherwise."""
    keys = {image.key for image in images}
    missing = [key for key in (*run["train"], *run["validation"]) if key not in keys]
    if missing:
        raise ValueError(f"it lacks the labels of image {missing[0]!r}")
    for image in images:
        try:
            width, height = image.label_size()
        except TrainingDataError as exc:
            raise ValueError(str(exc)) from None
        try:
            size = image_size(image.image_path)
        except (ImageLoadError, OSError):
            continue  # the image itself is missing: the run says so when it reads it
        if size != (width, height):
            raise ValueError(f"the labels of {image.rel_path} are {width}x{height}, the image "
                             f"is {size[0]}x{size[1]}")


def check_checkpoint(state: object, model: Any, steps: int) -> None:
    """A checkpoint of this run: all its parts, a step within the run's ``steps``, and
    exactly the model's weights in their shapes; ValueError otherwise."""
    if not isinstance(state, dict):
        raise ValueError("not a checkpoint")
    missing = [key for key in CHECKPOINT_KEYS if key not in state]
    if missing:
        raise ValueError(f"it lacks {missing[0]!r}")
    step = state["step"]
    if type(step) is not int or not 0 <= step <= steps:
        raise ValueError(f"its step {step!r} is outside this run's 0..{steps}")
    weights, expected = state["model"], model.state_dict()
    if not isinstance(weights, dict) or set(weights) != set(expected):
        names = set(weights) if isinstance(weights, dict) else set()
        odd = sorted(names ^ set(expected))
        raise ValueError(f"its weights are not this model's ({len(odd)} names differ, "
                         f"first {odd[0] if odd else '?'!r})")
    for name, tensor in expected.items():
        if getattr(weights[name], "shape", None) != tensor.shape:
            raise ValueError(f"its weight {name!r} is not of the model's shape "
                             f"{tuple(tensor.shape)}")
    for part in ("history", "settings"):
        if not isinstance(state[part], str):
            raise ValueError(f"its {part} are not JSON text")
    TrainSettings.from_json(json.loads(state["settings"]))


def _list_of(value: object, kind: type) -> bool:
    return isinstance(value, list) and all(type(item) is kind for item in value)
