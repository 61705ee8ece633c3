"""A training run writes and deletes only inside its own run folder, in the project
(issue 20, items 5-10): links out are refused, damaged run files are one line with nothing
deleted, one process per run folder, and a resume cleans the run's own leftovers."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import zlib
from pathlib import Path

import cv2
import pytest
import torch

from panoptix.cli import main
from panoptix.training import progress

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


@pytest.mark.parametrize("planted", [".run.writing", "run.partial", "run"])
def test_a_link_for_one_of_the_runs_folders_is_refused(scenes_project: Path, tmp_path: Path,
                                                       planted: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    (scenes_project / "models").mkdir()
    (scenes_project / "models" / planted).symlink_to(outside)
    done = train(str(scenes_project), *TINY, "--steps", "2", "--name", "run")
    one_error(done, planted, "is a link")
    assert files_under(outside) == {"keep.txt": b"keep"}


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


# -- items 6-10: an interrupted run's folder ------------------------------------------------
def stop_at(monkeypatch: pytest.MonkeyPatch, stop: int) -> None:
    """The next run in this process is stopped (as by Ctrl-C) after step ``stop``."""
    real_step = progress.Reporter.step

    def step_then_stop(self, step, loss, lr, eta_s):  # noqa: ANN001
        real_step(self, step, loss, lr, eta_s)
        if step == stop:
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(progress.Reporter, "step", step_then_stop)


@pytest.fixture
def interrupted(scenes_project: Path, monkeypatch: pytest.MonkeyPatch,
                capsys: pytest.CaptureFixture) -> Path:
    """An interrupted run 'run' of 4 steps, stopped with its checkpoint at step 2; returns
    its partial folder."""
    stop_at(monkeypatch, 2)
    assert main(["train", str(scenes_project), *TINY, "--steps", "4", "--name", "run"]) == 130
    monkeypatch.undo()
    capsys.readouterr()
    partial = scenes_project / "models" / "run.partial"
    assert (partial / "checkpoint.pt").is_file()
    return partial


def resume(partial: Path) -> subprocess.CompletedProcess:
    return train(str(partial.parents[1]), "--name", "run", "--resume", "--workers", "0")


def one_error(done: subprocess.CompletedProcess, *words: str) -> str:
    assert done.returncode == 1, done.stderr[-3000:]
    lines = error_lines(done.stderr)
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr[-3000:]
    assert all(word in lines[0] for word in words), lines[0]
    return lines[0]


def test_resume_checks_the_labels_png_header_before_decoding_it(
        interrupted: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:
    data = json.loads((interrupted / "data.json").read_text())
    header = (30000).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])  # 8-bit gray

    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + \
            zlib.crc32(kind + body).to_bytes(4, "big")

    huge = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + \
        chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    data[0]["ids_png"] = base64.b64encode(huge).decode("ascii")
    (interrupted / "data.json").write_text(json.dumps(data))
    before = files_under(interrupted)
    monkeypatch.setattr(cv2, "imdecode", lambda *a: pytest.fail("decoded before checking"))
    code = main(["train", str(interrupted.parents[1]), "--name", "run", "--resume",
                 "--workers", "0"])
    lines = error_lines(capsys.readouterr().err)
    assert code == 1 and len(lines) == 1
    assert "data.json" in lines[0] and "30000x30000" in lines[0]
    assert files_under(interrupted) == before


def test_a_damaged_run_json_is_one_line_naming_it_and_nothing_is_deleted(
        interrupted: Path) -> None:
    run = json.loads((interrupted / "run.json").read_text())
    run["settings"]["turbo"] = True
    (interrupted / "run.json").write_text(json.dumps(run))
    before = files_under(interrupted)
    one_error(resume(interrupted), "run.json", "turbo")
    assert files_under(interrupted) == before


def test_a_checkpoint_with_other_weights_is_one_line_naming_it(interrupted: Path) -> None:
    state = torch.load(interrupted / "checkpoint.pt", weights_only=True)
    state["model"] = {"not.a.weight": torch.zeros(2)}
    torch.save(state, interrupted / "checkpoint.pt")
    before = files_under(interrupted)
    one_error(resume(interrupted), "checkpoint.pt", "weights")
    assert files_under(interrupted) == before


def test_a_checkpoint_beyond_the_runs_steps_is_refused(interrupted: Path) -> None:
    state = torch.load(interrupted / "checkpoint.pt", weights_only=True)
    state["step"] = 10**9
    torch.save(state, interrupted / "checkpoint.pt")
    before = files_under(interrupted)
    one_error(resume(interrupted), "checkpoint.pt", "1000000000")
    assert files_under(interrupted) == before
    assert not (interrupted.parent / "run").exists()  # before: "finished" at once


def test_one_process_per_run_folder(interrupted: Path) -> None:
    from panoptix.core.folder_lock import FolderLock

    held = FolderLock.acquire(interrupted)  # another train --resume of the same run
    try:
        before = files_under(interrupted)
        one_error(resume(interrupted), "run.partial", "another")
        assert files_under(interrupted) == before
    finally:
        assert held is not None
        held.release()


def test_resume_removes_the_runs_own_temporary_files(
        interrupted: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    leftovers = [interrupted / ".checkpoint.pt.0a1b2c3d.panoptix-tmp",
                 interrupted / ".best.safetensors.0a1b2c3d.panoptix-tmp"]
    for path in leftovers:
        path.write_bytes(b"half a write")
    stop_at(monkeypatch, 3)  # the resumed run is stopped again: the folder stays
    assert main(["train", str(interrupted.parents[1]), "--name", "run", "--resume",
                 "--workers", "0"]) == 130
    assert not any(path.exists() for path in leftovers)
    assert torch.load(interrupted / "checkpoint.pt", weights_only=True)["step"] == 3


def test_a_training_whose_reader_dies_stops_at_its_step_and_keeps_it(
        scenes_project: Path) -> None:
    """The window that started a training is killed: the training's stdout and stderr
    pipes break. It stops after the step in flight with a checkpoint of it, instead of
    a BrokenPipeError traceback that kept only the last periodic checkpoint."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "desktop"), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "panoptix.cli", "train", str(scenes_project), *TINY,
               "--steps", "500", "--checkpoint-every", "400", "--name", "orphan",
               "--progress", "json"]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env)
    assert process.stdout is not None and process.stderr is not None
    seen = 0
    for line in process.stdout:
        if b'"event": "step"' in line:
            seen = json.loads(line)["step"]
            break
    process.stdout.close()  # what the window's death does to the pipes
    process.stderr.close()
    assert process.wait(120) == 130  # before: 1 (BrokenPipeError)
    partial = scenes_project / "models" / "orphan.partial"
    saved = torch.load(partial / "checkpoint.pt", weights_only=True)["step"]
    assert seen <= saved < 500
