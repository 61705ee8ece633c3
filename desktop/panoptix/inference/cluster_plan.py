"""What the Ray engine decides without a running Ray: whether Ray is installed, whether
a cluster answers at an address, and how a cluster's CPUs and GPUs are shared out.

The model runs in a fixed pool of actors; decoding and post-processing are short Ray tasks
that need CPUs of their own. A pool that holds every CPU starves them: the actors then
wait for input that is never decoded, and the run hangs (Ray does not warn). So a share
of the CPUs (:func:`stage_reserve`) is always left to the stages, and actors get
fractional CPUs when the rest does not divide evenly. Ray counts CPUs as logical units
for scheduling; a worker process still runs ``max(1, floor(cpus))`` threads
(``OMP_NUM_THREADS``), which is what the model's CPU forward pass uses.

The check is on the cluster's totals; on several machines each actor must also fit on
one of them, which Ray arranges (or waits for, on an autoscaling cluster).
"""

from __future__ import annotations

import math
import socket
from dataclasses import dataclass
from typing import Any

from panoptix.core.messages import one_line

RAY_MISSING = 'the Ray engine needs Ray: pip install "panoptix[cluster]"'
DEFAULT_CPU_WORKER_CPUS = 4.0
"""Threads per model worker on a CPU-only cluster when the user does not say."""


class ClusterError(RuntimeError):
    """The cluster cannot run this (Ray missing or unreachable, too few GPUs); one line."""


def require_ray() -> Any:
    """The ``ray`` module with Ray Data, or a ClusterError saying how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401 - the [data] extra, not only ray core
    except ImportError as error:
        raise ClusterError(RAY_MISSING) from error
    return ray


def check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Fail at once on a HOST:PORT nobody answers at (``ray.init`` keeps retrying for
    minutes); ``auto`` and ``ray://`` addresses are Ray's to resolve."""
    host, _, port = address.rpartition(":")
    if address == "auto" or "://" in address or not host or not port.isdigit():
        return
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
            return
    except OSError as error:
        raise ClusterError(f"no Ray cluster answers at {address} ({one_line(error)}): start "
                           "one there with ray start --head, or check the address") from None


@dataclass(frozen=True)
class ClusterOptions:
    """What the user asked for; None: decided from the cluster (:func:`plan_workers`)."""

    address: str | None = None
    """None: start Ray on this machine; ``auto`` or ``HOST:PORT``: join a running cluster."""
    workers: int | None = None
    gpus_per_worker: float | None = None
    cpus_per_worker: float | None = None
    batch_size: int = 1
    retries: int = 1
    """Times a batch whose worker died is tried again (on the restarted worker); if it
    kills its worker again, its images are reported and the run goes on."""

    def __post_init__(self) -> None:
        for name in ("workers", "gpus_per_worker", "cpus_per_worker"):
            value = getattr(self, name)
            if value is not None and value <= 0 and not (name == "gpus_per_worker"
                                                          and value == 0):
                raise ClusterError(f"--{name.replace('_', '-')} must be above 0, not {value}")
        if self.batch_size < 1:
            raise ClusterError("--batch-size must be at least 1")
        if self.retries < 0:
            raise ClusterError("retries cannot be negative")


@dataclass(frozen=True)
class WorkerPlan:
    workers: int
    gpus_per_worker: float
    cpus_per_worker: float
    stage_cpus: float
    """What each decoding or post-processing task asks for: one CPU, or the whole reserve
    if it is smaller (every concurrent task is one more process importing torch)."""
    notes: tuple[str, ...] = ()
    """Adjustments the user should hear about."""

    @property
    def device(self) -> str:
        return "cuda" if self.gpus_per_worker > 0 else "cpu"

    def describe(self) -> str:
        each = f"{_count(self.cpus_per_worker)} CPU"
        if self.gpus_per_worker:
            each += f", {_count(self.gpus_per_worker)} GPU"
        return f"{self.workers} model worker{'s' if self.workers != 1 else ''} ({each} each)"


def stage_reserve(cluster_cpus: float) -> float:
    """CPUs kept for decoding and post-processing: a quarter, at least one, at most half."""
    return min(max(1.0, cluster_cpus / 4), cluster_cpus / 2)


def plan_workers(options: ClusterOptions, cluster_cpus: float,
                 cluster_gpus: float) -> WorkerPlan:
    """The actor pool for ``options`` on a cluster with these totals."""
    if cluster_cpus <= 0:
        raise ClusterError("the Ray cluster has no CPUs")
    gpus = options.gpus_per_worker
    if gpus is None:
        gpus = 1.0 if cluster_gpus >= 1 else 0.0
    reserve = stage_reserve(cluster_cpus)
    usable = cluster_cpus - reserve
    notes: list[str] = []
    if gpus > 0:
        if cluster_gpus < gpus:
            raise ClusterError(f"--gpus-per-worker {_count(gpus)} but the Ray cluster has "
                               f"{_count(cluster_gpus)} GPUs")
        workers = options.workers or max(1, math.floor(cluster_gpus / gpus))
        if workers * gpus > cluster_gpus:
            raise ClusterError(f"{workers} workers with {_count(gpus)} GPU each need "
                               f"{_count(workers * gpus)} GPUs; the Ray cluster has "
                               f"{_count(cluster_gpus)}")
        cpus = options.cpus_per_worker or 1.0
    elif options.workers is not None:
        workers = options.workers
        cpus = options.cpus_per_worker or usable / workers
    else:
        cpus = options.cpus_per_worker or min(DEFAULT_CPU_WORKER_CPUS, usable)
        workers = max(1, math.floor(usable / cpus))
    if workers * cpus > usable:
        fitted = usable / workers
        if options.cpus_per_worker is not None:
            notes.append(f"{workers} workers with {_count(cpus)} CPUs each would leave "
                         f"decoding and post-processing {_count(cluster_cpus - workers * cpus)}"
                         f" of the cluster's {_count(cluster_cpus)} CPUs and stall them; "
                         f"giving each worker {_count(fitted)}")
        cpus = fitted
    return WorkerPlan(workers, gpus, _round(cpus), _round(min(1.0, reserve)), tuple(notes))


def _round(value: float) -> float:
    """Ray rounds resources to 1e-4; floor so that the pool never asks for more."""
    return math.floor(value * 10_000) / 10_000


def _count(value: float) -> str:
    return f"{round(value, 4):g}"
