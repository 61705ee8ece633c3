"""``panoptix presegment``'s engine options: ``--engine local|ray`` and the Ray settings."""

from __future__ import annotations

import argparse

from panoptix.inference.cluster_plan import (
    ClusterError,
    ClusterOptions,
    check_reachable,
    require_ray,
)

ENGINES = ("local", "ray")
RAY_ONLY = ("address", "workers", "gpus_per_worker", "cpus_per_worker")


def add_cluster_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=ENGINES, default="local",
                        help="local: this process (default); ray: a Ray cluster, or Ray on "
                             'this machine (needs pip install "panoptix[cluster]")')
    group = parser.add_argument_group("Ray engine (--engine ray)")
    group.add_argument("--address", metavar="auto|HOST:PORT",
                       help="join a running Ray cluster (ray start --head); default: start "
                            "Ray on this machine")
    group.add_argument("--workers", type=int, metavar="N",
                       help="model workers, each loading the model once (default: one per "
                            "GPU, else as many as the CPUs allow)")
    group.add_argument("--gpus-per-worker", type=float, metavar="G",
                       help="GPUs per model worker, fractions share one (default: 1 if the "
                            "cluster has GPUs, else 0)")
    group.add_argument("--cpus-per-worker", type=float, metavar="C",
                       help="CPUs per model worker (default: 1 with GPUs; without, the CPUs "
                            "left after decoding's share, split between the workers)")


def cluster_options(args: argparse.Namespace) -> ClusterOptions | None:
    """The Ray engine's options, or None for the local engine; raises a one-line
    ClusterError when Ray is asked for but not installed, or Ray options come without it."""
    if args.engine != "ray":
        given = [name for name in RAY_ONLY if getattr(args, name) is not None]
        if given:
            raise ClusterError(f"--{given[0].replace('_', '-')} needs --engine ray")
        return None
    require_ray()
    if args.address is not None:
        check_reachable(args.address)  # before the model loads and the project is made
    gpus = args.gpus_per_worker
    device = (args.device or "auto").split(":")[0]
    if device == "mps":
        raise ClusterError("--device mps is not available with --engine ray")
    if gpus is None and device in ("cpu", "cuda"):
        gpus = 0.0 if device == "cpu" else 1.0
    return ClusterOptions(address=args.address, workers=args.workers, gpus_per_worker=gpus,
                          cpus_per_worker=args.cpus_per_worker, batch_size=args.batch_size)
