"""The image list in project.sqlite: a save costs the same whatever the project's size,
format 1 projects are migrated once (a kill at any step loses nothing), a second process
reads while the first writes, and SIGKILL during writes loses no committed change."""

from __future__ import annotations

import errno
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from panoptix.core import project_store
from panoptix.core.atomic import StoreError
from panoptix.core.categories import CategorySet
from panoptix.core.image_table import TABLE_NAME, ImageTable
from panoptix.core.manifest import ImageStatus, ProjectError
from panoptix.core.project import Project
from panoptix.core.project_reader import read_manifest

SIZE = (64, 48)


class Killed(BaseException):
    """Stands for the process dying at that point."""


def die(*args: object, **kwargs: object) -> None:
    raise Killed


def format_1_project(tmp_path: Path, categories: CategorySet, count: int) -> Path:
    """A project of ``count`` images as an older Panoptix left it: the list in
    project.json (format 1). One image file is real; the others are only listed."""
    photos = tmp_path / "photos"
    photos.mkdir(parents=True)
    Image.new("RGB", SIZE).save(photos / "real.png")
    folder = tmp_path / "p"
    Project.create(folder, photos, [photos / "real.png"], categories).close()
    data = json.loads((folder / "project.json").read_text())
    statuses = list(ImageStatus)
    data.update(version=1, images=[
        {"key": "real.png", "path": "real.png", "status": "new", "width": SIZE[0],
         "height": SIZE[1], "uncertainty": None},
        *({"key": f"i{n:06d}.png", "path": f"d/i{n:06d}.png",
           "status": statuses[n % 4].value, "width": SIZE[0], "height": SIZE[1],
           "uncertainty": None if n % 3 else n / count} for n in range(count - 1))])
    (folder / "project.json").write_text(json.dumps(data))
    for name in (TABLE_NAME, f"{TABLE_NAME}-wal", f"{TABLE_NAME}-shm"):
        (folder / name).unlink(missing_ok=True)  # as a project made before the table
    return folder


def bytes_written() -> int:
    """Bytes this process has passed to write() so far (Linux)."""
    with open("/proc/self/io") as stream:
        return next(int(line.split()[1]) for line in stream if line.startswith("wchar"))


# -- cost of a save ---------------------------------------------------------------------------
@pytest.mark.skipif(not os.path.exists("/proc/self/io"), reason="counts bytes via /proc")
def test_saving_one_image_writes_as_much_in_a_big_project_as_in_a_small_one(
        tmp_path: Path, categories: CategorySet, painted) -> None:
    written = {}
    for count in (10, 4000):
        with Project.open(format_1_project(tmp_path / str(count), categories, count)
                          ) as project:
            project.save_document("real.png", painted(seed=1))  # first save: warm up
            doc = painted(seed=2)
            before = bytes_written()
            project.save_document("real.png", doc)
            project.set_status("i000001.png", ImageStatus.DONE)
            written[count] = bytes_written() - before
    # project.json of 4,000 images is ~400 KB: rewriting it on each save would show here
    assert written[4000] < written[10] * 1.5 + 8192, written


def test_a_save_writes_one_row_and_not_project_json(tmp_path: Path, categories,
                                                    painted) -> None:
    with Project.open(format_1_project(tmp_path, categories, 500)) as project:
        manifest = (project.folder / "project.json").stat()
        rows = project.rows_written
        project.save_document("real.png", painted(), status=ImageStatus.DONE,
                              uncertainty=0.25)
        assert project.rows_written == rows + 1
        assert (project.folder / "project.json").stat().st_mtime_ns == manifest.st_mtime_ns
    again = read_manifest(project.folder)
    assert again.images[0].status == ImageStatus.DONE and again.images[0].uncertainty == 0.25


# -- migration --------------------------------------------------------------------------------
def test_a_format_1_project_is_migrated_once_and_its_file_kept(tmp_path: Path,
                                                              categories) -> None:
    folder = format_1_project(tmp_path, categories, 50)
    original = (folder / "project.json").read_bytes()
    before = read_manifest(folder)  # a reader sees the list in the old file, writes nothing
    assert len(before.images) == 50 and not (folder / TABLE_NAME).exists()
    with Project.open(folder) as project:
        assert project.images == before.images
        assert project.settings == before.settings
    data = json.loads((folder / "project.json").read_text())
    assert data["version"] == 2 and "images" not in data
    assert (folder / "project-v1.json.bak").read_bytes() == original
    assert read_manifest(folder).images == before.images
    backup = (folder / "project-v1.json.bak").stat().st_mtime_ns
    with Project.open(folder) as project:  # not migrated again
        assert project.images == before.images
    assert (folder / "project-v1.json.bak").stat().st_mtime_ns == backup


@pytest.mark.parametrize("step", ["build", "write_json"])
def test_a_migration_killed_at_any_step_is_done_again_on_the_next_open(
        tmp_path: Path, categories, monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    folder = format_1_project(tmp_path, categories, 30)
    expected = read_manifest(folder).images
    target = ImageTable if step == "build" else project_store.atomic
    monkeypatch.setattr(target, step, die)
    with pytest.raises(Killed):
        Project.open(folder)
    monkeypatch.undo()
    assert json.loads((folder / "project.json").read_text())["version"] == 1
    with Project.open(folder) as project:
        assert project.images == expected
    assert not [name for name in os.listdir(folder) if name.endswith(".panoptix-tmp")]


def test_an_older_panoptix_refuses_the_new_format_clearly(tmp_path: Path, categories) -> None:
    folder = format_1_project(tmp_path, categories, 3)
    Project.open(folder).close()
    with sqlite3.connect(folder / TABLE_NAME) as db:
        db.execute("PRAGMA user_version = 9")
    with pytest.raises(ProjectError, match="newer Panoptix"):
        Project.open(folder)


# -- hostile tables ---------------------------------------------------------------------------
@pytest.mark.parametrize(("sql", "message"), [
    ("UPDATE images SET key = '../evil' WHERE position = 1", "safe file name"),
    ("UPDATE images SET path = '/etc/passwd' WHERE position = 1", "absolute"),
    ("UPDATE images SET status = 'finished' WHERE position = 1", "status must be"),
    ("UPDATE images SET width = -3 WHERE position = 1", "width"),
    ("UPDATE images SET key = 'I000002.PNG' WHERE position = 1", "appears twice"),
])
def test_a_hostile_row_is_refused_in_one_line(tmp_path: Path, categories, sql: str,
                                              message: str) -> None:
    folder = format_1_project(tmp_path, categories, 5)
    Project.open(folder).close()
    with sqlite3.connect(folder / TABLE_NAME) as db:
        db.execute(sql)
    for opener in (Project.open, read_manifest):
        with pytest.raises(ProjectError, match=message) as info:
            opener(folder)
        assert TABLE_NAME in str(info.value) and "\n" not in str(info.value)


def test_a_damaged_or_linked_table_is_refused_in_one_line(tmp_path: Path, categories) -> None:
    folder = format_1_project(tmp_path, categories, 5)
    Project.open(folder).close()
    table = folder / TABLE_NAME
    table.write_bytes(b"garbage " * 1000)
    with pytest.raises(ProjectError, match="project.sqlite is damaged"):
        Project.open(folder)
    outside = tmp_path / "elsewhere.sqlite"
    ImageTable.build(outside, [])
    table.unlink()
    table.symlink_to(outside)
    with pytest.raises(ProjectError, match="not a regular file"):
        Project.open(folder)
    table.unlink()
    with pytest.raises(ProjectError, match="project.sqlite is missing"):
        Project.open(folder)


def test_queries_by_status_and_least_confident_first(tmp_path: Path, categories) -> None:
    folder = format_1_project(tmp_path, categories, 9)
    Project.open(folder).close()
    table = ImageTable.open(folder / TABLE_NAME, writable=False)
    try:
        assert table.count_by_status() == {ImageStatus.NEW: 3, ImageStatus.PRESEGMENTED: 2,
                                           ImageStatus.EDITED: 2, ImageStatus.DONE: 2}
        assert table.keys([ImageStatus.DONE]) == ["i000003.png", "i000007.png"]
        assert table.keys(least_confident_first=True, limit=3) == [
            "i000006.png", "i000003.png", "i000000.png"]
    finally:
        table.close()


# -- a second process -------------------------------------------------------------------------
WRITER = """
import os, sys, time
from panoptix.core.project import Project, ImageStatus
real_fsync = os.fsync
def slow_fsync(fd):  # a slow disk, so that a kill often lands inside a write
    real_fsync(fd)
    time.sleep(0.002)
os.fsync = slow_fsync
project = Project.open(sys.argv[1])
keys = [entry.key for entry in project.images]
print("open", flush=True)
for n, key in enumerate(keys, start=1):
    project.set_status(key, ImageStatus.DONE)
    print(n, flush=True)
project.close()
"""


def start_writer(folder: Path) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(folder)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line == "open\n", f"writer failed: {line} {child.stderr.read()}"  # type: ignore[union-attr]
    return child


def done_prefix(statuses: list[ImageStatus]) -> int:
    """How many images the writer has marked done; they must be the first ones."""
    done = statuses.count(ImageStatus.DONE)
    assert all(s == ImageStatus.DONE for s in statuses[:done])
    assert ImageStatus.DONE not in statuses[done:]
    return done


def all_new(tmp_path: Path, categories, count: int) -> Path:
    folder = format_1_project(tmp_path, categories, count)
    with Project.open(folder) as project:
        for entry in project.images:
            if entry.status != ImageStatus.NEW:
                project.set_status(entry.key, ImageStatus.NEW)
    return folder


def test_a_reader_sees_every_committed_change_while_another_process_writes(
        tmp_path: Path, categories) -> None:
    folder = all_new(tmp_path, categories, 300)
    child = start_writer(folder)
    progress = [0]

    def follow() -> None:
        for line in child.stdout:  # type: ignore[union-attr]
            progress[0] = int(line)

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    seen, reads = 0, 0
    try:
        while child.poll() is None or reads == 0:
            printed = progress[0]
            images = read_manifest(folder).images  # never fails, never waits for the writer
            assert len(images) == 300
            done = done_prefix([entry.status for entry in images])
            assert printed <= done >= seen  # every change reported is there, none go back
            seen, reads = done, reads + 1
        assert child.wait(30) == 0, child.stderr.read()  # type: ignore[union-attr]
    finally:
        if child.poll() is None:
            child.kill()
        follower.join(10)
        child.communicate()
    assert reads > 3 and done_prefix([e.status for e in read_manifest(folder).images]) == 300


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("delay_s", [0.0, 0.013, 0.029])
def test_sigkill_while_writing_statuses_keeps_every_completed_change(
        tmp_path: Path, categories, delay_s: float) -> None:
    folder = all_new(tmp_path, categories, 400)
    child = start_writer(folder)
    try:
        printed = 0
        while printed < 5:
            printed = int(child.stdout.readline())  # type: ignore[union-attr]
        time.sleep(delay_s)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        printed = max([printed, *map(int, child.stdout.read().split())])  # type: ignore[union-attr]
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate()
    assert printed < 400, "the writer finished before the kill: nothing was tested"
    assert done_prefix([e.status for e in read_manifest(folder).images]) in (
        printed, printed + 1)
    with Project.open(folder) as project:
        assert done_prefix([e.status for e in project.images]) in (printed, printed + 1)
        project.set_status("real.png", ImageStatus.EDITED)  # and it goes on working
    assert read_manifest(folder).images[0].status == ImageStatus.EDITED


def test_a_project_folder_that_cannot_be_written_is_refused_with_its_reason(
        tmp_path: Path, categories, make_read_only) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", SIZE).save(photos / "a.png")
    folder = tmp_path / "p"
    (folder / "annotations").mkdir(parents=True)
    make_read_only(folder)
    with pytest.raises(StoreError) as info:  # errno: open_or_create tries elsewhere
        Project.create(folder, photos, [photos / "a.png"], categories)
    assert info.value.errno in (errno.EACCES, errno.EPERM, errno.EROFS), info.value
