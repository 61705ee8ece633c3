"""What a project owns and guards: its lock outlives a deleted ``.lock`` file (also across
processes), its own files never become images, and links never lead its clean-up outside."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image

from panoptix.core.folder_lock import LOCK_NAME, ProjectLockedError
from panoptix.core.imageio import find_images
from panoptix.core.manifest import ProjectError
from panoptix.core.project import Project

posix_only = pytest.mark.skipif(os.name == "nt", reason="Windows refuses to delete open files")


# -- the folder lock (item 5) ----------------------------------------------------------------
@posix_only
def test_deleting_the_lock_file_does_not_let_a_second_writer_in(project: Project):
    folder = project.folder
    os.unlink(folder / LOCK_NAME)
    with pytest.raises(ProjectLockedError, match="open in another"):
        Project.open(folder)
    project.close()
    Project.open(folder).close()  # released: opens again, and makes a new .lock


@posix_only
def test_a_live_process_keeps_its_project_even_when_its_lock_file_is_deleted(
        project: Project, tmp_path: Path):
    folder = project.folder
    project.close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from panoptix.core.project import Project
            project = Project.open({str(folder)!r})
            print("open", flush=True)
            sys.stdin.read()
            """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        os.unlink(folder / LOCK_NAME)
        with pytest.raises(ProjectLockedError):
            Project.open(folder)
    finally:
        holder.kill()  # SIGKILL: the OS drops its locks
        holder.wait(timeout=30)
    Project.open(folder).close()


def test_a_lock_file_that_is_a_link_is_not_followed(project: Project, tmp_path: Path):
    folder = project.folder
    project.close()
    outside = tmp_path / "outside.txt"
    os.unlink(folder / LOCK_NAME)
    os.symlink(outside, folder / LOCK_NAME)
    with pytest.raises(ProjectError, match="link"):
        Project.open(folder)
    assert not outside.exists()


# -- links out of the project (item 7) -------------------------------------------------------
@pytest.mark.parametrize("name", ["annotations", "raw", "quarantine"])
def test_a_project_folder_linked_outside_is_refused_and_nothing_outside_is_deleted(
        project: Project, tmp_path: Path, name: str):
    folder = project.folder
    project.close()
    outside = tmp_path / "someone-elses-files"
    outside.mkdir()
    victim = outside / "holiday@1.png"  # a name the orphan clean-up would delete
    victim.write_bytes(b"precious")
    temp = outside / ".holiday.json.1234abcd.panoptix-tmp"  # and one the temp clean-up would
    temp.write_bytes(b"precious too")
    if (folder / name).exists():
        for child in (folder / name).iterdir():
            child.rename(outside / child.name)
        (folder / name).rmdir()
    os.symlink(outside, folder / name, target_is_directory=True)
    with pytest.raises(ProjectError, match="link"):
        Project.open(folder)
    assert victim.read_bytes() == b"precious" and temp.read_bytes() == b"precious too"


# -- the project's own files are never images (item 4, core part) ---------------------------
def test_a_project_inside_its_image_folder_never_adds_its_own_files(tmp_path: Path,
                                                                     categories):
    photos = tmp_path / "in1"
    photos.mkdir()
    for name in ("a.jpg", "b.jpg"):
        Image.new("RGB", (16, 12)).save(photos / name)
    inner = photos / "proj"  # not named *.panoptix
    with Project.open_or_create_for_images(photos, project_folder=inner,
                                           categories=categories) as project:
        key = project.images[0].key
        project.save_document(key, project.load_document(key))
        assert list((inner / "annotations").glob("*.png"))
    for _ in range(2):
        with Project.open_or_create_for_images(photos, project_folder=inner) as project:
            assert sorted(e.rel_path for e in project.images) == ["a.jpg", "b.jpg"]
            added = project.add_images(sorted(inner.rglob("*.png")))
            assert added == []
    assert [p.name for p in find_images(photos, recursive=True)] == ["a.jpg", "b.jpg"]


def test_another_folder_holding_a_project_is_never_scanned(tmp_path: Path, categories):
    photos = tmp_path / "photos"
    (photos / "old").mkdir(parents=True)
    Image.new("RGB", (16, 12)).save(photos / "a.jpg")
    Image.new("RGB", (16, 12)).save(photos / "old" / "b.jpg")
    Project.create(photos / "old", photos / "old", [photos / "old" / "b.jpg"],
                   categories).close()
    assert [p.name for p in find_images(photos, recursive=True)] == ["a.jpg"]


def test_a_path_that_does_not_exist_is_named_as_missing_and_nothing_is_made(tmp_path: Path):
    missing = tmp_path / "holiday photos"
    with pytest.raises(ProjectError, match=r"^.*holiday photos does not exist$"):
        Project.open_or_create_for_images(missing)
    assert list(tmp_path.iterdir()) == []
