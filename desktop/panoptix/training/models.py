"""The model to train: a base checkpoint with its class head fitted to the project's labels,
or a small Mask2Former or OneFormer made from a configuration (``--from-scratch KIND``).

A base checkpoint loads through :func:`panoptix.inference.loading.load_model`, with its
rules: safetensors only unless pickles are allowed, never remote code. When its labels
differ from the project's, the class head is rebuilt for the project's labels and the
rows of the labels whose names match are copied over (``person`` stays a person from step
0); transformers' ``ignore_mismatched_sizes`` would throw them all away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from panoptix.core.categories import CategorySet, match_labels
from panoptix.inference.loading import LoadedModel, load_model
from panoptix.training.architectures import architecture_of
from panoptix.training.configs import (
    SCRATCH_CONFIGS,
    SCRATCH_KINDS,
    SWIN_STAGES,
    default_size,
    processor_size,
)
from panoptix.training.errors import TrainingSetupError
from panoptix.training.labels import LabelSpace

__all__ = ["SCRATCH_KINDS", "TrainingSetupError", "default_size", "processor_size"]

@dataclass(frozen=True)
class HeadTransfer:
    kept: dict[int, int]
    """New label -> the base label whose row it copied."""
    fresh: tuple[int, ...]
    """New labels with a newly initialised row."""
    rebuilt: bool
    """False when the base had exactly the project's labels (head used as it is)."""


def scratch_model(kind: str, labels: LabelSpace, seed: int) -> LoadedModel:
    """A randomly initialised model of a built-in size, with its processor."""
    if kind not in SCRATCH_CONFIGS:
        raise TrainingSetupError(f"no built-in configuration {kind!r}; "
                                 f"use one of {', '.join(SCRATCH_KINDS)}")
    return build_scratch(SCRATCH_CONFIGS[kind], labels, seed, f"scratch-{kind}")


def build_scratch(spec: dict[str, Any], labels: LabelSpace, seed: int,
                  name: str) -> LoadedModel:
    """A random Mask2Former or OneFormer (``spec["family"]``) of the sizes in ``spec``."""
    from transformers import SwinConfig

    spec = dict(spec)
    family = spec.pop("family", "mask2former")
    backbone = SwinConfig(**spec.pop("backbone"), window_size=7, out_features=SWIN_STAGES)
    size = spec.pop("size")
    dim = spec["hidden_dim"]
    names = {"id2label": labels.id2label, "label2id": labels.label2id}
    if family == "oneformer":
        from transformers import (
            OneFormerConfig,
            OneFormerForUniversalSegmentation,
            OneFormerProcessor,
        )
        from transformers.models.oneformer import OneFormerImageProcessorPil

        from panoptix.training.oneformer import scratch_tokenizer

        tokenizer = scratch_tokenizer()
        config = OneFormerConfig(backbone_config=backbone, conv_dim=dim, mask_dim=dim,
                                 text_encoder_vocab_size=len(tokenizer), is_training=True,
                                 **names, **spec)
        torch.manual_seed(seed)
        model = OneFormerForUniversalSegmentation(config)
        # OneFormer's queries all start as the task token, told apart only by these
        # embeddings: N(0, 1) as the original (PyTorch's default); transformers' 0.02
        # leaves them so alike that the tiny model never learns to tell segments apart
        nn.init.normal_(model.model.transformer_module.queries_embedder.weight)
        processor = OneFormerProcessor(
            image_processor=OneFormerImageProcessorPil(size=processor_size(size)),
            tokenizer=tokenizer, max_seq_length=config.text_encoder_context_length,
            task_seq_length=config.task_seq_len)
    else:
        from transformers import Mask2FormerConfig, Mask2FormerForUniversalSegmentation
        from transformers.models.mask2former import Mask2FormerImageProcessorPil

        config = Mask2FormerConfig(backbone_config=backbone, feature_size=dim,
                                   mask_feature_size=dim, **names, **spec)
        torch.manual_seed(seed)
        model = Mask2FormerForUniversalSegmentation(config)
        processor = Mask2FormerImageProcessorPil(size=processor_size(size))
    architecture_of(family).prepare(model)
    return LoadedModel(model, processor, family, name, labels.id2label)


def load_base(spec: str, allow_pickle: bool = False) -> tuple[LoadedModel, bool]:
    """A Mask2Former or OneFormer checkpoint to fine-tune (hub id or folder), and whether it
    got a new text branch (a OneFormer saved without one); raises ``ModelLoadError`` with
    one line."""
    loaded = load_model(spec, allow_pickle=allow_pickle, for_training=True)
    return loaded, architecture_of(loaded.model_type).prepare(loaded.model)


def base_shortest_edge(loaded: LoadedModel) -> int:
    size = loaded.image_processor.size
    return int(size.shortest_edge or min(size.height, size.width))


def transfer_class_head(model: Any, base_id2label: dict[int, str], labels: LabelSpace,
                        categories: CategorySet) -> HeadTransfer:
    """Fit ``model``'s class head to ``labels``: a base label whose name maps (as at
    inference, :func:`match_labels`) to a project category gives that category's label
    its row; the "no object" row is kept; the other rows start fresh."""
    architecture = architecture_of(model.config.model_type)
    old = architecture.class_head(model)
    base_to_category = match_labels(base_id2label, categories).label_to_category
    kept: dict[int, int] = {}
    for base_label, category_id in sorted(base_to_category.items()):
        new_label = labels.label_of(category_id)
        if new_label is not None and new_label not in kept:
            kept[new_label] = base_label
    same = (len(base_id2label) == len(labels)
            and all(kept.get(i) == i for i in range(len(labels))))
    fresh = tuple(i for i in range(len(labels)) if i not in kept)
    if not same:
        head = nn.Linear(old.in_features, len(labels) + 1, dtype=old.weight.dtype,
                         device=old.weight.device)
        with torch.no_grad():
            nn.init.normal_(head.weight, std=model.config.init_std)
            nn.init.zeros_(head.bias)
            for new_label, base_label in kept.items():
                head.weight[new_label] = old.weight[base_label]
                head.bias[new_label] = old.bias[base_label]
            head.weight[-1] = old.weight[-1]
            head.bias[-1] = old.bias[-1]
        architecture.set_class_head(model, head)
    set_labels(model, labels)
    return HeadTransfer(kept, fresh, not same)


def set_labels(model: Any, labels: LabelSpace) -> None:
    """The config's labels, and the loss buffers sized by them."""
    config = model.config
    config.id2label = labels.id2label
    config.label2id = labels.label2id
    config.num_labels = len(labels)
    architecture_of(config.model_type).fit_loss_buffers(model)


def backbone_parameters(model: Any) -> set[int]:
    return {id(p) for p in model.model.pixel_level_module.encoder.parameters()}


NO_DECAY_NAMES = ("level_embed", "relative_position_bias_table", "absolute_pos_embed",
                  "positional_embedding")
NO_DECAY_MODULES = (nn.Embedding, nn.LayerNorm, nn.GroupNorm, nn.BatchNorm2d)


def parameter_groups(model: Any, lr: float, backbone_factor: float,
                     weight_decay: float) -> list[dict[str, Any]]:
    """AdamW groups: the backbone at ``lr x backbone_factor``; no weight decay on biases,
    norms and embeddings (queries, levels, position tables), as Mask2Former trains."""
    backbone = backbone_parameters(model)
    exempt = {id(p) for module in model.modules() if isinstance(module, NO_DECAY_MODULES)
              for p in module.parameters(recurse=False)}
    groups: dict[tuple[bool, bool], list[nn.Parameter]] = {}
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        decay = (parameter.ndim > 1 and id(parameter) not in exempt
                 and not any(part in name for part in NO_DECAY_NAMES))
        groups.setdefault((id(parameter) in backbone, decay), []).append(parameter)
    return [{"params": params, "lr": lr * (backbone_factor if in_backbone else 1.0),
             "weight_decay": weight_decay if decay else 0.0}
            for (in_backbone, decay), params in sorted(groups.items())]
