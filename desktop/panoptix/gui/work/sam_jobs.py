"""The Segment Anything job kind the inference worker runs: one image's embedding.

It runs on the worker thread between panoptic jobs (the worker owns the slow work); the
answer to each click then runs on the decoder thread (``sam_controller``), so a click is
never queued behind a panoptic forward pass once its image's embedding exists.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from panoptix.inference.sam.engine import SamEngine


@dataclass(eq=False)
class SamEmbedJob:
    job_id: int
    key: str
    engine: SamEngine
    load_image: Callable[[], np.ndarray]
    disk_path: Path | None = None
    """Where to keep the embedding on disk too (None: memory only)."""
    background: bool = False
    """Always False: SAM jobs are neither counted nor cancelled with pre-segmentation."""
    cancel: threading.Event = field(default_factory=threading.Event)

    def execute(self, progress: Callable[[str], None]) -> SamEmbedded:
        started = time.perf_counter()
        embedding, computed = self.engine.embed(self.key, self.load_image, self.disk_path,
                                                progress)
        return SamEmbedded(self.job_id, self.key, embedding.model_id, computed,
                           time.perf_counter() - started)


@dataclass(frozen=True)
class SamEmbedded:
    job_id: int
    key: str
    model_id: str
    computed: bool
    """False when it was already in memory or on disk."""
    seconds: float
