"""Semantic export with training ids (the default): 0..N-1 in the category table's order,
255 ignored, the value -> category table beside the PNGs; on the COCO table, exactly what
Mask2Former's ``datasets/prepare_coco_semantic_annos_from_panoptic_annos.py`` makes from the
panoptic export."""

from __future__ import annotations

import numpy as np
from conftest_coco import make_project, read_json
from PIL import Image

from panoptix.core.categories import load_table
from panoptix.core.coco_export import export_panoptic
from panoptix.core.manifest import ImageStatus
from panoptix.core.semantic_export import DEFAULT_IDS, export_semantic


def _coco_scenes() -> dict[str, tuple[np.ndarray, dict, ImageStatus]]:
    """Three images with COCO categories from both ends of the id range, a crowd and
    unlabeled pixels."""
    table = load_table("coco_panoptic")
    ids = table.ids
    rng = np.random.default_rng(7)
    scenes = {}
    for index, name in enumerate(("a.jpg", "sub/b.png", "c.jpg")):
        id_map = rng.integers(0, 7, (30, 40))  # 0 stays unlabeled
        picks = [ids[0], ids[-1], *rng.choice(ids, 4, replace=False).tolist()]
        used, segments = set(), {}
        for segment_id in range(1, 7):
            category = int(picks[segment_id - 1])
            if not table.is_thing(category) and category in used:  # one segment per stuff
                id_map[id_map == segment_id] = 0
                continue
            used.add(category)
            segments[segment_id] = (category, int(segment_id == 1))
        assert table.is_thing(segments[1][0]) and segments[1][1] == 1  # person, a crowd
        scenes[name] = (id_map, segments, ImageStatus.DONE if index else ImageStatus.EDITED)
    return scenes


def _mask2former_semantic(panoptic_json: dict, png_dir, file_name: str) -> np.ndarray:
    """The oracle: Mask2Former's script, reimplemented (``id_map[k["id"]] = i`` over the
    categories in order; output 255, then each segment's pixels its category's index)."""
    id_map = {k["id"]: i for i, k in enumerate(panoptic_json["categories"])}
    annotation = next(a for a in panoptic_json["annotations"] if a["file_name"] == file_name)
    rgb = np.asarray(Image.open(png_dir / file_name), dtype=np.uint32)
    panoptic = rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]
    output = np.zeros_like(panoptic, dtype=np.uint8) + 255
    for segment in annotation["segments_info"]:
        output[panoptic == segment["id"]] = id_map[segment["category_id"]]
    return output


def test_coco_training_ids_equal_mask2formers_conversion(tmp_path):
    categories = load_table("coco_panoptic")
    assert categories.ids == sorted(categories.ids)  # detectron2's COCO_CATEGORIES order
    with make_project(tmp_path, _coco_scenes(), categories=categories) as project:
        export_panoptic(project, tmp_path / "out", "val")
        result = export_semantic(project, tmp_path / "out", "val")
    assert DEFAULT_IDS == "train"
    panoptic = read_json(tmp_path / "out" / "panoptic_val.json")
    semantic = read_json(tmp_path / "out" / "semantic_val.json")
    assert (semantic["ids"], semantic["dtype"], semantic["unlabeled"]) == ("train", "uint8", 255)
    assert len(semantic["images"]) == 3 and result.images == 3
    for image in semantic["images"]:
        png = image["semantic_file_name"]
        ours = np.asarray(Image.open(tmp_path / "out" / "semantic_val" / png))
        oracle = _mask2former_semantic(panoptic, tmp_path / "out" / "panoptic_val", png)
        assert ours.dtype == np.uint8 and np.array_equal(ours, oracle), png
        assert (ours == 255).any() and (ours == 0).any()  # ignored pixels; person is 0
        assert (ours == len(categories) - 1).any()  # the table's last category is N-1


def test_the_class_table_lies_beside_the_pngs_in_value_order(tmp_path):
    categories = load_table("coco_panoptic")
    with make_project(tmp_path, _coco_scenes(), categories=categories) as project:
        result = export_semantic(project, tmp_path / "out", "val")
    table_path = tmp_path / "out" / "semantic_val_classes.json"
    assert table_path in result.paths
    table = read_json(table_path)
    assert (table["ids"], table["unlabeled"]) == ("train", 255)
    assert [row["value"] for row in table["classes"]] == list(range(len(categories)))
    assert [row["category_id"] for row in table["classes"]] == categories.ids
    assert [row["name"] for row in table["classes"]] == [c.name for c in categories]
    assert table["classes"] == read_json(tmp_path / "out" / "semantic_val.json")["classes"]


def test_category_ids_stay_available(tmp_path):
    categories = load_table("coco_panoptic")
    scenes = _coco_scenes()
    with make_project(tmp_path, scenes, categories=categories) as project:
        export_semantic(project, tmp_path / "out", "val", ids="category")
    table = read_json(tmp_path / "out" / "semantic_val_classes.json")
    assert all(row["value"] == row["category_id"] for row in table["classes"])
    id_map, segments, _ = scenes["a.jpg"]
    pixels = np.asarray(Image.open(tmp_path / "out" / "semantic_val" / "a.png"))
    for segment_id, (category_id, _) in segments.items():
        assert (pixels[id_map == segment_id] == category_id).all()
