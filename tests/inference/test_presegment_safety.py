"""``panoptix presegment`` under awkward input: a project inside its image folder, a folder
it has open in a window, pickle weights allowed once, names that are not UTF-8, and input
that is not an image. Each is handled or refused in one line; nothing is lost."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image

from panoptix.cli import main
from panoptix.core.folder_lock import LOCK_NAME
from panoptix.core.project import ImageStatus, Project

FIND_ALL = ["--threshold", "0", "--mask-threshold", "0.001", "--overlap-threshold", "0"]


@pytest.fixture
def in1(tmp_path: Path) -> Path:
    folder = tmp_path / "in1"
    folder.mkdir()
    for index in range(3):
        Image.new("RGB", (40 + index, 32), (30 * index, 90, 200)).save(folder / f"{index}.jpg")
    return folder


@pytest.fixture(scope="module")
def pickle_only_dir(mask2former_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    from panoptix.inference.loading import load_model

    folder = tmp_path_factory.mktemp("pickled") / "model"
    shutil.copytree(mask2former_dir, folder)
    torch.save(load_model(str(mask2former_dir)).model.state_dict(),
               folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    return folder


def rel_paths(project_dir: Path) -> list[str]:
    with Project.open(project_dir) as project:
        return sorted(entry.rel_path for entry in project.images)


# -- item 4: the project's own files are never input -----------------------------------------
def test_out_inside_the_image_folder_is_excluded_with_a_message_run_after_run(
        in1: Path, mask2former_dir: Path, capsys: pytest.CaptureFixture) -> None:
    out = in1 / "proj"
    for _ in range(2):  # before: 3 images, then 3 + the project's own PNGs
        assert main(["presegment", str(in1), "--out", str(out), "--model",
                     str(mask2former_dir), "--force"]) == 0
        assert rel_paths(out) == ["0.jpg", "1.jpg", "2.jpg"]
        err = capsys.readouterr().err
        assert f"{out} is inside {in1}: its files are not taken as images" in err


def test_out_that_is_the_image_folder_itself_is_refused(
        in1: Path, mask2former_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["presegment", str(in1), "--out", str(in1), "--model",
                 str(mask2former_dir)]) == 2
    assert "is the image folder itself" in capsys.readouterr().err
    assert not (in1 / "project.json").exists()


# -- item 5: a project open elsewhere is never overwritten ------------------------------------
@pytest.mark.skipif(os.name == "nt", reason="Windows refuses to delete open files")
def test_force_cannot_overwrite_a_project_open_in_another_process_after_its_lock_file_is_gone(
        in1: Path, tmp_path: Path, mask2former_dir: Path,
        capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "in1.panoptix"
    assert main(["presegment", str(in1), "--out", str(out), "--model",
                 str(mask2former_dir)]) == 0
    before = {p.name: p.read_bytes() for p in (out / "annotations").iterdir()}
    holder = subprocess.Popen(  # stands in for the window, which holds the project open
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from panoptix.core.project import Project
            project = Project.open({str(out)!r})
            print("open", flush=True)
            sys.stdin.read()
            """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        os.unlink(out / LOCK_NAME)
        capsys.readouterr()
        assert main(["presegment", str(in1), "--out", str(out), "--force", *FIND_ALL]) == 2
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert "open in another Panoptix window or process" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in (out / "annotations").iterdir()} == before


# -- item 6: allowing pickle weights is per run, never read from a project file ---------------
def test_allow_pickle_is_neither_stored_nor_inherited(
        in1: Path, tmp_path: Path, pickle_only_dir: Path,
        capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "proj"
    assert main(["presegment", str(in1), "--out", str(out), "--model", str(pickle_only_dir),
                 "--allow-pickle"]) == 0
    manifest = json.loads((out / "project.json").read_text())
    assert "allow_pickle" not in manifest["settings"]["inference"]
    capsys.readouterr()
    assert main(["presegment", str(in1), "--out", str(out), "--force"]) == 2
    assert "allow-pickle" in capsys.readouterr().err


def test_allow_pickle_written_into_a_project_file_by_someone_else_is_ignored(
        in1: Path, tmp_path: Path, pickle_only_dir: Path,
        capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "proj"
    with Project.open_or_create_for_images(in1, project_folder=out) as project:
        project.settings["inference"] = {"model": str(pickle_only_dir), "allow_pickle": True}
        project.save_manifest()
    assert main(["presegment", str(in1), "--out", str(out)]) == 2
    assert "pickle weights" in capsys.readouterr().err
    assert set(s.value for s in statuses(out)) == {"new"}


def statuses(out: Path) -> list[ImageStatus]:
    with Project.open(out) as project:
        return [entry.status for entry in project.images]


# -- item 8: a name that is not UTF-8 is skipped with one line; the rest is done -------------
def test_a_file_name_that_is_not_utf8_is_skipped_and_named(
        in1: Path, tmp_path: Path, mask2former_dir: Path,
        capsys: pytest.CaptureFixture) -> None:
    raw = os.fsencode(in1) + b"/caf\xe9.jpg"
    try:
        with open(raw, "wb") as stream:
            Image.new("RGB", (8, 6)).save(stream, "JPEG")
    except (OSError, ValueError):
        pytest.skip("this file system refuses names that are not UTF-8")
    out = tmp_path / "proj"
    assert main(["presegment", str(in1), "--out", str(out), "--model",
                 str(mask2former_dir)]) == 0
    err = capsys.readouterr().err
    skipped = [line for line in err.splitlines() if "caf\\xe9.jpg" in line]
    assert len(skipped) == 1 and "not valid UTF-8" in skipped[0]
    skipped[0].encode("ascii")  # the name is shown escaped: any terminal can print it
    assert rel_paths(out) == ["0.jpg", "1.jpg", "2.jpg"]
    assert set(statuses(out)) == {ImageStatus.PRESEGMENTED}


# -- item 12: input that is not an image ------------------------------------------------------
def test_a_file_that_is_not_an_image_is_refused_not_made_an_empty_project(
        tmp_path: Path, mask2former_dir: Path, capsys: pytest.CaptureFixture) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")
    out = tmp_path / "proj"
    assert main(["presegment", str(notes), "--out", str(out), "--model",
                 str(mask2former_dir)]) == 2
    err = capsys.readouterr().err
    assert "notes.txt" in err and "not an image" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


# -- item 10: raw outputs are read only from a regular file ----------------------------------
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_pipe_in_place_of_raw_outputs_is_refused_not_read(tmp_path: Path) -> None:
    from panoptix.inference.raw_outputs import RawOutputs, RawOutputsError

    os.mkfifo(tmp_path / "a.npz")
    with pytest.raises(RawOutputsError, match="not a regular file"):
        RawOutputs.load(tmp_path / "a.npz")  # before: blocked until a writer came
