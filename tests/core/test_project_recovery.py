"""Crashes, damage and hostile disks: the store loses at most the save in flight, never a
file, and says clearly what went wrong."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panoptix.core import annotation_file, atomic
from panoptix.core.atomic import StoreError
from panoptix.core.categories import CategorySet
from panoptix.core.document import Document
from panoptix.core.project import AnnotationError, ImageStatus, Project
from panoptix.core.project_reader import read_manifest
from panoptix.core.segment import Segment


class Killed(BaseException):
    """Stands for the process dying at that point: nothing after it runs."""


def die(*args: object, **kwargs: object) -> None:
    raise Killed


def abandon(project: Project) -> None:
    """What the OS does for a killed process: drop its lock, flush nothing."""
    project.close(save=False)


def only_files(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


# -- a real kill ----------------------------------------------------------------------------
STATE = """
import numpy as np
from panoptix.core.segment import Segment

def state(step, height, width):
    rng = np.random.default_rng(step)
    ids = rng.integers(1, 300, size=(height // 8, width // 8), dtype=np.int32)
    ids = ids.repeat(8, 0).repeat(8, 1)
    return ids, {int(i): Segment(1, score=step / 1000) for i in np.unique(ids)}
"""

WRITER = STATE + """
import os
import sys
import time
from panoptix.core.document import Document
from panoptix.core.project import Project

real_fsync = os.fsync
def slow_fsync(fd):  # a slow disk: most of the loop is then spent inside a save's windows
    real_fsync(fd)
    time.sleep(0.003)
os.fsync = slow_fsync

project = Project.open(sys.argv[1])
key = project.images[0].key
height, width = project.load_document(key).shape
docs = [Document(*state(step, height, width), project.categories) for step in range(1, 13)]
for step, doc in enumerate(docs, start=1):  # the loop does little but save
    project.save_document(key, doc)
    print(step, flush=True)
"""


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("delay_s", [0.0, 0.005, 0.011, 0.017])
def test_sigkill_during_a_save_loop_keeps_the_last_completed_save(
        tmp_path: Path, categories: CategorySet, delay_s: float) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", (960, 720)).save(photos / "big.jpg")
    Project.create(tmp_path / "p", photos, [photos / "big.jpg"], categories).close()
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path / "p")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        printed = 0
        while printed < 3:
            line = child.stdout.readline()
            assert line, f"writer died: {child.stderr.read() if child.stderr else ''}"
            printed = int(line)
        time.sleep(delay_s)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        printed = max([printed, *(int(x) for x in child.stdout.read().split())])
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate()
    namespace: dict = {}
    exec(STATE, namespace)  # noqa: S102 - the very code the writer ran
    with Project.open(tmp_path / "p") as project:
        key = project.images[0].key
        doc = project.load_document(key)
        step = round(next(iter(doc.segments.values())).score * 1000)
        assert step in (printed, printed + 1)  # the last save that completed
        ids, segments = namespace["state"](step, 720, 960)
        np.testing.assert_array_equal(doc.id_map, ids)
        assert dict(doc.segments) == segments
        leftovers = only_files(project.folder / "annotations")
        assert leftovers == [f"{key}.json", f"{key}@{step}.png"]
        assert not [n for n in os.listdir(project.folder) if n.endswith(atomic.TEMP_SUFFIX)]


# -- every window of a save, deterministically ----------------------------------------------
def test_killed_after_the_new_png_before_the_json(project: Project, painted,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    key = project.images[0].key
    old = painted(seed=1)
    project.save_document(key, old)
    monkeypatch.setattr(annotation_file.atomic, "write_json", die)
    with pytest.raises(Killed):
        project.save_document(key, painted(seed=2))
    monkeypatch.undo()
    abandon(project)
    assert len(only_files(project.folder / "annotations")) == 3  # the new PNG is stranded
    with Project.open(project.folder) as reopened:
        np.testing.assert_array_equal(reopened.load_document(key).id_map, old.id_map)
        assert only_files(reopened.folder / "annotations") == [f"{key}.json", f"{key}@1.png"]


def test_killed_after_the_json_before_removing_the_old_png(
        project: Project, painted, monkeypatch: pytest.MonkeyPatch) -> None:
    key = project.images[0].key
    project.save_document(key, painted(seed=1))
    new = painted(seed=2)
    monkeypatch.setattr(annotation_file, "_remove_quietly", die)
    with pytest.raises(Killed):
        project.save_document(key, new)
    monkeypatch.undo()
    abandon(project)
    with Project.open(project.folder) as reopened:
        np.testing.assert_array_equal(reopened.load_document(key).id_map, new.id_map)
        assert only_files(reopened.folder / "annotations") == [f"{key}.json", f"{key}@2.png"]


def test_killed_before_the_manifest_the_annotation_status_wins(
        project: Project, painted, monkeypatch: pytest.MonkeyPatch) -> None:
    key = project.images[0].key
    monkeypatch.setattr(Project, "_store_rows", die)  # killed before the image's row
    with pytest.raises(Killed):
        project.save_document(key, painted(), status=ImageStatus.DONE)
    monkeypatch.undo()
    abandon(project)
    with Project.open(project.folder) as reopened:
        assert reopened.entry(key).status == ImageStatus.NEW  # the manifest missed it...
        reopened.load_document(key)
        assert reopened.entry(key).status == ImageStatus.DONE  # ...until the image is read
    with Project.open(project.folder) as again:
        assert again.entry(key).status == ImageStatus.DONE


def test_leftover_temp_files_are_removed_on_open(project: Project) -> None:
    abandon(project)
    temps = [project.folder / f".project.json.dead{atomic.TEMP_SUFFIX}",
             project.folder / "annotations" / f".a.jpg@4.png.dead{atomic.TEMP_SUFFIX}"]
    for temp in temps:
        temp.write_bytes(b"half")
    with Project.open(project.folder):
        assert not any(t.exists() for t in temps)


# -- damage ---------------------------------------------------------------------------------
def test_damaged_json_is_reported_moved_aside_and_the_image_starts_blank(
        project: Project, painted) -> None:
    key = project.images[0].key
    project.save_document(key, painted())
    png, json_path = project.annotation_paths(key)
    json_path.write_text('{"format": "panoptix-annotation", "segm')
    png_bytes = png.read_bytes()
    with pytest.raises(AnnotationError, match="damaged .*moved to .*starts blank") as info:
        project.load_document(key)
    assert "\n" not in str(info.value)
    (aside,) = (project.folder / "quarantine").iterdir()
    assert (aside / json_path.name).read_text().endswith("segm")
    assert (aside / png.name).read_bytes() == png_bytes
    assert not project.load_document(key).segments
    assert project.entry(key).status == ImageStatus.NEW


def test_a_png_from_another_save_is_caught(project: Project, painted) -> None:
    key = project.images[0].key
    project.save_document(key, painted(seed=1))
    png, _ = project.annotation_paths(key)
    other = project.images[1].key
    project.save_document(other, painted(seed=5))
    png.write_bytes(project.annotation_paths(other)[0].read_bytes())
    with pytest.raises(AnnotationError, match="disagree"):
        project.load_document(key)


def test_missing_png_is_reported(project: Project, painted) -> None:
    key = project.images[0].key
    project.save_document(key, painted())
    project.annotation_paths(key)[0].unlink()
    with pytest.raises(AnnotationError, match="missing"):
        project.load_document(key)


def test_hostile_png_name_is_refused(project: Project, painted) -> None:
    key = project.images[0].key
    project.save_document(key, painted())
    json_path = project.annotation_paths(key)[1]
    data = json.loads(json_path.read_text())
    data["png"] = "../project.json"
    json_path.write_text(json.dumps(data))
    with pytest.raises(AnnotationError, match="png must be named"):
        project.load_document(key)
    assert read_manifest(project.folder).images == project.images


def test_saving_over_a_damaged_annotation_keeps_a_copy(project: Project, painted) -> None:
    key = project.images[0].key
    project.save_document(key, painted())
    json_path = project.annotation_paths(key)[1]
    json_path.write_bytes(b"\x00garbage")
    project.save_document(key, painted(seed=3))
    (aside,) = (project.folder / "quarantine").iterdir()
    assert (aside / json_path.name).read_bytes() == b"\x00garbage"
    np.testing.assert_array_equal(project.load_document(key).id_map,
                                  painted(seed=3).id_map)


def test_segments_with_unknown_categories_are_reported(project: Project, painted) -> None:
    key = project.images[0].key
    project.save_document(key, painted())
    foreign = CategorySet([])
    project._manifest.categories = foreign  # as if the category table was swapped by hand
    with pytest.raises(AnnotationError, match="unknown category"):
        project.load_document(key)


# -- hostile disks --------------------------------------------------------------------------
def test_read_only_project_reads_fine_and_refuses_saves_clearly(
        project: Project, painted, make_read_only, files_of) -> None:
    key = project.images[0].key
    saved = painted()
    project.save_document(key, saved)
    project.close()
    before = files_of(project.folder)
    make_read_only(project.folder)
    with Project.open(project.folder) as reopened:
        doc = reopened.load_document(key)
        np.testing.assert_array_equal(doc.id_map, saved.id_map)
        with pytest.raises(StoreError, match="permission denied|read-only") as info:
            reopened.save_document(key, painted(seed=4))
        assert "\n" not in str(info.value)
    assert files_of(project.folder) == before


def test_full_disk_during_a_save_loses_nothing(project: Project, painted, files_of,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    key = project.images[0].key
    saved = painted()
    project.save_document(key, saved)
    before = files_of(project.folder)

    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(StoreError, match="disk is full"):
        project.save_document(key, painted(seed=9))
    monkeypatch.undo()
    assert files_of(project.folder) == before
    np.testing.assert_array_equal(project.load_document(key).id_map, saved.id_map)


def test_unwritable_parent_puts_the_project_in_the_user_data_folder(
        tmp_path: Path, make_read_only, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "dvd"
    (shared / "photos").mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(shared / "photos" / "a.jpg")
    make_read_only(shared)
    monkeypatch.setattr("panoptix.core.project_layout.user_data_path",
                        lambda *args, **kwargs: tmp_path / "user")
    with Project.open_or_create_for_images(shared / "photos") as project:
        assert (tmp_path / "user" / "projects") in project.folder.parents
        key = project.images[0].key
        project.save_document(key, Document(np.ones((8, 8), np.int32), {1: Segment(1)},
                                            project.categories))
    with Project.open_or_create_for_images(shared / "photos") as again:
        assert again.folder == project.folder and again.has_annotation(key)
