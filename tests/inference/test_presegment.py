"""``panoptix presegment`` end to end: project, skips, failures, interruption, export."""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panoptix.cli import main
from panoptix.core.coco_export import export_panoptic
from panoptix.core.project import ImageStatus, Project
from panoptix.core.samples import bundled_samples
from panoptix.core.validate import validate_panoptic
from panoptix.inference.assist import postprocess_document
from panoptix.inference.engine import Predictor
from panoptix.inference.labels import categories_for_model
from panoptix.inference.presegment import add_presegment_arguments, run_presegment
from panoptix.inference.raw_outputs import RawOutputs
from panoptix.inference.settings import InferenceSettings

# Random weights find nothing at the default thresholds; these keep every query.
FIND_ALL = ["--threshold", "0", "--mask-threshold", "0.001", "--overlap-threshold", "0"]
SIZES = {"a.jpg": (120, 160), "b.png": (90, 200), "sub/c.jpg": (150, 100)}


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="panoptix presegment")
    add_presegment_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.fixture
def images(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    rng = np.random.default_rng(0)
    for name, (h, w) in SIZES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 255, (h, w, 3), np.uint8)).save(folder / name)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return folder


def statuses(project_dir: Path) -> dict[str, str]:
    with Project.open(project_dir) as project:
        return {e.rel_path: e.status.value for e in project.images}


def test_presegment_then_export_gives_a_valid_dataset(images: Path, tmp_path: Path,
                                                      mask2former_dir: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "project"
    status = main(["presegment", str(images), "--out", str(out), "--model",
                   str(mask2former_dir), *FIND_ALL, "--batch-size", "2"])
    assert status == 1  # broken.jpg
    err = capsys.readouterr().err
    assert "failed: broken.jpg:" in err and "done: 3 of 4" in err
    assert re.search(r"raw outputs kept per image: \d+\.\d of \d+ queries, [\d.,]+ KB", err)
    assert statuses(out) == {"a.jpg": "presegmented", "b.png": "presegmented",
                             "broken.jpg": "new", "sub/c.jpg": "presegmented"}
    with Project.open(out) as project:
        assert project.settings["inference"]["model"] == str(mask2former_dir)
        assert project.categories.name == "coco_panoptic"
        key = next(e.key for e in project.images if e.rel_path == "b.png")
        raw = RawOutputs.load(project.raw_outputs_path(key))
        assert raw.image_size == (90, 200)
        doc = project.load_document(key)
        assert doc.segments and all(s.source == "model" for s in doc.segments.values())
    assert main(["export", str(out), "--out", str(tmp_path / "export"), "--name", "val"]) == 0
    assert "exported 3 images" in capsys.readouterr().out
    assert main(["validate", str(tmp_path / "export" / "panoptic_val.json")]) == 0


def test_a_projects_switch_stays_when_another_model_is_given(
        images: Path, tmp_path: Path, mask2former_dir: Path,
        capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "project"
    first = [str(images / "a.jpg"), "--out", str(out), "--model", "demo", "--no-snap-edges"]
    assert run_presegment(parse(*first)) == 0
    assert "split (as the model advises)" in capsys.readouterr().err
    assert run_presegment(parse(str(images / "a.jpg"), "--out", str(out), "--model",
                                str(mask2former_dir), "--force")) == 0
    with Project.open(out) as project:
        stored = project.settings["inference"]
    assert stored["model"] == str(mask2former_dir)
    assert stored["snap_edges"] is False and stored["split_parts"] is None  # as set, unset


def test_edges_snap_and_parts_split_as_in_the_window_when_switched_on_or_advised(
        tmp_path: Path) -> None:
    """On (asked, or unset with the demo model, which advises both) and off (asked)."""
    samples = tmp_path / "samples"
    samples.mkdir()
    names = ["street_01.jpg", "kitchen_01.jpg"]
    for name in names:
        (samples / name).write_bytes(bundled_samples().joinpath(name).read_bytes())

    def documents(out: Path, *options: str) -> dict[str, tuple[np.ndarray, np.ndarray, bool]]:
        """Per image: the saved map, the map its kept outputs give with the image, and
        whether the project keeps edges snapped and parts split."""
        argv = [str(samples), "--out", str(out), "--model", "demo", "--batch-size", "2",
                *options]
        assert run_presegment(parse(*argv)) == 0
        found = {}
        with Project.open(out) as project:
            settings = InferenceSettings.from_stored(project.settings["inference"])
            for entry in project.images:
                raw = RawOutputs.load(project.raw_outputs_path(entry.key))
                model_categories = categories_for_model(raw.model_id, raw.id2label,
                                                        project.categories)
                again = postprocess_document(raw, model_categories, settings,
                                             project.load_image(entry.key)).document
                found[entry.rel_path] = (project.load_document(entry.key).id_map,
                                         again.id_map,
                                         (settings.snap_edges, settings.split_parts))
        return found

    snapped = documents(tmp_path / "snapped", "--snap-edges", "--split-parts")
    plain = documents(tmp_path / "plain", "--no-snap-edges", "--no-split-parts")
    advised = documents(tmp_path / "advised")
    for name in names:
        assert snapped[name][2] == (True, True) and plain[name][2] == (False, False)
        assert advised[name][2] == (None, None)  # kept unset: it follows the model
        assert np.array_equal(*snapped[name][:2]) and np.array_equal(*plain[name][:2])
        assert np.array_equal(*advised[name][:2])
        assert np.array_equal(advised[name][0], snapped[name][0])
        moved = (snapped[name][0] != plain[name][0]).mean()
        assert 0.001 < moved < 0.05  # boundary pixels only


def test_second_run_skips_finished_images_and_force_keeps_hand_edits(
        images: Path, tmp_path: Path, mask2former_dir: Path,
        capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "project"
    (images / "broken.jpg").unlink()
    args = [str(images / "a.jpg"), str(images / "b.png"), "--out", str(out), "--model",
            str(mask2former_dir)]
    assert run_presegment(parse(*args)) == 0
    assert set(statuses(out)) == {"a.jpg", "b.png"}
    capsys.readouterr()
    # the project remembers its model: no --model needed; the folder adds sub/c.jpg
    assert run_presegment(parse(str(images), "--out", str(out))) == 0
    assert "2 already pre-segmented" in capsys.readouterr().err
    assert set(statuses(out).values()) == {"presegmented"}
    with Project.open(out) as project:
        key = next(e.key for e in project.images if e.rel_path == "a.jpg")
        project.set_status(key, ImageStatus.EDITED)
        edited = project.read_annotation(key)
    assert run_presegment(parse(str(images), "--out", str(out), "--force", *FIND_ALL)) == 0
    assert "2 image(s) to pre-segment" in capsys.readouterr().err
    with Project.open(out) as project:
        assert project.read_annotation(key) == edited
    assert statuses(out)["a.jpg"] == "edited"


def test_nothing_can_run_without_a_model_or_images(images: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    missing = tmp_path / "no-such-model" / "here"
    assert run_presegment(parse(str(images), "--out", str(tmp_path / "p"), "--model",
                                str(missing))) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "p").exists()
    assert run_presegment(parse(str(tmp_path / "nothing"), "--out", str(tmp_path / "p"))) == 2
    assert run_presegment(parse(str(images), "--out", str(tmp_path / "p"), "--device",
                                "cuda:7")) == 2


def test_interrupted_run_keeps_finished_images_and_resumes(
        images: Path, tmp_path: Path, mask2former_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "project"
    (images / "broken.jpg").unlink()
    real_forward, calls = Predictor.forward, []

    def forward(self, prepared):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_forward(self, prepared)

    monkeypatch.setattr(Predictor, "forward", forward)
    args = parse(str(images), "--out", str(out), "--model", str(mask2former_dir))
    assert run_presegment(args) == 130
    assert sorted(statuses(out).values()) == ["new", "new", "presegmented"]
    monkeypatch.setattr(Predictor, "forward", real_forward)
    assert run_presegment(args) == 0
    assert set(statuses(out).values()) == {"presegmented"}


def test_a_killed_run_loses_nothing_finished(images: Path, tmp_path: Path,
                                             mask2former_dir: Path) -> None:
    """SIGKILL while images are being saved; the project opens, the rerun finishes."""
    (images / "broken.jpg").unlink()
    for index in range(12):
        Image.new("RGB", (64 + index, 48)).save(images / f"extra{index:02}.png")
    out = tmp_path / "project"
    code = ("import sys; from panoptix.inference.presegment import *; import argparse;"
            "p = argparse.ArgumentParser(); add_presegment_arguments(p);"
            "sys.exit(run_presegment(p.parse_args(sys.argv[1:])))")
    argv = [sys.executable, "-c", code, str(images), "--out", str(out), "--model",
            str(mask2former_dir), *FIND_ALL]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if len(list((out / "raw").glob("*.npz"))) >= 3:
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = statuses(out)
    assert {"presegmented", "new"} <= set(before.values())
    assert run_presegment(parse(str(images), "--out", str(out))) == 0
    assert set(statuses(out).values()) == {"presegmented"}
    with Project.open(out) as project:
        export_panoptic(project, tmp_path / "export", "all")
    assert validate_panoptic(tmp_path / "export" / "panoptic_all.json") == []


def test_a_link_to_the_project_as_out_is_the_project_itself(
        images: Path, tmp_path: Path, mask2former_dir: Path) -> None:
    """Issue 20, item 11: --out LINK resolved the image root relative to the link, so the
    same images came in again under new keys."""
    (images / "broken.jpg").unlink()
    out = tmp_path / "real" / "project"
    out.parent.mkdir()
    assert run_presegment(parse(str(images), "--out", str(out), "--model",
                                str(mask2former_dir))) == 0
    before = statuses(out)
    link = tmp_path / "elsewhere" / "deeper" / "link"
    link.parent.mkdir(parents=True)
    link.symlink_to(out)
    assert run_presegment(parse(str(images), "--out", str(link))) == 0
    assert statuses(out) == before
    with Project.open(link) as project:
        assert project.folder == out and project.image_root == images
