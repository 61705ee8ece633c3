"""The published Mask2Former and OneFormer checkpoints, each tied to its category table.

Pure data, cheap to import: the GUI lists these before any model is loaded. Checked against
the Hugging Face pages of each repository and transformers' loading code: ids that could
not be confirmed to exist are left out, and :data:`PICKLE_ONLY` lists the repositories whose
``main`` holds only pickle weights (they need ``--allow-pickle``; the loader finds this out
from the hub's file list in any case, so the registry only informs the listing).
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MODEL_ID = "facebook/mask2former-swin-tiny-coco-panoptic"
FAMILY_NAMES = {"mask2former": "Mask2Former", "oneformer": "OneFormer"}
SAFETENSORS, PICKLE = "safetensors", "pickle"
PICKLE_ONLY = frozenset({
    "facebook/mask2former-swin-large-coco-panoptic",
    "facebook/mask2former-swin-tiny-ade-semantic",
    "facebook/mask2former-swin-base-IN21k-ade-semantic",
    "facebook/mask2former-swin-small-cityscapes-panoptic",
    "facebook/mask2former-swin-small-cityscapes-instance",
    "shi-labs/oneformer_coco_swin_large",
    "shi-labs/oneformer_ade20k_swin_tiny",
    "shi-labs/oneformer_ade20k_swin_large",
    "shi-labs/oneformer_cityscapes_swin_large",
})


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
    weights: str = SAFETENSORS
    """The weight format on the repository's ``main``: ``safetensors`` or ``pickle``."""

    @property
    def needs_pickle(self) -> bool:
        return self.weights == PICKLE

    @property
    def tasks(self) -> tuple[str, ...]:
        return ("panoptic", "semantic", "instance") if self.family == "oneformer" else (self.task,)

    @property
    def title(self) -> str:
        dataset = self.table.replace("_panoptic", "").replace("_", " ")
        pickle = " (pickle weights)" if self.needs_pickle else ""
        return f"{FAMILY_NAMES[self.family]} {self.backbone}, {dataset} {self.task}{pickle}"


def _mask2former(size: str, dataset: str, table: str, task: str) -> ModelInfo:
    model_id = f"facebook/mask2former-swin-{size}-{dataset}-{task}"
    return ModelInfo(model_id, "mask2former", table, task, f"Swin-{size.replace('-', ' ')}",
                     _weights(model_id))


def _oneformer(dataset: str, table: str, size: str) -> ModelInfo:
    model_id = f"shi-labs/oneformer_{dataset}_swin_{size}"
    return ModelInfo(model_id, "oneformer", table, "panoptic", f"Swin-{size}",
                     _weights(model_id))


def _weights(model_id: str) -> str:
    return PICKLE if model_id in PICKLE_ONLY else SAFETENSORS


MODELS: tuple[ModelInfo, ...] = (
    *(_mask2former(size, "coco", "coco_panoptic", "panoptic")
      for size in ("tiny", "small", "base", "large")),
    *(_mask2former(size, "coco", "coco_panoptic", "instance")
      for size in ("tiny", "small", "base", "base-IN21k", "large")),
    _mask2former("large", "ade", "ade20k_panoptic", "panoptic"),
    *(_mask2former(size, "ade", "ade20k_panoptic", "semantic")
      for size in ("tiny", "small", "base", "base-IN21k", "large")),
    *(_mask2former(size, "cityscapes", "cityscapes_panoptic", "panoptic")
      for size in ("tiny", "small", "large")),
    *(_mask2former(size, "cityscapes", "cityscapes_panoptic", task)
      for task in ("semantic", "instance")
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
