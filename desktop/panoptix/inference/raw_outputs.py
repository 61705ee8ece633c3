"""A model's raw per-image outputs, kept so thresholds can change without a new forward pass.

Stored as a compressed ``.npz`` without pickles: class logits (Q, C+1), low-resolution
mask logits (Q, h, w) in float16 cropped to the unpadded region, and the little metadata
needed to post-process them again (original image size, labels, task, model).
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from panoptix.core.atomic import write_bytes

TASKS = ("panoptic", "semantic", "instance")
FORMAT_VERSION = 1


class RawOutputsError(ValueError):
    """A raw-outputs file is missing, truncated or of another format."""


@dataclass(frozen=True, eq=False)
class RawOutputs:
    class_logits: np.ndarray
    """(Q, C+1) float32 or float16; the last column is "no object"."""
    mask_logits: np.ndarray
    """(Q, h, w) float16 at the model's mask resolution, padding already cropped."""
    image_size: tuple[int, int]
    """(H, W) of the original image."""
    id2label: dict[int, str] = field(default_factory=dict)
    task: str = "panoptic"
    model_id: str = ""

    def __post_init__(self) -> None:
        if self.class_logits.ndim != 2 or self.mask_logits.ndim != 3:
            raise RawOutputsError("class logits must be (Q, C+1) and mask logits (Q, h, w)")
        if self.class_logits.shape[0] != self.mask_logits.shape[0]:
            raise RawOutputsError(f"{self.class_logits.shape[0]} class rows but "
                                  f"{self.mask_logits.shape[0]} masks")
        if self.task not in TASKS:
            raise RawOutputsError(f"unknown task {self.task!r}; expected one of {TASKS}")
        object.__setattr__(self, "image_size", (int(self.image_size[0]), int(self.image_size[1])))

    @property
    def num_queries(self) -> int:
        return int(self.class_logits.shape[0])

    @property
    def num_labels(self) -> int:
        """Real labels, without the trailing "no object" column."""
        return int(self.class_logits.shape[1]) - 1

    @property
    def nbytes(self) -> int:
        return int(self.class_logits.nbytes + self.mask_logits.nbytes)

    def to_bytes(self) -> bytes:
        """The compressed ``.npz`` encoding (what :meth:`save` writes)."""
        meta = {"version": FORMAT_VERSION, "image_size": list(self.image_size),
                "id2label": {str(k): v for k, v in self.id2label.items()},
                "task": self.task, "model_id": self.model_id}
        buffer = io.BytesIO()
        np.savez_compressed(buffer, class_logits=self.class_logits,
                            mask_logits=self.mask_logits.astype(np.float16, copy=False),
                            meta=np.array(json.dumps(meta)))
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> RawOutputs:
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                meta = json.loads(str(npz["meta"]))
                class_logits, mask_logits = npz["class_logits"], npz["mask_logits"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise RawOutputsError(f"not a raw-outputs file: {exc}") from exc
        if meta.get("version") != FORMAT_VERSION:
            raise RawOutputsError(f"raw-outputs format {meta.get('version')} is not supported")
        return cls(class_logits, mask_logits, tuple(meta["image_size"]),
                   {int(k): str(v) for k, v in meta["id2label"].items()},
                   meta["task"], meta["model_id"])

    def save(self, path: str | os.PathLike) -> None:
        """Write atomically (a killed process leaves the old file or none, never half of one);
        failures raise :class:`panoptix.core.atomic.StoreError`."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        write_bytes(path, self.to_bytes())

    @classmethod
    def load(cls, path: str | os.PathLike) -> RawOutputs:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise RawOutputsError(f"cannot read raw outputs {path}: {exc}") from exc
        return cls.from_bytes(data)
