"""Exports every tool can read: flat single-dot names (panopticapi's ``rsplit('.')[0]``) and
the images in the dataset folder under ``<png stem>.jpg`` (detectron2), self-contained."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest_coco import MAP_A, MAP_B, SEGMENTS_A, SEGMENTS_B, make_project, read_json
from PIL import Image

from panoptix.core.coco_export import ExportError, export_panoptic
from panoptix.core.coco_import import import_panoptic
from panoptix.core.export_names import ExportNaming, export_names
from panoptix.core.instances_export import export_instances
from panoptix.core.manifest import ImageStatus
from panoptix.core.semantic_export import export_semantic
from panoptix.core.validate import validate_panoptic

AWKWARD = ["x/b.2024.01.jpg", "a.jpg", "a.png", "sub/dir/c.d.PNG", "A.JPEG"]


def awkward_project(folder: Path):
    """Images in sub-folders, with extra dots, one stem twice and names equal but for case;
    the photos get some texture so a conversion can be compared."""
    maps = [MAP_A, MAP_B, MAP_A, MAP_B, MAP_A]
    segments = [SEGMENTS_A, SEGMENTS_B, SEGMENTS_A, SEGMENTS_B, SEGMENTS_A]
    project = make_project(folder, {name: (m, s, ImageStatus.DONE)
                                    for name, m, s in zip(AWKWARD, maps, segments, strict=True)})
    for index, entry in enumerate(project.images):
        path = project.image_root / entry.rel_path
        with Image.open(path) as image:
            (width, height), kind = image.size, image.format
        ys, xs = np.mgrid[0:height, 0:width]
        smooth = np.dstack([xs * 20 + index * 30, ys * 25, 200 - xs * 10 - ys * 10])
        Image.fromarray(smooth.astype(np.uint8)).save(path, format=kind)
    return project


def test_flat_names_are_unique_with_one_dot_and_no_folders():
    names = export_names(AWKWARD, ExportNaming(flat=True))
    file_names = [n.file_name for n in names]
    assert file_names == ["x_b_2024_01.jpg", "a-2.jpg", "a-3.png", "sub_dir_c_d.png", "A.jpeg"]
    assert [n.png for n in names] == ["x_b_2024_01.png", "a-2.png", "a-3.png", "sub_dir_c_d.png",
                                      "A.png"]
    assert len({n.png.casefold() for n in names}) == len(names)
    assert all(n.count(".") == 1 and "/" not in n for n in file_names)


def test_panopticapi_finds_each_png_from_its_image_name(tmp_path):
    with awkward_project(tmp_path) as project:
        export_panoptic(project, tmp_path / "out", "val", naming=ExportNaming(flat=True))
    data = read_json(tmp_path / "out" / "panoptic_val.json")
    png_dir = tmp_path / "out" / "panoptic_val"
    assert all(path.is_file() for path in png_dir.iterdir())  # no sub-folders to create
    annotations = {a["image_id"]: a for a in data["annotations"]}
    for image in data["images"]:
        png = "{}.png".format(image["file_name"].rsplit(".")[0])  # as panopticapi's converters
        assert annotations[image["id"]]["file_name"] == png and (png_dir / png).is_file()
        assert (tmp_path / "photos" / image["original_file_name"]).is_file()
    assert sorted(i["original_file_name"] for i in data["images"]) == sorted(AWKWARD)
    assert validate_panoptic(tmp_path / "out" / "panoptic_val.json") == []


@pytest.mark.parametrize("flat", [True, False], ids=["flat", "nested"])
def test_detectron2_finds_every_image_as_png_stem_jpg(tmp_path, flat):
    with awkward_project(tmp_path) as project:
        result = export_panoptic(project, tmp_path / "out", "val",
                                 naming=ExportNaming(flat=flat, images="jpeg"))
    image_dir = tmp_path / "out" / "val"
    assert image_dir in result.paths
    data = read_json(tmp_path / "out" / "panoptic_val.json")
    images = {i["id"]: i for i in data["images"]}
    for ann in data["annotations"]:  # detectron2's load_coco_panoptic_json
        image_file = os.path.join(image_dir, os.path.splitext(ann["file_name"])[0] + ".jpg")
        record = images[ann["image_id"]]
        assert image_file == os.path.join(image_dir, record["file_name"])
        with Image.open(image_file) as placed:
            assert placed.format == "JPEG" and placed.size == (record["width"], record["height"])
            pixels = np.asarray(placed.convert("RGB"), np.int16)
        with Image.open(tmp_path / "photos" / record["original_file_name"]) as original:
            source = np.asarray(original.convert("RGB"), np.int16)
            kind = original.format
        if kind == "JPEG":  # copied as it is
            assert (tmp_path / "photos" / record["original_file_name"]).read_bytes() == \
                Path(image_file).read_bytes()
        else:  # converted at quality 95: close to the original
            assert np.abs(pixels - source).mean() < 8


def test_copy_and_link_place_the_files_as_they_are(tmp_path):
    with awkward_project(tmp_path) as project:
        export_instances(project, tmp_path / "out", "val",
                         naming=ExportNaming(flat=True, images="link"))
        export_semantic(project, tmp_path / "out2", "val", naming=ExportNaming(images="copy"))
    for out, folder in (("out", "val"), ("out2", "val")):
        data = read_json(tmp_path / out / (("instances_" if out == "out" else "semantic_")
                                           + "val.json"))
        for image in data["images"]:
            placed = tmp_path / out / folder / image["file_name"]
            original = tmp_path / "photos" / image["original_file_name"]
            assert placed.read_bytes() == original.read_bytes()
            if out == "out":
                assert placed.stat().st_ino == original.stat().st_ino  # a hard link
            else:
                assert image["file_name"] == image["original_file_name"]  # nested as is


def test_the_dataset_folder_is_self_contained(tmp_path):
    with awkward_project(tmp_path) as project:
        export_panoptic(project, tmp_path / "out", "val",
                        naming=ExportNaming(flat=True, images="jpeg"))
    moved = tmp_path / "elsewhere"
    shutil.move(tmp_path / "out", moved)
    shutil.rmtree(tmp_path / "photos")
    shutil.rmtree(tmp_path / "photos.panoptix")
    result = import_panoptic(moved / "panoptic_val.json", moved / "panoptic_val",
                             moved / "val", tmp_path / "again.panoptix")
    assert (result.images, result.annotated) == (5, 5)


def test_images_never_replace_the_projects_own_or_a_foreign_folder(tmp_path, files_of):
    with awkward_project(tmp_path) as project:
        with pytest.raises(ExportError, match="overlap the project's images"):
            export_panoptic(project, tmp_path, "photos", naming=ExportNaming(images="copy"))
        foreign = tmp_path / "out" / "val"
        foreign.mkdir(parents=True)
        (foreign / "mine.txt").write_text("keep me")
        before = files_of(tmp_path / "out")
        with pytest.raises(ExportError, match="was not written by a Panoptix export"):
            export_panoptic(project, tmp_path / "out", "val", naming=ExportNaming(images="copy"))
        assert files_of(tmp_path / "out") == before
        shutil.rmtree(foreign)
        for _ in range(2):  # an export's own images folder is replaced by the next one
            export_panoptic(project, tmp_path / "out", "val", naming=ExportNaming(images="copy"))
    assert (tmp_path / "photos" / "a.jpg").is_file()
    placed = tmp_path / "out" / "val"
    assert sorted(p.relative_to(placed).as_posix() for p in placed.rglob("*")
                  if p.is_file() and p.name != ".panoptix-export") == sorted(AWKWARD)


@pytest.mark.parametrize("mode", ["link", "copy"])
def test_an_image_that_is_a_relative_link_is_placed_as_the_file_it_points_to(tmp_path, mode):
    """Issue 20, item 12: --images link hard-linked the link itself, which dangled."""
    project = make_project(tmp_path, {"a.jpg": (MAP_A, SEGMENTS_A, ImageStatus.DONE)})
    photos = tmp_path / "photos"
    (photos / "store").mkdir()
    os.replace(photos / "a.jpg", photos / "store" / "a.jpg")
    (photos / "a.jpg").symlink_to(Path("store") / "a.jpg")  # relative, as users make them
    export_panoptic(project, tmp_path / "out", "val", naming=ExportNaming(images=mode))
    project.close()
    placed = tmp_path / "out" / "val" / "a.jpg"
    assert not placed.is_symlink()
    assert placed.read_bytes() == (photos / "store" / "a.jpg").read_bytes()
    if mode == "link":
        assert placed.stat().st_ino == (photos / "store" / "a.jpg").stat().st_ino
