"""The loss with ignored pixels, the class head fitted to the project's labels, the
from-scratch configurations."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from scenes import CATEGORIES

from panoptix.inference.loading import load_model
from panoptix.training.labels import LabelSpace
from panoptix.training.loss import IgnoringMask2FormerLoss
from panoptix.training.models import (
    load_base,
    parameter_groups,
    scratch_model,
    transfer_class_head,
)
from tiny_models import build_mask2former

LABELS = LabelSpace.of(CATEGORIES)  # sky, grass, ball, box, flag


def _targets(size: int = 64) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    masks = torch.zeros(3, size, size)
    masks[0, : size // 2] = 1
    masks[1, size // 2:] = 1
    masks[2, 10:30, 10:30] = 1
    masks[1, 10:30, 10:30] = 0
    masks[0, 10:30, 10:30] = 0
    return [masks, masks[:2].clone()], [torch.tensor([0, 1, 2]), torch.tensor([1, 0])]


@pytest.fixture(scope="module")
def tiny() -> object:
    return scratch_model("tiny", LABELS, seed=0)


def test_with_every_pixel_valid_the_loss_is_transformers_own(tiny) -> None:
    model = tiny.model.eval()
    with torch.no_grad():
        outputs = model(pixel_values=torch.randn(2, 3, 64, 64), output_auxiliary_logits=True)
    mask_labels, class_labels = _targets()
    torch.manual_seed(7)
    theirs = model.get_loss(model.get_loss_dict(
        outputs.masks_queries_logits, outputs.class_queries_logits, mask_labels,
        class_labels, outputs.auxiliary_logits))
    torch.manual_seed(7)
    ours, parts = IgnoringMask2FormerLoss(model.config).total(
        outputs, mask_labels, class_labels, torch.ones(2, 64, 64, dtype=torch.bool))
    assert float(ours) == pytest.approx(float(theirs), rel=1e-5)
    assert set(parts) == {"loss_cross_entropy", "loss_mask", "loss_dice"}


def test_ignored_pixels_give_the_masks_no_gradient(tiny) -> None:
    mask_logits = torch.randn(2, 20, 16, 16, requires_grad=True)
    outputs = SimpleNamespace(masks_queries_logits=mask_logits,
                              class_queries_logits=torch.randn(2, 20, len(LABELS) + 1),
                              auxiliary_logits=None)
    mask_labels, class_labels = _targets()
    valid = torch.ones(2, 64, 64, dtype=torch.bool)
    valid[:, :, 32:] = False  # the right half: unlabeled or crowd
    loss, _ = IgnoringMask2FormerLoss(tiny.model.config).total(outputs, mask_labels,
                                                                class_labels, valid)
    loss.backward()
    gradient = mask_logits.grad.abs().sum(dim=(0, 1))  # (16, 16) mask cells
    assert gradient[:, 9:].max() == 0  # cells wholly inside the ignored half
    assert gradient[:, :7].min() > 0
    # transformers' own loss pushes every query's mask down there instead
    mask_logits.grad = None
    torch.manual_seed(0)
    theirs = tiny.model.criterion(mask_logits, outputs.class_queries_logits, mask_labels,
                                  class_labels)
    sum(theirs.values()).backward()
    assert mask_logits.grad.abs().sum(dim=(0, 1))[:, 9:].max() > 0


def test_a_base_with_other_labels_keeps_the_rows_of_matching_names(tmp_path: Path) -> None:
    base_labels = {0: "person", 1: "sky", 2: "car", 3: "Ball"}
    folder = build_mask2former(tmp_path / "base", base_labels)
    loaded, _new_text_branch = load_base(str(folder))
    old = loaded.model.class_predictor
    old_weight, old_bias = old.weight.detach().clone(), old.bias.detach().clone()
    transfer = transfer_class_head(loaded.model, loaded.id2label, LABELS, CATEGORIES)
    assert transfer.rebuilt and transfer.kept == {0: 1, 2: 3}  # sky, ball (by name)
    assert transfer.fresh == (1, 3, 4)  # grass, box, flag
    new = loaded.model.class_predictor
    assert new.out_features == len(LABELS) + 1
    for label, base_label in transfer.kept.items():
        assert torch.equal(new.weight[label], old_weight[base_label])
        assert torch.equal(new.bias[label], old_bias[base_label])
    assert torch.equal(new.weight[-1], old_weight[-1])  # "no object"
    for label in transfer.fresh:
        assert not any(torch.equal(new.weight[label], row) for row in old_weight)
    assert loaded.model.config.id2label == LABELS.id2label
    # saved and loaded again like any checkpoint, it keeps the new head and labels
    loaded.model.save_pretrained(tmp_path / "saved")
    loaded.processor.save_pretrained(tmp_path / "saved")
    again = load_model(str(tmp_path / "saved"))
    assert again.id2label == LABELS.id2label
    assert torch.equal(again.model.class_predictor.weight, new.weight)
    with torch.no_grad():
        logits = again.model(pixel_values=torch.randn(1, 3, 64, 64)).class_queries_logits
    assert logits.shape[-1] == len(LABELS) + 1


def test_a_base_with_the_project_labels_keeps_its_head(tmp_path: Path) -> None:
    folder = build_mask2former(tmp_path / "base", LABELS.id2label)
    loaded, _new_text_branch = load_base(str(folder))
    head = loaded.model.class_predictor
    transfer = transfer_class_head(loaded.model, loaded.id2label, LABELS, CATEGORIES)
    assert not transfer.rebuilt and loaded.model.class_predictor is head


def test_the_backbone_learns_slower_and_norms_and_embeddings_are_not_decayed(tiny) -> None:
    groups = parameter_groups(tiny.model, 1e-4, 0.1, 0.05)
    names = {id(p): n for n, p in tiny.model.named_parameters()}
    for group in groups:
        in_backbone = all(names[id(p)].startswith("model.pixel_level_module.encoder")
                          for p in group["params"])
        assert group["lr"] == pytest.approx(1e-5 if in_backbone else 1e-4)
        for parameter in group["params"]:
            name = names[id(parameter)]
            if "queries_embedder" in name or "norm" in name or name.endswith("bias"):
                assert group["weight_decay"] == 0.0, name
    assert sum(len(g["params"]) for g in groups) == len(list(tiny.model.parameters()))
