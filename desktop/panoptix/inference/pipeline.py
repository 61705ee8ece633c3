"""The one inference path: decode -> preprocess -> forward -> post-process -> save.

Three callers run it: the window's worker (one image, cancellable between stages),
``panoptix presegment``'s local engine (successive batches overlap on three threads,
:mod:`panoptix.inference.batch`) and its Ray engine (the stages as Ray Data operators,
:mod:`panoptix.inference.cluster`). They differ only in *where* each stage runs, never in
what it does, so the same images give the same documents whichever runs them.

The single-image functions raise. The ``*_batch`` functions wrap them for the batch
engines: a failure becomes a one-line error for the images it concerns (an unreadable
image alone, a failed forward pass its batch) and travels with the batch to the save
stage, so one bad image never stops the others. Batches are plain picklable objects,
which is what lets Ray move them between processes and machines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from panoptix.core.annotation_file import DocumentSnapshot
from panoptix.core.atomic import write_bytes
from panoptix.core.categories import CategorySet
from panoptix.core.document import Document
from panoptix.core.messages import one_line
from panoptix.core.project import ImageStatus, Project
from panoptix.core.review import image_uncertainty
from panoptix.inference.assist import postprocess_document
from panoptix.inference.engine import Predictor, Prepared
from panoptix.inference.labels import ModelCategories, categories_for_model
from panoptix.inference.postprocess import working_guide
from panoptix.inference.raw_outputs import RawOutputs
from panoptix.inference.settings import InferenceSettings

Stage = Callable[[str], None]
"""Told what is about to happen ("reading image"...); the worker checks its cancel flag."""
ImageDone = Callable[[str, str | None], None]
"""Called with an image's relative path and its error (None when it was saved)."""

NEW_ONLY = frozenset({ImageStatus.NEW})


# -- the stages, one image ----------------------------------------------------------------
def preprocess(predictor: Predictor, images: Sequence[np.ndarray],
               settings: InferenceSettings) -> Prepared:
    """The checkpoint's processor at the settings' input size and task (no model needed:
    a :meth:`Predictor.without_model` copy does it on another process)."""
    predictor.shortest_edge = settings.shortest_edge
    return predictor.prepare(images, settings.resolved_task)


def segment_image(predictor: Predictor, settings: InferenceSettings,
                  load: Callable[[], np.ndarray], stage: Stage | None = None) -> RawOutputs:
    """Decode, preprocess and run the model on one image, telling ``stage`` before each."""
    tell = stage or (lambda name: None)
    tell("reading image")
    image = load()
    tell("preparing")
    prepared = preprocess(predictor, [image], settings)
    tell(f"running the model on {predictor.device}")
    return predictor.forward(prepared)[0].compacted(settings.threshold)


@dataclass(frozen=True, eq=False)
class Segmented:
    """One image's model outputs as a document, at the settings' thresholds."""

    document: Document
    dropped: dict[str, int]
    """Label name -> segments dropped for having no category."""
    uncertainty: float
    """What the image list sorts by (:func:`panoptix.core.review.image_uncertainty`)."""


def postprocess(raw: RawOutputs, categories: CategorySet | ModelCategories,
                settings: InferenceSettings, image: np.ndarray | None = None) -> Segmented:
    """The document the outputs give at ``settings``' thresholds, snapped to ``image``'s
    edges (the image or its guide) when given and asked for; labels become the project's
    ``categories`` by name."""
    model_categories = categories if isinstance(categories, ModelCategories) else \
        categories_for_model(raw.model_id, raw.id2label, categories)
    conversion = postprocess_document(raw, model_categories, settings, image)
    return Segmented(conversion.document, conversion.dropped,
                     image_uncertainty(conversion.document))


def save_result(project: Project, key: str, snapshot: DocumentSnapshot, *, model: str,
                uncertainty: float, overwrite: frozenset[ImageStatus] = NEW_ONLY,
                raw_bytes: bytes | None = None) -> bool:
    """The save stage: raw outputs first, then the document as pre-segmented, both atomic.

    The document is written only while the image's status is in ``overwrite`` (NEW unless
    told): a person's edits are never replaced. Returns whether it was written.
    """
    if raw_bytes is not None:
        path = project.raw_outputs_path(key)
        write_bytes(path, raw_bytes)
        project.raw_budget.written(path)
    return project.save_snapshot(key, snapshot, ImageStatus.PRESEGMENTED, model,
                                 uncertainty=uncertainty, if_status=overwrite)


def save_document(project: Project, key: str, document: Document, model: str,
                  overwrite: frozenset[ImageStatus] = NEW_ONLY) -> bool:
    """:func:`save_result` for a document (call on the thread that edits it)."""
    return save_result(project, key, DocumentSnapshot.of(document), model=model,
                       uncertainty=image_uncertainty(document), overwrite=overwrite)


# -- the stages, one batch with failures per image ------------------------------------------
@dataclass(eq=False)
class Batch:
    """Images on their way through the stages; ``failed`` (key -> one line) grows."""

    keys: list[str]
    failed: dict[str, str] = field(default_factory=dict)


@dataclass(eq=False)
class ReadBatch(Batch):
    prepared: Prepared | None = None
    guides: list[np.ndarray | None] = field(default_factory=list)
    """Per image, what edge snapping needs of it (:func:`guide_of`), or None."""


@dataclass(eq=False)
class ModelBatch(Batch):
    raws: list[RawOutputs] = field(default_factory=list)
    guides: list[np.ndarray | None] = field(default_factory=list)


def guide_of(image: np.ndarray, settings: InferenceSettings) -> np.ndarray | None:
    """The grey image at the working grid's size when edges are snapped, else None: a
    batch carries this to the post-processing stage, not the image."""
    if not settings.resolved_snap_edges:
        return None
    return working_guide(image)


@dataclass(frozen=True, eq=False)
class Finished:
    """One image after post-processing: what the save stage writes."""

    key: str
    snapshot: DocumentSnapshot
    dropped: dict[str, int]
    uncertainty: float
    model_id: str
    raw_bytes: bytes | None
    """The encoded raw outputs when they are kept (encoding is CPU work: done here, not
    by whoever saves)."""
    raw_queries: tuple[int, int] = (0, 0)
    """Queries kept in the raw outputs, and queries the model made."""


@dataclass(eq=False)
class DoneBatch(Batch):
    finished: list[Finished] = field(default_factory=list)


def read_batch(keys: Sequence[str], load: Callable[[str], np.ndarray], predictor: Predictor,
               settings: InferenceSettings) -> ReadBatch:
    """Decode each image (one that cannot be read fails alone) and preprocess the rest."""
    images, ok, failed = [], [], {}
    for key in keys:
        try:
            images.append(load(key))
            ok.append(key)
        except Exception as error:  # noqa: BLE001 - a bad image is reported, not fatal
            failed[key] = one_line(error)
    if not images:
        return ReadBatch([], failed)
    try:
        return ReadBatch(ok, failed, preprocess(predictor, images, settings),
                         [guide_of(image, settings) for image in images])
    except Exception as error:  # noqa: BLE001
        return ReadBatch([], {**failed, **dict.fromkeys(ok, one_line(error))})


def forward_batch(predictor: Predictor, batch: ReadBatch) -> ModelBatch:
    """The model on a read batch; if it fails, every image of the batch fails with it."""
    if batch.prepared is None:
        return ModelBatch([], batch.failed)
    try:
        return ModelBatch(batch.keys, batch.failed, predictor.forward(batch.prepared),
                          batch.guides)
    except Exception as error:  # noqa: BLE001
        message = f"the model failed: {one_line(error)}"
        return ModelBatch([], {**batch.failed, **dict.fromkeys(batch.keys, message)})


def postprocess_batch(batch: ModelBatch, model_categories: ModelCategories,
                      settings: InferenceSettings, keep_raw: bool) -> DoneBatch:
    """Documents (and encoded raw outputs if ``keep_raw``) for each image of the batch."""
    done = DoneBatch([], dict(batch.failed))
    guides = batch.guides or [None] * len(batch.keys)
    for key, full, guide in zip(batch.keys, batch.raws, guides, strict=True):
        try:
            raw = full.compacted(settings.threshold)  # what is kept decides, now and later
            segmented = postprocess(raw, model_categories, settings, guide)
            done.finished.append(Finished(
                key, DocumentSnapshot.of(segmented.document), segmented.dropped,
                segmented.uncertainty, raw.model_id, raw.to_bytes() if keep_raw else None,
                (raw.num_queries, raw.queries_run)))
            done.keys.append(key)
        except Exception as error:  # noqa: BLE001
            done.failed[key] = one_line(error)
    return done


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
    notes: list[str] = field(default_factory=list)
    """What else the user should hear at the end (Ray restarted a dead worker)."""
    raw_images: int = 0
    raw_bytes: int = 0
    raw_queries: tuple[int, int] = (0, 0)
    """Summed over the images whose raw outputs were kept: queries kept, queries made."""
    raw_evicted: int = 0
    """Older raw outputs deleted to keep within the project's disk budget."""

    def raw_line(self) -> str | None:
        """What was kept per image, for the summary; None when nothing was."""
        if not self.raw_images:
            return None
        count = self.raw_images
        kept, made = self.raw_queries
        evicted = (f"; {self.raw_evicted} least recently viewed deleted to stay within "
                   "the disk budget" if self.raw_evicted else "")
        return (f"raw outputs kept per image: {kept / count:.1f} of {made / count:.0f} "
                f"queries, {self.raw_bytes / count / 1e3:,.1f} KB on average{evicted}")


class StoreWriter:
    """The save stage of the batch engines: finished batches into the project, a report of
    what happened to each image, and ``on_image`` told as each one is settled."""

    def __init__(self, project: Project, overwrite: frozenset[ImageStatus] = NEW_ONLY,
                 on_image: ImageDone | None = None) -> None:
        self.project = project
        self.overwrite = overwrite
        self.on_image = on_image
        self.report = BatchReport()

    def write(self, batch: DoneBatch) -> None:
        for key, error in batch.failed.items():
            self.fail(key, error)
        for finished in batch.finished:
            try:
                self._save(finished)
            except Exception as error:  # noqa: BLE001
                self.fail(finished.key, one_line(error))

    def fail(self, key: str, error: str) -> None:
        path = self.project.entry(key).rel_path
        self.report.failed[path] = error
        if self.on_image is not None:
            self.on_image(path, error)

    def _save(self, finished: Finished) -> None:
        saved = save_result(self.project, finished.key, finished.snapshot,
                            model=finished.model_id, uncertainty=finished.uncertainty,
                            overwrite=self.overwrite, raw_bytes=finished.raw_bytes)
        path = self.project.entry(finished.key).rel_path
        if finished.raw_bytes is not None:
            report = self.report
            report.raw_images += 1
            report.raw_bytes += len(finished.raw_bytes)
            report.raw_queries = (report.raw_queries[0] + finished.raw_queries[0],
                                  report.raw_queries[1] + finished.raw_queries[1])
            report.raw_evicted = self.project.raw_budget.evicted
        if saved:
            self.report.saved.append(path)
            self.report.dropped.update(finished.dropped)
        else:
            self.report.kept.append(path)
        if self.on_image is not None:
            self.on_image(path, None)
