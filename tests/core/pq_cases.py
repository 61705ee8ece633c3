"""Random PQ cases (stuff bands, thing boxes, void, crowd) and a COCO panoptic writer for
them, shared by the PQ tests and the ``panoptix evaluate`` tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from panoptix.core.categories import Category, CategorySet
from panoptix.core.panoptic_png import write_panoptic_png
from panoptix.core.segment import Segment

CATEGORIES = CategorySet([Category(1, "person", True, (220, 20, 60)),
                          Category(3, "car", True, (0, 0, 142)),
                          Category(184, "tree", False, (107, 142, 35)),
                          Category(187, "sky", False, (70, 130, 180))])
THINGS, STUFF = [1, 3], [184, 187]


def random_image(rng: np.random.Generator, height: int = 48, width: int = 64,
                  crowd: bool = False) -> tuple[np.ndarray, dict[int, Segment]]:
    """Stuff bands, then thing rectangles over them, with some void."""
    id_map = np.zeros((height, width), np.int32)
    segments: dict[int, Segment] = {}
    next_id = 1
    for category_id in rng.permutation(STUFF)[: rng.integers(1, 3)]:
        y0 = int(rng.integers(0, height // 2))
        id_map[y0:y0 + int(rng.integers(8, height)), :] = next_id
        segments[next_id] = Segment(int(category_id))
        next_id += 1
    for _ in range(int(rng.integers(1, 6))):
        y, x = int(rng.integers(0, height - 6)), int(rng.integers(0, width - 6))
        h, w = int(rng.integers(4, 20)), int(rng.integers(4, 24))
        id_map[y:y + h, x:x + w] = next_id
        segments[next_id] = Segment(int(rng.choice(THINGS)),
                                    iscrowd=crowd and bool(rng.random() < 0.3))
        next_id += 1
    if rng.random() < 0.7:  # void
        y, x = int(rng.integers(0, height - 4)), int(rng.integers(0, width - 4))
        id_map[y:y + int(rng.integers(2, 16)), x:x + int(rng.integers(2, 20))] = 0
    present = set(np.unique(id_map).tolist()) - {0}
    return id_map, {i: s for i, s in segments.items() if i in present}


def perturb(rng: np.random.Generator, id_map: np.ndarray,
             segments: dict[int, Segment]) -> tuple[np.ndarray, dict[int, Segment]]:
    """A prediction: shifted, partly relabelled, some segments dropped or added."""
    pred = np.roll(id_map, (int(rng.integers(-3, 4)), int(rng.integers(-3, 4))), axis=(0, 1))
    pred_segments = {i: Segment(s.category_id) for i, s in segments.items()}
    for segment_id in list(pred_segments):
        roll = rng.random()
        if roll < 0.15:
            pred[pred == segment_id] = 0
        elif roll < 0.3:
            category = pred_segments[segment_id].category_id
            pool = THINGS if category in THINGS else STUFF
            pred_segments[segment_id] = Segment(int(rng.choice(pool)))
    extra = max(pred_segments, default=0) + 1
    y, x = int(rng.integers(0, pred.shape[0] - 5)), int(rng.integers(0, pred.shape[1] - 5))
    pred[y:y + int(rng.integers(3, 12)), x:x + int(rng.integers(3, 12))] = extra
    pred_segments[extra] = Segment(int(rng.choice(THINGS)))
    present = set(np.unique(pred).tolist()) - {0}
    return pred, {i: s for i, s in pred_segments.items() if i in present}


def write_coco(folder: Path, name: str,
               images: list[tuple[np.ndarray, dict[int, Segment]]]) -> Path:
    png_dir = folder / name
    png_dir.mkdir(parents=True)
    annotations, records = [], []
    for index, (id_map, segments) in enumerate(images):
        write_panoptic_png(png_dir / f"{index}.png", id_map)
        infos = []
        for segment_id, segment in segments.items():
            ys, xs = np.nonzero(id_map == segment_id)
            infos.append({"id": segment_id, "category_id": segment.category_id,
                          "area": int(ys.size), "iscrowd": int(segment.iscrowd),
                          "bbox": [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1),
                                   int(ys.max() - ys.min() + 1)]})
        annotations.append({"image_id": index, "file_name": f"{index}.png",
                            "segments_info": infos})
        records.append({"id": index, "file_name": f"{index}.jpg",
                        "height": id_map.shape[0], "width": id_map.shape[1]})
    path = folder / f"{name}.json"
    path.write_text(json.dumps({"images": records, "annotations": annotations,
                                "categories": CATEGORIES.to_coco()}))
    return path
