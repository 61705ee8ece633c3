"""A COCO panoptic JSON read as a stream for ``panoptix evaluate``: the same problems as the
whole file read, and memory that does not grow with the number of images."""

from __future__ import annotations

import json
import shutil
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from core.pq_cases import CATEGORIES, write_coco
from panoptix.core.coco_stream import stream_panoptic
from panoptix.core.pq_sources import TOLERATED, EvaluationError, evaluate_sources
from panoptix.core.segment import Segment
from panoptix.core.validate import parse_panoptic, read_json

SEGMENTS = 40


def many_images(folder: Path, name: str, count: int) -> Path:
    """``count`` 8x5 images of SEGMENTS segments each (one PNG written, then copied)."""
    id_map = np.arange(1, SEGMENTS + 1, dtype=np.int32).reshape(5, 8)
    segments = {i: Segment(1 if i % 2 else 3, False) for i in range(1, SEGMENTS + 1)}
    path = write_coco(folder, name, [(id_map, segments)])
    data = json.loads(path.read_text())
    png = folder / name / "0.png"
    for index in range(1, count):
        shutil.copyfile(png, folder / name / f"{index}.png")
        data["images"].append({**data["images"][0], "id": index, "file_name": f"{index}.jpg"})
        data["annotations"].append({**data["annotations"][0], "image_id": index,
                                    "file_name": f"{index}.png"})
    path.write_text(json.dumps(data))
    return path


def evaluate_peak(folder: Path, count: int) -> int:
    gt, pred = many_images(folder, "gt", count), many_images(folder, "pred", count)
    tracemalloc.start()
    try:
        result = evaluate_sources(gt, pred, workers=1).result
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.images == count and result.all.pq == 1.0
    return peak


def test_evaluate_memory_does_not_grow_with_the_images_of_a_json(tmp_path: Path) -> None:
    small = evaluate_peak(tmp_path / "small", 100)
    large = evaluate_peak(tmp_path / "large", 600)
    # read whole, each image's parsed entries stayed: about 6x for 6x the images
    assert large < 1.6 * small, (small, large)


def whole(path: Path) -> list:
    data, problems = read_json(path)
    return problems or [p for p in parse_panoptic(data)[1] if p.rule not in TOLERATED]


DAMAGES = {
    "truncated": lambda text: text[:len(text) // 2],
    "nan": lambda text: text.replace('"area": 1,', '"area": NaN,', 1),
    "top-level list": lambda text: f"[{text}]",
    "images not a list": lambda text: text.replace('"images": [', '"images": {"item": [', 1)
    .replace('], "annotations"', ']}, "annotations"', 1),
    "unknown category": lambda text: text.replace('"category_id": 3', '"category_id": 9', 2),
    "duplicate image": lambda text: text.replace('"id": 1, "file_name": "1.jpg"',
                                                 '"id": 0, "file_name": "1.jpg"', 1),
    "bad segment id": lambda text: text.replace('"id": 2, "category_id"',
                                                '"id": -2, "category_id"', 1),
    "float id": lambda text: text.replace('"image_id": 1,', '"image_id": 1e0,', 1),
    "huge id": lambda text: text.replace('"image_id": 1,', f'"image_id": {10**30},', 1),
    "huge float": lambda text: text.replace('"iscrowd": 0', '"iscrowd": 1e400', 1),
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_json_has_the_problems_of_the_whole_file_read(tmp_path: Path,
                                                                damage: str) -> None:
    path = many_images(tmp_path, "gt", 3)
    text = path.read_text()
    damaged = DAMAGES[damage](text)
    assert damaged != text
    path.write_text(damaged)
    problems = stream_panoptic(path, None, TOLERATED).problems
    assert problems and problems == whole(path)


def test_a_prediction_is_checked_against_the_given_categories(tmp_path: Path) -> None:
    path = many_images(tmp_path, "pred", 2)
    data = json.loads(path.read_text())
    data["categories"] = [c for c in data["categories"] if c["id"] != 3]
    path.write_text(json.dumps(data))
    streamed = stream_panoptic(path, CATEGORIES, TOLERATED)
    assert streamed.problems == [] and len(streamed.annotations) == 2
    assert 3 not in streamed.named and list(streamed.categories) == list(CATEGORIES)


def test_an_unreadable_json_stops_the_evaluation_with_one_line(tmp_path: Path) -> None:
    gt = many_images(tmp_path, "gt", 2)
    gt.write_text(gt.read_text()[:-10])
    with pytest.raises(EvaluationError, match=r"^\S+gt.json: cannot read JSON: .*line 1"):
        evaluate_sources(gt, gt)
