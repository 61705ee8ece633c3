"""Pre-segmenting many images of a project, with decode and saving off the model's path.

Three stages run at once: a reader thread decodes and preprocesses the next batch, the
calling thread runs the model, and a writer thread post-processes and saves the previous
batch. Each image is saved atomically (raw outputs first, then the document), so a run
stopped at any moment leaves finished images whole and the rest untouched.

On a CPU the helpers compete with the model's threads, which stall whenever one of them is
preempted. They run at normal priority on purpose: finishing their ~5% share quickly
disturbs the model less than a lowered priority stretching it over the whole forward pass
(measured: forward passes 40% slower at niceness 10).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from panoptix.core.messages import one_line
from panoptix.core.project import ImageStatus, Project
from panoptix.core.review import image_uncertainty
from panoptix.inference.assist import postprocess_document
from panoptix.inference.engine import Predictor, Prepared
from panoptix.inference.labels import ModelCategories
from panoptix.inference.raw_outputs import RawOutputs
from panoptix.inference.settings import InferenceSettings

MAX_PENDING_WRITES = 2
"""Batches waiting to be saved before the model waits for the writer (bounds memory)."""

ImageDone = Callable[[str, str | None], None]
"""Called with an image's relative path and its error (None when it was saved)."""


@dataclass
class BatchReport:
    saved: list[str] = field(default_factory=list)
    """Relative paths of the images pre-segmented and saved."""
    failed: dict[str, str] = field(default_factory=dict)
    """Relative path -> one-line error."""
    kept: list[str] = field(default_factory=list)
    """Images edited meanwhile, so left as they were."""
    dropped: Counter[str] = field(default_factory=Counter)
    """Label name -> segments dropped for having no category."""
    interrupted: bool = False


@dataclass(eq=False)
class _Read:
    keys: list[str]
    prepared: Prepared | None
    failed: dict[str, str]


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
        self.overwrite = overwrite
        self.on_image = on_image
        self.report = BatchReport()

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
                    for key, error in read.failed.items():
                        self._fail(key, error)
                    if read.prepared is not None:
                        raws = self._forward(read)
                        if raws is not None:
                            pending.append(writer.submit(self._write, read.keys, raws))
                    while len(pending) > MAX_PENDING_WRITES or (pending and pending[0].done()):
                        pending.popleft().result()
            except KeyboardInterrupt:
                self.report.interrupted = True
                if upcoming is not None:
                    upcoming.cancel()
            while pending:
                pending.popleft().result()
        return self.report

    # -- stages (reader thread, calling thread, writer thread) ---------------------------
    def _read(self, keys: list[str]) -> _Read:
        images, ok, failed = [], [], {}
        for key in keys:
            try:
                images.append(self.project.load_image(key))
                ok.append(key)
            except Exception as error:  # noqa: BLE001 - a bad image is reported, not fatal
                failed[key] = one_line(error)
        if not images:
            return _Read([], None, failed)
        try:
            prepared = self.predictor.prepare(images, self.settings.resolved_task)
        except Exception as error:  # noqa: BLE001
            return _Read([], None, {**failed, **dict.fromkeys(ok, one_line(error))})
        return _Read(ok, prepared, failed)

    def _forward(self, read: _Read) -> list[RawOutputs] | None:
        assert read.prepared is not None
        try:
            return self.predictor.forward(read.prepared)
        except Exception as error:  # noqa: BLE001
            for key in read.keys:
                self._fail(key, f"the model failed: {one_line(error)}")
            return None

    def _write(self, keys: list[str], raws: list[RawOutputs]) -> None:
        for key, raw in zip(keys, raws, strict=True):
            try:
                self._save(key, raw)
            except Exception as error:  # noqa: BLE001
                self._fail(key, one_line(error))

    def _save(self, key: str, raw: RawOutputs) -> None:
        settings = self.settings
        conversion = postprocess_document(raw, self.model_categories, settings)
        if self.save_raw:
            raw.save(self.project.raw_outputs_path(key))
        document = conversion.document
        saved = self.project.save_document(key, document, ImageStatus.PRESEGMENTED,
                                           settings.model,
                                           uncertainty=image_uncertainty(document),
                                           if_status=self.overwrite)
        path = self.project.entry(key).rel_path
        if saved:
            self.report.saved.append(path)
            self.report.dropped.update(conversion.dropped)
        else:
            self.report.kept.append(path)
        if self.on_image is not None:
            self.on_image(path, None)

    def _fail(self, key: str, error: str) -> None:
        path = self.project.entry(key).rel_path
        self.report.failed[path] = error
        if self.on_image is not None:
            self.on_image(path, error)
