"""The segmenter shared by two threads: the worker makes embeddings, the decoder answers
prompts on them. Thread-safe; loading the model and the image encoder are the slow parts
and only :meth:`SamEngine.embed` does them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from panoptix.inference.loading import Progress
from panoptix.inference.sam.cache import (
    DEFAULT_CAPACITY,
    EmbeddingCache,
    load_embedding,
    save_embedding,
)
from panoptix.inference.sam.predictor import Prediction, SamEmbedding, SamError, SamPredictor
from panoptix.inference.sam.prompts import Prompts
from panoptix.inference.sam.settings import SamSettings


def _load_key(settings: SamSettings) -> tuple[str, str, bool]:
    return settings.model.strip(), settings.device, settings.allow_pickle


class SamEngine:
    def __init__(self, settings: SamSettings | None = None,
                 capacity: int = DEFAULT_CAPACITY) -> None:
        self._settings = settings or SamSettings()
        self._predictor: SamPredictor | None = None
        self._loaded_key: tuple[str, str, bool] | None = None
        self._state = threading.Lock()
        self._loading = threading.Lock()
        self.cache = EmbeddingCache(capacity)

    @property
    def settings(self) -> SamSettings:
        with self._state:
            return self._settings

    @property
    def model_id(self) -> str:
        return self.settings.model.strip()

    @property
    def is_loaded(self) -> bool:
        """Whether the model for the current settings is loaded."""
        with self._state:
            return self._predictor is not None

    def configure(self, settings: SamSettings) -> None:
        """Use ``settings`` from now on; another model is loaded on the next embedding
        (never blocks: a model being loaded meanwhile is dropped when it lands)."""
        with self._state:
            self._settings = replace(settings, model=settings.model.strip())
            if self._loaded_key != _load_key(self._settings):
                self._predictor, self._loaded_key = None, None

    def predictor(self, progress: Progress | None = None) -> SamPredictor:
        """The loaded model, loading it first if needed (seconds; raises ModelLoadError)."""
        with self._loading:
            settings = self.settings
            with self._state:
                if self._predictor is not None and self._loaded_key == _load_key(settings):
                    return self._predictor
            predictor = SamPredictor.load(settings.model, settings.device,
                                          allow_pickle=settings.allow_pickle, progress=progress)
            with self._state:
                if _load_key(self._settings) == _load_key(settings):
                    self._predictor, self._loaded_key = predictor, _load_key(settings)
            return predictor

    def embed(self, key: str, load_image: Callable[[], np.ndarray],
              disk_path: Path | None = None,
              progress: Progress | None = None) -> tuple[SamEmbedding, bool]:
        """``key``'s embedding and whether the image encoder ran for it: from memory, else
        from ``disk_path`` (when given and valid), else computed (and written there)."""
        predictor = self.predictor(progress)
        model_id = predictor.model_id
        known = self.cache.find(key, model_id)
        if known is not None:
            return known, False
        image = load_image()
        size = (int(image.shape[0]), int(image.shape[1]))
        embedding = load_embedding(disk_path, model_id, size, predictor.device) \
            if disk_path is not None and disk_path.is_file() else None
        computed = embedding is None
        if embedding is None:
            embedding = predictor.embed(image)
            if disk_path is not None:
                save_embedding(disk_path, embedding)
        self.cache.put((key, model_id, size), embedding)
        return embedding, computed

    def embedding(self, key: str) -> SamEmbedding | None:
        """``key``'s embedding by the current model, if it is ready (never waits)."""
        return self.cache.find(key, self.model_id)

    def decode(self, key: str, prompts: Prompts, multimask: bool | None = None) -> Prediction:
        """Answer ``prompts`` on ``key``'s embedding; raises SamError when there is none."""
        with self._state:
            predictor = self._predictor
        embedding = self.embedding(key)
        if predictor is None or embedding is None or embedding.model_id != predictor.model_id:
            raise SamError("the image embedding is not ready yet")
        return predictor.decode(embedding, prompts, multimask)
