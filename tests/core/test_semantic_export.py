"""Semantic export with ``ids="category"``: pixel = category id; unlabeled 255 (uint8) or
65535 (uint16), never 0, since ADE20K has a category 0. Training ids: test_semantic_ids.py."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest_coco import MAP_A, MAP_B, SEGMENTS_A, SEGMENTS_B, make_project, read_json

from panoptix.core.categories import Category, CategorySet
from panoptix.core.coco_export import ExportError
from panoptix.core.manifest import ImageStatus
from panoptix.core.semantic_export import export_semantic, pixel_type


def expected_semantic(id_map: np.ndarray, segments: dict, unlabeled: int) -> np.ndarray:
    result = np.full(id_map.shape, unlabeled, np.int64)
    for segment_id, (category_id, _) in segments.items():
        result[id_map == segment_id] = category_id
    return result


def test_category_0_stays_0_and_unlabeled_is_255(tmp_path):
    with make_project(tmp_path, {"a.jpg": (MAP_A, SEGMENTS_A, ImageStatus.DONE),
                                 "b.png": (MAP_B, SEGMENTS_B, ImageStatus.EDITED)},
                      blank=("c.jpg",)) as project:
        result = export_semantic(project, tmp_path / "out", "val", ids="category")
    assert result.skipped == ["c.jpg"]
    mapping = read_json(tmp_path / "out" / "semantic_val.json")
    assert (mapping["dtype"], mapping["unlabeled"]) == ("uint8", 255)
    pngs = {i["file_name"]: i["semantic_file_name"] for i in mapping["images"]}
    assert pngs == {"a.jpg": "a.png", "b.png": "b.png"}
    pixels = cv2.imread(str(tmp_path / "out" / "semantic_val" / "b.png"), cv2.IMREAD_UNCHANGED)
    assert pixels.dtype == np.uint8
    assert (pixels == expected_semantic(MAP_B, SEGMENTS_B, 255)).all()
    assert (pixels == 0).sum() == 11  # the wall, category 0


def test_large_category_ids_give_16_bit_with_65535(tmp_path):
    categories = CategorySet([Category(7, "road", False, (1, 2, 3)),
                              Category(300, "car", True, (4, 5, 6))])
    id_map = np.array([[1, 1, 0], [2, 2, 2]])
    with make_project(tmp_path, {"a.jpg": (id_map, {1: (300, 0), 2: (7, 0)},
                                           ImageStatus.DONE)},
                      categories=categories) as project:
        export_semantic(project, tmp_path / "out", "big", ids="category")
    assert read_json(tmp_path / "out" / "semantic_big.json")["unlabeled"] == 65535
    pixels = cv2.imread(str(tmp_path / "out" / "semantic_big" / "a.png"), cv2.IMREAD_UNCHANGED)
    assert pixels.dtype == np.uint16
    assert pixels.tolist() == [[300, 300, 65535], [7, 7, 7]]


def test_pixel_type_thresholds():
    def table(top: int) -> CategorySet:
        return CategorySet([Category(0, "a", True, (0, 0, 0)), Category(top, "b", True, (0, 0, 0))])

    assert pixel_type(table(254)) == (np.dtype(np.uint8), 255)
    assert pixel_type(table(255)) == (np.dtype(np.uint16), 65535)
    with pytest.raises(ExportError, match="65535"):
        pixel_type(table(65535))


def test_only_done(tmp_path):
    with make_project(tmp_path, {"a.jpg": (MAP_A, SEGMENTS_A, ImageStatus.DONE),
                                 "b.png": (MAP_B, SEGMENTS_B, ImageStatus.EDITED)}) as project:
        export_semantic(project, tmp_path / "out", "val", only_done=True)
    images = read_json(tmp_path / "out" / "semantic_val.json")["images"]
    assert [i["file_name"] for i in images] == ["a.jpg"]


def test_a_stored_png_that_disagrees_with_its_areas_fails_the_check(tmp_path, files_of):
    with make_project(tmp_path, {"a.jpg": (MAP_A, SEGMENTS_A, ImageStatus.DONE)}) as project:
        export_semantic(project, tmp_path / "out", "val")
        before = files_of(tmp_path / "out")
        stored = project.annotation_paths(project.images[0].key)[0]
        rgb = cv2.imread(str(stored))
        rgb[0, 0] = (0, 0, 7)  # BGR of id 7: one more sky pixel than saved
        cv2.imwrite(str(stored), rgb)
        with pytest.raises(ExportError, match="saved segment areas"):
            export_semantic(project, tmp_path / "out", "val")
    assert files_of(tmp_path / "out") == before
