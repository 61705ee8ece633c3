"""Segment Anything click latency and embedding time, SAM 2.1 Hiera-T size, on this machine.

A random-weight ``Sam2Model`` built from transformers' default ``Sam2Config`` (which is
facebook/sam2.1-hiera-tiny's architecture, 31 M parameters) is saved like a user's model
and loaded through Panoptix's loader. A click, once its image's embedding exists, costs the
prompt encoder + mask decoder forward (the same work whatever the weights) plus bringing
the best candidate's mask to the image's full size (which depends on the mask: random
weights give noise-like masks over half the image, trained weights give objects). So per
size it prints:

- ``embedding_ms``: the image encoder on one image, preprocessing included (what the worker
  thread does once per image): the first run (warm-up) and the second;
- ``decoder_ms``: the forward alone, median over random clicks, for a single point (three
  candidates) and for a refining click (three points and a box: one mask); and the single
  point with one intra-op thread instead of torch's default (on a loaded machine one
  thread does better: OpenMP's threads wait on each other when the cores are busy);
- ``upscale_ms`` / ``outline_ms``: one candidate's mask at full size, and the preview path
  the window draws from it, for smooth object masks (logits falling off from a centre like
  a trained model's) of radius 12, 40 and 100 low-resolution cells (about 1%, 8% and 48%
  of the image);
- ``click_ms``: decoder + upscale for those three objects, absolute and as a ratio to the
  50 ms goal (<= 1.0 meets it); ``click_random_weights_ms``: the whole decode call as the
  window runs it, on the random weights' own masks (the pessimistic case);
- baselines measured in the same run: a click that re-ran the image encoder each time (what
  a tool without a kept embedding does), and the processors' full-image upscaling
  (``F.interpolate`` of all three masks to the image size, then the threshold).

Timings on a shared machine are noisy; the load average is printed with them.

    python bench/bench_sam.py [--sizes 1080x1920 3000x4000] [--clicks 8] [--device cpu]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

GOAL_MS = 50.0


def photo(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Smooth colour regions with some texture, like a photo at this size."""
    import cv2

    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (max(2, height // 160), max(2, width // 160), 3), np.uint8)
    image = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    noise = rng.integers(-12, 13, (height, width, 1), np.int16)
    return np.clip(image.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def timed(run: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = run()
    return (time.perf_counter() - started) * 1000, result


def object_logits(radius: float, low: int = 256, seed: int = 0) -> np.ndarray:
    """Low-resolution logits of one smooth object: positive within ``radius`` cells of a
    centre, its edge a little wavy, falling off on both sides like a trained model's."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:low, :low].astype(np.float32)
    angle = np.arctan2(yy - low / 2, xx - low / 2)
    wavy = radius * (1 + 0.08 * np.sin(5 * angle + rng.uniform(0, 6)))
    return ((wavy - np.hypot(yy - low / 2, xx - low / 2)) / 3).astype(np.float32)


def _one_thread_decoder(model, features, frame, width, height, clicks) -> float:  # noqa: ANN001
    """The single-point decoder with one intra-op thread: on a machine whose cores are
    busy elsewhere, torch's two threads wait on each other (OpenMP) and one does better."""
    import torch

    from panoptix.inference.sam.prompts import Prompts

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        rng, times = np.random.default_rng(1), []
        for _ in range(clicks):
            prompts = Prompts().with_point(*rng.uniform(0, [width, height]))
            inputs = {k: torch.from_numpy(v) for k, v in prompts.model_inputs(frame).items()}
            with torch.inference_mode():
                times.append(timed(lambda inputs=inputs: model(
                    image_embeddings=features, multimask_output=True, **inputs))[0])
        return statistics.median(times)
    finally:
        torch.set_num_threads(threads)


def median_ms(run: Callable[[], object], repeat: int) -> float:
    return statistics.median(timed(run)[0] for _ in range(repeat))


def bench_size(predictor, size: tuple[int, int], clicks: int, seed: int) -> dict:  # noqa: ANN001
    import torch
    from torch.nn import functional

    from panoptix.gui.tools.proposal_tool import outline_path
    from panoptix.inference.sam.masks import upscale
    from panoptix.inference.sam.prompts import Prompts

    height, width = size
    image = photo(height, width, seed)
    first_ms, _ = timed(lambda: predictor.embed(image))
    embed_ms, embedding = timed(lambda: predictor.embed(image))
    rng = np.random.default_rng(seed)
    model, features = predictor.loaded.model, list(embedding.features)
    single, refine, whole = [], [], []
    for _ in range(clicks):
        x, y = rng.uniform(0, width - 1), rng.uniform(0, height - 1)
        one = Prompts().with_point(x, y)
        more = one.with_point(*rng.uniform(0, [width, height]), positive=False) \
            .with_point(*rng.uniform(0, [width, height])) \
            .with_box(x - width / 8, y - height / 8, x + width / 8, y + height / 8)
        for prompts, multimask, times in ((one, True, single), (more, False, refine)):
            inputs = {k: torch.from_numpy(v)
                      for k, v in prompts.model_inputs(embedding.frame).items()}
            with torch.inference_mode():
                times.append(timed(lambda inputs=inputs, multimask=multimask: model(
                    image_embeddings=features, multimask_output=multimask, **inputs))[0])
        whole.append(timed(lambda one=one: predictor.decode(embedding, one))[0])
    decoder = statistics.median(single)
    one_thread = _one_thread_decoder(model, features, embedding.frame, width, height, clicks)
    objects = {}
    for radius in (12, 40, 100):
        logits = torch.from_numpy(object_logits(radius))
        up = median_ms(lambda logits=logits: upscale(logits, embedding.frame), 5)
        placed = upscale(logits, embedding.frame)
        assert placed is not None
        line = median_ms(lambda placed=placed: outline_path(*placed), 3)
        click = decoder + up
        objects[f"radius_{radius}"] = {
            "area": round(float(placed[1].sum()) / (height * width), 3),
            "upscale_ms": round(up, 1), "outline_ms": round(line, 1),
            "click_ms": round(click, 1), "ratio_to_goal": round(click / GOAL_MS, 2)}
    low = torch.from_numpy(np.stack([object_logits(r) for r in (12, 40, 100)]))[None]
    full_ms = median_ms(lambda: (functional.interpolate(
        low, size, mode="bilinear", align_corners=False) > 0).numpy(), 3)
    return {
        "size": f"{height}x{width}",
        "embedding_ms": {"first": round(first_ms), "second": round(embed_ms)},
        "decoder_ms": {"single_point": round(decoder, 1),
                       "refine": round(statistics.median(refine), 1),
                       "single_point_worst": round(max(single), 1),
                       "single_point_1_thread": round(one_thread, 1)},
        "objects": objects,
        "click_random_weights_ms": {"median": round(statistics.median(whole), 1),
                                    "worst": round(max(whole), 1)},
        "baseline_click_with_encoder_ms": round(embed_ms + decoder),
        "baseline_processor_upscale_3_masks_ms": round(full_ms, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1080x1920", "3000x4000"])
    parser.add_argument("--clicks", type=int, default=8)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    import torch

    from panoptix.inference.sam.predictor import SamPredictor
    from tiny_models import build_sam2

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        model_dir = build_sam2(Path(folder) / "sam2.1-hiera-tiny-size", size="real")
        predictor = SamPredictor.load(str(model_dir), args.device)
        build_s = time.perf_counter() - started
    params = sum(p.numel() for p in predictor.loaded.model.parameters())
    report = {"model": "random-weight SAM 2.1 Hiera-T size", "parameters_m": round(params / 1e6, 1),
              "device": predictor.device, "torch_threads": torch.get_num_threads(),
              "load_average": [round(v, 2) for v in os.getloadavg()],
              "build_and_load_s": round(build_s, 1), "goal_ms": GOAL_MS, "sizes": []}
    for index, text in enumerate(args.sizes):
        height, width = (int(v) for v in text.lower().split("x"))
        report["sizes"].append(bench_size(predictor, (height, width), args.clicks, index))
    report["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
