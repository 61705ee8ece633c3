"""Our panoptic post-processing against transformers' on the same outputs.

Synthetic outputs of a COCO panoptic Mask2Former (100 queries, 133 labels, mask logits at
a quarter of the checkpoint's input size): 14 smooth things and 8 stuff queries (two of
them fused) carved around them, the other queries "no object". Both post-processors get
the same outputs; the script prints each one's time, the speed ratio, and the pixels that
differ (share of the image, and how many lie more than 3 px from a boundary).

Goals: at least 20x at 1080x1920 and 50x at 3000x4000, under 0.5% of pixels differing,
all on boundaries. Ratios are from one run of this script.

    python bench/bench_postprocess.py [--sizes 1080x1920 3000x4000] [--working-size 1024]
"""

from __future__ import annotations

import argparse
import time
from types import SimpleNamespace

import cv2
import numpy as np
import torch
from transformers.models.mask2former import Mask2FormerImageProcessorPil

from panoptix.inference.postprocess import WORKING_SIZE, panoptic_segmentation
from panoptix.inference.raw_outputs import RawOutputs

QUERIES, LABELS, THINGS = 100, 133, 80
SHORTEST, LONGEST, DIVISOR = 800, 1333, 32


def mask_size(height: int, width: int) -> tuple[int, int]:
    """The mask logits' size for an image at the checkpoint's input size (1/4 of it)."""
    scale = min(SHORTEST / min(height, width), LONGEST / max(height, width))
    h, w = (-(-round(side * scale) // DIVISOR) * DIVISOR for side in (height, width))
    return h // 4, w // 4


def scene(image_size: tuple[int, int], seed: int = 0) -> RawOutputs:
    rng = np.random.default_rng(seed)
    h, w = mask_size(*image_size)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    things = []
    for _ in range(14):
        cy, cx = rng.uniform(0.2, 0.9) * h, rng.uniform(0.05, 0.95) * w
        ry, rx = rng.uniform(0.05, 0.2) * h, rng.uniform(0.03, 0.12) * w
        things.append(np.clip(8 * (1 - ((y - cy) / ry) ** 2 - ((x - cx) / rx) ** 2), -20, 20))
    fields = []
    for _ in range(8):
        fy, fx, phase = rng.uniform(0.5, 2.0), rng.uniform(0.5, 2.0), rng.uniform(0, 6.3, 2)
        fields.append(np.sin(fy * np.pi * y / h + phase[0]) + np.cos(fx * np.pi * x / w
                                                                     + phase[1]))
    fields = np.stack(fields)
    holes = -np.max(things, axis=0)
    stuff = [np.minimum(6 * (f - np.max(np.delete(fields, i, 0), axis=0)), holes)
             for i, f in enumerate(fields)]
    masks = np.full((QUERIES, h, w), -10.0, np.float32)
    masks[:len(stuff)] = stuff
    masks[len(stuff):len(stuff) + len(things)] = things
    class_logits = np.zeros((QUERIES, LABELS + 1), np.float32)
    class_logits[:, LABELS] = 8.0  # "no object" for the unused queries
    # Queries 0 and 1 fuse. transformers gives the segment after a fused query the id
    # after the *fused* one, so a fused query anywhere but right after its partner
    # would make it repeat other segments' ids (ours does not).
    stuff_labels = [THINGS, THINGS] + [THINGS + i for i in range(1, 7)]
    labels = stuff_labels + list(rng.integers(0, THINGS, len(things)))
    for query, label in enumerate(labels):
        class_logits[query, LABELS] = 0.0
        class_logits[query, label] = rng.uniform(9.0, 12.0)
    return RawOutputs(class_logits, masks.astype(np.float16), image_size,
                      {i: str(i) for i in range(LABELS)})


def transformers_panoptic(raw: RawOutputs, repeats: int) -> tuple[np.ndarray, float]:
    outputs = SimpleNamespace(
        class_queries_logits=torch.from_numpy(raw.class_logits)[None],
        masks_queries_logits=torch.from_numpy(raw.mask_logits.astype(np.float32))[None])
    processor = Mask2FormerImageProcessorPil()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = processor.post_process_panoptic_segmentation(
            outputs, threshold=0.8, label_ids_to_fuse=set(range(THINGS, LABELS)),
            target_sizes=[raw.image_size])[0]
        best = min(best, time.perf_counter() - start)
    return result["segmentation"].numpy().astype(np.int32), best


def ours(raw: RawOutputs, working_size: int, repeats: int) -> tuple[np.ndarray, float]:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = panoptic_segmentation(raw, range(THINGS), working_size=working_size)
        best = min(best, time.perf_counter() - start)
    return result.id_map, best


def compare(mine: np.ndarray, reference: np.ndarray) -> tuple[float, int]:
    """Share of differing pixels (segments matched by overlap), and those far from edges."""
    relabelled = np.zeros_like(reference)
    for ref_id in np.unique(reference):
        if ref_id > 0:
            ours_id = np.bincount(mine[reference == ref_id]).argmax()
            relabelled[mine == ours_id] = ref_id
    differing = relabelled != reference
    values = reference.astype(np.float32)
    kernel = np.ones((3, 3), np.uint8)
    edges = (cv2.dilate(values, kernel) != cv2.erode(values, kernel)).astype(np.uint8)
    near = cv2.dilate(edges, np.ones((7, 7), np.uint8)) > 0
    return float(differing.mean()), int((differing & ~near).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1080x1920", "3000x4000"])
    parser.add_argument("--working-size", type=int, default=WORKING_SIZE)
    args = parser.parse_args()
    goals = {"1080x1920": 20, "3000x4000": 50}
    print(f"torch threads: {torch.get_num_threads()}, working size {args.working_size}; "
          "best of 3 runs (of 1 for transformers above 4 MP), after a warm-up")
    warm_up = scene((240, 320))
    transformers_panoptic(warm_up, 1)
    ours(warm_up, args.working_size, 1)
    for text in args.sizes:
        height, width = map(int, text.split("x"))
        raw = scene((height, width))
        mine, our_time = ours(raw, args.working_size, 3)
        reference, their_time = transformers_panoptic(raw, 3 if height * width <= 4e6 else 1)
        differing, far = compare(mine, reference)
        segments = len(np.unique(reference)) - 1
        goal = goals.get(text)
        print(f"{text} (mask logits {raw.mask_logits.shape[1]}x{raw.mask_logits.shape[2]}, "
              f"{segments} segments): transformers {their_time * 1000:.0f} ms, "
              f"ours {our_time * 1000:.1f} ms, ratio {their_time / our_time:.0f}x"
              f"{f' (goal {goal}x)' if goal else ''}; "
              f"differing {differing * 100:.3f}% of pixels (goal < 0.5%), "
              f"{far} more than 3 px from a boundary")


if __name__ == "__main__":
    main()
