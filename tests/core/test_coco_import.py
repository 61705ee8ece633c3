"""COCO panoptic import: the panopticapi sample and our own exports come back equivalent;
hostile or broken datasets are refused with one line and leave nothing behind."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest_coco import (
    MAP_A,
    MAP_B,
    SEGMENTS_A,
    SEGMENTS_B,
    make_project,
    read_json,
    rgb_to_ids,
    write_blank_images,
    write_dataset,
    write_json,
)
from PIL import Image

from panoptix.cli import main
from panoptix.core.coco_export import export_panoptic
from panoptix.core.coco_import import DatasetImportError, import_panoptic
from panoptix.core.manifest import ImageStatus
from panoptix.core.project import Project

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "panopticapi_sample"
SAMPLE_JSON = SAMPLE / "panoptic_examples.json"


def segments_by_image(data: dict) -> dict[str, list[tuple]]:
    """Per image file: (category, area, bbox, iscrowd) of each segment, ids aside."""
    names = {image["id"]: image["file_name"] for image in data["images"]}
    return {names[a["image_id"]]: sorted(
        (s["category_id"], s["area"], tuple(s["bbox"]), s["iscrowd"])
        for s in a["segments_info"]) for a in data["annotations"]}


def partition(png: Path, segments: list[dict]) -> set[tuple[int, frozenset[int]]]:
    """The PNG's pixels grouped per segment, as (category, set of flat pixel indices)."""
    ids = rgb_to_ids(np.asarray(Image.open(png)))
    category = {s["id"]: s["category_id"] for s in segments}
    return {(category[i], frozenset(np.flatnonzero(ids == i).tolist()))
            for i in np.unique(ids).tolist() if i}


def reexport(json_path: Path, png_dir: Path, images: Path, work: Path) -> Path:
    import_panoptic(json_path, png_dir, images, work / "project")
    with Project.open(work / "project") as project:
        export_panoptic(project, work / "out", "again")
    return work / "out" / "panoptic_again.json"


def test_the_panopticapi_sample_imports_and_reexports_equivalent(tmp_path):
    original = read_json(SAMPLE_JSON)
    write_blank_images(tmp_path / "images", original["images"])
    again_path = reexport(SAMPLE_JSON, SAMPLE / "panoptic_examples", tmp_path / "images",
                          tmp_path)
    again = read_json(again_path)
    assert segments_by_image(again) == segments_by_image(original)
    assert again["images"] == [{k: i[k] for k in ("id", "file_name", "width", "height")}
                               for i in original["images"]]
    assert again["categories"] == original["categories"]
    for before, after in zip(original["annotations"], again["annotations"], strict=True):
        assert after["file_name"] == before["file_name"]
        assert partition(again_path.with_suffix("") / after["file_name"],
                         after["segments_info"]) == partition(
            SAMPLE / "panoptic_examples" / before["file_name"], before["segments_info"])


def test_project_export_import_export_round_trips(tmp_path):
    with make_project(tmp_path / "first", {
        "a.jpg": (MAP_A, SEGMENTS_A, ImageStatus.DONE),
        "a.png": (MAP_B, SEGMENTS_B, ImageStatus.EDITED),
        "sub/b.2024.x.jpg": (MAP_A, SEGMENTS_A, ImageStatus.DONE),
    }) as project:
        export_panoptic(project, tmp_path / "export1", "val")
    first = tmp_path / "export1" / "panoptic_val.json"
    second = reexport(first, first.with_suffix(""), tmp_path / "first" / "photos",
                      tmp_path / "second")
    a, b = read_json(first), read_json(second)
    assert {k: a[k] for k in ("images", "annotations", "categories")} == {
        k: b[k] for k in ("images", "annotations", "categories")}
    for annotation in a["annotations"]:
        png = annotation["file_name"]
        assert (rgb_to_ids(np.asarray(Image.open(first.with_suffix("") / png)))
                == rgb_to_ids(np.asarray(Image.open(second.with_suffix("") / png)))).all()


def test_imported_images_are_edited_and_unannotated_ones_new(tmp_path):
    json_path = write_dataset(tmp_path)
    data = read_json(json_path)
    data["images"].append({"id": 9, "file_name": "later.jpg", "width": 3, "height": 2})
    write_json(json_path, data)
    write_blank_images(tmp_path / "images", data["images"])
    result = import_panoptic(json_path, tmp_path / "panoptic_val", tmp_path / "images",
                             tmp_path / "project")
    assert (result.images, result.annotated, result.segments) == (3, 2, 6)
    assert [p.rule for p in result.repaired] == ["no-annotation"]
    with Project.open(tmp_path / "project") as project:
        status = {entry.rel_path: entry.status for entry in project.images}
        assert status == {"a.jpg": ImageStatus.EDITED, "b.2024.x.jpg": ImageStatus.EDITED,
                          "later.jpg": ImageStatus.NEW}
        doc = project.load_document(next(e.key for e in project.images
                                         if e.rel_path == "a.jpg"))
        assert (np.asarray(doc.id_map) == MAP_A).all()
        assert doc.segments[9].iscrowd and doc.segments[9].source == "import"


def test_wrong_areas_and_repeated_stuff_are_repaired_and_reported(tmp_path):
    json_path = write_dataset(tmp_path)
    data = read_json(json_path)
    data["annotations"][0]["segments_info"][1]["area"] = 999
    data["annotations"][0]["segments_info"][1]["category_id"] = 17  # a second sky
    write_json(json_path, data)
    write_blank_images(tmp_path / "images", data["images"])
    result = import_panoptic(json_path, tmp_path / "panoptic_val", tmp_path / "images",
                             tmp_path / "project")
    assert {p.rule for p in result.repaired} == {"area", "isthing"}
    with Project.open(tmp_path / "project") as project:
        export_panoptic(project, tmp_path / "out", "fixed")
    fixed = read_json(tmp_path / "out" / "panoptic_fixed.json")
    sky = [s for s in fixed["annotations"][0]["segments_info"] if s["category_id"] == 17]
    assert len(sky) == 1 and sky[0]["area"] == 8 + 5


def _set(data: dict, path: tuple, value: object) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


HOSTILE = {
    "image name climbs out": (("images", 0, "file_name"), "../../../etc/passwd"),
    "image name absolute": (("images", 0, "file_name"), "/etc/passwd"),
    "PNG name climbs out": (("annotations", 0, "file_name"), "../secret.png"),
    "PNG name absolute": (("annotations", 0, "file_name"), "/tmp/x.png"),
    "PNG name Windows": (("annotations", 0, "file_name"), "..\\..\\x.png"),
    "width a string": (("images", 0, "width"), "6"),
    "huge id": (("annotations", 0, "segments_info", 0, "id"), 10**40),
    "huge width": (("images", 0, "width"), 10**40),
    "category id a list": (("annotations", 0, "segments_info", 0, "category_id"), [1]),
    "segments missing": (("annotations", 0, "segments_info"), None),
    "images an object": (("images",), {"id": 1}),
    "unknown category": (("annotations", 0, "segments_info", 0, "category_id"), 12345),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_json_is_refused_with_one_line_and_nothing_written(tmp_path, case):
    json_path = write_dataset(tmp_path)
    data = read_json(json_path)
    write_blank_images(tmp_path / "images", data["images"])
    path, value = HOSTILE[case]
    _set(data, path, value)
    write_json(json_path, data)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(DatasetImportError) as refused:
        import_panoptic(json_path, tmp_path / "panoptic_val", tmp_path / "images",
                        tmp_path / "project")
    assert "\n" not in str(refused.value) and str(refused.value).startswith("import refused")
    assert refused.value.problems
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # not even a temp folder


def test_a_symlink_out_of_the_image_folder_is_refused(tmp_path):
    json_path = write_dataset(tmp_path)
    data = read_json(json_path)
    write_blank_images(tmp_path / "elsewhere", data["images"])
    (tmp_path / "images").mkdir()
    os.symlink(tmp_path / "elsewhere" / "a.jpg", tmp_path / "images" / "a.jpg")
    shutil.copy(tmp_path / "elsewhere" / "b.2024.x.jpg", tmp_path / "images")
    with pytest.raises(DatasetImportError, match="outside"):
        import_panoptic(json_path, tmp_path / "panoptic_val", tmp_path / "images",
                        tmp_path / "project")


@pytest.mark.parametrize("content", ["{", "[]", "", '{"images": [], "annotations": 5}'])
def test_broken_json_is_refused(tmp_path, content):
    (tmp_path / "p.json").write_text(content)
    (tmp_path / "p").mkdir()
    with pytest.raises(DatasetImportError, match="import refused"):
        import_panoptic(tmp_path / "p.json", tmp_path / "p", tmp_path, tmp_path / "project")
    assert not (tmp_path / "project").exists()


def test_missing_png_missing_image_and_wrong_size_are_refused(tmp_path):
    json_path = write_dataset(tmp_path)
    data = read_json(json_path)
    write_blank_images(tmp_path / "images", data["images"])
    (tmp_path / "panoptic_val" / "a.png").rename(tmp_path / "a.png")
    with pytest.raises(DatasetImportError, match="missing"):
        import_panoptic(json_path, tmp_path / "panoptic_val", tmp_path / "images",
                        tmp_path / "project")
    (tmp_path / "a.png").rename(tmp_path / "panoptic_val" / "a.png")
    (tmp_path / "images" / "a.jpg").unlink()
    with pytest.raises(DatasetImportError, match="not found"):
        import_panoptic(json_path, tmp_path / "panoptic_val", tmp_path / "images",
                        tmp_path / "project")
    Image.new("RGB", (7, 4)).save(tmp_path / "images" / "a.jpg")
    with pytest.raises(DatasetImportError, match="7x4"):
        import_panoptic(json_path, tmp_path / "panoptic_val", tmp_path / "images",
                        tmp_path / "project")
    assert not (tmp_path / "project").exists()


def test_an_existing_project_folder_is_never_overwritten(tmp_path):
    json_path = write_dataset(tmp_path)
    write_blank_images(tmp_path / "images", read_json(json_path)["images"])
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "mine.txt").write_text("keep me")
    with pytest.raises(DatasetImportError, match="not empty"):
        import_panoptic(json_path, tmp_path / "panoptic_val", tmp_path / "images",
                        tmp_path / "project")
    assert (tmp_path / "project" / "mine.txt").read_text() == "keep me"


def test_a_link_as_the_project_folder_is_never_replaced(tmp_path):
    """Issue 20: a dangling link named as --out was replaced by the new project."""
    json_path = write_dataset(tmp_path)
    write_blank_images(tmp_path / "images", read_json(json_path)["images"])
    (tmp_path / "project").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(DatasetImportError, match="is a link"):
        import_panoptic(json_path, tmp_path / "panoptic_val", tmp_path / "images",
                        tmp_path / "project")
    assert (tmp_path / "project").is_symlink() and not (tmp_path / "elsewhere").exists()


def test_a_failure_while_building_leaves_no_project(tmp_path, monkeypatch):
    json_path = write_dataset(tmp_path)
    write_blank_images(tmp_path / "images", read_json(json_path)["images"])

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device", str(tmp_path / "x.png"))

    monkeypatch.setattr(Project, "save_document", full_disk)
    with pytest.raises(DatasetImportError, match="the disk is full"):
        import_panoptic(json_path, tmp_path / "panoptic_val", tmp_path / "images",
                        tmp_path / "project")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "images", "panoptic_val", "panoptic_val.json"]


def test_a_read_only_destination_is_a_clear_error(tmp_path, make_read_only):
    json_path = write_dataset(tmp_path)
    write_blank_images(tmp_path / "images", read_json(json_path)["images"])
    (tmp_path / "locked").mkdir()
    make_read_only(tmp_path / "locked")
    with pytest.raises(DatasetImportError, match="permission denied|read-only") as failure:
        import_panoptic(json_path, tmp_path / "panoptic_val", tmp_path / "images",
                        tmp_path / "locked" / "project")
    assert "\n" not in str(failure.value)
    assert list((tmp_path / "locked").iterdir()) == []


def test_imported_images_keep_their_ids_through_every_export(tmp_path):
    """panopticapi and detectron2 pair by image_id: a re-export must keep the dataset's."""
    json_path = write_dataset(tmp_path)
    data = read_json(json_path)
    new_ids = {1: 139, 2: 42}  # sparse, and not in file order
    for record in data["images"]:
        record["id"] = new_ids[record["id"]]
    for annotation in data["annotations"]:
        annotation["image_id"] = new_ids[annotation["image_id"]]
    write_json(json_path, data)
    images = tmp_path / "images"
    write_blank_images(images, data["images"])
    import_panoptic(json_path, json_path.with_suffix(""), images, tmp_path / "project")
    expected = {record["file_name"]: record["id"] for record in data["images"]}
    for fmt in ("coco-panoptic", "semantic", "coco-instances"):
        out = tmp_path / fmt
        assert main(["export", str(tmp_path / "project"), "--out", str(out), "--name", "x",
                     "--format", fmt]) == 0
        (exported,) = out.glob("*_x.json")
        assert {r["file_name"]: r["id"] for r in read_json(exported)["images"]} == expected, fmt
