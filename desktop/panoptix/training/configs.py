"""The built-in configurations of ``--from-scratch`` (cheap to import: no torch): a
Mask2Former unless ``family`` says ``oneformer``."""

from __future__ import annotations

from typing import Any

SCRATCH_KINDS = ("tiny", "small", "oneformer-tiny")
LONGEST_EDGE_RATIO = 1333 / 800
"""Longest edge per shortest edge, as Mask2Former's COCO processors have it."""

SWIN_STAGES = ["stage1", "stage2", "stage3", "stage4"]
SCRATCH_CONFIGS: dict[str, dict[str, Any]] = {
    # a few seconds per few dozen CPU steps at 128 px: for tests
    "tiny": {"backbone": {"embed_dim": 16, "depths": [1, 1, 1, 1], "num_heads": [1, 1, 2, 2]},
             "hidden_dim": 32, "encoder_feedforward_dim": 64, "encoder_layers": 1,
             "decoder_layers": 2, "num_attention_heads": 2, "dim_feedforward": 64,
             "num_queries": 20, "train_num_points": 1024, "size": 128},
    # the bundled demo model's size: see the README's Training section for measurements
    "small": {"backbone": {"embed_dim": 32, "depths": [2, 2, 2, 2], "num_heads": [1, 2, 4, 8]},
              "hidden_dim": 64, "encoder_feedforward_dim": 256, "encoder_layers": 2,
              "decoder_layers": 4, "num_attention_heads": 4, "dim_feedforward": 256,
              "num_queries": 50, "train_num_points": 4096, "size": 384},
    # tiny's sizes but 64 wide, as a one-layer text branch needs (one attention head per
    # 64 channels; its learned context entries must be as wide as the queries); its 4
    # context entries leave 16 texts
    "oneformer-tiny": {"family": "oneformer",
                       "backbone": {"embed_dim": 16, "depths": [1, 1, 1, 1],
                                    "num_heads": [1, 1, 2, 2]},
                       "hidden_dim": 64, "encoder_feedforward_dim": 64, "encoder_layers": 1,
                       "decoder_layers": 2, "num_attention_heads": 2, "dim_feedforward": 64,
                       "num_queries": 20, "train_num_points": 1024, "size": 128,
                       "query_dec_layers": 1, "text_encoder_width": 64,
                       "text_encoder_num_layers": 1, "text_encoder_proj_layers": 1,
                       "text_encoder_n_ctx": 4, "dropout": 0.0},
}


def default_size(kind: str) -> int:
    return int(SCRATCH_CONFIGS[kind]["size"])


def processor_size(shortest_edge: int) -> dict[str, int]:
    return {"shortest_edge": shortest_edge,
            "longest_edge": round(shortest_edge * LONGEST_EDGE_RATIO)}
