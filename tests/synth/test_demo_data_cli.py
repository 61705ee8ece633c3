"""``panoptix demo-data``: a checked dataset or a project; one line for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from panoptix.cli import main
from panoptix.core.project import ImageStatus, Project
from panoptix.core.validate import validate_panoptic


def test_demo_data_writes_a_valid_dataset_of_the_kinds_asked(tmp_path: Path, capsys) -> None:
    out = tmp_path / "demo"
    assert main(["demo-data", str(out), "--scenes", "harbour,kitchen", "--count", "3",
                 "--seed", "5", "--size", "160x120", "--name", "val"]) == 0
    assert "wrote 3 scenes" in capsys.readouterr().out
    assert validate_panoptic(out / "panoptic_val.json") == []
    assert sorted(p.name for p in (out / "images").iterdir()) == [
        "harbour_00000.jpg", "harbour_00001.jpg", "kitchen_00000.jpg"]


def test_demo_data_project_has_every_image_done(tmp_path: Path, capsys) -> None:
    assert main(["demo-data", str(tmp_path / "p"), "--count", "2", "--size", "96x64",
                 "--project"]) == 0
    assert str(tmp_path / "p" / "images.panoptix") in capsys.readouterr().out
    with Project.open(tmp_path / "p" / "images.panoptix") as project:
        assert [e.status for e in project.images] == [ImageStatus.DONE] * 2


@pytest.mark.parametrize(("arguments", "message"), [
    (["--scenes", "street,beach"], "unknown scene kind 'beach'"),
    (["--count", "0"], "at least 1"),
    (["--size", "640"], "not WIDTHxHEIGHT"),
    (["--size", "10x10"], "outside"),
    (["--seed", "-2"], "at least 0")])
def test_bad_arguments_exit_2_with_one_error_line(tmp_path: Path, capsys, arguments,
                                                  message) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["demo-data", str(tmp_path / "x"), *arguments])
    assert stop.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(errors) == 1 and message in errors[0]
    assert not (tmp_path / "x").exists()


def test_a_folder_that_is_not_empty_fails_with_one_line_and_is_left_alone(
        tmp_path: Path, capsys) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "notes.txt").write_text("mine")
    assert main(["demo-data", str(tmp_path / "x"), "--count", "1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not empty" in err[0]
    assert [p.name for p in (tmp_path / "x").iterdir()] == ["notes.txt"]
