"""The published Segment Anything checkpoints Panoptix offers. Pure data, cheap to import."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_SAM_ID = "facebook/sam2.1-hiera-tiny"
SAM2_TYPES = ("sam2", "sam2_video")
"""Config ``model_type`` values served by transformers' ``Sam2Model``."""
SAM_TYPES = ("sam",)
"""Served by ``SamModel`` (the original Segment Anything)."""


@dataclass(frozen=True)
class SamInfo:
    model_id: str
    title: str


SAM_MODELS: tuple[SamInfo, ...] = (
    SamInfo("facebook/sam2.1-hiera-tiny", "SAM 2.1 Hiera-T (fastest)"),
    SamInfo("facebook/sam2.1-hiera-small", "SAM 2.1 Hiera-S"),
    SamInfo("facebook/sam2.1-hiera-base-plus", "SAM 2.1 Hiera-B+"),
    SamInfo("facebook/sam2.1-hiera-large", "SAM 2.1 Hiera-L (best, slowest)"),
    SamInfo("facebook/sam-vit-base", "SAM ViT-B (original Segment Anything)"),
    SamInfo("facebook/sam-vit-large", "SAM ViT-L (original Segment Anything)"),
    SamInfo("facebook/sam-vit-huge", "SAM ViT-H (original Segment Anything)"),
)
