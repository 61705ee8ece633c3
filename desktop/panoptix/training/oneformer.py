"""OneFormer's side of training: a task per image, the text branch, the contrastive loss.

As OneFormer's joint training does, every training image is given one task, drawn with
equal chances: ``semantic`` (one target per category present), ``instance`` (the thing
segments only) or ``panoptic`` (every segment). transformers' OneFormer image processor
turns the image's labels into the targets of that task and into its *text* list: "a
photo with a {category}" per target, in category order, padded to ``num_text`` entries
with "a(n) {task} photo". The text branch (``text_mapper``) encodes that list, and the
contrastive loss pulls each image's task-conditioned queries towards its own text and
away from the other images' (``contrastive_weight`` x, its temperature learned:
``criterion.logit_scale``). ``num_text`` is the number of queries less the text
branch's learned context entries, so text and queries line up one to one.

The text branch exists in the model only while it trains: the saved configuration keeps
``is_training`` false, since transformers' forward pass would otherwise ask for text at
inference; its weights are saved with the model, and a later fine-tune loads them again
(:func:`panoptix.inference.loading.load_model` with ``for_training``).
"""

from __future__ import annotations

import copy
import threading
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from panoptix.training.architectures import Architecture, InputMaker, Prediction
from panoptix.training.labels import LabelSpace

TASKS = ("semantic", "instance", "panoptic")
"""Drawn with equal chances, as OneFormer's unified dataset mapper does (0.33, 0.66)."""
NO_TARGET_TEXT = {"semantic": "a semantic photo", "instance": "an instance photo",
                  "panoptic": "an panoptic photo"}
"""The text list's filler, as transformers' OneFormer processor writes it."""
TOKENS = "abcdefghijklmnopqrstuvwxyz0123456789"


def draw_task(seed: int, slot: int) -> str:
    """The task of the ``slot``-th image drawn since training began (its own stream, so
    the augmentation's draws are Mask2Former's)."""
    return TASKS[int(np.random.default_rng([seed, 2, slot]).integers(len(TASKS)))]


def num_text(config: Any) -> int:
    return int(config.num_queries) - int(config.text_encoder_n_ctx)


def task_metadata(labels: LabelSpace) -> dict[str, Any]:
    """What OneFormer's processor reads from its ``class_info_file``, for our labels."""
    return {**{str(i): name for i, name in enumerate(labels.names)},
            "thing_ids": [i for i, thing in enumerate(labels.things) if thing],
            "class_names": list(labels.names)}


class OneFormerInputs(InputMaker):
    """Each crop through OneFormer's image processor for its drawn task (one call per
    image: transformers counts the class texts over a whole batch otherwise), its texts
    and task tokenized as OneFormer's processor does (cached: the same few sentences
    recur, and a tokenizer is not safe to share between the loader threads)."""

    def __init__(self, processor: Any, labels: LabelSpace, config: Any, seed: int) -> None:
        self.processor = processor
        self.image_processor = copy.copy(processor.image_processor)
        self.image_processor.metadata = task_metadata(labels)
        self.image_processor.num_text = num_text(config)
        self.seed = seed
        self._tokens: dict[tuple[str, int], Tensor] = {}
        self._lock = threading.Lock()

    def __call__(self, crops: list[np.ndarray], maps: list[np.ndarray],
                 lookups: list[dict[int, int]], slots: list[int]) -> dict[str, Any]:
        pixels, masks, classes, texts, tasks = [], [], [], [], []
        for crop, ids, lookup, slot in zip(crops, maps, lookups, slots, strict=True):
            task = draw_task(self.seed, slot)
            encoded = self.encode(crop, ids, lookup, task)
            pixels.append(encoded["pixel_values"])
            masks.append(encoded["mask_labels"][0])
            classes.append(encoded["class_labels"][0])
            length = self.processor.max_seq_length
            texts.append(torch.stack([self.tokens(t, length)
                                      for t in encoded["text_inputs"][0]]))
            tasks.append(self.tokens(encoded["task_inputs"][0], self.processor.task_seq_length))
        return {"pixel_values": torch.cat(pixels), "task_inputs": torch.stack(tasks),
                "text_inputs": torch.stack(texts), "mask_labels": masks,
                "class_labels": classes}

    def encode(self, crop: np.ndarray, ids: np.ndarray, lookup: dict[int, int],
               task: str) -> dict[str, Any]:
        options = {"task_inputs": [task], "do_resize": False, "return_tensors": "pt",
                   "input_data_format": "channels_last"}
        things = self.image_processor.metadata["thing_ids"]
        if lookup and (task != "instance" or any(c in things for c in lookup.values())):
            return dict(self.image_processor(
                images=[crop], segmentation_maps=[ids], instance_id_to_semantic_id=[lookup],
                ignore_index=0, do_reduce_labels=False, **options))
        # no target: transformers' processor fails on that; what it would give
        encoded = dict(self.image_processor(images=[crop], **options))
        side = encoded["pixel_values"].shape[-2:]
        return {**encoded, "mask_labels": [torch.zeros(0, *side)],
                "class_labels": [torch.zeros(0, dtype=torch.int64)],
                "text_inputs": [[NO_TARGET_TEXT[task]] * self.image_processor.num_text]}

    def tokens(self, text: str, length: int) -> Tensor:
        key = (text, length)
        with self._lock:
            if key not in self._tokens:
                self._tokens[key] = self.processor._preprocess_text([text], length)[0]
            return self._tokens[key]


class OneFormerArchitecture(Architecture):
    family = "oneformer"

    def class_head(self, model: Any) -> nn.Linear:
        return model.model.transformer_module.decoder.class_embed

    def set_class_head(self, model: Any, head: nn.Linear) -> None:
        model.model.transformer_module.decoder.class_embed = head

    def fit_loss_buffers(self, model: Any) -> None:
        """The criterion keeps its learned ``logit_scale``; only its class weights are
        resized."""
        criterion = model.criterion
        weight = torch.ones(model.config.num_labels + 1, device=criterion.empty_weight.device)
        weight[-1] = criterion.eos_coef
        criterion.num_classes = model.config.num_labels
        criterion.empty_weight = weight

    def prepare(self, model: Any) -> bool:
        """The text branch (a new one when the checkpoint had none: True), computed here
        rather than in transformers' forward pass, which then needs no text (validation)."""
        from transformers.models.oneformer.modeling_oneformer import OneFormerTextMapper

        new = model.model.text_mapper is None
        if new:
            mapper = OneFormerTextMapper(model.config)
            mapper.apply(model._init_weights)
            model.model.text_mapper = mapper.to(next(model.parameters()).device)
        model.config.is_training = False
        for module in model.modules():  # some use it in place of .training (dropout)
            if hasattr(module, "is_training"):
                module.is_training = False
        return new

    def loss_weights(self, config: Any) -> dict[str, float]:
        return {**super().loss_weights(config), "loss_contrastive": config.contrastive_weight}

    def input_maker(self, processor: Any, labels: LabelSpace, config: Any,
                    seed: int) -> InputMaker:
        return OneFormerInputs(processor, labels, config, seed)

    def predict(self, model: Any, inputs: dict[str, Any]) -> Prediction:
        outputs = model(pixel_values=inputs["pixel_values"], task_inputs=inputs["task_inputs"],
                        output_auxiliary_logits=True)
        text_queries = model.model.text_mapper(inputs["text_inputs"])
        contrastive = model.criterion.loss_contrastive(
            outputs.transformer_decoder_contrastive_queries.float(), text_queries.float())
        return Prediction(outputs.masks_queries_logits, outputs.class_queries_logits,
                          outputs.auxiliary_predictions, contrastive)


def scratch_tokenizer() -> Any:
    """A character-level CLIP tokenizer (letters and digits, alone or ending a word), made
    here: a OneFormer from scratch needs no download."""
    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for token in TOKENS:
        vocab[token] = len(vocab)
        vocab[f"{token}</w>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=[])
