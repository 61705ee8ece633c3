"""Pre-segmenting a folder against the bare model forward time, per image.

A random-weight Mask2Former of real Swin-T size (tests/tiny_models.py) at the checkpoint's
input size (shortest edge 800) runs on the CPU. The baseline is the model's forward pass
alone on already preprocessed inputs; the run is ``presegment``'s pipeline on a folder of
JPEGs into a project: decode, preprocessing, forward, post-processing, conversion to a
document and saving (PNG, JSON, raw outputs), with the model already loaded. Rounds of
each alternate and the best round of each is compared, since this shared CPU's speed
varies from minute to minute. Thresholds
keep every query (random weights find nothing otherwise), which makes post-processing
heavier than a trained model's. Goal: at most 1.15x the forward time per image.

    python bench/bench_presegment.py [--images 4] [--rounds 3] [--size 1920x1080] [--edge 800]
                                     [--device cpu]

On a GPU (``--device cuda``) the forward no longer hides the per-image CPU work (decoding,
preprocessing, post-processing, writing), so the ratio there is the one that matters.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from panoptix.core.project import ImageStatus, Project  # noqa: E402
from panoptix.inference.batch import BatchPresegmenter  # noqa: E402
from panoptix.inference.device import synchronize  # noqa: E402
from panoptix.inference.engine import Predictor  # noqa: E402
from panoptix.inference.labels import ModelCategories, categories_for_model  # noqa: E402
from panoptix.inference.pipeline import (  # noqa: E402
    StoreWriter,
    forward_batch,
    postprocess_batch,
    read_batch,
)
from panoptix.inference.settings import InferenceSettings  # noqa: E402

GOAL = 1.15


def write_photos(folder: Path, count: int, width: int, height: int) -> list[np.ndarray]:
    """Photo-like JPEGs (smooth shapes plus sensor noise), returned as decoded arrays."""
    rng = np.random.default_rng(0)
    folder.mkdir()
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    images = []
    for index in range(count):
        base = np.stack([128 + 100 * np.sin(x / rng.uniform(50, 300) + c + index)
                         * np.cos(y / rng.uniform(50, 300)) for c in range(3)], axis=2)
        noisy = np.clip(base + rng.normal(0, 8, base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(noisy).save(folder / f"photo{index:03}.jpg", quality=90)
        images.append(np.asarray(Image.open(folder / f"photo{index:03}.jpg").convert("RGB")))
    return images


def bare_forward(predictor: Predictor, prepared: list[dict], device: str = "cpu") -> float:
    """Mean seconds of the model's forward pass alone over already prepared inputs (on
    the device already: what the forward costs, not the copy)."""
    model = predictor.loaded.model
    synchronize(device)
    start = time.perf_counter()
    with torch.inference_mode():
        for inputs in prepared:
            model(**inputs)
    synchronize(device)
    return (time.perf_counter() - start) / len(prepared)


def presegment(project: Project, predictor: Predictor, settings: InferenceSettings,
               mapped: ModelCategories, batch_size: int) -> float:
    """Mean seconds per image of pre-segmenting every image of ``project`` (again)."""
    keys = [entry.key for entry in project.images]
    runner = BatchPresegmenter(project, predictor, settings, mapped, batch_size=batch_size,
                               overwrite=frozenset({ImageStatus.NEW, ImageStatus.PRESEGMENTED}))
    start = time.perf_counter()
    report = runner.run(keys)
    elapsed = (time.perf_counter() - start) / len(keys)
    assert len(report.saved) == len(keys), report.failed
    return elapsed


def side_work(project: Project, predictor: Predictor, settings: InferenceSettings,
              mapped: ModelCategories) -> float:
    """Mean seconds per image of everything but the forward pass, run alone: decode,
    preprocessing, output copy, post-processing, conversion and saving."""
    total = 0.0
    writer = StoreWriter(project, frozenset(ImageStatus))
    for entry in project.images:
        start = time.perf_counter()
        read = read_batch([entry.key], project.load_image, predictor, settings)
        total += time.perf_counter() - start
        forwarded = forward_batch(predictor, read)
        start = time.perf_counter()
        writer.write(postprocess_batch(forwarded, mapped, settings, keep_raw=True))
        total += time.perf_counter() - start
    assert not writer.report.failed, writer.report.failed
    return total / len(project.images)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--size", default="1920x1080", help="photo WIDTHxHEIGHT")
    parser.add_argument("--edge", type=int, default=800, help="model input shortest edge")
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternate forward-only and presegment rounds; the best of "
                             "each is compared (this CPU is shared, timings jump)")
    args = parser.parse_args()
    from tiny_models import build_mask2former, table_labels

    width, height = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model_dir = build_mask2former(root / "swin-t", table_labels("coco_panoptic"),
                                      size="swin-t", shortest_edge=args.edge,
                                      longest_edge=round(args.edge * 1333 / 800))
        images = write_photos(root / "photos", args.images, width, height)
        settings = InferenceSettings(model=str(model_dir), device=args.device, threshold=0.0,
                                     mask_threshold=0.001, overlap_threshold=0.0)
        predictor = Predictor()
        predictor.load(settings.model, args.device)
        prepared = [{name: value.to(args.device)
                     for name, value in predictor.prepare([image]).inputs.items()}
                    for image in images]
        bare_forward(predictor, prepared[:1], args.device)  # warm-up
        mapped = categories_for_model(settings.model, predictor.id2label)
        forwards, runs = [], []
        with Project.open_or_create_for_images(root / "photos", project_folder=root / "proj",
                                               categories=mapped.categories) as project:
            for _ in range(args.rounds):  # interleaved, so both see the same machine
                forwards.append(bare_forward(predictor, prepared, args.device))
                runs.append(presegment(project, predictor, settings, mapped, args.batch_size))
            side = side_work(project, predictor, settings, mapped)
        raw_bytes = sum(p.stat().st_size for p in (root / "proj" / "raw").iterdir())
    print(f"{args.device}, torch threads {torch.get_num_threads()}, {args.images} photos "
          f"{width}x{height}, "
          f"input shortest edge {args.edge}, batch size {args.batch_size}, "
          f"raw outputs {raw_bytes / args.images / 1e6:.1f} MB/image")
    for index, (forward, run) in enumerate(zip(forwards, runs, strict=True)):
        print(f"round {index + 1}: bare forward {forward:.2f} s/image, presegment "
              f"{run:.2f} s/image, ratio {run / forward:.3f}")
    print(f"best rounds: bare forward {min(forwards):.2f} s/image, presegment "
          f"{min(runs):.2f} s/image: ratio {min(runs) / min(forwards):.3f} (goal <= {GOAL})")
    print(f"work besides the forward pass, run alone: {side:.2f} s/image, so even with no "
          f"overlap at all the ratio would be {1 + side / min(forwards):.3f}")


if __name__ == "__main__":
    main()
