"""Tiny random-weight Mask2Former and OneFormer checkpoints, saved like a user's model.

Swin backbone with embed_dim 16 and depths [1, 1, 1, 1], hidden size 32, 20 queries:
about 1.5 MB and a few tens of milliseconds per forward pass on a CPU. OneFormer's
processor needs a tokenizer; a character-level CLIP tokenizer is built from its own vocab.
The bench scripts use :func:`build_mask2former` with ``size="swin-t"`` for a model of
real Swin-T size.
"""

from __future__ import annotations

import json
from pathlib import Path

from panoptix.core.bundled import CATEGORIES, bundled

REPO = Path(__file__).resolve().parents[1]
TABLES = bundled(CATEGORIES)

TINY_SWIN = {"embed_dim": 16, "depths": [1, 1, 1, 1], "num_heads": [1, 1, 2, 2]}
SWIN_T = {"embed_dim": 96, "depths": [2, 2, 6, 2], "num_heads": [3, 6, 12, 24]}
TINY_HEADS = {"hidden_dim": 32, "encoder_feedforward_dim": 64, "encoder_layers": 1,
              "decoder_layers": 2, "num_attention_heads": 2, "dim_feedforward": 64,
              "num_queries": 20}
SWIN_T_HEADS = {"hidden_dim": 256, "encoder_feedforward_dim": 1024, "encoder_layers": 6,
                "decoder_layers": 10, "num_attention_heads": 8, "dim_feedforward": 2048,
                "num_queries": 100}


def table_labels(table: str) -> dict[int, str]:
    """A bundled table's labels in the order Hugging Face checkpoints use."""
    data = json.loads((TABLES / f"{table}.id2label.json").read_text(encoding="utf-8"))
    return {int(k): v for k, v in data.items()}


def _swin(size: str):
    from transformers import SwinConfig

    return SwinConfig(**(SWIN_T if size == "swin-t" else TINY_SWIN), window_size=7,
                      out_features=["stage1", "stage2", "stage3", "stage4"])


def build_mask2former(folder: Path, id2label: dict[int, str], size: str = "tiny",
                      shortest_edge: int = 128, longest_edge: int = 256, seed: int = 0) -> Path:
    """Save a random-weight Mask2Former and its image processor to ``folder``."""
    import torch
    from transformers import Mask2FormerConfig, Mask2FormerForUniversalSegmentation
    from transformers.models.mask2former import Mask2FormerImageProcessorPil

    heads = SWIN_T_HEADS if size == "swin-t" else TINY_HEADS
    dim = heads["hidden_dim"]
    config = Mask2FormerConfig(backbone_config=_swin(size), feature_size=dim,
                               mask_feature_size=dim, id2label=id2label,
                               label2id={v: k for k, v in id2label.items()}, **heads)
    torch.manual_seed(seed)
    Mask2FormerForUniversalSegmentation(config).eval().save_pretrained(folder)
    Mask2FormerImageProcessorPil(
        size={"shortest_edge": shortest_edge, "longest_edge": longest_edge}
    ).save_pretrained(folder)
    return folder


def build_tokenizer():
    """A character-level CLIP tokenizer: every lowercase letter, alone or ending a word."""
    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for letter in "abcdefghijklmnopqrstuvwxyz":
        vocab[letter] = len(vocab)
        vocab[f"{letter}</w>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=[])


def build_oneformer(folder: Path, id2label: dict[int, str], shortest_edge: int = 128,
                    longest_edge: int = 256, seed: int = 0,
                    class_info_file: str | None = None, width: int = 32) -> Path:
    """Save a random-weight OneFormer and its processor (image processor + tokenizer).
    ``width`` 64 lets it have a text branch (for training): one head per 64 channels."""
    import torch
    from transformers import (
        OneFormerConfig,
        OneFormerForUniversalSegmentation,
        OneFormerProcessor,
    )
    from transformers.models.oneformer import OneFormerImageProcessorPil

    heads = {k: v for k, v in TINY_HEADS.items() if k != "hidden_dim"}
    config = OneFormerConfig(backbone_config=_swin("tiny"), conv_dim=width, mask_dim=width,
                             hidden_dim=width, text_encoder_width=width,
                             text_encoder_num_layers=1,
                             text_encoder_vocab_size=64, text_encoder_proj_layers=1,
                             text_encoder_n_ctx=4, query_dec_layers=1, id2label=id2label,
                             label2id={v: k for k, v in id2label.items()}, **heads)
    torch.manual_seed(seed)
    OneFormerForUniversalSegmentation(config).eval().save_pretrained(folder)
    image_processor = OneFormerImageProcessorPil(
        size={"shortest_edge": shortest_edge, "longest_edge": longest_edge})
    OneFormerProcessor(image_processor=image_processor,
                       tokenizer=build_tokenizer()).save_pretrained(folder)
    if class_info_file is not None:
        _set_processor_option(folder, "class_info_file", class_info_file)
    return folder


def _set_processor_option(folder: Path, key: str, value: object) -> None:
    """Edit a saved processor config, as a published checkpoint would have it."""
    for name in ("processor_config.json", "preprocessor_config.json"):
        path = folder / name
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            target = data.get("image_processor", data)
            target[key] = value
            path.write_text(json.dumps(data, indent=2), encoding="utf-8")


TINY_SAM2 = {"hidden": 32, "input": 256}
"""A Hiera of 8..64 channels over 5 blocks, 32-wide prompt encoder and decoder; 256 px input
(the code reads the input size from the config; published checkpoints take 1024 px)."""


def sam2_config(size: str = "tiny", video: bool = False):
    """A ``Sam2Config`` (``Sam2VideoConfig`` if ``video``, as the SAM 2.1 hub checkpoints
    are saved): ``tiny`` for tests, ``sam2.1-hiera-tiny`` for the real size (transformers'
    defaults are that checkpoint's)."""
    from transformers import (
        Sam2Config,
        Sam2HieraDetConfig,
        Sam2MaskDecoderConfig,
        Sam2PromptEncoderConfig,
        Sam2VideoConfig,
        Sam2VisionConfig,
    )

    if size == "tiny":
        side, hidden = TINY_SAM2["input"], TINY_SAM2["hidden"]
        backbone = Sam2HieraDetConfig(
            hidden_size=8, embed_dim_per_stage=[8, 16, 32, 64], blocks_per_stage=[1, 1, 2, 1],
            num_attention_heads_per_stage=[1, 1, 1, 1], window_size_per_stage=[4, 4, 4, 4],
            global_attention_blocks=[3], window_positional_embedding_background_size=[4, 4],
            image_size=[side, side])
        parts = {
            "vision_config": Sam2VisionConfig(
                backbone_config=backbone, backbone_channel_list=[64, 32, 16, 8],
                backbone_feature_sizes=[[side // 4] * 2, [side // 8] * 2, [side // 16] * 2],
                fpn_hidden_size=hidden),
            "prompt_encoder_config": Sam2PromptEncoderConfig(hidden_size=hidden,
                                                             image_size=side),
            "mask_decoder_config": Sam2MaskDecoderConfig(hidden_size=hidden, mlp_dim=64,
                                                         num_attention_heads=2,
                                                         iou_head_hidden_dim=32)}
    else:
        defaults = Sam2Config()
        parts = {name: getattr(defaults, name) for name in
                 ("vision_config", "prompt_encoder_config", "mask_decoder_config")}
    if video:
        return Sam2VideoConfig(**{name: part.to_dict() for name, part in parts.items()})
    return Sam2Config(**parts)


def build_sam2(folder: Path, size: str = "tiny", video: bool = False, seed: int = 0,
               processor: bool = True) -> Path:
    """Save a random-weight SAM 2 (``Sam2VideoModel`` if ``video``) to ``folder``, with the
    ``preprocessor_config.json`` a published checkpoint has (``processor`` False: none)."""
    import torch
    from transformers import Sam2Model, Sam2VideoModel

    config = sam2_config(size, video)
    torch.manual_seed(seed)
    model = (Sam2VideoModel if video else Sam2Model)(config).eval()
    model.save_pretrained(folder)
    if processor:
        side = config.prompt_encoder_config.image_size
        (folder / "preprocessor_config.json").write_text(json.dumps({
            "image_processor_type": "Sam2ImageProcessorFast", "do_resize": True,
            "size": {"height": side, "width": side}, "resample": 2, "do_rescale": True,
            "rescale_factor": 1 / 255, "do_normalize": True,
            "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225],
            "mask_size": {"height": side // 4, "width": side // 4}}, indent=2),
            encoding="utf-8")
    return folder


def build_sam(folder: Path, seed: int = 0) -> Path:
    """Save a tiny random-weight original SAM (``SamModel``) with its Pillow processor."""
    import torch
    from transformers import (
        SamConfig,
        SamMaskDecoderConfig,
        SamModel,
        SamPromptEncoderConfig,
        SamVisionConfig,
    )
    from transformers.models.sam.image_processing_pil_sam import SamImageProcessorPil

    side, hidden = 256, 32
    config = SamConfig(
        vision_config=SamVisionConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                      mlp_dim=64, output_channels=hidden,
                                      num_pos_feats=hidden // 2, image_size=side,
                                      patch_size=16, window_size=4, global_attn_indexes=[1]),
        prompt_encoder_config=SamPromptEncoderConfig(hidden_size=hidden, image_size=side,
                                                     patch_size=16),
        mask_decoder_config=SamMaskDecoderConfig(hidden_size=hidden, mlp_dim=64,
                                                 num_attention_heads=2,
                                                 iou_head_hidden_dim=32))
    torch.manual_seed(seed)
    SamModel(config).eval().save_pretrained(folder)
    SamImageProcessorPil(size={"longest_edge": side},
                         pad_size={"height": side, "width": side},
                         mask_size={"longest_edge": side // 4},
                         mask_pad_size={"height": side // 4, "width": side // 4}
                         ).save_pretrained(folder)
    return folder
