"""What differs between training a Mask2Former and a OneFormer: one small adapter each.

The loop (:mod:`panoptix.training.trainer`), the data, the loss with ignored pixels and the
class-head transfer are shared; an :class:`Architecture` says where the class head is, how
a batch of augmented crops becomes the model's inputs, and how a forward pass gives the
predictions the loss needs (and any loss of its own: OneFormer's query-text contrastive
loss). :mod:`panoptix.training.oneformer` holds OneFormer's side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from panoptix.training.labels import LabelSpace


@dataclass
class Prediction:
    """A forward pass, as :class:`panoptix.training.loss.IgnoringMask2FormerLoss` reads it."""

    masks_queries_logits: Tensor
    class_queries_logits: Tensor
    auxiliary_logits: Sequence[dict[str, Tensor]] | None
    extra_losses: dict[str, Tensor] = field(default_factory=dict)
    """Unweighted losses of the architecture's own (the loss's ``weight_dict`` weighs them)."""


class InputMaker:
    """Model inputs for a batch of crops: ``pixel_values`` and the targets."""

    def __call__(self, crops: list[np.ndarray], maps: list[np.ndarray],
                 lookups: list[dict[int, int]], slots: list[int]) -> dict[str, Any]:
        raise NotImplementedError


class Mask2FormerInputs(InputMaker):
    def __init__(self, image_processor: Any) -> None:
        self.image_processor = image_processor

    def __call__(self, crops: list[np.ndarray], maps: list[np.ndarray],
                 lookups: list[dict[int, int]], slots: list[int]) -> dict[str, Any]:
        inputs = dict(self.image_processor(
            images=crops, segmentation_maps=maps, instance_id_to_semantic_id=lookups,
            ignore_index=0, do_reduce_labels=False, do_resize=False, return_tensors="pt",
            input_data_format="channels_last"))
        inputs.pop("pixel_mask", None)  # all ones: every crop has the same size
        return inputs


class Architecture:
    """Mask2Former's: the class head is ``class_predictor``; the forward pass takes the
    pixels only."""

    family = "mask2former"

    def class_head(self, model: Any) -> nn.Linear:
        return model.class_predictor

    def set_class_head(self, model: Any, head: nn.Linear) -> None:
        model.class_predictor = head

    def fit_loss_buffers(self, model: Any) -> None:
        """The model's own criterion sized for ``config.num_labels`` (its ``empty_weight``
        is saved with the weights)."""
        from transformers.models.mask2former.modeling_mask2former import Mask2FormerLoss

        model.criterion = Mask2FormerLoss(config=model.config, weight_dict=model.weight_dict)

    def prepare(self, model: Any) -> bool:
        """Ready ``model`` for training (idempotent); True when that added new parts."""
        return False

    def loss_weights(self, config: Any) -> dict[str, float]:
        return {"loss_cross_entropy": config.class_weight, "loss_mask": config.mask_weight,
                "loss_dice": config.dice_weight}

    def input_maker(self, processor: Any, labels: LabelSpace, config: Any,
                    seed: int) -> InputMaker:
        return Mask2FormerInputs(getattr(processor, "image_processor", processor))

    def predict(self, model: Any, inputs: dict[str, Any]) -> Prediction:
        outputs = model(pixel_values=inputs["pixel_values"], output_auxiliary_logits=True)
        return Prediction(outputs.masks_queries_logits, outputs.class_queries_logits,
                          outputs.auxiliary_logits)


def architecture_of(model_type: str) -> Architecture:
    if model_type == "oneformer":
        from panoptix.training.oneformer import OneFormerArchitecture

        return OneFormerArchitecture()
    return Architecture()


def to_device(inputs: dict[str, Any], device: str) -> dict[str, Any]:
    """Tensors, and lists of tensors (the targets), on ``device``."""
    moved: dict[str, Any] = {}
    for name, value in inputs.items():
        if isinstance(value, torch.Tensor):
            moved[name] = value.to(device, non_blocking=True)
        elif isinstance(value, list | tuple):
            moved[name] = [v.to(device) for v in value]
        else:
            moved[name] = value
    return moved
