"""The settings of a training run, as ``run.json`` and ``training.json`` record them."""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, fields
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
    object_crops: float = 0.0
    """Share of crops placed around an object (:class:`Augmentation`)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainSettings:
        """The settings ``run.json`` or a checkpoint recorded; ValueError names the first
        setting that is unknown, missing, of the wrong type or not positive."""
        if not isinstance(data, dict):
            raise ValueError("the settings are not an object")
        known = {f.name: f for f in fields(cls)}
        for name in data:
            if name not in known:
                raise ValueError(f"unknown setting {name!r}")
        for name, spec in known.items():
            if name not in data:
                if spec.default is MISSING:
                    raise ValueError(f"setting {name!r} is missing")
                continue
            value = data[name]
            if not _SETTING_TYPES[str(spec.type)](value):
                raise ValueError(f"setting {name!r} is {value!r}, not a {spec.type}")
            if name in _POSITIVE and value < 1:
                raise ValueError(f"setting {name!r} is {value!r}, not at least 1")
        return cls(**data)

    @property
    def augmentation(self) -> Augmentation:
        return Augmentation(self.size, self.min_scale, self.max_scale, self.flip, self.jitter,
                            self.object_crops)


_SETTING_TYPES = {
    "int": lambda v: type(v) is int,
    "float": lambda v: type(v) in (int, float),
    "bool": lambda v: type(v) is bool,
    "str": lambda v: type(v) is str,
}
_POSITIVE = ("steps", "batch", "accumulate", "size", "eval_every", "checkpoint_every")
