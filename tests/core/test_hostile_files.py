"""Hostile files met in the wild: pipes named like PNGs, names that are not UTF-8, PNG
headers that lie about their size, huge datasets, a full disk during export, and project
settings out of range. Each one gives a clear line; none hangs, crashes or costs gigabytes."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest
from conftest_coco import (
    MAP_A,
    SEGMENTS_A,
    key_of,
    make_project,
    read_json,
    write_dataset,
    write_json,
)

from panoptix.core import imageio, panoptic_png
from panoptix.core.annotation_file import AnnotationError
from panoptix.core.atomic import StoreError
from panoptix.core.coco_export import ExportError, export_panoptic
from panoptix.core.coco_import import DatasetImportError, import_panoptic
from panoptix.core.manifest import ImageStatus, ProjectError
from panoptix.core.project import Project
from panoptix.core.validate import validate_panoptic

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
CLI_TIMEOUT_S = 60
HANG_S = 3.0


def fake_png(path: Path, width: int, height: int) -> None:
    """A PNG whose header claims ``width x height`` over a tiny, truncated IDAT: cheap to
    write, and costly only to whoever decodes it before looking at the header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "panoptix.cli", *args], capture_output=True,
                          text=True, timeout=CLI_TIMEOUT_S)


@pytest.fixture
def unblock_readers():
    """``unblock_readers(*fifos)``: a reader that wrongly opened one of these pipes gets
    end-of-file after a few seconds instead of hanging the test run forever."""
    stop = threading.Event()

    def watch(fifos: tuple[Path, ...]) -> None:
        while not stop.wait(HANG_S):
            for fifo in fifos:
                with contextlib.suppress(OSError):  # ENXIO: nobody is reading it
                    os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    def start(*fifos: Path) -> None:
        threading.Thread(target=watch, args=(fifos,), daemon=True).start()

    yield start
    stop.set()


@pytest.fixture
def never_decode(monkeypatch: pytest.MonkeyPatch) -> list:
    """Records every attempt to decode a panoptic PNG's pixels (and refuses it)."""
    calls: list = []

    def refuse(*args: object) -> None:
        calls.append(args)
        raise AssertionError("decoded a PNG whose header should have been refused")

    monkeypatch.setattr(panoptic_png.cv2, "imdecode", refuse)
    return calls


# -- pipes and other files that are not regular files (item 10) -----------------------------
@needs_fifo
def test_validate_of_a_pipe_named_like_a_png_reports_it_instead_of_hanging(tmp_path: Path):
    json_path = write_dataset(tmp_path)
    png = tmp_path / "panoptic_val" / "a.png"
    png.unlink()
    os.mkfifo(png)
    done = run_cli("validate", str(json_path))  # before: blocked in open() forever
    assert done.returncode == 1
    assert "a.png" in done.stdout and "not a regular file" in done.stdout


@needs_fifo
def test_validate_of_a_pipe_named_like_the_json_reports_it(tmp_path: Path):
    os.mkfifo(tmp_path / "panoptic_val.json")
    done = run_cli("validate", str(tmp_path / "panoptic_val.json"))
    assert done.returncode == 1 and "not a regular file" in done.stdout


@needs_fifo
def test_import_with_a_pipe_for_a_png_is_refused_in_one_line(tmp_path: Path):
    json_path = write_dataset(tmp_path)
    data = read_json(json_path)
    for image in data["images"]:
        imageio_path = tmp_path / "images" / image["file_name"]
        imageio_path.parent.mkdir(parents=True, exist_ok=True)
        from PIL import Image
        Image.new("RGB", (image["width"], image["height"])).save(imageio_path)
    png = tmp_path / "panoptic_val" / "b.2024.x.png"
    png.unlink()
    os.mkfifo(png)
    done = run_cli("import", str(json_path), "--images", str(tmp_path / "images"),
                   "--out", str(tmp_path / "proj"))
    assert done.returncode == 1
    assert "not a regular file" in done.stderr and done.stderr.count("\n") == 1
    assert not (tmp_path / "proj").exists()


@needs_fifo
def test_a_pipe_in_place_of_project_files_is_refused_not_read(photos: Path, categories,
                                                              unblock_readers):
    folder = photos.with_name("photos.panoptix")
    project = Project.create(folder, photos, sorted(photos.rglob("*.jpg")), categories)
    key = project.images[0].key
    project.close()
    os.mkfifo(folder / "annotations" / f"{key}.json")
    unblock_readers(folder / "annotations" / f"{key}.json", folder / "project.json")
    with Project.open(folder) as project, pytest.raises(AnnotationError,
                                                        match="not a regular file"):
        project.load_document(key)
    (folder / "project.json").unlink()
    os.mkfifo(folder / "project.json")
    with pytest.raises(StoreError, match="not a regular file"):
        Project.open(folder)


@needs_fifo
def test_images_that_are_pipes_are_neither_listed_nor_opened(tmp_path: Path, unblock_readers):
    os.mkfifo(tmp_path / "stream.jpg")
    unblock_readers(tmp_path / "stream.jpg")
    assert imageio.find_images(tmp_path) == []
    with pytest.raises(imageio.ImageLoadError, match="not a regular file"):
        imageio.load_image(tmp_path / "stream.jpg")
    with pytest.raises(imageio.ImageLoadError, match="not a regular file"):
        imageio.image_size(tmp_path / "stream.jpg")


# -- PNG headers checked before decoding, and the pixel limit on import (item 11) ------------
def test_an_annotation_png_larger_than_its_json_is_quarantined_without_decoding(
        project: Project, painted, never_decode):
    key = project.images[0].key
    project.save_document(key, painted())
    png, _json = project.annotation_paths(key)
    fake_png(png, 30000, 30000)  # 2.7 GB of pixels behind a few bytes
    with pytest.raises(AnnotationError, match="30000x30000"):
        project.load_document(key)
    assert never_decode == []
    assert not project.has_annotation(key)
    assert project.entry(key).status == ImageStatus.NEW


def test_import_refuses_images_over_the_pixel_limit_before_reading_any_png(
        tmp_path: Path, never_decode):
    json_path = write_dataset(tmp_path)
    data = read_json(json_path)
    data["images"][1].update(width=11000, height=11000)  # 121 MP
    write_json(json_path, data)
    fake_png(tmp_path / "panoptic_val" / "b.2024.x.png", 11000, 11000)
    with pytest.raises(DatasetImportError, match="120 MP limit") as refused:
        import_panoptic(json_path, tmp_path / "panoptic_val", tmp_path / "images",
                        tmp_path / "proj")
    assert "\n" not in str(refused.value) and "b.2024.x.jpg" in str(refused.value)
    assert never_decode == []
    assert not (tmp_path / "proj").exists()


# -- names that are not UTF-8 (item 8, core part) -------------------------------------------
def undecodable_file(folder: Path) -> Path:
    """``café.jpg`` in Latin-1: valid on Linux, not UTF-8; skips where the OS refuses it."""
    from PIL import Image

    raw = os.fsencode(folder) + b"/caf\xe9.jpg"
    try:
        with open(raw, "wb") as stream:
            Image.new("RGB", (8, 6)).save(stream, "JPEG")
    except (OSError, ValueError):
        pytest.skip("this file system refuses names that are not UTF-8")
    return Path(os.fsdecode(raw))


def test_a_folder_with_a_name_that_is_not_utf8_opens_with_the_others(tmp_path: Path):
    from PIL import Image

    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", (8, 6)).save(photos / "good.jpg")
    undecodable_file(photos)
    with Project.open_or_create_for_images(photos) as project:
        assert [e.rel_path for e in project.images] == ["good.jpg"]
        assert project.skipped == ["caf\\xe9.jpg: the name is not valid UTF-8; rename it"]
    with Project.open(tmp_path / "photos.panoptix") as project:
        assert [e.rel_path for e in project.images] == ["good.jpg"]


def test_an_image_path_that_is_not_utf8_in_a_manifest_is_refused(project: Project):
    folder = project.folder
    project.close()
    manifest = json.loads((folder / "project.json").read_text())
    images = [entry.to_json() for entry in project.images]
    images[0]["path"] = "caf\udce9.jpg"
    manifest.update(version=1, images=images)  # the list in project.json, as before
    (folder / "project.json").write_text(json.dumps(manifest))  # ASCII: \udce9 escaped
    with pytest.raises(ProjectError, match="not valid UTF-8"):
        Project.open(folder)


def test_an_image_path_that_is_not_utf8_in_the_image_table_is_refused(project: Project):
    from panoptix.core.project_reader import read_manifest

    project.close()
    with sqlite3.connect(project.folder / "project.sqlite") as db:
        db.execute("UPDATE images SET path = CAST(X'636166e92e6a7067' AS TEXT)"
                   " WHERE position = 1")  # caf\xe9.jpg
    for opener in (Project.open, read_manifest):
        with pytest.raises(ProjectError, match="UTF-8") as info:
            opener(project.folder)
        assert "\n" not in str(info.value)


# -- export on a full disk names the file it could not write (item 12) ----------------------
def test_a_full_disk_during_export_names_the_file_being_written(tmp_path: Path, monkeypatch):
    with make_project(tmp_path, {"a.jpg": (MAP_A, SEGMENTS_A, ImageStatus.DONE)}) as project:
        def full_disk(*args: object) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "sendfile", full_disk, raising=False)  # shutil's fast copy
        monkeypatch.setattr(os, "write", full_disk)  # and its fallback
        with pytest.raises(ExportError) as failure:
            export_panoptic(project, tmp_path / "out", "val", workers=1)
    message = str(failure.value)
    assert "cannot write" in message and "the disk is full" in message
    assert str(tmp_path / "out" / "panoptic_val" / "a.png") in message
    assert "annotations" not in message  # before: blamed the project's own PNG, "cannot read"


# -- image ids kept from an import are checked when the project opens (item 12) -------------
@pytest.mark.parametrize("ids", [{"a.jpg": 2**70}, {"a.jpg": -1}, {"a.jpg": "7"}, [1, 2]])
def test_stored_image_ids_out_of_range_are_refused_on_open(tmp_path: Path, ids):
    with make_project(tmp_path, {"a.jpg": (MAP_A, SEGMENTS_A, ImageStatus.DONE)}) as project:
        folder = project.folder
    manifest = json.loads((folder / "project.json").read_text())
    manifest["settings"]["coco_image_ids"] = ids
    (folder / "project.json").write_text(json.dumps(manifest))
    with pytest.raises(ProjectError, match="coco_image_ids"):
        Project.open(folder)


def test_stored_image_ids_in_range_are_used(tmp_path: Path):
    with make_project(tmp_path, {"a.jpg": (MAP_A, SEGMENTS_A, ImageStatus.DONE)}) as project:
        folder, key = project.folder, key_of(project, "a.jpg")
    manifest = json.loads((folder / "project.json").read_text())
    manifest["settings"]["coco_image_ids"] = {key: 2**63 - 1}
    (folder / "project.json").write_text(json.dumps(manifest))
    with Project.open(folder) as project:
        export_panoptic(project, tmp_path / "out", "val")
    assert validate_panoptic(tmp_path / "out" / "panoptic_val.json") == []
    assert read_json(tmp_path / "out" / "panoptic_val.json")["images"][0]["id"] == 2**63 - 1



@needs_fifo
def test_a_pipe_for_the_manifest_of_a_project_read_without_its_lock_is_refused(
        photos: Path, categories, unblock_readers):
    from panoptix.core.manifest import ProjectError
    from panoptix.core.project_reader import read_manifest

    folder = photos.with_name("photos.panoptix")
    Project.create(folder, photos, sorted(photos.rglob("*.jpg")), categories).close()
    (folder / "project.json").unlink()
    os.mkfifo(folder / "project.json")
    unblock_readers(folder / "project.json")  # what panoptix evaluate and train read
    with pytest.raises(ProjectError, match="not a regular file"):
        read_manifest(folder)


# -- every file a project names is read only if it is a regular file (issue 20, item 2) -----
@needs_fifo
def test_a_pipe_for_the_image_notes_neither_hangs_export_nor_the_window(tmp_path: Path):
    project = make_project(tmp_path, {"a.jpg": (MAP_A, SEGMENTS_A, ImageStatus.DONE)})
    folder = project.folder
    project.close()
    os.mkfifo(folder / "notes.json")
    done = subprocess.run([sys.executable, "-m", "panoptix.cli", "export", str(folder),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True,
                          timeout=20)  # before: blocked in open() forever
    assert done.returncode == 0, done.stderr
    code = ("import sys; from panoptix.core.image_notes import ImageNotes; "
            "print(ImageNotes(sys.argv[1]).problem)")  # what the window opens with the project
    seen = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True,
                          text=True, timeout=20)
    assert "not a regular file" in seen.stdout
    assert (folder / "notes.json").exists()  # left as it was, not moved aside


@needs_fifo
@pytest.mark.parametrize("reader", ["notes", "category table", "training record",
                                    "weight index", "model folder"])
def test_a_pipe_named_like_a_project_file_is_refused_at_once(tmp_path: Path, unblock_readers,
                                                            reader: str):
    from panoptix.core.categories import load_table
    from panoptix.core.image_notes import read_notes
    from panoptix.inference.model_files import check_local_folder, shard_names
    from panoptix.training.record import FILE_NAME, read_record

    names = {"notes": "notes.json", "category table": "table.json",
             "training record": FILE_NAME, "weight index": "model.safetensors.index.json",
             "model folder": "config.json"}
    fifo = tmp_path / names[reader]
    os.mkfifo(fifo)
    (tmp_path / "model.safetensors").write_bytes(b"")
    unblock_readers(fifo)
    calls = {"notes": lambda: read_notes(tmp_path),
             "category table": lambda: load_table(str(fifo)),
             "training record": lambda: read_record(tmp_path),
             "weight index": lambda: shard_names(fifo),
             "model folder": lambda: check_local_folder(tmp_path, False)}
    started = time.monotonic()
    try:
        outcome = repr(calls[reader]())
    except Exception as exc:  # noqa: BLE001 - the line each reader gives is what is checked
        outcome = str(exc)
    assert time.monotonic() - started < HANG_S  # before: waited for the unblocker
    expected = {"notes": "{}", "training record": "None"}.get(reader, "not a regular file")
    assert expected in outcome
