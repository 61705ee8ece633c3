"""``panoptix presegment --engine ray`` on a local Ray with 2 CPUs and the tiny model.

One Ray instance serves the session (starting one costs ~10 s here); the engine joins a Ray
already running in its process, and a separate driver joins it by address. Ray's workers
get :mod:`ray_faults`, so a test can make a model worker die on a chosen image. Skipped
without the ``cluster`` extra (``pip install -e ".[dev,cluster]"``, as CI does).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_presegment import FIND_ALL, parse, statuses

from panoptix.core.project import Project
from panoptix.inference.presegment import run_presegment
from ray_faults import FAULTS, deaths, set_faults

ray = pytest.importorskip("ray")
pytest.importorskip("ray.data")
pytestmark = pytest.mark.ray

TESTS = Path(__file__).resolve().parents[1]
HEIGHTS = {"a.png": 60, "b.jpg": 72, "c.png": 84, "dies-once.png": 96, "sub/e.png": 102,
           "z-dies-always.png": 108}


@dataclass(frozen=True)
class RayCluster:
    address: str
    faults: Path
    startup_s: float


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayCluster]:
    faults = tmp_path_factory.mktemp("ray") / "faults.json"
    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(TESTS), FAULTS: str(faults)},
                          "worker_process_setup_hook": "ray_faults.install"})
    try:
        yield RayCluster(ray.get_runtime_context().gcs_address, faults,
                         time.perf_counter() - started)
    finally:
        ray.shutdown()


def photos(folder: Path, sizes: dict[str, tuple[int, int]]) -> Path:
    rng = np.random.default_rng(1)
    for name, (height, width) in sizes.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 255, (height, width, 3), np.uint8)).save(folder / name)
    return folder


def documents(project_dir: Path) -> dict[str, tuple[np.ndarray, dict]]:
    """Each pre-segmented image's id map and segment table."""
    with Project.open(project_dir) as project:
        return {entry.rel_path: (doc.id_map, dict(doc.segments))
                for entry in project.images if entry.status.value == "presegmented"
                for doc in [project.load_document(entry.key)]}


def assert_same_documents(ours: dict, theirs: dict) -> None:
    assert sorted(ours) == sorted(theirs)
    for name, (id_map, table) in ours.items():
        assert np.array_equal(id_map, theirs[name][0]), name
        assert table == theirs[name][1], name


def test_ray_gives_the_local_documents_and_reports_bad_images_and_dead_workers(
        ray_cluster: RayCluster, tmp_path: Path, mask2former_dir: Path,
        capsys: pytest.CaptureFixture) -> None:
    folder = photos(tmp_path / "photos", {name: (h, 90 + h) for name, h in HEIGHTS.items()})
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    # Batches of two, as both engines form them from the sorted images: [a, b],
    # [broken, c] (c alone once broken fails), [dies-once, sub/e] (retried together),
    # [z-dies-always]. Padding to a batch's largest image moves the scores a little, so
    # the engines agree only if their batches do.
    common = [str(folder), "--model", str(mask2former_dir), *FIND_ALL, "--batch-size", "2"]
    assert run_presegment(parse(*common, "--out", str(tmp_path / "local"))) == 1
    local_err = capsys.readouterr().err
    once, always = HEIGHTS["dies-once.png"], HEIGHTS["z-dies-always.png"]
    set_faults(ray_cluster.faults, once=[once], always=[always])
    # two workers on two CPUs: only fractional CPUs leave the decoding stage room to run
    assert run_presegment(parse(*common, "--out", str(tmp_path / "ray"), "--engine", "ray",
                                "--workers", "2")) == 1
    err = capsys.readouterr().err
    broken = next(line for line in local_err.splitlines() if "failed: broken.jpg" in line)
    assert broken in err
    assert "failed: z-dies-always.png: the Ray worker running its batch died 2 times" in err
    assert deaths(ray_cluster.faults) == [once, always, always]  # each retried once
    assert "done: 5 of 7 images pre-segmented, 2 failed" in err
    assert "model worker(s) died and Ray restarted them" in err
    assert "2 model workers (0.5 CPU each)" in err
    ray_documents = documents(tmp_path / "ray")
    local_documents = documents(tmp_path / "local")
    del local_documents["z-dies-always.png"]
    assert_same_documents(ray_documents, local_documents)
    assert statuses(tmp_path / "ray")["z-dies-always.png"] == "new"


def test_a_killed_ray_driver_loses_only_images_in_flight_and_a_rerun_does_the_rest(
        ray_cluster: RayCluster, tmp_path: Path, mask2former_dir: Path,
        capsys: pytest.CaptureFixture) -> None:
    set_faults(ray_cluster.faults, once=[], always=[])
    folder = photos(tmp_path / "photos", {f"p{i:02}.png": (40 + 3 * i, 64) for i in range(12)})
    common = [str(folder), "--model", str(mask2former_dir), *FIND_ALL]
    out = tmp_path / "ray"
    code = ("import sys; from panoptix.inference.presegment import *; import argparse;"
            "p = argparse.ArgumentParser(); add_presegment_arguments(p);"
            "sys.exit(run_presegment(p.parse_args(sys.argv[1:])))")
    driver = subprocess.Popen(
        [sys.executable, "-c", code, *common, "--out", str(out), "--engine", "ray",
         "--address", ray_cluster.address],
        env={**os.environ, "OMP_NUM_THREADS": "1"}, stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "driver.err").open("wb"))
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and driver.poll() is None:
        if len(list((out / "annotations").glob("*.json"))) >= 4:
            break
        time.sleep(0.01)
    assert driver.poll() is None, (tmp_path / "driver.err").read_text()
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    before = statuses(out)
    # one image at most was between its annotation and the manifest when killed
    assert 3 <= list(before.values()).count("presegmented") < len(before)
    revisions_before = annotation_revisions(out)
    in_flight = {name for name, status in before.items()
                 if status == "new" and name in revisions_before}  # saved, manifest not yet
    assert run_presegment(parse(*common, "--out", str(out), "--engine", "ray")) == 0
    todo = list(before.values()).count("new")
    assert f"{todo} image(s) to pre-segment" in capsys.readouterr().err
    assert set(statuses(out).values()) == {"presegmented"}
    # every image was pre-segmented by one run only: the finished ones were not redone
    assert annotation_revisions(out) == {name: 2 if name in in_flight else 1
                                         for name in before}
    assert run_presegment(parse(*common, "--out", str(tmp_path / "local"))) == 0
    assert_same_documents(documents(out), documents(tmp_path / "local"))


def annotation_revisions(project_dir: Path) -> dict[str, int]:
    """Image -> how many times its annotation was saved (the revision in its PNG's name)."""
    revisions = {}
    for path in (project_dir / "annotations").glob("*.json"):
        record = json.loads(path.read_text(encoding="utf-8"))
        revisions[record["image"]] = int(record["png"].rsplit("@", 1)[1].split(".")[0])
    return revisions
