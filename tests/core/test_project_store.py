"""The project store: creating and opening projects, keys, and documents round-tripping."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panoptix.core import edits
from panoptix.core.document import Document
from panoptix.core.folder_lock import ProjectLockedError
from panoptix.core.panoptic_png import read_panoptic_png
from panoptix.core.project import ImageStatus, Project, ProjectError

KEY_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-~")


def keys_by_path(project: Project) -> dict[str, str]:
    return {entry.rel_path: entry.key for entry in project.images}


# -- creating and opening -------------------------------------------------------------------
def test_opening_a_folder_makes_a_project_beside_it_and_never_writes_into_it(
        photos: Path, files_of, painted) -> None:
    before = files_of(photos)
    project = Project.open_or_create_for_images(photos)
    try:
        assert project.folder == photos.with_name("photos.panoptix")
        assert sorted(keys_by_path(project)) == ["a.jpg", "a.png", "sub/a.jpg", "x.tar.gz.png"]
        key = project.images[0].key
        project.save_document(key, painted())
        project.raw_outputs_path(key).write_bytes(b"raw")
    finally:
        project.close()
    assert files_of(photos) == before


def test_reopening_a_folder_adds_only_new_images(photos: Path) -> None:
    with Project.open_or_create_for_images(photos) as project:
        first = project.images
    Image.new("RGB", (8, 8)).save(photos / "sub" / "new.png")
    with Project.open_or_create_for_images(photos) as project:
        assert project.images[:len(first)] == first
        assert [e.rel_path for e in project.images[len(first):]] == ["sub/new.png"]


def test_a_file_list_gets_a_project_beside_its_folder(photos: Path) -> None:
    with Project.open_or_create_for_images([photos / "a.png", photos / "sub" / "a.jpg"]) as p:
        assert p.folder == photos.with_name("photos.panoptix")
        assert sorted(keys_by_path(p)) == ["a.png", "sub/a.jpg"]
        assert p.image_root == photos


def test_a_project_folder_given_directly_is_opened(project: Project) -> None:
    folder = project.folder
    project.close()
    with Project.open_or_create_for_images(folder) as reopened:
        assert reopened.images == project.images


def test_a_folder_without_images_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ProjectError, match="no images"):
        Project.open_or_create_for_images(tmp_path / "empty")
    assert not (tmp_path / "empty.panoptix").exists()


def test_the_project_moves_with_its_images(project: Project, tmp_path: Path,
                                           painted) -> None:
    key = keys_by_path(project)["a.png"]
    project.save_document(key, painted())
    project.close()
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    os.rename(tmp_path / "photos", moved / "photos")
    os.rename(tmp_path / "photos.panoptix", moved / "photos.panoptix")
    with Project.open(moved / "photos.panoptix") as reopened:
        assert reopened.image_path(key) == moved / "photos" / "a.png"
        assert reopened.load_image(key).shape == (48, 64, 3)
        assert reopened.load_document(key).segments


def test_the_same_project_cannot_be_open_twice(project: Project) -> None:
    with pytest.raises(ProjectLockedError, match="open in another"):
        Project.open(project.folder)
    project.close()
    Project.open(project.folder).close()


# -- keys -----------------------------------------------------------------------------------
def test_colliding_names_get_distinct_safe_keys_and_files(project: Project,
                                                          painted) -> None:
    keys = keys_by_path(project)
    assert len({k.casefold() for k in keys.values()}) == 4
    assert all(set(k) <= KEY_SAFE and not k.startswith(".") for k in keys.values())
    for seed, key in enumerate(keys.values()):
        project.save_document(key, painted(seed=seed))
    for seed, key in enumerate(keys.values()):
        expected = painted(seed=seed)
        np.testing.assert_array_equal(project.load_document(key).id_map, expected.id_map)
    assert len(os.listdir(project.folder / "annotations")) == 8


def test_keys_differ_by_more_than_case(photos: Path, categories) -> None:
    Image.new("RGB", (4, 4)).save(photos / "A.JPG")
    with Project.create(photos.with_name("p"), photos, [photos / "a.jpg", photos / "A.JPG"],
                        categories) as project:
        first, second = (e.key for e in project.images)
        assert first.casefold() != second.casefold()


# -- documents ------------------------------------------------------------------------------
def test_document_round_trip_keeps_ids_categories_scores_and_areas(project: Project,
                                                                   painted) -> None:
    key = keys_by_path(project)["sub/a.jpg"]
    doc = painted()
    project.save_document(key, doc, status=ImageStatus.PRESEGMENTED, model="m2f-swin-t")
    project.close()
    with Project.open(project.folder) as reopened:
        loaded = reopened.load_document(key)
        np.testing.assert_array_equal(loaded.id_map, doc.id_map)
        assert dict(loaded.segments) == dict(doc.segments)
        assert loaded.stats() == doc.stats()
        assert reopened.entry(key).status == ImageStatus.PRESEGMENTED
        record = reopened.read_annotation(key)
    assert record is not None and record.model == "m2f-swin-t"
    assert {s.segment.score for s in record.segments.values()} == {0.91, 0.5, None}


def test_saved_area_and_bbox_are_what_coco_export_needs(project: Project, painted) -> None:
    key = project.images[0].key
    doc = painted()
    project.save_document(key, doc)
    png, json_path = project.annotation_paths(key)
    id_map = read_panoptic_png(png)
    info = json.loads(json_path.read_text())
    assert (info["width"], info["height"]) == (64, 48)
    for segment in info["segments_info"]:
        ys, xs = np.nonzero(id_map == segment["id"])
        assert segment["area"] == len(ys)
        assert segment["bbox"] == [xs.min(), ys.min(), xs.max() - xs.min() + 1,
                                   ys.max() - ys.min() + 1]
        assert segment["category_id"] == doc.segments[segment["id"]].category_id
    assert sorted(s["id"] for s in info["segments_info"]) == sorted(np.unique(id_map[id_map > 0]))


def test_unsaved_image_loads_blank_at_its_displayed_size(photos: Path, categories) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (30, 10)).save(photos / "phone.jpg", exif=exif)
    with Project.create(photos.with_name("p"), photos, [photos / "phone.jpg"],
                        categories) as project:
        key = project.images[0].key
        doc = project.load_document(key)
        assert doc.shape == (30, 10) and not doc.segments
        assert not project.has_annotation(key)
        assert project.load_image(key).shape[:2] == doc.shape


def test_saving_a_map_of_the_wrong_size_is_refused(project: Project, painted) -> None:
    key = project.images[0].key
    with pytest.raises(ProjectError, match="64x48"):
        project.save_document(key, painted(height=10, width=10))
    assert not project.has_annotation(key)


def test_each_save_keeps_exactly_one_png(project: Project, painted) -> None:
    key = project.images[0].key
    doc = painted()
    for _ in range(3):
        edits.add_mask(doc, np.ones((2, 2), bool), 1)
        project.save_document(key, doc)
    files = sorted(os.listdir(project.folder / "annotations"))
    assert files == [f"{key}.json", f"{key}@3.png"]


# -- status, model, uncertainty -------------------------------------------------------------
def test_status_follows_the_work(project: Project, painted) -> None:
    key = project.images[0].key
    doc = painted()
    project.save_document(key, doc, status=ImageStatus.PRESEGMENTED, model="m")
    project.save_document(key, doc)  # a user edit
    assert project.entry(key).status == ImageStatus.EDITED
    project.set_status(key, ImageStatus.DONE)
    project.save_document(key, doc)  # a later touch-up keeps it done
    assert project.entry(key).status == ImageStatus.DONE
    assert project.read_annotation(key).status == ImageStatus.DONE
    assert project.read_annotation(key).model == "m"
    project.close()
    with Project.open(project.folder) as reopened:
        assert reopened.entry(key).status == ImageStatus.DONE


def test_background_results_never_overwrite_user_edits(project: Project, painted) -> None:
    key = project.images[0].key
    mine = painted(seed=1)
    project.save_document(key, mine)
    written = project.save_document(key, painted(seed=2), status=ImageStatus.PRESEGMENTED,
                                    if_status={ImageStatus.NEW})
    assert written is False
    np.testing.assert_array_equal(project.load_document(key).id_map, mine.id_map)
    assert project.entry(key).status == ImageStatus.EDITED


def test_uncertainty_and_sizes_persist(project: Project, painted) -> None:
    key = project.images[1].key
    project.save_document(key, painted(), status=ImageStatus.PRESEGMENTED, uncertainty=0.25)
    project.close()
    with Project.open(project.folder) as reopened:
        entry = reopened.entry(key)
        assert (entry.uncertainty, entry.width, entry.height) == (0.25, 64, 48)


# -- categories, settings, images -----------------------------------------------------------
def test_settings_and_category_edits_persist(project: Project) -> None:
    project.settings["inference"] = {"model": "facebook/mask2former", "threshold": 0.6}
    added = project.categories.add("bicycle", isthing=True)
    project.categories.update(17, name="sky, heaven")
    project.save_manifest()
    project.close()
    with Project.open(project.folder) as reopened:
        assert reopened.settings == {"inference": {"model": "facebook/mask2former",
                                                   "threshold": 0.6}}
        assert reopened.categories[added.id].name == "bicycle"
        assert reopened.categories[17].name == "sky, heaven"


def test_a_thing_category_turned_stuff_still_loads(project: Project, categories) -> None:
    key = project.images[0].key
    doc = Document.blank(48, 64, project.categories)
    edits.add_mask(doc, np.ones((5, 5), bool), 3)
    edits.add_mask(doc, np.ones((5, 5), bool), 3, offset=(20, 20))
    project.save_document(key, doc)
    project.categories.update(3, isthing=False)
    project.save_manifest()
    loaded = project.load_document(key)
    assert [loaded.area(i) for i in loaded.segments] == [50]  # joined, as stuff must be


def test_add_images_skips_duplicates_and_non_images_and_refuses_outsiders(
        project: Project, photos: Path, tmp_path: Path) -> None:
    (photos / "readme.txt").write_text("x")
    Image.new("RGB", (4, 4)).save(photos / "b.png")
    added = project.add_images([photos / "a.jpg", "b.png", photos / "readme.txt",
                                photos / "missing.png"])
    assert [e.rel_path for e in added] == ["b.png"]
    Image.new("RGB", (4, 4)).save(tmp_path / "outside.png")
    with pytest.raises(ProjectError, match="outside the image folder"):
        project.add_images([tmp_path / "outside.png"])
    with pytest.raises(ProjectError, match="outside"):
        project.add_images(["../outside.png"])


def test_raw_outputs_live_in_the_project_per_key(project: Project) -> None:
    paths = {project.raw_outputs_path(e.key) for e in project.images}
    assert len(paths) == 4
    assert all(p.parent == project.folder / "raw" and p.suffix == ".npz" for p in paths)


def test_unknown_key_is_a_clear_error(project: Project) -> None:
    with pytest.raises(ProjectError, match="no image with key 'nope'"):
        project.load_document("nope")
    with pytest.raises(ProjectError, match="no saved annotation"):
        project.annotation_paths(project.images[0].key)


def test_a_read_only_project_still_opens_for_its_folder(photos: Path, make_read_only) -> None:
    Project.open_or_create_for_images(photos).close()
    Image.new("RGB", (8, 8)).save(photos / "later.png")
    make_read_only(photos.with_name("photos.panoptix"))
    with Project.open_or_create_for_images(photos) as project:
        assert len(project.images) == 4
    with Project.open(photos.with_name("photos.panoptix")):
        pass  # the first one released the folder
