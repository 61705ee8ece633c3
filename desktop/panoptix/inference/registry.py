"""The published Mask2Former and OneFormer checkpoints, each tied to its category table.

Pure data, cheap to import: the GUI lists these before any model is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MODEL_ID = "facebook/mask2former-swin-tiny-coco-panoptic"
FAMILY_NAMES = {"mask2former": "Mask2Former", "oneformer": "OneFormer"}


@dataclass(frozen=True)
class ModelInfo:
    model_id: str
    family: str
    """``mask2former`` or ``oneformer`` (the config's ``model_type``)."""
    table: str
    """The bundled category table its labels map onto (``panoptix.core.categories``)."""
    task: str
    """The task it was trained for; OneFormer checkpoints do all three."""
    backbone: str

    @property
    def tasks(self) -> tuple[str, ...]:
        return ("panoptic", "semantic", "instance") if self.family == "oneformer" else (self.task,)

    @property
    def title(self) -> str:
        dataset = self.table.replace("_panoptic", "").replace("_", " ")
        return f"{FAMILY_NAMES[self.family]} {self.backbone}, {dataset} {self.task}"


def _mask2former(size: str, dataset: str, table: str, task: str) -> ModelInfo:
    return ModelInfo(f"facebook/mask2former-swin-{size}-{dataset}-{task}", "mask2former", table,
                     task, f"Swin-{size.replace('-', ' ')}")


def _oneformer(dataset: str, table: str, size: str) -> ModelInfo:
    return ModelInfo(f"shi-labs/oneformer_{dataset}_swin_{size}", "oneformer", table,
                     "panoptic", f"Swin-{size}")


MODELS: tuple[ModelInfo, ...] = (
    *(_mask2former(size, "coco", "coco_panoptic", "panoptic")
      for size in ("tiny", "small", "base", "base-IN21k", "large")),
    *(_mask2former(size, "coco", "coco_panoptic", "instance")
      for size in ("tiny", "small", "base", "large")),
    _mask2former("large", "ade", "ade20k_panoptic", "panoptic"),
    *(_mask2former(size, "ade", "ade20k_panoptic", "semantic")
      for size in ("tiny", "small", "base", "base-IN21k", "large")),
    *(_mask2former(size, "cityscapes", "cityscapes_panoptic", task)
      for task in ("panoptic", "semantic", "instance")
      for size in ("tiny", "small", "base-IN21k", "large")),
    *(_mask2former("large", "mapillary-vistas", "mapillary_vistas_panoptic", task)
      for task in ("panoptic", "semantic")),
    _oneformer("coco", "coco_panoptic", "large"),
    _oneformer("ade20k", "ade20k_panoptic", "tiny"),
    _oneformer("ade20k", "ade20k_panoptic", "large"),
    _oneformer("cityscapes", "cityscapes_panoptic", "large"),
)

_BY_ID = {info.model_id.casefold(): info for info in MODELS}


def lookup(model_id: str) -> ModelInfo | None:
    """The registry entry for a hub id (case-insensitive), or None for other models."""
    return _BY_ID.get(model_id.strip().casefold())


def default_task(model_id: str) -> str:
    """The task a checkpoint was trained for; panoptic when it is not in the registry."""
    info = lookup(model_id)
    return info.task if info is not None else "panoptic"
