"""Kill the processes that write with SIGKILL: an export the window is writing, a training
the window started, and ``presegment --engine ray``; then check (issue 20). A companion of
``soak_kill.py``, which kills the window while someone edits.

* **export**: the window exports every format into the project's ``export/`` folder, again
  and again, and is killed at a random moment. The project must then open with every
  annotation loading and nothing quarantined, and every panoptic JSON in ``export/`` must
  validate. At the end an export in this process must leave no staging folder behind.
* **training**: the window starts a tiny training from its Train dialog and is killed at
  a random moment; the training process, its pipes broken, stops after its step and
  saves it, and half the time it is killed too, a moment later. Once it is gone,
  ``panoptix train --resume`` must finish an interrupted run (or there was nothing to
  resume yet), leaving a model folder and no temporary file in ``models/``.
* **ray**: ``presegment --engine ray`` (its own Ray on this machine) is killed once a
  random number of images are saved, and run again: every image must end pre-segmented
  exactly once (annotation revision 1: nothing finished was redone; an image saved but
  not yet in the manifest when killed is done again, revision 2, as documented). Ray
  processes still alive 5 s after their driver's kill are counted, then killed.

Every cycle also compares the files outside the project (the images and a folder beside
them) with how they were: goal 0 touched. Project checks: ``soak_kill.check``'s, without
the dab journal.

    python bench/soak_writers.py [--what export,training,ray] [--kills 5] [--seed 0] [--keep DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
SCENES = 12
SCENE_SIZE = (240, 320)
TRAIN_STEPS = 150
"""About 20 s of the tiny model on one CPU thread: kills land in the steps."""
WAIT_FOR_TRAINING_S = 300


# -- the window processes ----------------------------------------------------------------------
def child(what: str, images: Path, name: str) -> int:
    """The window on ``images``, exporting again and again, or starting one training."""
    from PySide6.QtCore import QTimer

    from panoptix.gui.app import application, create_window
    from panoptix.gui.dialogs.train import SCRATCH

    app = application()
    window = create_window(str(images))
    window.session.auto_presegment = False
    started: list[bool] = []

    def export_again() -> None:
        dialog = window.export_dialog
        for check in dialog.checks.values():
            check.setChecked(True)
        dialog.start()

    def train() -> None:
        window.training.show_dialog()
        dialog = window.training.dialog
        dialog.base.setCurrentIndex(dialog.base.findData(f"{SCRATCH}tiny"))
        dialog.unit.setCurrentText("steps")
        dialog.length.setValue(TRAIN_STEPS)
        dialog.size.setValue(128)
        dialog.device.setCurrentText("cpu")
        dialog.name.setText(name)
        dialog.start()

    def first(*_args: object) -> None:
        if started:
            return
        started.append(True)
        if what == "export":
            window.show_export()
            window.export_dialog.finished_export.connect(
                lambda ok: print(f"exported {ok}", flush=True) or QTimer.singleShot(0,
                                                                                 export_again))
            export_again()
        else:
            train()
        print("ready", flush=True)

    window.session.image_opened.connect(first)
    return app.exec()


def start_window(what: str, images: Path, name: str, work: Path) -> subprocess.Popen | None:
    env = {**os.environ, "XDG_CONFIG_HOME": str(work / "config"),
           "XDG_DATA_HOME": str(work / "data"), "QT_QPA_PLATFORM": "offscreen",
           "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO / "desktop")}
    with open(work / "window.log", "a", encoding="utf-8") as log:
        process = subprocess.Popen([sys.executable, __file__, "--child", what, str(images),
                                    name], env=env, stdout=subprocess.PIPE, stderr=log,
                                   text=True)
    if process.stdout.readline().strip() != "ready":
        process.kill()
        process.wait()
        return None
    return process


# -- checks ------------------------------------------------------------------------------------
def outside_files(work: Path, project: Path) -> dict[str, str]:
    """Every file under ``work`` outside the project with its digest, but the soak's own
    (logs, the window's settings, the ray soak's model and project)."""
    own = [project, *(work / name for name in ("config", "data", "model", "ray.panoptix"))]
    return {path.relative_to(work).as_posix(): hashlib.sha1(path.read_bytes()).hexdigest()
            for path in sorted(work.rglob("*")) if path.is_file() and path.suffix != ".log"
            and not any(path.is_relative_to(folder) for folder in own)}


def damage(project_dir: Path) -> list[str]:
    from panoptix.core.project import Project

    try:
        project = Project.open(project_dir)
    except Exception as exc:  # noqa: BLE001 - any failure is damage
        return [f"the project does not open: {exc}"]
    found = []
    with project:
        for entry in project.images:
            try:
                project.load_document(entry.key)
            except Exception as exc:  # noqa: BLE001
                found.append(f"{entry.rel_path}: {exc}")
    quarantine = project_dir / "quarantine"
    if quarantine.exists() and any(quarantine.iterdir()):
        found.append(f"files moved to {quarantine}")
    return found


def invalid_exports(folder: Path) -> list[str]:
    from panoptix.core.validate import validate_panoptic

    return [f"{path.name}: {problems[0]}" for path in sorted(folder.glob("panoptic_*.json"))
            if (problems := validate_panoptic(path))]


def cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO / "desktop")}
    return subprocess.run([sys.executable, "-m", "panoptix.cli", *args], capture_output=True,
                          text=True, env=env, timeout=timeout)


def training_pids(project: Path) -> list[int]:
    """The processes running ``panoptix train`` on ``project`` (Linux's /proc)."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"train" in words and os.fsencode(project) in words:
            pids.append(int(cmdline.parent.name))
    return pids


def wait_for_training(project: Path) -> bool:
    """Until no ``panoptix train`` of ``project`` runs (the window's stops once it finds
    the window gone)."""
    deadline = time.monotonic() + WAIT_FOR_TRAINING_S
    while time.monotonic() < deadline:
        if not training_pids(project):
            return True
        time.sleep(0.5)
    return False


# -- the cycles --------------------------------------------------------------------------------
def soak_export(tally: Counter, problems: list[str], args: argparse.Namespace, work: Path,
                images: Path, project: Path, rng: random.Random) -> None:
    for cycle in range(args.kills):
        process = start_window("export", images, "", work)
        if process is None:
            problems.append(f"export {cycle}: the window did not start")
            return
        time.sleep(rng.uniform(args.min_s, args.max_s))
        process.send_signal(signal.SIGKILL)
        process.wait()
        tally["export kills"] += 1
        finished = process.stdout.read()
        tally["exports finished before a kill"] += finished.count("exported True")
        problems += [f"export {cycle}: an export failed"] * finished.count("exported False")
        problems += [f"export {cycle}: {line}" for line in damage(project)]
        problems += [f"export {cycle}: {line}" for line in invalid_exports(project / "export")]
    from panoptix.core.coco_export import export_panoptic
    from panoptix.core.export_target import STAGE_PREFIX
    from panoptix.core.project import Project

    with Project.open(project) as opened:
        export_panoptic(opened, project / "export", "final")
    stages = list((project / "export").glob(f"{STAGE_PREFIX}*"))
    problems += [f"a staging folder left after the next export: {s.name}" for s in stages]


def soak_training(tally: Counter, problems: list[str], args: argparse.Namespace, work: Path,
                  images: Path, project: Path, rng: random.Random) -> None:
    for cycle in range(args.kills):
        name = f"soak-{cycle}"
        process = start_window("training", images, name, work)
        if process is None:
            problems.append(f"training {cycle}: the window did not start")
            return
        time.sleep(rng.uniform(args.min_s, args.max_s * 3))
        process.send_signal(signal.SIGKILL)
        process.wait()
        tally["window kills during a training"] += 1
        if rng.random() < 0.5:  # and the training process itself, orphaned, now and then
            time.sleep(rng.uniform(0, args.max_s))
            for pid in training_pids(project):
                os.kill(pid, signal.SIGKILL)
                tally["training processes killed"] += 1
        models, partial = project / "models", project / "models" / f"{name}.partial"
        if not wait_for_training(project):
            problems.append(f"training {cycle}: the training process did not end")
            continue
        if partial.exists():
            done = cli("train", str(project), "--name", name, "--resume", "--workers", "0",
                       "--device", "cpu")
            tally["runs resumed"] += 1
            if done.returncode != 0 and "no interrupted run" not in done.stderr:
                problems.append(f"training {cycle}: resume exit {done.returncode}: "
                                f"{done.stderr.strip().splitlines()[-1:]}")
        if (models / name / "training.json").is_file():
            tally["runs finished"] += 1
        problems += [f"training {cycle}: {p.name} left" for p in models.rglob("*.panoptix-tmp")]
        problems += [f"training {cycle}: {line}" for line in damage(project)]


def soak_ray(tally: Counter, problems: list[str], args: argparse.Namespace, work: Path,
             images: Path, project: Path, rng: random.Random) -> None:
    sys.path.insert(0, str(REPO / "tests"))
    from tiny_models import build_mask2former, table_labels

    model = build_mask2former(work / "model", table_labels("coco_panoptic"))
    out = work / "ray.panoptix"
    command = ["presegment", str(images), "--out", str(out), "--model", str(model),
               "--engine", "ray", "--workers", "1", "--threshold", "0"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO / "desktop")}
    for cycle in range(args.kills):
        with open(work / "ray.log", "a", encoding="utf-8") as log:
            driver = subprocess.Popen([sys.executable, "-m", "panoptix.cli", *command],
                                      env=env, stdout=log, stderr=log)
            wait_for_annotations(out, rng.randint(1, SCENES - 2), driver)
            started = descendants(driver.pid)  # its own Ray: raylet, workers
            driver.send_signal(signal.SIGKILL)
            driver.wait()
        time.sleep(5)
        for pid in started:  # what Ray did not stop itself once its driver died
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                tally["ray processes left by a killed driver"] += 1
        tally["ray driver kills"] += 1
        in_flight, done_before = saved_but_new(out)
        tally["ray images done before a kill"] += done_before
        again = cli(*command)
        if again.returncode != 0:
            problems.append(f"ray rerun {cycle}: exit {again.returncode}: "
                            f"{again.stderr.strip().splitlines()[-1:]}")
        check_once(out, in_flight, tally, problems)
        shutil.rmtree(out, ignore_errors=True)


def wait_for_annotations(out: Path, count: int, driver: subprocess.Popen) -> None:
    """Until ``count`` images are saved in ``out`` (mid-run), the driver ends or 240 s."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and driver.poll() is None \
            and len(list((out / "annotations").glob("*.json"))) < count:
        time.sleep(0.02)


def descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (Linux's /proc)."""
    found: list[int] = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            for child_pid in map(int, children.read_text().split()):
                found += [child_pid, *descendants(child_pid)]
    return found


def saved_but_new(out: Path) -> tuple[set[str], int]:
    """Images whose annotation was saved but the manifest not yet updated when killed (the
    rerun does them again: revision 2, as documented), and how many were done."""
    from panoptix.core.project import Project

    if not (out / "project.json").is_file():
        return set(), 0
    with Project.open(out) as opened:
        return ({entry.rel_path for entry in opened.images
                 if entry.status.value == "new" and opened.read_annotation(entry.key)},
                sum(entry.status.value == "presegmented" for entry in opened.images))


def check_once(out: Path, in_flight: set[str], tally: Counter, problems: list[str]) -> None:
    """Every image pre-segmented, each by one run only (``in_flight`` ones: twice)."""
    from panoptix.core.project import Project

    with Project.open(out) as opened:
        for entry in opened.images:
            record = opened.read_annotation(entry.key)
            expected = 2 if entry.rel_path in in_flight else 1
            if record is None or entry.status.value != "presegmented":
                problems.append(f"ray: {entry.rel_path} not pre-segmented")
            elif record.revision != expected:
                problems.append(f"ray: {entry.rel_path} pre-segmented {record.revision} "
                                f"times")
            else:
                tally["ray images pre-segmented exactly once"] += expected == 1


SOAKS = {"export": soak_export, "training": soak_training, "ray": soak_ray}


def run(args: argparse.Namespace) -> int:
    from panoptix.synth.dataset import make_project

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="panoptix-soakw-"))
    work.mkdir(parents=True, exist_ok=True)
    project = make_project(work / "scenes", ("street", "park"), SCENES, 1, SCENE_SIZE)
    images = project.with_name(project.name.removesuffix(".panoptix"))
    (work / "beside").mkdir()
    (work / "beside" / "keep.txt").write_text("not Panoptix's")
    before = outside_files(work, project)
    rng = random.Random(args.seed)
    tally: Counter = Counter()
    problems: list[str] = []
    for what in args.what.split(","):
        SOAKS[what](tally, problems, args, work, images, project, rng)
        touched = set(before.items()) ^ set(outside_files(work, project).items())
        tally["files outside the project touched"] += len({name for name, _ in touched})
    for key, value in tally.items():
        print(f"{key:<40} {value}")
    print(f"{'problems (goal 0)':<40} {len(problems)}")
    for line in problems:
        print(f"  ! {line}")
    print(f"(work folder: {work}; load {os.getloadavg()[0]:.1f})")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if problems or tally["files outside the project touched"] else 0


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        return child(sys.argv[2], Path(sys.argv[3]), sys.argv[4])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--what", default="export,training,ray",
                        help="comma-separated: export, training, ray")
    parser.add_argument("--kills", type=int, default=5, help="kills of each kind")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-s", type=float, default=1.0, help="earliest kill after start")
    parser.add_argument("--max-s", type=float, default=6.0, help="latest kill after start")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
