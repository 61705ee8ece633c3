"""COCO instance export: things only, compressed RLE exactly as pycocotools writes it."""

from __future__ import annotations

import numpy as np
import pytest
from conftest_coco import MAP_A, MAP_B, SEGMENTS_A, SEGMENTS_B, make_project, read_json

from panoptix.core.instances_export import (
    encode_rle,
    export_instances,
    rle_area_and_bbox,
    rle_string_counts,
)
from panoptix.core.manifest import ImageStatus

# pycocotools.mask.encode of a 25x25 mask with mask[lo:hi, lo:hi] = 1, as published in
# the test suites of pycocotools ports checked against it.
KNOWN = [(0, 5, "05d00000000d?"), (5, 10, "R45d00000000b;"), (20, 25, "X`05d00000000"),
         (0, 25, "0ac0"), (5, 15, "R4:?00000000000000000e7")]
# A pycocotools RLE of a real COCO object (427x640), from the same suites.
REAL = "\\`_3;j<6M3E_OjCd0T<:O1O2O001O00001O00001O001O0000O1K6J5J6A^C0g<N=O001O0O2Omk^4"


def decode(rle: dict) -> np.ndarray:
    """A mask from run lengths, the obvious way: runs alternate 0 and 1, column-major."""
    height, width = rle["size"]
    flat = np.zeros(height * width, bool)
    position = 0
    for index, count in enumerate(rle_string_counts(rle["counts"]).tolist()):
        flat[position:position + count] = index % 2 == 1
        position += count
    assert position == height * width
    return flat.reshape(width, height).T


@pytest.mark.parametrize("low,high,expected", KNOWN)
def test_rle_matches_pycocotools(low, high, expected):
    mask = np.zeros((25, 25), bool)
    mask[low:high, low:high] = True
    assert encode_rle(mask) == {"size": [25, 25], "counts": expected}
    box = (low, low, high, high)
    assert encode_rle(mask[low:high, low:high], box, (25, 25))["counts"] == expected


def test_a_real_pycocotools_rle_decodes_and_encodes_back():
    mask = decode({"size": [427, 640], "counts": REAL})
    assert encode_rle(mask)["counts"] == REAL
    area, bbox = rle_area_and_bbox({"size": [427, 640], "counts": REAL})
    ys, xs = np.nonzero(mask)
    assert area == len(ys) == 792
    assert bbox == [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]


def test_random_masks_round_trip_including_edges():
    rng = np.random.default_rng(5)
    for _ in range(200):
        height, width = rng.integers(1, 40, size=2)
        mask = rng.random((height, width)) < rng.random()
        rle = encode_rle(mask)
        assert (decode(rle) == mask).all()
        if mask.any():
            ys, xs = np.nonzero(mask)
            y0, x0 = ys.min(), xs.min()
            box = (y0, x0, ys.max() + 1, xs.max() + 1)
            crop = mask[box[0]:box[2], box[1]:box[3]]
            assert encode_rle(crop, box, (height, width)) == rle
            assert rle_area_and_bbox(rle) == (
                len(ys), [x0, y0, xs.max() - x0 + 1, ys.max() - y0 + 1])


def test_export_has_things_only_with_masks_of_their_pixels(tmp_path):
    with make_project(tmp_path, {"a.jpg": (MAP_A, SEGMENTS_A, ImageStatus.DONE),
                                 "b.png": (MAP_B, SEGMENTS_B, ImageStatus.EDITED)}) as project:
        result = export_instances(project, tmp_path / "out", "val")
    data = read_json(tmp_path / "out" / "instances_val.json")
    assert result.paths == [tmp_path / "out" / "instances_val.json"]
    assert {c["id"] for c in data["categories"]} == {1, 5}
    assert set(data["categories"][0]) == {"id", "name", "supercategory"}
    ids = [a["id"] for a in data["annotations"]]
    assert len(ids) == len(set(ids)) == 4  # person + crowd car in a, two people in b
    maps = {i["id"]: MAP_A if i["file_name"] == "a.jpg" else MAP_B for i in data["images"]}
    for annotation in data["annotations"]:
        assert "score" not in annotation
        mask = decode(annotation["segmentation"])
        id_map = maps[annotation["image_id"]]
        segment = next(i for i in np.unique(id_map[mask]))
        assert (mask == (id_map == segment)).all()
        assert annotation["area"] == mask.sum()
        ys, xs = np.nonzero(mask)
        assert annotation["bbox"] == [xs.min(), ys.min(), xs.max() - xs.min() + 1,
                                      ys.max() - ys.min() + 1]
    crowd = [a for a in data["annotations"] if a["iscrowd"]]
    assert [a["category_id"] for a in crowd] == [5]
