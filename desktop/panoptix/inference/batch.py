"""The local engine: pre-segmenting many images of a project on this machine.

The stages of :mod:`panoptix.inference.pipeline` run on three threads at once: a reader
thread decodes and preprocesses the next batch, the calling thread runs the model, and a
writer thread post-processes and saves the previous batch. Each image is saved atomically
(raw outputs first, then the document), so a run stopped at any moment leaves finished
images whole and the rest untouched.

On a CPU the helpers compete with the model's threads, which stall whenever one of them is
preempted. They run at normal priority on purpose: finishing their ~5% share quickly
disturbs the model less than a lowered priority stretching it over the whole forward pass
(measured: forward passes 40% slower at niceness 10).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from panoptix.core.project import ImageStatus, Project
from panoptix.inference.engine import Predictor
from panoptix.inference.labels import ModelCategories
from panoptix.inference.pipeline import (
    BatchReport,
    ImageDone,
    ModelBatch,
    ReadBatch,
    StoreWriter,
    forward_batch,
    postprocess_batch,
    read_batch,
)
from panoptix.inference.settings import InferenceSettings

MAX_PENDING_WRITES = 2
"""Batches waiting to be saved before the model waits for the writer (bounds memory)."""


class BatchPresegmenter:
    """Runs ``predictor`` over images of ``project`` and saves the documents.

    ``overwrite`` lists the statuses an image may have and still be replaced: only NEW by
    default, so a person's edits are never overwritten.
    """

    def __init__(self, project: Project, predictor: Predictor, settings: InferenceSettings,
                 model_categories: ModelCategories, *, batch_size: int = 1,
                 save_raw: bool = True,
                 overwrite: frozenset[ImageStatus] = frozenset({ImageStatus.NEW}),
                 on_image: ImageDone | None = None) -> None:
        self.project = project
        self.predictor = predictor
        self.settings = settings
        self.model_categories = model_categories
        self.batch_size = max(1, batch_size)
        self.save_raw = save_raw
        self.writer = StoreWriter(project, overwrite, on_image)

    @property
    def report(self) -> BatchReport:
        return self.writer.report

    def run(self, keys: Sequence[str]) -> BatchReport:
        """Pre-segment ``keys``; Ctrl-C stops after saving what the model finished."""
        batches = [list(keys[i:i + self.batch_size])
                   for i in range(0, len(keys), self.batch_size)]
        pending: deque[Future[None]] = deque()
        with ThreadPoolExecutor(1, "panoptix-read") as reader, \
                ThreadPoolExecutor(1, "panoptix-write") as writer:
            upcoming = reader.submit(self._read, batches[0]) if batches else None
            try:
                for index in range(len(batches)):
                    assert upcoming is not None
                    read = upcoming.result()
                    upcoming = (reader.submit(self._read, batches[index + 1])
                                if index + 1 < len(batches) else None)
                    pending.append(writer.submit(self._write,
                                                 forward_batch(self.predictor, read)))
                    while len(pending) > MAX_PENDING_WRITES or (pending and pending[0].done()):
                        pending.popleft().result()
            except KeyboardInterrupt:
                self.report.interrupted = True
                if upcoming is not None:
                    upcoming.cancel()
            while pending:
                pending.popleft().result()
        return self.report

    # -- the reader and writer threads' stages --------------------------------------------
    def _read(self, keys: list[str]) -> ReadBatch:
        return read_batch(keys, self.project.load_image, self.predictor, self.settings)

    def _write(self, batch: ModelBatch) -> None:
        self.writer.write(postprocess_batch(batch, self.model_categories, self.settings,
                                            keep_raw=self.save_raw))
