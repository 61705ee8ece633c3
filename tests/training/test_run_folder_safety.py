"""A training run writes and deletes only inside its own run folder, in the project
(issue 20, items 5-10): links out are refused, damaged run files are one line with nothing
deleted, one process per run folder, and a resume cleans the run's own leftovers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TINY = ["--from-scratch", "tiny", "--val", "0", "--workers", "0"]
REPO = Path(__file__).resolve().parents[2]


def train(*argv: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``panoptix train`` as its own process."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "desktop"), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "panoptix.cli", "train", *argv],
                          capture_output=True, text=True, env=env, timeout=timeout)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "error:" in line]


def files_under(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# -- item 5: a models/ link out of the project ------------------------------------------------
def test_a_models_link_out_of_the_project_is_refused_and_nothing_outside_is_touched(
        scenes_project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / ".run.writing").mkdir(parents=True)
    (outside / ".run.writing" / "keep.txt").write_text("keep")
    (scenes_project / "models").symlink_to(outside)
    done = train(str(scenes_project), *TINY, "--steps", "2", "--name", "run")
    assert done.returncode == 1, done.stderr[-2000:]  # before: 0, the model written outside
    lines = error_lines(done.stderr)
    assert len(lines) == 1 and "models is a link" in lines[0]
    assert files_under(outside) == {".run.writing/keep.txt": b"keep"}


@pytest.mark.parametrize("name", ["models", "quarantine", "export", "raw", "annotations"])
def test_every_folder_panoptix_writes_in_a_project_is_refused_as_a_link(
        scenes_project: Path, tmp_path: Path, name: str) -> None:
    from panoptix.core.manifest import ProjectError
    from panoptix.core.project import Project

    outside = tmp_path / "outside"
    outside.mkdir()
    target = scenes_project / name
    if target.is_dir():
        os.rename(target, outside / name)
        target.symlink_to(outside / name)
    else:
        target.symlink_to(outside)
    with pytest.raises(ProjectError, match=f"{name} is a link"):
        Project.open(scenes_project)
