"""Putting a run together: the images and their split, the model, and the record.

:func:`collect` reads the project's annotated images and checks there is something to
learn; :func:`model_for_run` makes the model (a base with its class head fitted, or one
from scratch); :func:`resume_model` rebuilds an interrupted run's model from its folder;
:func:`build_record` writes down how the model was made (``training.json``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from panoptix.core import imageio
from panoptix.core.categories import CategorySet
from panoptix.core.manifest import ImageStatus
from panoptix.core.messages import one_line
from panoptix.inference.loading import LoadedModel, load_processor, read_pretrained
from panoptix.inference.settings import InferenceSettings, SettingsError
from panoptix.training import models, record
from panoptix.training.architectures import architecture_of
from panoptix.training.labels import LabelSpace
from panoptix.training.project_data import (
    AnnotatedImage,
    ProjectReader,
    TrainingDataError,
    split_keys,
)
from panoptix.training.run_checks import check_checkpoint
from panoptix.training.run_folder import RunFolder, RunFolderError

SETTINGS_KEY = "inference"


@dataclass
class TrainingData:
    train: list[AnnotatedImage]
    validation: list[AnnotatedImage]
    labels: LabelSpace
    skipped: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_run(cls, run: dict, images: Sequence[AnnotatedImage]) -> TrainingData:
        by_key = {image.key: image for image in images}
        labels = run["labels"]
        return cls([by_key[k] for k in run["train"]], [by_key[k] for k in run["validation"]],
                   LabelSpace(tuple(labels["category_ids"]), tuple(labels["names"]),
                              tuple(labels["things"])))

    def run_json(self, scratch: str | None, base: str, head: dict | None, settings: Any,
                 statuses: Sequence[ImageStatus]) -> dict:
        return {"base": {"kind": "scratch", "model": scratch} if scratch
                else {"kind": "checkpoint", "model": base},
                "head": head,
                "labels": {"category_ids": list(self.labels.category_ids),
                           "names": list(self.labels.names),
                           "things": list(self.labels.things)},
                "statuses": [s.value for s in statuses],
                "train": [i.key for i in self.train],
                "validation": [i.key for i in self.validation],
                "skipped": dict(self.skipped), "settings": settings.to_json()}


def collect(reader: ProjectReader, statuses: Sequence[ImageStatus], val_fraction: float,
            seed: int) -> TrainingData:
    """The images with ``statuses``, read and split; raises :class:`TrainingDataError`."""
    wanted = " or ".join(s.value for s in statuses)
    entries = reader.select(statuses)
    if not entries:
        raise TrainingDataError(
            f"no image of {reader.folder} is marked {wanted}: mark the images you have "
            "corrected as done (Ctrl+Enter in the window) first"
            + ("" if ImageStatus.EDITED in statuses else ", or add --include-edited"))
    images = []
    for entry in entries:
        image = reader.read(entry)
        if image is not None and _image_matches(reader, image):
            images.append(image)
    if not images:
        path, reason = next(iter(reader.skipped.items()))
        raise TrainingDataError(f"none of the {len(entries)} images marked {wanted} can be "
                                f"read (first: {path}: {reason})")
    used = set().union(*(image.category_ids() for image in images))
    if len(used) < 2:
        names = ", ".join(sorted(reader.categories[c].name for c in used)) or "none"
        raise TrainingDataError(f"the {len(images)} images marked {wanted} use "
                                f"{len(used)} categor{'y' if len(used) == 1 else 'ies'} "
                                f"({names}): training needs at least two")
    train_keys, validation_keys = split_keys([i.key for i in images], val_fraction, seed)
    by_key = {image.key: image for image in images}
    return TrainingData([by_key[k] for k in train_keys], [by_key[k] for k in validation_keys],
                        LabelSpace.of(reader.categories), dict(reader.skipped))


def _image_matches(reader: ProjectReader, image: AnnotatedImage) -> bool:
    """The image file is readable and has its annotation's size."""
    try:
        width, height = imageio.image_size(image.image_path)
    except imageio.ImageLoadError as exc:
        reader.skipped[image.rel_path] = str(exc)
        return False
    ids = image.id_map()
    if ids.shape != (height, width):
        reader.skipped[image.rel_path] = (f"the image is {width}x{height} but its "
                                          f"annotation {ids.shape[1]}x{ids.shape[0]}")
        return False
    return True


def model_for_run(scratch: str | None, base: str, labels: LabelSpace,
                  categories: CategorySet, allow_pickle: bool,
                  seed: int) -> tuple[LoadedModel, dict | None]:
    """The model to train and, for a base, how its class head was fitted."""
    if scratch:
        return models.scratch_model(scratch, labels, seed), None
    loaded, new_text_branch = models.load_base(base, allow_pickle)
    base_labels = dict(loaded.id2label)
    transfer = models.transfer_class_head(loaded.model, base_labels, labels, categories)
    loaded.id2label = labels.id2label
    head = {"kept": {labels.names[new]: base_labels[old] for new, old in transfer.kept.items()},
            "fresh": [labels.names[i] for i in transfer.fresh], "rebuilt": transfer.rebuilt}
    if loaded.model_type == "oneformer":
        head["text_branch"] = "new" if new_text_branch else "kept"
    return loaded, head


def resume_model(run: RunFolder, run_json: dict, labels: LabelSpace, categories: CategorySet,
                 allow_pickle: bool) -> tuple[LoadedModel, dict | None]:
    """The interrupted run's model and its last checkpoint (None: killed before the first
    one, so it starts again from its base)."""
    from transformers import AutoConfig, AutoModelForUniversalSegmentation

    config = read_pretrained(run.name, AutoConfig.from_pretrained, run.partial)
    processor = load_processor(run.name, run.partial, config.model_type)
    checkpoint = run.load_checkpoint()
    base = run_json["base"]
    if checkpoint is None:
        scratch = base["model"] if base["kind"] == "scratch" else None
        loaded, _head = model_for_run(scratch, base["model"], labels, categories,
                                      allow_pickle, run_json["settings"]["seed"])
    else:
        loaded = LoadedModel(AutoModelForUniversalSegmentation.from_config(config), processor,
                             config.model_type, base["model"], labels.id2label)
        architecture_of(config.model_type).prepare(loaded.model)
        try:
            check_checkpoint(checkpoint, loaded.model, run_json["settings"]["steps"])
        except (ValueError, RecursionError) as exc:
            raise RunFolderError(f"{run.checkpoint} does not belong to this run "
                                 f"({one_line(exc)}); nothing was deleted: start again "
                                 "under another --name") from exc
    loaded.processor = processor
    return loaded, checkpoint


def build_record(run: dict, outcome: Any, trainer: Any, data: TrainingData, version: str,
                 seconds: float) -> dict:
    history, settings = outcome.history, outcome.settings
    return {"format": record.FORMAT, "version": record.VERSION,
            "name": trainer.run_folder.name, "panoptix_version": version,
            "project": str(trainer.run_folder.project),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "base": run["base"], "head": run["head"], "labels": list(data.labels.names),
            "images": {"statuses": run["statuses"], "train": run["train"],
                       "validation": run["validation"]},
            "settings": settings.to_json(), "seed": settings.seed, "device": trainer.device,
            "precision": trainer.precision,
            "steps": {"done": outcome.step, "planned": settings.steps},
            "losses": history.losses, "validation": history.validation, "best": history.best,
            "weights": outcome.weights,
            "seconds": {"total": round(history.wall_seconds, 1),
                        "training": round(history.training_seconds, 1),
                        "validation": round(history.validation_seconds, 1),
                        "this_part": round(seconds, 1)},
            "notices": [*history.notices,
                        *(f"skipped {p}: {r}" for p, r in run.get("skipped", {}).items())]}


def use_model(project: Path, model_folder: Path) -> str:
    """Make ``model_folder`` the project's model; the line says what happened."""
    from panoptix.core.folder_lock import ProjectLockedError
    from panoptix.core.project import Project

    try:
        with Project.open(project) as opened:
            stored = opened.settings.get(SETTINGS_KEY)
            try:
                current = InferenceSettings.from_dict(stored) if isinstance(stored, dict) \
                    else InferenceSettings()
            except SettingsError:
                current = InferenceSettings()
            opened.settings[SETTINGS_KEY] = current.with_changes(
                model=str(model_folder), task=None).to_dict()
            opened.save_manifest()
    except ProjectLockedError:
        return (f"the project is open in Panoptix, so its model is unchanged: choose "
                f"{model_folder} there (Model ▸ Model Settings…)")
    return f"the project now uses {model_folder}"
