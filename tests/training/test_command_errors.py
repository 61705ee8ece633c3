"""``panoptix train`` refuses bad input in one line and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from scenes import BALL, CATEGORIES, make_project

from panoptix.cli import main
from panoptix.core.document import Document
from panoptix.core.project import ImageStatus, Project


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str]:
    code = main(["train", *argv])
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if "error:" in line]
    return code, errors[-1] if errors else err


def models_folder(project: Path) -> list[str]:
    folder = project / "models"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_no_done_images(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    project = make_project(tmp_path, 3, done=0)
    code, line = run(capsys, str(project), "--from-scratch", "tiny", "--steps", "2")
    assert code == 1 and "no image" in line and "marked done" in line
    assert models_folder(project) == []


def test_fewer_than_two_categories_in_use(tmp_path: Path,
                                          capsys: pytest.CaptureFixture) -> None:
    project = make_project(tmp_path, 2)
    with Project.open(project) as opened:
        for entry in opened.images:
            document = opened.load_document(entry.key)
            ids = (document.id_map > 0).astype("int32")
            opened.save_document(entry.key, Document(ids, {1: _segment(BALL)}, CATEGORIES),
                                 ImageStatus.DONE)
    code, line = run(capsys, str(project), "--from-scratch", "tiny", "--steps", "2")
    assert code == 1 and "1 category (ball)" in line and "at least two" in line
    assert models_folder(project) == []


def test_a_base_that_is_no_model(tmp_path: Path, scenes_project: Path,
                                 capsys: pytest.CaptureFixture) -> None:
    not_a_model = tmp_path / "empty"
    not_a_model.mkdir()
    code, line = run(capsys, str(scenes_project), "--base", str(not_a_model))
    assert code == 1 and "holds no model weights" in line


def test_an_existing_model_or_interrupted_run_is_never_replaced(
        scenes_project: Path, capsys: pytest.CaptureFixture) -> None:
    (scenes_project / "models" / "mine").mkdir(parents=True)
    (scenes_project / "models" / "mine" / "model.safetensors").write_bytes(b"precious")
    code, line = run(capsys, str(scenes_project), "--from-scratch", "tiny", "--name", "mine")
    assert code == 1 and "a model named 'mine' exists" in line
    assert (scenes_project / "models" / "mine" / "model.safetensors").read_bytes() == \
        b"precious"
    (scenes_project / "models" / "run.partial").mkdir()
    code, line = run(capsys, str(scenes_project), "--from-scratch", "tiny", "--name", "run")
    assert code == 1 and "--resume" in line
    code, line = run(capsys, str(scenes_project), "--name", "other", "--resume")
    assert code == 1 and "no interrupted run named 'other'" in line


def test_bad_numbers_and_names(scenes_project: Path, capsys: pytest.CaptureFixture) -> None:
    code, line = run(capsys, str(scenes_project), "--from-scratch", "tiny", "--batch", "0",
                     "--val", "1.5")
    assert code == 1 and "--batch must be at least 1" in line and "--val" in line
    code, line = run(capsys, str(scenes_project), "--from-scratch", "tiny",
                     "--object-crops", "1.5")
    assert code == 1 and "--object-crops must be a probability from 0 to 1" in line
    code, line = run(capsys, str(scenes_project), "--from-scratch", "tiny", "--name", "../x")
    assert code == 1 and "cannot name a model folder" in line
    code, line = run(capsys, str(tmp_path_missing := scenes_project / "nope"))
    assert code == 1 and "no Panoptix project" in line and str(tmp_path_missing) in line


def _segment(category_id: int):
    from panoptix.core.segment import Segment

    return Segment(category_id)
