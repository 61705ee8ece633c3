"""A model's raw per-image outputs, kept so thresholds can change without a new forward pass.

Stored as an ``.npz`` without pickles: class logits (Q, C+1), low-resolution mask logits
(Q, h, w) cropped to the unpadded region, and the little metadata needed to post-process
them again (original image size, labels, task, model). Mask logits are float16 rounded to
6 mantissa bits (:func:`round_mask_logits`, done when they are made, so a reload decides
exactly as the first run did): the dropped bits are noise to the decisions but most of
what a compressor cannot shrink. Fast zlib then gives about a third of the raw size.
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
from panoptix.core.regular_files import read_regular

TASKS = ("panoptic", "semantic", "instance")
FORMAT_VERSION = 1
MANTISSA_BITS = 6
"""Of float16's 10: a relative error under 0.4%, far below what moves a decision."""
COMPRESS_LEVEL = 1
"""zlib's fastest: as small as level 6 within 5% on mask logits, and 6x faster."""


def round_mask_logits(logits: np.ndarray) -> np.ndarray:
    """float16 with the mantissa rounded to :data:`MANTISSA_BITS` (idempotent)."""
    bits = logits.astype(np.float16).view(np.uint16).astype(np.uint32)
    drop = 10 - MANTISSA_BITS
    rounded = ((bits + (1 << (drop - 1))) >> drop << drop).astype(np.uint16).view(np.float16)
    return np.where(np.isfinite(rounded), rounded, logits.astype(np.float16))


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
        arrays = {"class_logits": self.class_logits,
                  "mask_logits": round_mask_logits(self.mask_logits),
                  "meta": np.array(json.dumps(meta))}
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED,
                             compresslevel=COMPRESS_LEVEL) as archive:
            for name, array in arrays.items():
                with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)
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
            data = read_regular(path)  # a pipe planted there must not hang the reader
        except OSError as exc:
            raise RawOutputsError(f"cannot read raw outputs {path}: {exc}") from exc
        return cls.from_bytes(data)
