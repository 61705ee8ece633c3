"""Generated datasets: valid COCO panoptic with exact areas and boxes, kinds left out at
will, and a project with every image done and its ground truth as the document."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from panoptix.core.panoptic_png import read_panoptic_png
from panoptix.core.project import ImageStatus, Project
from panoptix.core.validate import validate_panoptic
from panoptix.synth import DatasetError, SceneError, generate, make_project, write_dataset
from panoptix.synth.dataset import SEED_STRIDE, plan_scenes

SIZE = (120, 160)


def test_a_dataset_is_valid_coco_panoptic_with_exact_areas_and_boxes(tmp_path: Path) -> None:
    paths = write_dataset(tmp_path / "demo", ("street", "kitchen"), count=4, seed=3, size=SIZE)
    assert validate_panoptic(paths.json, paths.png_dir) == []
    data = json.loads(paths.json.read_text())
    assert [image["file_name"] for image in data["images"]] == [
        "street_00000.jpg", "kitchen_00000.jpg", "street_00001.jpg", "kitchen_00001.jpg"]
    assert sorted(p.name for p in paths.images.iterdir()) == sorted(
        image["file_name"] for image in data["images"])
    for image, annotation in zip(data["images"], data["annotations"], strict=True):
        id_map = read_panoptic_png(paths.png_dir / annotation["file_name"])
        assert id_map.shape == (image["height"], image["width"]) == SIZE
        scene = generate(image["scene"]["kind"], image["scene"]["seed"], SIZE)
        assert np.array_equal(id_map, scene.id_map)
        for info in annotation["segments_info"]:
            ys, xs = np.nonzero(id_map == info["id"])
            assert info["area"] == ys.size
            assert info["bbox"] == [xs.min(), ys.min(), xs.max() - xs.min() + 1,
                                    ys.max() - ys.min() + 1]
            assert info["iscrowd"] == 0


def test_leaving_a_kind_out_changes_nothing_in_the_others() -> None:
    both = {s.stem: s.seed for s in plan_scenes(("street", "harbour"), 6, 2)}
    alone = {s.stem: s.seed for s in plan_scenes(("street",), 3, 2)}
    assert {stem: seed for stem, seed in both.items() if stem.startswith("street")} == alone
    assert alone["street_00001"] == 2 * SEED_STRIDE + 1
    assert {s.kind for s in plan_scenes(("park", "kitchen"), 9, 0)} == {"park", "kitchen"}


@pytest.mark.parametrize(("kinds", "count", "seed", "message"), [
    (("beach",), 3, 0, "unknown scene kind"), (("park", "park"), 3, 0, "repeat"),
    ((), 3, 0, "no scene kinds"), (("park",), 0, 0, "at least one"),
    (("park",), 2, -1, "seed")])
def test_bad_dataset_requests_are_refused(kinds, count, seed, message) -> None:
    with pytest.raises(SceneError, match=message):
        plan_scenes(kinds, count, seed)


def test_a_folder_that_is_not_empty_or_a_bad_name_is_refused_and_nothing_is_written(
        tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("keep")
    with pytest.raises(DatasetError, match="not empty"):
        write_dataset(tmp_path / "out", count=1, size=SIZE)
    with pytest.raises(DatasetError, match="letters, digits"):
        write_dataset(tmp_path / "other", count=1, size=SIZE, name="../escape")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["mine.txt"]


def test_make_project_gives_done_images_whose_documents_are_the_ground_truth(
        tmp_path: Path) -> None:
    folder = make_project(tmp_path / "data", kinds=("park", "harbour"), count=3, seed=4,
                          size=SIZE)
    assert folder == tmp_path / "data" / "images.panoptix"
    with Project.open(folder) as project:
        assert [e.rel_path for e in project.images] == [
            "park_00000.jpg", "harbour_00000.jpg", "park_00001.jpg"]
        assert {e.status for e in project.images} == {ImageStatus.DONE}
        for entry in project.images:
            kind, number = entry.rel_path[:-4].split("_")
            truth = generate(kind, 4 * SEED_STRIDE + int(number), SIZE).document
            doc = project.load_document(entry.key)
            assert np.array_equal(doc.id_map, truth.id_map)
            assert {i: s.category_id for i, s in doc.segments.items()} == {
                i: s.category_id for i, s in truth.segments.items()}
            assert project.load_image(entry.key).shape == (*SIZE, 3)
        assert [c.id for c in project.categories] == [
            c["id"] for c in json.loads((tmp_path / "data" / "panoptic_demo.json").read_text())[
                "categories"]]
