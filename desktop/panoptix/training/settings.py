"""The settings of a training run, as ``run.json`` and ``training.json`` record them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from panoptix.training.augment import Augmentation


@dataclass(frozen=True)
class TrainSettings:
    steps: int
    batch: int
    accumulate: int
    size: int
    lr: float
    backbone_lr_factor: float
    weight_decay: float
    warmup: int
    clip: float
    eval_every: int
    checkpoint_every: int
    precision: str
    """``auto`` (bf16, else fp16, on CUDA; fp32 elsewhere), ``fp32``, ``bf16`` or ``fp16``
    (autocast; fp16 with a gradient scaler)."""
    workers: int
    seed: int
    min_scale: float = 0.5
    max_scale: float = 2.0
    flip: bool = True
    jitter: float = 0.2

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainSettings:
        return cls(**data)

    @property
    def augmentation(self) -> Augmentation:
        return Augmentation(self.size, self.min_scale, self.max_scale, self.flip, self.jitter)
