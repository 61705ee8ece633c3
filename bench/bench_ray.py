"""``presegment --engine ray`` with 1 and 2 model workers against the local engine.

The same folder of photo-like JPEGs is pre-segmented into a project by the local engine,
by the local engine on one torch thread (what a Ray worker given under two CPUs runs on),
on Ray with one and with two model workers, then by the local engine again (the mean of
its two runs is the baseline, since this shared machine's speed drifts). Ray runs on this
machine; its start-up is timed on its own, once, and each Ray run is reported two ways:
throughput over the whole run (what a user waits for: model workers starting, each
loading the model, and the pipeline filling, included) and steady throughput after the
first image arrived. The model is a random-weight Mask2Former (tests/tiny_models.py):
``--model swin-t`` is of real Swin-T size, ``--model tiny`` shows the engine's own
overhead. Thresholds keep every query.

    nice python bench/bench_ray.py [--images 12] [--model swin-t] [--edge 320] [--size 640x480]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import ray  # noqa: E402
import torch  # noqa: E402

from bench_presegment import write_photos  # noqa: E402
from panoptix.core.project import ImageStatus, Project  # noqa: E402
from panoptix.inference.batch import BatchPresegmenter  # noqa: E402
from panoptix.inference.cluster import RayPresegmenter  # noqa: E402
from panoptix.inference.cluster_plan import ClusterOptions  # noqa: E402
from panoptix.inference.engine import Predictor  # noqa: E402
from panoptix.inference.labels import categories_for_model  # noqa: E402
from panoptix.inference.settings import InferenceSettings  # noqa: E402

REDO = frozenset({ImageStatus.NEW, ImageStatus.PRESEGMENTED})


@dataclass
class Timing:
    start: float = field(default_factory=time.perf_counter)
    done: list[float] = field(default_factory=list)

    def image_done(self, path: str, error: str | None) -> None:
        assert error is None, f"{path}: {error}"
        self.done.append(time.perf_counter())

    @property
    def overall(self) -> float:
        """Images per second over the whole run."""
        return len(self.done) / (self.done[-1] - self.start)

    @property
    def first_s(self) -> float:
        return self.done[0] - self.start

    @property
    def steady(self) -> float:
        """Images per second once the first image has arrived."""
        return (len(self.done) - 1) / (self.done[-1] - self.done[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=12)
    parser.add_argument("--model", choices=("tiny", "swin-t"), default="swin-t")
    parser.add_argument("--edge", type=int, default=320, help="model input shortest edge")
    parser.add_argument("--size", default="640x480", help="photo WIDTHxHEIGHT")
    args = parser.parse_args()
    from tiny_models import build_mask2former, table_labels

    width, height = (int(v) for v in args.size.split("x"))
    cpus = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model_dir = build_mask2former(root / "model", table_labels("coco_panoptic"),
                                      size=args.model, shortest_edge=args.edge,
                                      longest_edge=round(args.edge * 1333 / 800))
        write_photos(root / "photos", args.images, width, height)
        settings = InferenceSettings(model=str(model_dir), device="cpu", threshold=0.0,
                                     mask_threshold=0.001, overlap_threshold=0.0)
        predictor = Predictor()
        predictor.load(settings.model, "cpu")
        mapped = categories_for_model(settings.model, predictor.id2label)
        with Project.open_or_create_for_images(root / "photos", project_folder=root / "proj",
                                               categories=mapped.categories) as project:
            keys = [entry.key for entry in project.images]

            def local(threads: int | None = None) -> Timing:
                default = torch.get_num_threads()
                torch.set_num_threads(threads or default)
                try:
                    timing = Timing()
                    BatchPresegmenter(project, predictor, settings, mapped, overwrite=REDO,
                                      on_image=timing.image_done).run(keys)
                    return timing
                finally:
                    torch.set_num_threads(default)

            def on_ray(workers: int) -> Timing:
                timing = Timing()
                RayPresegmenter(project, predictor.without_model(), settings, mapped,
                                ClusterOptions(workers=workers), overwrite=REDO,
                                on_image=timing.image_done).run(keys)
                return timing

            before = local()
            one_thread = local(threads=1)
            start = time.perf_counter()
            ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
            startup = time.perf_counter() - start
            try:
                rays = {workers: on_ray(workers) for workers in (1, 2)}
            finally:
                ray.shutdown()
            after = local()
    baseline = (before.overall + after.overall) / 2
    steady = (before.steady + after.steady) / 2
    print(f"{args.images} photos {width}x{height}, {args.model} model at shortest edge "
          f"{args.edge}, batch size 1, {cpus} CPUs, torch threads in this process "
          f"{torch.get_num_threads()}")
    print(f"local engine: {before.overall:.2f} img/s before, {after.overall:.2f} after "
          f"(baseline {baseline:.2f}); after its first image {steady:.2f} img/s")
    print(f"local engine on 1 torch thread (as a Ray worker with under 2 CPUs runs): "
          f"{one_thread.overall:.2f} img/s (ratio {one_thread.overall / baseline:.2f}), "
          f"after its first image {one_thread.steady:.2f} img/s")
    print(f"Ray start-up (ray.init on this machine): {startup:.1f} s, paid once per command")
    for workers, timing in rays.items():
        print(f"ray, {workers} worker(s): {timing.overall:.2f} img/s overall "
              f"(ratio {timing.overall / baseline:.2f}), first image after "
              f"{timing.first_s:.1f} s, then {timing.steady:.2f} img/s (ratio "
              f"{timing.steady / steady:.2f}; {timing.steady / one_thread.steady:.2f} to the "
              "local engine on 1 thread)")


if __name__ == "__main__":
    main()
