"""A model's raw per-image outputs, kept so thresholds can change without a new forward pass.

Stored as an ``.npz`` without pickles: class logits (Q, C+1), low-resolution mask logits
(Q, h, w) cropped to the unpadded region, and the little metadata needed to post-process
them again (original image size, labels, task, model).

Sized for datasets (:meth:`RawOutputs.compacted`, done by the engine when outputs are
made, so a reload decides exactly as the first run did):

* only the queries that can matter are kept: those whose most likely real label has a
  probability of at least :data:`KEEP_FLOOR`. Any other query is below every score
  threshold from the floor up, so it can be neither a segment (panoptic, instance) nor a
  proposal. Semantic outputs keep every query (each one adds to every pixel's sums);
* each mask is cut to the box where its logit is above :data:`OFF_LOGIT` (a sigmoid of
  0.25%), with a cell of margin for bilinear upsampling; cells outside are "off" (-16);
* inside the box, logits are held between :data:`FAINT` and :data:`SATURATED` and
  quantised to steps of 1/8 logit (one byte a cell);
* the file stores each kept mask's box and its bytes only.

On the demo model's 640x480 scenes (384 px input) a file is 4-8x the image's annotation
(528 KB dense, 58 KB compact on ``bench/bench_scale.py``'s scenes, although its unsure
classes keep 90% of its queries); a model sure of its classes keeps fewer. Outputs made
otherwise (tests, the stand-in model) are stored dense, float16 rounded to 6 mantissa
bits (:func:`round_mask_logits`), as before.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from panoptix.core import raw_budget
from panoptix.core.atomic import write_bytes
from panoptix.core.regular_files import read_regular

TASKS = ("panoptic", "semantic", "instance")
FORMAT_VERSION = 2
READS_VERSIONS = (1, 2)
KEEP_FLOOR = 0.02
"""Lowest best-label probability of a kept query: ``proposals.MIN_SCORE``; a threshold
re-run below it (or a proposal floor below it) sees only the kept queries."""
LOGIT_MIN, LOGIT_STEP = -16.0, 0.125
"""Quantised mask logits are the middles of 1/8-logit steps from -16 (byte ``b`` is
``-16 + (b + 0.5) / 8``): an error of at most 1/16 logit (a sigmoid within 1.6% at 0.5),
never 0, so every cell stays on the side of 0.5 it was on; byte 0 means "off"."""
OFF = LOGIT_MIN + LOGIT_STEP / 2
"""The logit of byte 0: outside a mask's box."""
OFF_LOGIT = -6.0
"""A mask is cut to where its logit exceeds this (sigmoid 0.25%)."""
SATURATED, FAINT = 8.0, -12.0
"""Compact masks hold logits between these. Above 8 (a sigmoid within 0.034% of 1) a
cell is inside its mask at every mask threshold the threshold panel offers (0.01-0.99,
logits +-4.6); under -12 (6e-6) a cell adds nothing that moves a category guess, which
weighs every query by its mask probability over a segment (held at -8, 4 of 132 of the
demo model's segments changed their top-5 guesses; at -12, none). The smooth tails a model
writes far from its decisions took over a quarter of a file: the demo model's 384 px
outputs were 81 KB unheld and 58 KB held (``bench/bench_scale.py``'s scenes), and up to
12x their annotation unheld, 8x held (its tests' scenes)."""
MANTISSA_BITS = 6
"""Of float16's 10: a relative error under 0.4%, far below what moves a decision."""
COMPRESS_LEVEL = 1
"""zlib's fastest: as small as level 6 within 5% on mask logits, and 6x faster."""
COMPACT_COMPRESS_LEVEL = 6
"""For compact outputs: a tenth of the data, and 5% smaller than level 1 on it."""


def round_mask_logits(logits: np.ndarray) -> np.ndarray:
    """float16 with the mantissa rounded to :data:`MANTISSA_BITS` (idempotent)."""
    bits = logits.astype(np.float16).view(np.uint16).astype(np.uint32)
    drop = 10 - MANTISSA_BITS
    rounded = ((bits + (1 << (drop - 1))) >> drop << drop).astype(np.uint16).view(np.float16)
    return np.where(np.isfinite(rounded), rounded, logits.astype(np.float16))


def quantise_mask_logits(logits: np.ndarray) -> np.ndarray:
    """float16 middles of the 1/8-logit steps (see :data:`LOGIT_MIN`; idempotent); NaN
    counts as off."""
    return _from_grid_bytes(_grid_bytes(logits))


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits.astype(np.float32) - logits.max(axis=-1, keepdims=True).astype(np.float32)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def _on_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(y0, x0, y1, x1) of the cells above :data:`OFF_LOGIT`, one cell wider each way."""
    on = mask > OFF_LOGIT
    rows, cols = np.flatnonzero(on.any(axis=1)), np.flatnonzero(on.any(axis=0))
    if rows.size == 0:
        return None
    return (max(0, int(rows[0]) - 1), max(0, int(cols[0]) - 1),
            min(mask.shape[0], int(rows[-1]) + 2), min(mask.shape[1], int(cols[-1]) + 2))


def _grid_bytes(logits: np.ndarray) -> np.ndarray:
    """Each logit's 1/8-logit step from -16 as a byte (0 = off)."""
    steps = np.floor((np.nan_to_num(logits.astype(np.float32), nan=LOGIT_MIN) - LOGIT_MIN)
                     / LOGIT_STEP)
    return np.clip(steps, 0, 255).astype(np.uint8)


def _from_grid_bytes(grid: np.ndarray) -> np.ndarray:
    return ((grid.astype(np.float32) + 0.5) * LOGIT_STEP + LOGIT_MIN).astype(np.float16)


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
    queries_run: int = 0
    """Queries the model produced (more than :attr:`num_queries` once compacted)."""
    compact: bool = False
    """Made by :meth:`compacted`: stored as cropped bytes, exactly as held here."""

    def __post_init__(self) -> None:
        if self.class_logits.ndim != 2 or self.mask_logits.ndim != 3:
            raise RawOutputsError("class logits must be (Q, C+1) and mask logits (Q, h, w)")
        if self.class_logits.shape[0] != self.mask_logits.shape[0]:
            raise RawOutputsError(f"{self.class_logits.shape[0]} class rows but "
                                  f"{self.mask_logits.shape[0]} masks")
        if self.task not in TASKS:
            raise RawOutputsError(f"unknown task {self.task!r}; expected one of {TASKS}")
        object.__setattr__(self, "image_size", (int(self.image_size[0]), int(self.image_size[1])))
        object.__setattr__(self, "queries_run", max(int(self.queries_run), self.num_queries))

    def compacted(self, threshold: float | None = None) -> RawOutputs:
        """Only the queries that can matter, masks quantised and cut to where they are
        on (see the module); what presegment and the window keep. A score ``threshold``
        under :data:`KEEP_FLOOR` lowers the floor to it."""
        if self.compact:
            return self
        if self.task == "semantic":
            keep = np.arange(self.num_queries)
        else:
            floor = KEEP_FLOOR if threshold is None else min(KEEP_FLOOR, threshold)
            best_real = _softmax(self.class_logits)[:, :-1].max(axis=1, initial=0.0)
            keep = np.flatnonzero(best_real >= floor)
        masks = np.full((keep.size, *self.mask_logits.shape[1:]), OFF, np.float16)
        for row, query in enumerate(keep.tolist()):
            logits = self.mask_logits[query]
            box = _on_box(quantise_mask_logits(logits))
            if box is not None:
                y0, x0, y1, x1 = box
                masks[row, y0:y1, x0:x1] = quantise_mask_logits(
                    np.clip(logits[y0:y1, x0:x1], FAINT, SATURATED))
        return RawOutputs(np.ascontiguousarray(self.class_logits[keep]), masks,
                          self.image_size, dict(self.id2label), self.task, self.model_id,
                          self.queries_run, compact=True)

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
                "task": self.task, "model_id": self.model_id,
                "queries_run": self.queries_run, "compact": self.compact,
                "mask_shape": list(self.mask_logits.shape[1:])}
        arrays = {"class_logits": self.class_logits, **(
            _cropped(self.mask_logits) if self.compact
            else {"mask_logits": round_mask_logits(self.mask_logits)}),
                  "meta": np.array(json.dumps(meta))}
        buffer = io.BytesIO()
        level = COMPACT_COMPRESS_LEVEL if self.compact else COMPRESS_LEVEL
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED,
                             compresslevel=level) as archive:
            for name, array in arrays.items():
                with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> RawOutputs:
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                meta = json.loads(str(npz["meta"]))
                if meta.get("version") not in READS_VERSIONS:
                    raise RawOutputsError(f"raw-outputs format {meta.get('version')} is not "
                                          "supported")
                class_logits = npz["class_logits"]
                compact = bool(meta.get("compact", False))
                mask_logits = (_uncropped(npz["boxes"], npz["cells"], class_logits.shape[0],
                                          meta["mask_shape"])
                               if compact else npz["mask_logits"])
        except (OSError, ValueError, KeyError, TypeError, EOFError,
                zipfile.BadZipFile) as exc:
            raise RawOutputsError(f"not a raw-outputs file: {exc}") from exc
        return cls(class_logits, mask_logits, tuple(meta["image_size"]),
                   {int(k): str(v) for k, v in meta["id2label"].items()},
                   meta["task"], meta["model_id"], int(meta.get("queries_run", 0)), compact)

    def save(self, path: str | os.PathLike) -> None:
        """Write atomically (a killed process leaves the old file or none, never half of one);
        failures raise :class:`panoptix.core.atomic.StoreError`. The project's disk budget
        counts it (and may delete the least recently viewed others)."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        write_bytes(path, self.to_bytes())
        raw_budget.note_written(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> RawOutputs:
        try:
            data = read_regular(path)  # a pipe planted there must not hang the reader
        except OSError as exc:
            raise RawOutputsError(f"cannot read raw outputs {path}: {exc}") from exc
        raw = cls.from_bytes(data)
        raw_budget.note_viewed(path)
        return raw


def _cropped(masks: np.ndarray) -> dict[str, np.ndarray]:
    """Compact masks as each one's box of non-off cells and those cells' bytes, each the
    difference from its left neighbour (mod 256: smooth logits then deflate better)."""
    grid = _grid_bytes(masks)
    boxes = np.zeros((grid.shape[0], 4), np.int32)
    parts = []
    for row, mask in enumerate(grid):
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        if rows.size:
            y0, x0, y1, x1 = int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1
            boxes[row] = (y0, x0, y1, x1)
            crop = mask[y0:y1, x0:x1].astype(np.int16)
            parts.append(np.diff(crop, axis=1, prepend=0).astype(np.uint8).ravel())
    cells = np.concatenate(parts) if parts else np.zeros(0, np.uint8)
    return {"boxes": boxes, "cells": cells}


def _uncropped(boxes: np.ndarray, cells: np.ndarray, count: int,
               shape: list[int]) -> np.ndarray:
    """The dense (Q, h, w) float16 logits of :func:`_cropped`; ValueError if inconsistent."""
    height, width = (int(v) for v in shape)
    if boxes.shape != (count, 4) or cells.dtype != np.uint8 or cells.ndim != 1:
        raise ValueError("mask boxes and cells do not match the class logits")
    grid = np.zeros((count, height, width), np.uint8)
    start = 0
    for row, (y0, x0, y1, x1) in enumerate(boxes.tolist()):
        if not (0 <= y0 <= y1 <= height and 0 <= x0 <= x1 <= width):
            raise ValueError(f"mask box {row} lies outside the {height}x{width} grid")
        size = (y1 - y0) * (x1 - x0)
        if start + size > cells.size:
            raise ValueError("mask cells are truncated")
        steps = cells[start:start + size].reshape(y1 - y0, x1 - x0)
        grid[row, y0:y1, x0:x1] = np.cumsum(steps, axis=1, dtype=np.uint8)  # wraps mod 256
        start += size
    if start != cells.size:
        raise ValueError("mask cells are longer than their boxes")
    return _from_grid_bytes(grid)
