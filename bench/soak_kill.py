"""Kill the window with SIGKILL while someone edits, again and again: is anything lost or
damaged?

The window runs as a real process (offscreen, or on an X display with ``--display``) and a
driver inside it paints brush dabs through the canvas, one per grid cell, at a human but
busy pace (bursts of quick clicks, pauses), now and then stepping to the next image. Each
dab is journaled (fsync'ed) once the document shows it. At a random moment the parent
kills the process with SIGKILL, opens the project the way the next start does, and checks:

* **damaged**: the project does not open, its image table (``project.sqlite``) fails
  SQLite's integrity check or cannot be read without the lock, an annotation does not
  load, something was moved to ``quarantine/``, or after the images were read the table's
  statuses differ from their annotations'. Goal: none.
* **lost beyond the autosave window**: a journaled dab missing from disk although its
  save was due before the kill (the autosave waits ``AUTOSAVE_DELAY_MS`` after the last
  edit, measured to when the next dab began, but never more than ``AUTOSAVE_MAX_WAIT_MS``
  after the first unsaved one; a step to another image saves at once) plus ``--slack``
  seconds for the write itself. Goal: none.
* lost within the window: dabs too recent to have been saved; expected, and counted.

Then the window is started again on the same project and the cycle repeats. At the end the
project is exported and validated.

    python bench/soak_kill.py [--kills 20] [--seed 0] [--display :105] [--keep DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

CELL = 14
"""Grid step in image pixels: one dab per cell, so no dab covers another."""
MARGIN = 8
BRUSH = 7
SWITCH_EVERY = 15
"""About one step to the next image per this many dabs."""
BIG_IMAGE = (3000, 2000)
"""One large photo among the samples: its saves take long enough to be killed in."""


# -- the window process ------------------------------------------------------------------------
def child(images: Path, journal: Path, seed: int) -> int:
    """Run the window on ``images`` and paint until killed."""
    from PySide6.QtCore import QPointF, Qt, QTimer
    from PySide6.QtTest import QTest

    from panoptix.gui.app import application, create_window

    app = application()
    window = create_window(str(images))
    session = window.session
    session.auto_presegment = False
    rng = random.Random(seed)
    next_cell = _cells_done(journal)
    log = open(journal, "a", encoding="utf-8")  # noqa: SIM115 - open until killed
    started = []

    def note(event: dict) -> None:
        log.write(json.dumps({"t": time.time(), **event}) + "\n")
        log.flush()
        os.fsync(log.fileno())

    def dab() -> None:
        doc, key = window.editor.document, session.key
        if doc is None or key is None or session.target != key:
            QTimer.singleShot(50, dab)  # an image is being read
            return
        if rng.random() < 1 / SWITCH_EVERY:
            note({"event": "switch", "key": key})
            window.actions["next"].trigger()
        else:
            height, width = doc.shape
            cols, rows = (width - 2 * MARGIN) // CELL, (height - 2 * MARGIN) // CELL
            cell = next_cell.get(key, 0)
            if cell < cols * rows:
                x = MARGIN + (cell % cols) * CELL + CELL // 2
                y = MARGIN + (cell // cols) * CELL + CELL // 2
                began = time.time()
                window.actions["deselect"].trigger()
                point = window.canvas.mapFromScene(QPointF(x + 0.5, y + 0.5))
                QTest.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton,
                                 pos=point)
                if doc.segment_at(x, y):
                    next_cell[key] = cell + 1
                    note({"event": "dab", "key": key, "cell": cell, "x": x, "y": y,
                          "began": began})
        pause = rng.uniform(0.05, 0.4) if rng.random() < 0.7 else rng.uniform(0.5, 2.5)
        QTimer.singleShot(int(pause * 1000), dab)

    def first_image(*_args: object) -> None:
        if started:
            return
        started.append(True)
        doc = window.editor.document
        window.editor.set_category(doc.categories.find("person").id)
        window.editor.set_brush_size(BRUSH)
        window.actions["tool:brush"].trigger()
        print("ready", flush=True)
        QTimer.singleShot(100, dab)

    session.image_opened.connect(first_image)
    return app.exec()


def _cells_done(journal: Path) -> dict[str, int]:
    done: dict[str, int] = {}
    for event in read_journal(journal):
        if event.get("event") == "dab":
            done[event["key"]] = max(done.get(event["key"], 0), event["cell"] + 1)
    return done


def read_journal(path: Path) -> list[dict]:
    """The journal's complete lines (a kill may cut the last one)."""
    if not path.exists():
        return []
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events


# -- the parent: kill, reopen, check -----------------------------------------------------------
@dataclass
class Tally:
    kills: int = 0
    dabs: int = 0
    on_disk: int = 0
    lost_in_window: int = 0
    lost_beyond: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)
    oldest_lost_s: float = 0.0
    startup_s: list[float] = field(default_factory=list)


def due_times(events: list[dict], delay_s: float, max_wait_s: float) -> list[float]:
    """When each dab of one run should have been saved at the latest (see module doc)."""
    dabs = [i for i, e in enumerate(events) if e["event"] == "dab"]
    due = []
    for position, i in enumerate(dabs):
        t = events[i]["t"]
        deadline = t + max_wait_s
        switch = next((e["t"] for e in events[i + 1:] if e["event"] == "switch"), None)
        if switch is not None:
            deadline = min(deadline, switch)
        for j in dabs[position:]:  # the first pause: the next dab began a delay later
            later = [events[k]["began"] for k in dabs if k > j]
            if not later or later[0] - events[j]["t"] >= delay_s:
                deadline = min(deadline, events[j]["t"] + delay_s)
                break
        due.append(deadline)
    return due


def table_damage(project_dir: Path) -> list[str]:
    """What is wrong with the image table a killed writer left, read as a reader would."""
    import sqlite3

    from panoptix.core.project_reader import read_manifest

    try:
        read_manifest(project_dir)
        with contextlib.closing(sqlite3.connect(
                f"{(project_dir / 'project.sqlite').resolve().as_uri()}?mode=ro",
                uri=True)) as db:
            result = db.execute("PRAGMA integrity_check").fetchone()[0]
    except Exception as exc:  # noqa: BLE001 - any failure is damage
        return [f"image table: {exc}"]
    return [] if result == "ok" else [f"image table: integrity check says {result}"]


def check(project_dir: Path, events: list[dict], killed_at: float, slack_s: float,
          tally: Tally) -> None:
    from panoptix.core.project import Project
    from panoptix.core.project_reader import read_manifest
    from panoptix.gui.work.session import AUTOSAVE_DELAY_MS, AUTOSAVE_MAX_WAIT_MS

    tally.damaged += table_damage(project_dir)  # as the kill left it, before any open
    try:
        project = Project.open(project_dir)
    except Exception as exc:  # noqa: BLE001 - any failure is damage
        tally.damaged.append(f"project does not open: {exc}")
        return
    maps, saved_status = {}, {}
    with project:
        for entry in project.images:
            try:
                maps[entry.key] = project.load_document(entry.key).id_map
                record = project.read_annotation(entry.key)
                if record is not None:
                    saved_status[entry.key] = record.status
            except Exception as exc:  # noqa: BLE001
                tally.damaged.append(f"{entry.rel_path}: {exc}")
    listed = {entry.key: entry.status for entry in read_manifest(project_dir).images}
    tally.damaged += [f"{key}: the table says {listed.get(key)}, its annotation {status}"
                      for key, status in saved_status.items() if listed.get(key) != status]
    quarantine = project_dir / "quarantine"
    if quarantine.exists() and any(quarantine.iterdir()):
        tally.damaged.append(f"files moved to {quarantine}")
    dabs = [e for e in events if e["event"] == "dab"]
    for event, due in zip(dabs, due_times(events, AUTOSAVE_DELAY_MS / 1000,
                                          AUTOSAVE_MAX_WAIT_MS / 1000), strict=True):
        tally.dabs += 1
        id_map = maps.get(event["key"])
        if id_map is not None and id_map[event["y"], event["x"]]:
            tally.on_disk += 1
            continue
        age = killed_at - event["t"]
        tally.oldest_lost_s = max(tally.oldest_lost_s, age)
        if killed_at > due + slack_s:
            tally.lost_beyond.append(f"{event['key']} cell {event['cell']}, {age:.2f} s old "
                                     f"(due {killed_at - due:.2f} s before the kill)")
        else:
            tally.lost_in_window += 1


def make_images(folder: Path) -> None:
    import numpy as np
    from PIL import Image

    from panoptix.core.bundled import bundled_path

    folder.mkdir(parents=True)
    for sample in sorted(bundled_path("samples").glob("*.jpg")):
        shutil.copy2(sample, folder / sample.name)
    rng = np.random.default_rng(0)
    width, height = BIG_IMAGE
    noise = rng.integers(0, 255, (height // 8, width // 8, 3), np.uint8)
    Image.fromarray(noise).resize(BIG_IMAGE).save(folder / "big_01.jpg", quality=90)


def run(args: argparse.Namespace) -> int:
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="panoptix-soak-"))
    images, journal = work / "images", work / "journal.jsonl"
    if not images.exists():
        make_images(images)
    project_dir = images.with_name(images.name + ".panoptix")
    rng = random.Random(args.seed)
    env = {**os.environ, "XDG_CONFIG_HOME": str(work / "config"),
           "XDG_DATA_HOME": str(work / "data")}
    if args.display == "offscreen":
        env["QT_QPA_PLATFORM"] = "offscreen"
    else:
        env.update(DISPLAY=args.display, QT_QPA_PLATFORM="xcb")
    tally = Tally()
    for cycle in range(args.kills):
        seen = len(read_journal(journal))
        started = time.monotonic()
        with open(work / "window.log", "a", encoding="utf-8") as window_log:
            process = subprocess.Popen(
                [sys.executable, __file__, "--child", str(images), str(journal),
                 str(args.seed * 1000 + cycle)], env=env, stdout=subprocess.PIPE,
                stderr=window_log, text=True)
        ready = process.stdout.readline().strip() == "ready"
        if not ready:
            process.kill()
            process.wait()
            tally.damaged.append(f"cycle {cycle}: the window did not start "
                                 f"(exit {process.returncode}; see {work / 'window.log'})")
            break
        tally.startup_s.append(time.monotonic() - started)
        time.sleep(rng.uniform(args.min_s, args.max_s))
        killed_at = time.time()
        process.send_signal(signal.SIGKILL)
        process.wait()
        tally.kills += 1
        check(project_dir, read_journal(journal)[seen:], killed_at, args.slack, tally)
        print(f"kill {cycle + 1}/{args.kills}: {tally.dabs} dabs so far, "
              f"{tally.lost_in_window} lost in the window, {len(tally.lost_beyond)} beyond, "
              f"{len(tally.damaged)} damaged", flush=True)
    valid = export_and_validate(project_dir, work / "export")
    report(tally, valid, work)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if not tally.lost_beyond and not tally.damaged and valid else 1


def export_and_validate(project_dir: Path, out: Path) -> bool:
    from panoptix.core.coco_export import export_panoptic
    from panoptix.core.project import Project
    from panoptix.core.validate import validate_panoptic

    try:
        with Project.open(project_dir) as project:
            export_panoptic(project, out, "soak")
    except Exception as exc:  # noqa: BLE001
        print(f"export failed: {exc}")
        return False
    return validate_panoptic(out / "panoptic_soak.json") == []


def report(tally: Tally, valid: bool, work: Path) -> None:
    from panoptix.gui.work.session import AUTOSAVE_DELAY_MS, AUTOSAVE_MAX_WAIT_MS

    print()
    print(f"kills (SIGKILL)                    {tally.kills}")
    print(f"dabs journaled                     {tally.dabs}")
    print(f"  on disk after the kill           {tally.on_disk}")
    print(f"  lost within the autosave window  {tally.lost_in_window}  (debounce "
          f"{AUTOSAVE_DELAY_MS} ms, at most {AUTOSAVE_MAX_WAIT_MS} ms after the first edit)")
    print(f"  lost beyond it (goal 0)          {len(tally.lost_beyond)}")
    print(f"  oldest dab lost                  {tally.oldest_lost_s:.2f} s before its kill")
    print(f"damaged files (goal 0)             {len(tally.damaged)}")
    print(f"export of the result valid        {'yes' if valid else 'NO'}")
    if tally.startup_s:
        print(f"window start to first image        median "
              f"{sorted(tally.startup_s)[len(tally.startup_s) // 2]:.1f} s")
    for line in tally.lost_beyond + tally.damaged:
        print(f"  ! {line}")
    print(f"(work folder: {work})")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        return child(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--display", default="offscreen",
                        help="offscreen (default) or an X display such as :105")
    parser.add_argument("--min-s", type=float, default=1.0, help="earliest kill after start")
    parser.add_argument("--max-s", type=float, default=10.0, help="latest kill after start")
    parser.add_argument("--slack", type=float, default=1.0,
                        help="seconds a save may take once due (snapshot, PNG, fsync)")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
