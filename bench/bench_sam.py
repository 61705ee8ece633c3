"""Segment Anything click latency and embedding time, SAM 2.1 Hiera-T size, on this machine.

A random-weight ``Sam2Model`` built from transformers' default ``Sam2Config`` (which is
facebook/sam2.1-hiera-tiny's architecture, 31 M parameters) is saved like a user's model
and loaded through Panoptix's loader. On a synthetic photo at each size it prints:

- ``embedding``: the image encoder on one image (preprocessing included), what the worker
  thread does once per image; the first run (warm-up) and the second;
- ``click``: what the decoder thread does per prompt once the embedding exists - prompt
  encoder, mask decoder, and every candidate's mask brought to the image's full resolution -
  median and worst over random clicks, for a single point (three candidates) and for a
  refining click (three points and a box: the single-mask answer), as absolute ms and as
  a ratio to the 50 ms goal (<= 1.0 meets it);
- ``decoder``: the prompt encoder + mask decoder forward alone (median), the rest of a
  click being the upscaling;
- ``outline``: the preview path the window draws for the first candidate (GUI thread);
- baselines measured in the same run: a click that re-ran the image encoder each time
  (what a tool without a kept embedding does) and the processors' full-image upscaling
  (``F.interpolate`` of all three masks to the image size, then the threshold).

Random weights give masks of arbitrary size (the area column says how large); trained
weights give object-sized masks, which upscale faster. Timings on a shared machine are
noisy; the load average is printed with them.

    python bench/bench_sam.py [--sizes 1080x1920 3000x4000] [--clicks 15] [--device cpu]
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


def bench_size(predictor, size: tuple[int, int], clicks: int, seed: int) -> dict:  # noqa: ANN001
    import torch
    from torch.nn import functional

    from panoptix.gui.proposal_tool import outline_path
    from panoptix.inference.sam.prompts import Prompts

    height, width = size
    image = photo(height, width, seed)
    first_ms, _ = timed(lambda: predictor.embed(image))
    embed_ms, embedding = timed(lambda: predictor.embed(image))
    rng = np.random.default_rng(seed)
    single, refine, decoder, outline, area = [], [], [], [], []
    model = predictor.loaded.model
    for _ in range(clicks):
        x, y = rng.uniform(0, width - 1), rng.uniform(0, height - 1)
        one = Prompts().with_point(x, y)
        ms, prediction = timed(lambda one=one: predictor.decode(embedding, one))
        single.append(ms)
        if prediction.candidates:
            first = prediction.candidates[0]
            outline.append(timed(lambda first=first: outline_path(first.box, first.mask))[0])
            area.append(first.area / (height * width))
        more = one.with_point(*rng.uniform(0, [width, height]), positive=False) \
            .with_point(*rng.uniform(0, [width, height])) \
            .with_box(x - width / 8, y - height / 8, x + width / 8, y + height / 8)
        refine.append(timed(lambda more=more: predictor.decode(embedding, more))[0])
        inputs = {k: torch.from_numpy(v) for k, v in one.model_inputs(embedding.frame).items()}
        with torch.inference_mode():
            decoder.append(timed(lambda inputs=inputs: model(
                image_embeddings=list(embedding.features), multimask_output=True,
                **inputs))[0])
    with torch.inference_mode():
        outputs = model(image_embeddings=list(embedding.features), multimask_output=True,
                        **{k: torch.from_numpy(v) for k, v in
                           Prompts().with_point(width / 2, height / 2)
                           .model_inputs(embedding.frame).items()})
    low = outputs.pred_masks[0].float()
    full_ms, _ = timed(lambda: (functional.interpolate(low, size, mode="bilinear",
                                                       align_corners=False) > 0).numpy())
    naive_ms = embed_ms + statistics.median(decoder)
    return {
        "size": f"{height}x{width}",
        "embedding_ms": {"first": round(first_ms), "second": round(embed_ms)},
        "click_single_ms": {"median": round(statistics.median(single), 1),
                            "worst": round(max(single), 1),
                            "ratio_to_goal": round(statistics.median(single) / GOAL_MS, 2)},
        "click_refine_ms": {"median": round(statistics.median(refine), 1),
                            "worst": round(max(refine), 1),
                            "ratio_to_goal": round(statistics.median(refine) / GOAL_MS, 2)},
        "decoder_ms": round(statistics.median(decoder), 1),
        "outline_ms": round(statistics.median(outline), 1) if outline else None,
        "mask_area_median": round(statistics.median(area), 3) if area else None,
        "baseline_click_with_encoder_ms": round(naive_ms),
        "click_speedup_vs_encoder_per_click": round(naive_ms / statistics.median(single), 1),
        "baseline_full_image_upscale_ms": round(full_ms, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1080x1920", "3000x4000"])
    parser.add_argument("--clicks", type=int, default=15)
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
