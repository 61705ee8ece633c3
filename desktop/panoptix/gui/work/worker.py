"""The inference worker: one long-lived QObject on its own QThread that owns the model.

Requests arrive by a queued signal (``run``) and carry a job id; answers leave by signals.
Between stages (load model, read image, preprocess, forward, post-process) the worker looks
at the job's cancel flag, so cancelling is cooperative. Any exception becomes
``failed(job_id, message)``. torch and transformers are imported here, on the worker
thread: ahead of the first job when the application asks (``warm_up``, while the window is
built), else the first time a model is needed; never on the GUI thread.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from panoptix.core.categories import CategorySet
from panoptix.core.document import Document
from panoptix.core.messages import plural
from panoptix.gui.work.sam_jobs import SamEmbedJob
from panoptix.inference.model_files import ModelUnavailableError

if TYPE_CHECKING:
    from panoptix.inference.engine import Predictor
    from panoptix.inference.raw_outputs import RawOutputs
    from panoptix.inference.settings import InferenceSettings


class Cancelled(Exception):
    """Raised between stages when the job's cancel flag is set."""


@dataclass(eq=False)
class Job:
    """One request: segment an image (or only post-process its stored raw outputs)."""

    job_id: int
    key: str
    settings: InferenceSettings
    categories: CategorySet
    load_image: Callable[[], np.ndarray]
    raw_path: Path | None = None
    postprocess_only: bool = False
    """Re-use the raw outputs at ``raw_path`` (new thresholds) instead of a forward pass."""
    background: bool = False
    save: Callable[[Document, str], bool] | None = None
    """Called on the worker thread with the document and model id; True if it saved."""
    cancel: threading.Event = field(default_factory=threading.Event)


@dataclass(eq=False)
class JobResult:
    job_id: int
    key: str
    document: Document
    model_id: str
    device: str
    dropped: dict[str, int]
    seconds: float
    background: bool
    saved: bool = False

    def summary(self) -> str:
        text = (f"{plural(len(self.document.segments), 'segment')} from {self.model_id} on "
                f"{self.device} in {self.seconds:.1f} s")
        if self.dropped:
            names = ", ".join(sorted(self.dropped)[:5])
            text += (f"; dropped {sum(self.dropped.values())} with labels not in the "
                     f"categories ({names})")
        return text


def error_message(error: BaseException) -> str:
    """One line for the status bar: our own errors speak for themselves."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    if type(error).__module__.startswith("panoptix"):
        return text or type(error).__name__
    if isinstance(error, MemoryError):
        return "out of memory: try a smaller input size (model settings) or another device"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class InferenceWorker(QObject):
    """Lives on the worker thread. Use ``WorkerClient`` from the GUI."""

    stage = Signal(int, str)
    """(job id, what is happening now)."""
    model_status = Signal(str)
    """Loading progress and notices (out-of-memory fallbacks), as one-line messages."""
    model_ready = Signal(str, str)
    """(model id, device) once a model is loaded."""
    finished = Signal(object)
    """A ``JobResult``."""
    failed = Signal(int, str)
    model_unavailable = Signal(str, str)
    """(model, message) after ``failed``: the model is neither cached nor downloadable."""
    cancelled = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self._predictor: Predictor | None = None
        self._loaded_key: tuple | None = None

    @Slot(object)
    def warm_up(self, settings: InferenceSettings | None) -> None:
        """Before the first job: import torch and transformers and, given ``settings``,
        load their model, while the GUI thread builds the window. A failure is left to
        the first job that needs the model, which tries again and says what failed. The
        loading messages end with it: with no job after it (a project that could not be
        opened), the status bar would say "loading" for ever."""
        try:
            if settings is None:
                from panoptix.inference.loading import import_libraries

                import_libraries()
            else:
                self._ensure_model(settings, 0)
        except Exception:  # noqa: BLE001, S110 - reported by the job that needs the model
            pass
        finally:
            self.model_status.emit("")

    @Slot(object)
    def run(self, job: Job | SamEmbedJob) -> None:
        if isinstance(job, SamEmbedJob):
            self._run_sam(job)
            return
        try:
            self._check(job)
            started = time.perf_counter()
            image = functools.cache(job.load_image)  # one decode: forward and snapping
            raw = self._raw_outputs(job, image)
            self._check(job)
            self.stage.emit(job.job_id, "post-processing")
            document, dropped = self._to_document(job, raw, image)
            self._check(job)
            saved = job.save(document, raw.model_id) if job.save is not None else False
            device = self._predictor.device if self._predictor is not None else "cpu"
            self.finished.emit(JobResult(job.job_id, job.key, document, raw.model_id, device,
                                         dropped, time.perf_counter() - started, job.background,
                                         saved))
        except Cancelled:
            self.cancelled.emit(job.job_id)
        except Exception as error:  # noqa: BLE001 - every failure becomes a message
            self.failed.emit(job.job_id, error_message(error))
            if isinstance(error, ModelUnavailableError):
                self.model_unavailable.emit(job.settings.model, error_message(error))

    def _run_sam(self, job: SamEmbedJob) -> None:
        """A Segment Anything embedding: ``finished`` carries a ``SamEmbedded``."""
        try:
            self._check(job)
            self.finished.emit(job.execute(self.model_status.emit))
        except Cancelled:
            self.cancelled.emit(job.job_id)
        except Exception as error:  # noqa: BLE001 - every failure becomes a message
            self.failed.emit(job.job_id, error_message(error))

    def _check(self, job: Job | SamEmbedJob) -> None:
        if job.cancel.is_set():
            raise Cancelled

    def _raw_outputs(self, job: Job, image: Callable[[], np.ndarray]) -> RawOutputs:
        from panoptix.inference.pipeline import segment_image
        from panoptix.inference.raw_outputs import RawOutputs

        if job.postprocess_only and job.raw_path is not None and job.raw_path.is_file():
            return RawOutputs.load(job.raw_path)
        predictor = self._ensure_model(job.settings, job.job_id)

        def stage(name: str) -> None:
            self._check(job)
            self.stage.emit(job.job_id, name)

        raw = segment_image(predictor, job.settings, image, stage)
        if job.raw_path is not None:
            raw.save(job.raw_path)
        return raw

    def _ensure_model(self, settings: InferenceSettings, job_id: int) -> Predictor:
        wanted = (settings.model, settings.device, settings.half, settings.allow_pickle)
        if self._predictor is None or self._loaded_key != wanted:
            from panoptix.inference.engine import Predictor

            self.stage.emit(job_id, f"loading {settings.model}")
            self.model_status.emit(f"loading {settings.model}…")
            predictor = Predictor(notify=self.model_status.emit)
            self._predictor, self._loaded_key = None, None
            predictor.load(settings.model, settings.device, half=settings.half,
                           allow_pickle=settings.allow_pickle, progress=self.model_status.emit)
            self._predictor, self._loaded_key = predictor, wanted
            self.model_ready.emit(predictor.model_id, predictor.device)
        self._predictor.shortest_edge = settings.shortest_edge
        return self._predictor

    def _to_document(self, job: Job, raw: RawOutputs,
                     image: Callable[[], np.ndarray]) -> tuple[Document, dict[str, int]]:
        from panoptix.inference.pipeline import postprocess

        segmented = postprocess(raw, job.categories, job.settings,
                                image() if job.settings.resolved_snap_edges else None)
        return segmented.document, segmented.dropped
