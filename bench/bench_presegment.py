"""Pre-segmenting a folder against the bare model forward time, per image.

A random-weight Mask2Former of real Swin-T size (tests/tiny_models.py) at the checkpoint's
input size (shortest edge 800) runs on the CPU. The baseline is the model's forward pass
alone on already preprocessed inputs; the run is ``presegment``'s pipeline on a folder of
JPEGs into a new project: decode, preprocessing, forward, post-processing, conversion to a
document and saving (PNG, JSON, raw outputs), with the model already loaded. Thresholds
keep every query (random weights find nothing otherwise), which makes post-processing
heavier than a trained model's. Goal: at most 1.15x the forward time per image.

    python bench/bench_presegment.py [--images 6] [--size 1920x1080] [--edge 800]
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
from panoptix.inference.engine import Predictor  # noqa: E402
from panoptix.inference.labels import categories_for_model  # noqa: E402
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


def bare_forward(predictor: Predictor, images: list[np.ndarray]) -> float:
    """Mean seconds of the model's forward pass alone, inputs prepared beforehand."""
    model = predictor.loaded.model
    prepared = [predictor.prepare([image]).inputs for image in images]
    times = []
    with torch.inference_mode():
        model(**prepared[0])  # warm-up
        for inputs in prepared:
            start = time.perf_counter()
            model(**inputs)
            times.append(time.perf_counter() - start)
    return float(np.mean(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=6)
    parser.add_argument("--size", default="1920x1080", help="photo WIDTHxHEIGHT")
    parser.add_argument("--edge", type=int, default=800, help="model input shortest edge")
    parser.add_argument("--batch-size", type=int, default=1)
    args = parser.parse_args()
    from tiny_models import build_mask2former, table_labels

    width, height = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model_dir = build_mask2former(root / "swin-t", table_labels("coco_panoptic"),
                                      size="swin-t", shortest_edge=args.edge,
                                      longest_edge=round(args.edge * 1333 / 800))
        images = write_photos(root / "photos", args.images, width, height)
        settings = InferenceSettings(model=str(model_dir), device="cpu", threshold=0.0,
                                     mask_threshold=0.001, overlap_threshold=0.0)
        predictor = Predictor()
        predictor.load(settings.model, "cpu")
        forward = bare_forward(predictor, images)

        mapped = categories_for_model(settings.model, predictor.id2label)
        with Project.open_or_create_for_images(root / "photos", project_folder=root / "proj",
                                               categories=mapped.categories) as project:
            keys = [entry.key for entry in project.images]
            runner = BatchPresegmenter(project, predictor, settings, mapped,
                                       batch_size=args.batch_size,
                                       overwrite=frozenset({ImageStatus.NEW}))
            start = time.perf_counter()
            report = runner.run(keys)
            elapsed = (time.perf_counter() - start) / len(keys)
        assert len(report.saved) == len(keys), report.failed
        raw_bytes = sum(p.stat().st_size for p in (root / "proj" / "raw").iterdir())
    ratio = elapsed / forward
    print(f"torch threads {torch.get_num_threads()}, {args.images} photos {width}x{height}, "
          f"input shortest edge {args.edge}, batch size {args.batch_size}")
    print(f"bare forward {forward:.2f} s/image; presegment {elapsed:.2f} s/image "
          f"(raw outputs {raw_bytes / len(keys) / 1e6:.1f} MB/image): ratio {ratio:.3f} "
          f"(goal <= {GOAL})")


if __name__ == "__main__":
    main()
