"""The Ray engine: ``panoptix presegment --engine ray`` on a Ray cluster, or a local Ray.

The stages of :mod:`panoptix.inference.pipeline` become a Ray Data pipeline::

    batches of image paths -> decode + preprocess (CPU tasks)
        -> model (a fixed pool of actors, each loads the model once, num_gpus each)
        -> post-process + encode raw outputs (CPU tasks) -> streamed back to this process

and this process (the driver) writes each finished image through the project store as it
arrives, exactly as the local engine's writer thread does. A killed driver therefore loses
only the images in flight, and running the command again does the rest (the project's
statuses say what is done).

Batches are formed here, as the local engine forms them, and each Ray row carries one whole
batch (pickled, since its arrays have per-batch shapes that Arrow columns do not hold): the
model sees the same padded tensors as with the local engine, so the documents are the same.

A worker that dies (crash, out of memory, lost node) is restarted by Ray and its batch
tried again, ``retries`` times; a batch that still fails is dropped and its images
reported by name, and the rest go on. The image folder and the project must be on a
filesystem every node sees (the workers read images by path; only the driver writes).
"""

from __future__ import annotations

import logging
import pickle
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from panoptix.core.imageio import load_image
from panoptix.core.messages import one_line
from panoptix.core.project import ImageStatus, Project
from panoptix.inference.cluster_plan import (
    ClusterError,
    ClusterOptions,
    WorkerPlan,
    check_reachable,
    plan_workers,
    require_ray,
)
from panoptix.inference.engine import Predictor
from panoptix.inference.labels import ModelCategories
from panoptix.inference.pipeline import (
    BatchReport,
    DoneBatch,
    ImageDone,
    StoreWriter,
    forward_batch,
    postprocess_batch,
    read_batch,
)
from panoptix.inference.settings import InferenceSettings

MAX_BLOCKS = 10_000
"""Ray blocks for the whole run: one batch per block up to this many (a dropped block then
costs one batch), more batches per block beyond."""


class RayPresegmenter:
    """Pre-segments images of ``project`` on Ray; the same interface as
    :class:`panoptix.inference.batch.BatchPresegmenter`.

    ``preprocessor`` is the driver's predictor without its weights
    (:meth:`Predictor.without_model`); the workers load ``settings.model`` themselves.
    """

    def __init__(self, project: Project, preprocessor: Predictor, settings: InferenceSettings,
                 model_categories: ModelCategories, options: ClusterOptions, *,
                 save_raw: bool = True,
                 overwrite: frozenset[ImageStatus] = frozenset({ImageStatus.NEW}),
                 on_image: ImageDone | None = None,
                 notify: Callable[[str], None] | None = None) -> None:
        self.project = project
        self.preprocessor = preprocessor
        self.settings = settings
        self.model_categories = model_categories
        self.options = options
        self.save_raw = save_raw
        self.writer = StoreWriter(project, overwrite, on_image)
        self._notify = notify or (lambda message: None)
        self.startup_s: float | None = None
        """Seconds Ray took to start or connect (None when it was already running)."""

    @property
    def report(self) -> BatchReport:
        return self.writer.report

    def run(self, keys: Sequence[str]) -> BatchReport:
        """Pre-segment ``keys``; Ctrl-C stops after saving what has arrived."""
        if not keys:
            return self.report
        ray = require_ray()
        started_here = self._connect(ray)
        try:
            self._stream(ray, list(keys))
        finally:
            if started_here:
                ray.shutdown()
        return self.report

    # -- the driver ------------------------------------------------------------------------
    def _connect(self, ray: Any) -> bool:
        """Join ``options.address`` or start Ray here; True if this call started it."""
        if ray.is_initialized():
            return False
        address = self.options.address
        self._notify(f"connecting to the Ray cluster at {address}…" if address
                     else "starting Ray on this machine…")
        if address is not None:
            check_reachable(address)
        start = time.perf_counter()
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False,
                     logging_level=logging.WARNING)
        except (ConnectionError, RuntimeError, ValueError) as error:
            where = f"at {address}" if address else "on this machine"
            raise ClusterError(f"cannot start or reach Ray {where}: {one_line(error)}") from None
        self.startup_s = time.perf_counter() - start
        self._notify(f"Ray {'connected' if address else 'started'} in {self.startup_s:.1f} s")
        return True

    def _stream(self, ray: Any, keys: list[str]) -> None:
        resources = ray.cluster_resources()
        plan = plan_workers(self.options, resources.get("CPU", 0.0), resources.get("GPU", 0.0))
        for note in plan.notes:
            self._notify(note)
        self._notify(f"Ray cluster: {resources.get('CPU', 0):g} CPUs, "
                     f"{resources.get('GPU', 0):g} GPUs; {plan.describe()}")
        unsettled = dict.fromkeys(keys)
        restarted: set[str] = set()
        heard: set[str] = set()
        try:
            for done, worker in self._results(ray, keys, plan):
                self.writer.write(done)
                for key in [*done.keys, *done.failed]:
                    unsettled.pop(key, None)
                if worker.restarted:
                    restarted.add(worker.worker_id)
                for notice in worker.notices:  # out-of-memory fallbacks, as locally
                    if notice not in heard:
                        heard.add(notice)
                        self._notify(f"a model worker: {notice}")
        except KeyboardInterrupt:
            self.report.interrupted = True
            return
        except Exception as error:  # noqa: BLE001 - Ray stopped the run: say why, per image
            message = f"the Ray run stopped: {one_line(error)}"
            for key in unsettled:
                self.writer.fail(key, message)
            return
        finally:
            if restarted:
                self.report.notes.append(
                    f"{len(restarted)} model worker(s) died and Ray restarted them; "
                    "their batches were tried again")
        # Dropped by Ray after every try killed its worker. Each image of such a batch is
        # reported, even one that failed to decode: that news died with the batch.
        tries = self.options.retries + 1
        for key in unsettled:
            self.writer.fail(key, f"the Ray worker running its batch died {tries} "
                                  f"time{'s' if tries != 1 else ''}; see Ray's logs "
                                  "(/tmp/ray/session_latest/logs on that node)")

    def _results(self, ray: Any, keys: list[str],
                 plan: WorkerPlan) -> Iterator[tuple[DoneBatch, _Worker]]:
        """Finished batches as Ray delivers them, with the worker that ran the model."""
        size = self.options.batch_size
        rows = [{"payload": pickle.dumps((keys[i:i + size],
                                          [str(self.project.image_path(k))
                                           for k in keys[i:i + size]]))}
                for i in range(0, len(keys), size)]
        context = ray.data.DataContext.get_current()
        saved = {name: getattr(context, name) for name in _RUN_CONTEXT}
        for name, value in _RUN_CONTEXT.items():
            setattr(context, name, value)
        # Ray Data's console output (a traceback per dropped block, start-up chatter) gives
        # way to ours; its log file under the session's logs/ray-data keeps everything.
        consoles = [handler for handler in logging.getLogger("ray.data").handlers
                    if isinstance(handler, logging.StreamHandler)]
        levels = [handler.level for handler in consoles]
        for handler in consoles:
            handler.setLevel(logging.CRITICAL)
        try:
            data = self._dataset(ray, rows, plan)
            for block in data.iter_batches(batch_size=None, batch_format="numpy"):
                for payload in block["payload"]:
                    yield pickle.loads(payload)
        finally:
            for name, value in saved.items():
                setattr(context, name, value)
            for handler, level in zip(consoles, levels, strict=True):
                handler.setLevel(level)

    def _dataset(self, ray: Any, rows: list[dict[str, bytes]], plan: WorkerPlan) -> Any:
        retries = self.options.retries
        with warnings.catch_warnings():
            # One batch at a time per worker: a batch queued behind one that kills the
            # worker would die with it and spend its retry for nothing.
            # Ray 2.60 deprecates Ray options passed to map() as keyword arguments (to be
            # removed in 2.64); the retry limits have no named option yet, and without them
            # a batch that kills its worker every time would be retried forever.
            warnings.filterwarnings("ignore", "`ray_remote_args` is deprecated")
            return (ray.data.from_items(rows, override_num_blocks=min(len(rows), MAX_BLOCKS))
                    .map(_read, fn_kwargs={"preprocessor": self.preprocessor,
                                           "settings": self.settings},
                         num_cpus=plan.stage_cpus, max_retries=retries)
                    .map_batches(_ModelWorker, batch_size=1,
                                 compute=ray.data.ActorPoolStrategy(
                                     size=plan.workers, max_tasks_in_flight_per_actor=1),
                                 fn_constructor_kwargs={"settings": self.settings,
                                                        "device": plan.device},
                                 num_cpus=plan.cpus_per_worker, num_gpus=plan.gpus_per_worker,
                                 max_restarts=-1, max_task_retries=retries)
                    .map(_postprocess, fn_kwargs={"model_categories": self.model_categories,
                                                  "settings": self.settings,
                                                  "keep_raw": self.save_raw},
                         num_cpus=plan.stage_cpus, max_retries=retries))


_RUN_CONTEXT = {"enable_progress_bars": False, "print_on_execution_start": False,
                "max_errored_blocks": -1}
"""Ray Data settings for a run: our own progress bar, and a block whose retries all failed
is dropped (its images reported by name) instead of stopping every other image."""


# -- the Ray stages (run in Ray's worker processes) ---------------------------------------
def _read(row: dict[str, Any], preprocessor: Predictor,
          settings: InferenceSettings) -> dict[str, Any]:
    keys, paths = pickle.loads(row["payload"])
    path_of = dict(zip(keys, paths, strict=True))
    batch = read_batch(keys, lambda key: load_image(path_of[key]), preprocessor, settings)
    return {"payload": _dumps(batch)}


@dataclass(frozen=True)
class _Worker:
    """What the driver hears about the model worker that ran a batch."""

    worker_id: str
    restarted: bool
    """Ray restarted it after it died at least once."""
    notices: tuple[str, ...]


class _ModelWorker:
    """One model worker: loads the model once, then runs it on batch after batch."""

    def __init__(self, settings: InferenceSettings, device: str) -> None:
        import ray

        self.predictor = Predictor()
        self.predictor.load(settings.model, device, half=settings.half,
                            allow_pickle=settings.allow_pickle)
        self.predictor.shortest_edge = settings.shortest_edge
        context = ray.get_runtime_context()
        self.worker_id = context.get_actor_id() or ""
        self.restarted = bool(context.was_current_actor_reconstructed)

    def __call__(self, rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        done = []
        for payload in rows["payload"]:
            forwarded = forward_batch(self.predictor, pickle.loads(payload))
            worker = _Worker(self.worker_id, self.restarted, tuple(self.predictor.notices))
            done.append(_dumps((forwarded, worker)))
        return {"payload": np.array(done, dtype=object)}


def _postprocess(row: dict[str, Any], model_categories: ModelCategories,
                 settings: InferenceSettings, keep_raw: bool) -> dict[str, Any]:
    batch, worker = pickle.loads(row["payload"])
    return {"payload": _dumps((postprocess_batch(batch, model_categories, settings, keep_raw),
                               worker))}


def _dumps(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
