"""Mask2Former's training loss with ignored pixels: unlabeled, crowd and padding (also
OneFormer's: the same mask, dice and class terms, plus its contrastive loss).

transformers' ``Mask2FormerLoss`` has no notion of ignored pixels: a pixel in no target
mask is a negative for every matched query, so an unlabeled region (or a crowd region)
teaches the model that nothing is there. Here each image carries a ``valid`` map; the
points sampled for the Hungarian matching and for the mask losses (sigmoid cross-entropy
and dice) count only where it is true. Classification (which query is which category or
"no object") is unchanged. With every pixel valid this is exactly transformers' loss (a
test checks it on the same random draws).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from torch import Tensor, nn
from transformers.models.mask2former.modeling_mask2former import Mask2FormerLoss, sample_point

EPS = 1e-6


class IgnoringMask2FormerLoss(Mask2FormerLoss):
    """Also OneFormer's mask and class losses (the same terms, matching and weights);
    ``weights`` adds any other loss :meth:`total` is given (OneFormer's contrastive loss)."""

    def __init__(self, config: Any, weights: dict[str, float] | None = None) -> None:
        super().__init__(config, weights or {"loss_cross_entropy": config.class_weight,
                                             "loss_mask": config.mask_weight,
                                             "loss_dice": config.dice_weight})

    def total(self, outputs: Any, mask_labels: list[Tensor], class_labels: list[Tensor],
              valid: Tensor, extra: dict[str, Tensor] | None = None
              ) -> tuple[Tensor, dict[str, float]]:
        """The weighted sum of every term (auxiliary layers and ``extra`` included), and
        the final-layer terms for the log."""
        losses = self.masked(outputs.masks_queries_logits.float(),
                             outputs.class_queries_logits.float(), mask_labels, class_labels,
                             valid, outputs.auxiliary_logits)
        losses.update(extra or {})
        total = sum(value * self._weight(name) for name, value in losses.items())
        parts = {name: float(losses[name].detach()) for name in
                 ("loss_cross_entropy", "loss_mask", "loss_dice", *(extra or {}))}
        return total, parts  # type: ignore[return-value]

    def _weight(self, name: str) -> float:
        return next(w for key, w in self.weight_dict.items() if name.startswith(key))

    def masked(self, masks: Tensor, classes: Tensor, mask_labels: list[Tensor],
               class_labels: list[Tensor], valid: Tensor,
               auxiliary: list[dict[str, Tensor]] | None = None) -> dict[str, Tensor]:
        """The unweighted losses, as ``Mask2FormerLoss.forward`` names them."""
        valid = valid.to(masks.device, torch.float32)
        indices = self.match(masks, classes, mask_labels, class_labels, valid)
        num_masks = self.get_num_masks(class_labels, device=masks.device)
        losses = {**self.masked_loss_masks(masks, mask_labels, valid, indices, num_masks),
                  **self.loss_labels(classes, class_labels, indices)}
        for index, layer in enumerate(auxiliary or []):
            inner = self.masked(layer["masks_queries_logits"].float(),
                                layer["class_queries_logits"].float(), mask_labels,
                                class_labels, valid)
            losses.update({f"{name}_{index}": value for name, value in inner.items()})
        return losses

    @torch.no_grad()
    def match(self, masks: Tensor, classes: Tensor, mask_labels: list[Tensor],
              class_labels: list[Tensor], valid: Tensor) -> list[tuple[Tensor, Tensor]]:
        """transformers' Hungarian matching with the mask costs over valid points only."""
        matcher = self.matcher
        indices = []
        for i in range(masks.shape[0]):
            if class_labels[i].numel() == 0:
                empty = torch.zeros(0, dtype=torch.int64)
                indices.append((empty, empty))
                continue
            cost_class = -classes[i].softmax(-1)[:, class_labels[i]]
            target = mask_labels[i].to(masks)[:, None]
            pred = masks[i][:, None]
            points = torch.rand(1, matcher.num_points, 2, device=masks.device)
            target = sample_point(target, points.repeat(target.shape[0], 1, 1),
                                  align_corners=False).squeeze(1)
            pred = sample_point(pred, points.repeat(pred.shape[0], 1, 1),
                                align_corners=False).squeeze(1)
            weight = sample_point(valid[i][None, None], points, align_corners=False,
                                  padding_mode="border").squeeze(1)
            cost = (matcher.cost_mask * _pairwise_cross_entropy(pred, target, weight)
                    + matcher.cost_class * cost_class
                    + matcher.cost_dice * _pairwise_dice(pred, target, weight))
            top = torch.finfo(cost.dtype).max
            cost = torch.nan_to_num(cost, nan=top, posinf=top, neginf=top)
            rows, columns = linear_sum_assignment(cost.cpu())
            indices.append((torch.as_tensor(np.asarray(rows), dtype=torch.int64),
                            torch.as_tensor(np.asarray(columns), dtype=torch.int64)))
        return indices

    def masked_loss_masks(self, masks: Tensor, mask_labels: list[Tensor], valid: Tensor,
                          indices: list[tuple[Tensor, Tensor]],
                          num_masks: Tensor) -> dict[str, Tensor]:
        source = self._get_predictions_permutation_indices(indices)
        target_index = self._get_targets_permutation_indices(indices)
        pred_masks = masks[source][:, None]
        if pred_masks.shape[0] == 0:
            zero = masks.sum() * 0.0
            return {"loss_mask": zero, "loss_dice": zero}
        targets, _ = self._pad_images_to_max_in_batch(mask_labels)
        targets = targets[target_index][:, None].to(masks)
        valid_maps = valid[source[0]][:, None]
        with torch.no_grad():
            points = self.sample_points_using_uncertainty(
                pred_masks, self.calculate_uncertainty, self.num_points,
                self.oversample_ratio, self.importance_sample_ratio)
            labels = sample_point(targets, points, align_corners=False).squeeze(1)
            weight = sample_point(valid_maps, points, align_corners=False,
                                  padding_mode="border").squeeze(1)
        logits = sample_point(pred_masks, points, align_corners=False).squeeze(1)
        cross_entropy = nn.functional.binary_cross_entropy_with_logits(
            logits, labels, reduction="none")
        per_mask = (cross_entropy * weight).sum(1) / weight.sum(1).clamp(min=EPS)
        probs = logits.sigmoid()
        numerator = 2 * (probs * labels * weight).sum(-1)
        denominator = (probs * weight).sum(-1) + (labels * weight).sum(-1)
        dice = 1 - (numerator + 1) / (denominator + 1)
        return {"loss_mask": per_mask.sum() / num_masks, "loss_dice": dice.sum() / num_masks}


def _pairwise_cross_entropy(pred: Tensor, target: Tensor, weight: Tensor) -> Tensor:
    """(Q, T) mean sigmoid cross-entropy over the valid points."""
    positive = nn.functional.binary_cross_entropy_with_logits(
        pred, torch.ones_like(pred), reduction="none")
    negative = nn.functional.binary_cross_entropy_with_logits(
        pred, torch.zeros_like(pred), reduction="none")
    scale = weight / weight.sum().clamp(min=EPS)
    return (positive * scale) @ target.T + (negative * scale) @ (1 - target).T


def _pairwise_dice(pred: Tensor, target: Tensor, weight: Tensor) -> Tensor:
    probs = pred.sigmoid() * weight
    target = target * weight
    numerator = 2 * probs @ target.T
    denominator = probs.sum(-1)[:, None] + target.sum(-1)[None, :]
    return 1 - (numerator + 1) / (denominator + 1)
