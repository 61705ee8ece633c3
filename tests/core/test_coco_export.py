"""COCO panoptic export: the format exactly, collision-free names, only-done, and failures
that leave the previous export intact."""

from __future__ import annotations

import errno
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest_coco import (
    CATEGORIES,
    MAP_A,
    MAP_B,
    SEGMENTS_A,
    SEGMENTS_B,
    ids_to_rgb,
    key_of,
    make_project,
    read_json,
    rgb_to_ids,
    segments_info,
)
from PIL import Image

from panoptix.core import coco_export, export_target
from panoptix.core.coco_export import ExportError, export_panoptic
from panoptix.core.manifest import ImageStatus
from panoptix.core.project import Project
from panoptix.core.validate import validate_panoptic

DONE, EDITED = ImageStatus.DONE, ImageStatus.EDITED


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    """a.jpg (edited) and a.png (done) share a stem; sub/b.2024.x.jpg has several dots;
    c.jpg has no annotation yet."""
    with make_project(tmp_path, {
        "a.jpg": (MAP_A, SEGMENTS_A, EDITED),
        "a.png": (MAP_B, SEGMENTS_B, DONE),
        "sub/b.2024.x.jpg": (MAP_A, SEGMENTS_A, DONE),
    }, blank=("c.jpg",)) as opened:
        yield opened


def leftovers(folder: Path) -> list[str]:
    """Hidden entries but the marks of what an export wrote."""
    return [p.name for p in folder.iterdir()
            if p.name.startswith(".") and not p.name.endswith(".panoptix-export")]


def test_export_is_valid_coco_panoptic_with_the_documented_layout(project, tmp_path):
    out = tmp_path / "out"
    result = export_panoptic(project, out, "val")
    assert result.paths == [out / "panoptic_val.json", out / "panoptic_val"]
    assert (result.images, result.segments, result.skipped) == (3, 9, ["c.jpg"])
    assert validate_panoptic(out / "panoptic_val.json") == []
    data = read_json(out / "panoptic_val.json")
    assert set(data) >= {"images", "annotations", "categories"}
    assert data["categories"] == CATEGORIES  # sparse ids, 0 included, kept as they are
    images = {image["file_name"]: image for image in data["images"]}
    assert set(images) == {"a.jpg", "a.png", "sub/b.2024.x.jpg"}
    assert len({image["id"] for image in data["images"]}) == 3
    assert all(isinstance(image["id"], int) for image in data["images"])
    pngs = {a["image_id"]: a["file_name"] for a in data["annotations"]}
    assert pngs[images["a.jpg"]["id"]] == "a.png"  # the JPEG keeps the stem
    assert pngs[images["a.png"]["id"]] == "a.png.png"
    assert pngs[images["sub/b.2024.x.jpg"]["id"]] == "sub/b.2024.x.png"
    assert leftovers(out) == []


def test_segments_info_is_exact(project, tmp_path):
    export_panoptic(project, tmp_path / "out", "val")
    data = read_json(tmp_path / "out" / "panoptic_val.json")
    image_id = next(i["id"] for i in data["images"] if i["file_name"] == "a.png")
    annotation = next(a for a in data["annotations"] if a["image_id"] == image_id)
    # area = pixel count, bbox w = xmax - xmin + 1, computed independently of the code
    expected = segments_info(MAP_B, SEGMENTS_B)
    assert sorted(annotation["segments_info"], key=lambda s: s["id"]) == sorted(
        expected, key=lambda s: s["id"])
    rgb = np.asarray(Image.open(tmp_path / "out" / "panoptic_val" / "a.png.png"))
    assert (rgb_to_ids(rgb) == MAP_B).all()


def test_pngs_are_copied_not_reencoded(project, tmp_path):
    export_panoptic(project, tmp_path / "out", "val")
    stored = project.annotation_paths(key_of(project, "a.jpg"))[0]
    assert (tmp_path / "out" / "panoptic_val" / "a.png").read_bytes() == stored.read_bytes()


def test_only_done_exports_only_images_marked_done(project, tmp_path):
    result = export_panoptic(project, tmp_path / "out", "done", only_done=True)
    data = read_json(tmp_path / "out" / "panoptic_done.json")
    assert sorted(i["file_name"] for i in data["images"]) == ["a.png", "sub/b.2024.x.jpg"]
    assert result.skipped == []
    # without a.jpg in this export, a.png's PNG keeps its own stem
    assert sorted(a["file_name"] for a in data["annotations"]) == ["a.png", "sub/b.2024.x.png"]


def test_image_ids_stay_the_same_across_exports(project, tmp_path):
    export_panoptic(project, tmp_path / "all", "x")
    export_panoptic(project, tmp_path / "done", "x", only_done=True)
    ids_all = {i["file_name"]: i["id"]
               for i in read_json(tmp_path / "all" / "panoptic_x.json")["images"]}
    ids_done = {i["file_name"]: i["id"]
                for i in read_json(tmp_path / "done" / "panoptic_x.json")["images"]}
    assert all(ids_all[name] == image_id for name, image_id in ids_done.items())


def test_default_name_comes_from_the_project(project, tmp_path):
    result = export_panoptic(project, tmp_path / "out")
    assert result.paths[0].name == "panoptic_photos.json"


@pytest.mark.parametrize("name", ["../x", "a/b", ".hidden", "x.json", "a b"])
def test_unsafe_export_names_are_refused(project, tmp_path, name):
    with pytest.raises(ExportError, match="export name"):
        export_panoptic(project, tmp_path / "out", name)
    assert not (tmp_path / "out").exists()


def test_a_category_turned_stuff_after_saving_is_joined_on_export(project, tmp_path):
    # a.png has two person segments (4 and 70000); person becomes stuff
    project.categories.update(1, isthing=False)
    export_panoptic(project, tmp_path / "out", "val")
    data = read_json(tmp_path / "out" / "panoptic_val.json")
    image_id = next(i["id"] for i in data["images"] if i["file_name"] == "a.png")
    annotation = next(a for a in data["annotations"] if a["image_id"] == image_id)
    people = [s for s in annotation["segments_info"] if s["category_id"] == 1]
    assert len(people) == 1 and people[0]["area"] == 5
    assert validate_panoptic(tmp_path / "out" / "panoptic_val.json") == []


def _first_export(project: Project, out: Path, files_of) -> dict[str, bytes]:
    export_panoptic(project, out, "val")
    return files_of(out)


def test_a_failed_validation_leaves_the_previous_export_intact(project, tmp_path, files_of):
    out = tmp_path / "out"
    before = _first_export(project, out, files_of)
    stored = project.annotation_paths(key_of(project, "a.jpg"))[0]
    tampered = MAP_A.copy()
    tampered[0, 0] = 7  # one more sky pixel than the saved JSON says
    Image.fromarray(ids_to_rgb(tampered)).save(stored)
    with pytest.raises(ExportError) as failure:
        export_panoptic(project, out, "val")
    assert "validation" in str(failure.value) and "\n" not in str(failure.value)
    assert {p.rule for p in failure.value.problems} == {"area", "bbox"}
    assert files_of(out) == before
    assert leftovers(out) == []


def test_a_full_disk_leaves_the_previous_export_intact(project, tmp_path, files_of,
                                                       monkeypatch):
    out = tmp_path / "out"
    before = _first_export(project, out, files_of)
    real_copy = shutil.copyfile
    calls = []

    def copy_until_full(source, target, *args, **kwargs):
        calls.append(target)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        return real_copy(source, target, *args, **kwargs)

    monkeypatch.setattr(coco_export.shutil, "copyfile", copy_until_full)
    with pytest.raises(ExportError, match="the disk is full") as failure:
        export_panoptic(project, out, "val", workers=1)
    assert "\n" not in str(failure.value)
    assert files_of(out) == before
    assert leftovers(out) == []


def test_a_read_only_output_folder_is_a_clear_error(project, tmp_path, files_of,
                                                    make_read_only):
    out = tmp_path / "out"
    before = _first_export(project, out, files_of)
    make_read_only(out)
    with pytest.raises(ExportError, match="permission denied|read-only") as failure:
        export_panoptic(project, out, "val")
    assert "\n" not in str(failure.value)
    assert files_of(out) == before


def test_a_failure_while_swapping_puts_the_previous_export_back(project, tmp_path, files_of,
                                                               monkeypatch):
    out = tmp_path / "out"
    before = _first_export(project, out, files_of)
    real_replace = export_target.os.replace
    failed = []

    def fail_on_the_json(source, target):
        if Path(target) == out / "panoptic_val.json" and not failed:
            failed.append(target)
            raise OSError(errno.EIO, "Input/output error", str(target))
        return real_replace(source, target)

    monkeypatch.setattr(export_target.os, "replace", fail_on_the_json)
    with pytest.raises(ExportError, match="input/output error"):
        export_panoptic(project, out, "val")
    monkeypatch.undo()
    assert files_of(out) == before
    assert leftovers(out) == []


def test_a_missing_stored_png_fails_with_its_name(project, tmp_path):
    project.annotation_paths(key_of(project, "a.png"))[0].unlink()
    with pytest.raises(ExportError, match=r"a\.png@1\.png"):
        export_panoptic(project, tmp_path / "out", "val")
    assert leftovers(tmp_path / "out") == []


def test_progress_reaches_the_total(project, tmp_path):
    seen: list[tuple[int, int]] = []
    export_panoptic(project, tmp_path / "out", "val", progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (3, 3) and [d for d, _ in seen] == [1, 2, 3]


def test_a_killed_exports_staging_folder_is_removed_but_a_live_one_is_kept(project, tmp_path):
    from panoptix.core.export_target import STAGE_PREFIX
    from panoptix.core.folder_lock import FolderLock

    out = tmp_path / "out"
    killed = out / f"{STAGE_PREFIX}val-killed"
    live = out / f"{STAGE_PREFIX}val-live"
    for stage in (killed, live):
        (stage / "panoptic_val").mkdir(parents=True)
        (stage / "panoptic_val.json").write_text("{")
    lock = FolderLock.acquire(live)  # an export still running holds its stage's lock
    try:
        export_panoptic(project, out, "val")
    finally:
        lock.release()
    assert not killed.exists()
    assert live.exists()
    assert leftovers(out) == [live.name]
    assert validate_panoptic(out / "panoptic_val.json") == []
