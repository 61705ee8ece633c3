"""Image embeddings kept for the next clicks: an LRU in memory, optionally files on disk.

A SAM 2 embedding is about 17 MB (float32) and costs seconds of CPU, so the image in view
and its neighbours are kept in memory. On disk (opt-in, beside the image's raw outputs) an
embedding is an ``.npz`` of float16 arrays without pickles, written atomically; a file for
another model, image size or format, or a damaged one, is ignored and replaced.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

from panoptix.core import raw_budget
from panoptix.core.atomic import write_bytes
from panoptix.core.regular_files import read_regular
from panoptix.inference.sam.frame import ModelFrame
from panoptix.inference.sam.predictor import SamEmbedding

FORMAT_VERSION = 1
MAX_LEVELS = 8
LEVEL_DIMENSIONS = 4
"""Each feature level is saved as the encoder gave it: (batch 1, channels, height, width)."""
DEFAULT_CAPACITY = 5
"""Embeddings kept in memory: the image in view, the ones beside it, the last visited."""

CacheKey = tuple[str, str, tuple[int, int]]
"""(image key, model id, image size)."""


class EmbeddingCache:
    """Thread-safe: the worker thread puts, the decoder thread and the GUI get."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._items: OrderedDict[CacheKey, SamEmbedding] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: CacheKey) -> SamEmbedding | None:
        with self._lock:
            embedding = self._items.get(key)
            if embedding is not None:
                self._items.move_to_end(key)
            return embedding

    def find(self, image_key: str, model_id: str) -> SamEmbedding | None:
        """The embedding of ``image_key`` by ``model_id`` at whatever size it was made."""
        with self._lock:
            for (key, model, _size), embedding in reversed(self._items.items()):
                if key == image_key and model == model_id:
                    return embedding
        return None

    def put(self, key: CacheKey, embedding: SamEmbedding) -> None:
        with self._lock:
            self._items[key] = embedding
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


def embedding_path(raw_outputs_path: Path, model_id: str) -> Path:
    """The file beside an image's raw outputs (``raw/<key>.npz``) for ``model_id``'s
    embedding: ``raw/<key>.sam-<hash of the model id>.npz``."""
    digest = hashlib.sha1(model_id.encode("utf-8")).hexdigest()[:12]
    return raw_outputs_path.with_name(f"{raw_outputs_path.stem}.sam-{digest}.npz")


def save_embedding(path: Path, embedding: SamEmbedding) -> None:
    frame = embedding.frame
    meta = {"version": FORMAT_VERSION, "model_id": embedding.model_id,
            "image_size": list(frame.image_size), "input_size": frame.input_size,
            "keep_aspect": frame.keep_aspect, "levels": len(embedding.features)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        arrays = {f"level{i}": f.detach().to("cpu").numpy().astype(np.float16)
                  for i, f in enumerate(embedding.features)}
        arrays["meta"] = np.array(json.dumps(meta))
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)
    write_bytes(path, buffer.getvalue(), sync=False)
    raw_budget.note_written(path)  # a cache like raw outputs: within the project's budget


def load_embedding(path: Path, model_id: str, image_size: tuple[int, int],
                   device: str = "cpu") -> SamEmbedding | None:
    """The embedding saved at ``path`` if it is ``model_id``'s for an image of
    ``image_size``; None when missing, damaged (then the caller computes and replaces it)
    or made otherwise."""
    import torch

    try:
        with np.load(io.BytesIO(read_regular(path)), allow_pickle=False) as npz:
            meta = json.loads(str(npz["meta"]))
            if not _valid_meta(meta, model_id, image_size):
                return None
            levels = [npz[f"level{i}"] for i in range(meta["levels"])]
    except (OSError, ValueError, KeyError, EOFError, RecursionError, zipfile.BadZipFile):
        return None
    if not all(level.dtype.kind == "f" and level.ndim == LEVEL_DIMENSIONS for level in levels):
        return None
    frame = ModelFrame(tuple(image_size), meta["input_size"], meta["keep_aspect"])
    features = tuple(torch.from_numpy(level.astype(np.float32)).to(device) for level in levels)
    return SamEmbedding(features, frame, model_id)


def _valid_meta(meta: object, model_id: str, image_size: tuple[int, int]) -> bool:
    """Whether ``meta`` is this format's, for this model and image, every field typed."""
    def whole(value: object, least: int, most: int) -> bool:
        return type(value) is int and least <= value <= most

    return isinstance(meta, dict) and meta.get("version") == FORMAT_VERSION \
        and meta.get("model_id") == model_id \
        and meta.get("image_size") == [int(side) for side in image_size] \
        and whole(meta.get("input_size"), 1, 1 << 16) \
        and isinstance(meta.get("keep_aspect"), bool) \
        and whole(meta.get("levels"), 1, MAX_LEVELS)
