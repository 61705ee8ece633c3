"""The project store at dataset sizes: does a save cost the same at 100,000 images as at
1,000?

For each size a synthetic project is made directly (an image list as an older Panoptix
wrote it, then opened: that migrates it into ``project.sqlite``, and the migration is
timed), then, in one run, per size:

* images saved per second through the store (``save_snapshot`` of a small pre-segmented
  document), and the bytes each save passed to ``write()`` (Linux ``/proc/self/io``);
* pre-segmentation's save stage per second: the document and the demo model's compact raw
  outputs of a scene through the pipeline's ``StoreWriter`` (what ``presegment`` and the
  Ray driver run after the model), raw-output disk budget included;
* autosave time per edit (the window's save of the image in view after an edit);
* what the old store added to every save: rewriting ``project.json`` whole with every
  image's entry (``write_json`` of the same list, timed alone).

Then raw-output bytes per image, full and compact, from the demo model on generated
640x480 scenes. Then the window, per size, each in a fresh process (``--window N``): the
time from opening the project to its first image shown, the longest event-loop stall
meanwhile and in the half second after (a 10 ms timer's gaps; the same for a one-image
project beside it: what the machine's load alone gives), resident memory above the same
window on a one-image project, D: the time from the key to the next image shown, and the
time and memory of queueing the rest for pre-segmentation (what opening does once the
first image shows; the jobs are kept, not run).
Indicative only on a shared machine: the load average is printed.

``--export [SIZES]``: per size, ``panoptix export`` (COCO panoptic) and ``panoptix evaluate``
(the export against the project) of a project whose every image is annotated (3 segments,
64x48), each in a fresh process: seconds, and its peak resident memory (``ru_maxrss``)
beside its resident memory just before the work (Python, numpy, the project's image
list read).
``--swin-raw``: raw-output bytes of one synthetic 1920x1080 photo through a random-weight
Mask2Former of Swin-T size (tests/tiny_models.py) at shortest edge 800 (one CPU forward).

Usage: python bench/bench_scale.py [SIZES]   (default 1000,10000,100000)
       python bench/bench_scale.py --export [SIZES] | --swin-raw
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from panoptix.core import atomic, edits
from panoptix.core.annotation_file import DocumentSnapshot
from panoptix.core.categories import load_table
from panoptix.core.document import Document
from panoptix.core.manifest import ImageStatus
from panoptix.core.project import Project
from panoptix.inference.pipeline import DoneBatch, Finished, StoreWriter

SAVES = 200
EDITS = 50
OLD_REWRITES = 3
SIZE = (64, 48)


def make_project(folder: Path, count: int) -> Path:
    photos = folder / "photos"
    photos.mkdir(parents=True)
    Image.new("RGB", SIZE).save(photos / "real.png")
    project_folder = folder / "p"
    Project.create(project_folder, photos, [photos / "real.png"], load_table("coco_panoptic")
                   ).close()
    data = json.loads((project_folder / "project.json").read_text())
    data.update(version=1, images=[
        {"key": f"i{n:06d}.png", "path": f"d/i{n:06d}.png", "status": "new",
         "width": SIZE[0], "height": SIZE[1], "uncertainty": None} for n in range(count)])
    (project_folder / "project.json").write_text(json.dumps(data))
    (project_folder / "project.sqlite").unlink()
    return project_folder


def document(categories, seed: int) -> Document:  # noqa: ANN001
    doc = Document.blank(SIZE[1], SIZE[0], categories)
    rng = np.random.default_rng(seed)
    for category in (1, 3, 119):
        y, x = (int(v) for v in rng.integers(0, 30, 2))
        edits.add_mask(doc, np.ones((14, 20), bool), category, offset=(y, x), score=0.9,
                       source="model")
    return doc


def written() -> int:
    with open("/proc/self/io") as stream:
        return next(int(line.split()[1]) for line in stream if line.startswith("wchar"))


def measure(count: int, raw_blob: bytes) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_project(Path(tmp), count)
        started = time.perf_counter()
        project = Project.open(folder)  # migrates the list into project.sqlite
        migration = time.perf_counter() - started
        if hasattr(os, "sync"):
            os.sync()  # the migration's writes flushed now, not during the saves timed next
        try:
            categories = project.categories
            docs = [DocumentSnapshot.of(document(categories, n)) for n in range(16)]
            keys = [entry.key for entry in project.images[:: max(1, count // SAVES)]][:SAVES]
            before, started = written(), time.perf_counter()
            for index, key in enumerate(keys):
                project.save_snapshot(key, docs[index % 16], ImageStatus.PRESEGMENTED,
                                      "bench", uncertainty=index / len(keys))
            save_s = (time.perf_counter() - started) / len(keys)
            save_bytes = (written() - before) / len(keys)
            writer = StoreWriter(project)
            others = [e.key for e in project.images[1:: max(1, count // SAVES)]][:SAVES]
            batch = DoneBatch(others, {}, [
                Finished(key, docs[index % 16], {}, 0.5, "bench", raw_blob, (39, 40))
                for index, key in enumerate(others)])
            started = time.perf_counter()
            writer.write(batch)
            preseg_s = (time.perf_counter() - started) / len(others)
            assert len(writer.report.saved) == len(others), writer.report.failed
            doc = document(categories, 99)
            times = []
            for step in range(EDITS):
                edits.add_mask(doc, np.ones((3, 3), bool), 1, offset=(step % 40, 5))
                started = time.perf_counter()
                project.save_document(keys[0], doc)
                times.append(time.perf_counter() - started)
            entries = [entry.to_json() for entry in project.images]
            old_kb = len(json.dumps({"images": entries}, indent=1)) / 1e3
            old = []
            for _ in range(OLD_REWRITES):
                started = time.perf_counter()
                atomic.write_json(Path(tmp) / "old.json", {"images": entries}, indent=1)
                old.append(time.perf_counter() - started)
        finally:
            project.close()
    return {"migration_s": migration, "saves_per_s": 1 / save_s, "save_kb": save_bytes / 1e3,
            "preseg_per_s": 1 / preseg_s,
            "autosave_ms": statistics.median(times) * 1e3,
            "old_rewrite_ms": statistics.median(old) * 1e3, "old_kb": old_kb}


def raw_bytes() -> tuple[float, float, float, bytes]:
    """Mean bytes per image of the demo model's raw outputs, full and compact, queries
    kept of those made, on 6 generated scenes, and one scene's compact file."""
    from panoptix.inference.engine import Predictor
    from panoptix.synth import generate

    predictor = Predictor()
    predictor.load("demo", device="cpu")
    full, compact, kept = [], [], []
    for seed, kind in enumerate(("street", "park", "kitchen") * 2):
        raw = predictor.predict(generate(kind, 9_000_000 + seed).image)
        small = raw.compacted()
        full.append(len(raw.to_bytes()))
        compact.append(len(small.to_bytes()))
        kept.append(small.num_queries / raw.num_queries)
    return (statistics.mean(full), statistics.mean(compact), statistics.mean(kept),
            small.to_bytes())


def window_project(folder: Path, count: int) -> Path:
    """``make_project``'s project, migrated, with every image a file (hard links of one
    small PNG: the images are read when shown)."""
    project_folder = make_project(folder, count)
    Project.open(project_folder).close()
    photos = folder / "photos"
    (photos / "d").mkdir()
    for n in range(count):
        source = photos / f"real{n // 50_000}.png"  # a file has at most 65,000 links
        if not source.exists():
            Image.new("RGB", SIZE).save(source)
        os.link(source, photos / "d" / f"i{n:06d}.png")
    return project_folder


def resident_mb() -> float:
    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def window_figures(count: int, steps: int = 30) -> dict[str, float]:
    """In this process: the window on a one-image project, then on one of ``count``."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    import bench_gui_stall
    from panoptix.gui.main_window import MainWindow
    from panoptix.gui.prefs import Prefs

    bench_gui_stall.INTERVAL_MS = 10
    app = QApplication.instance() or QApplication([])
    settings = tempfile.TemporaryDirectory()  # never the user's preferences
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings.name)
    window = MainWindow(Prefs(QSettings()))
    window.session.auto_presegment = False
    window.show()

    def shown(action) -> float:  # noqa: ANN001
        loop = QEventLoop()
        window.session.image_opened.connect(loop.quit)
        started = time.perf_counter()
        QTimer.singleShot(0, action)
        loop.exec()
        seconds = time.perf_counter() - started
        window.session.image_opened.disconnect(loop.quit)
        return seconds

    def settle(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    with tempfile.TemporaryDirectory() as tmp:
        empty, large = (window_project(Path(tmp) / name, n) for name, n in (("e", 1),
                                                                             ("l", count)))
        meter = bench_gui_stall.StallMeter()
        meter.start()
        shown(lambda: window.open_path(empty))
        settle(500)
        noise = meter.stop()  # the same on one image: the machine's share of a stall
        base = resident_mb()
        meter.start()
        open_s = shown(lambda: window.open_path(large))
        settle(500)
        stall = meter.stop()
        memory = resident_mb() - base
        step = statistics.median(shown(window.actions["next"].trigger) for _ in range(steps))
        queued: list = []  # what opening queues once the first image shows (the model off)
        window.client.submit_background = queued.extend
        before, started = resident_mb(), time.perf_counter()
        window.session.presegment_rest()
        queue_s, queue_mb = time.perf_counter() - started, resident_mb() - before
        window.session.close()
    window.close()
    settings.cleanup()
    del app
    return {"open_s": open_s, "stall_ms": stall, "memory_mb": memory, "step_ms": step * 1e3,
            "stall_1_ms": noise, "queue_ms": queue_s * 1e3, "queue_mb": queue_mb}


def measure_window(count: int) -> dict[str, float]:
    """``window_figures`` in a fresh process (its memory and Qt state its own)."""
    done = subprocess.run([sys.executable, __file__, "--window", str(count)], check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def annotated_project(folder: Path, count: int) -> Path:
    """A project of ``count`` images, every one annotated: one image saved through the
    store, its annotation's two files then copied for the others (as fast as the disk)."""
    project_folder = make_project(folder, count)
    with Project.open(project_folder) as project:
        first = project.images[0].key
        project.save_snapshot(first, DocumentSnapshot.of(document(project.categories, 1)),
                              ImageStatus.DONE, "bench")
    annotations = project_folder / "annotations"
    stem = first.removesuffix(".png")
    templates = {path.name: path.read_bytes() for path in annotations.iterdir()}
    for n in range(count):
        name = f"i{n:06d}"
        for file_name, data in templates.items():
            target = annotations / file_name.replace(stem, name)
            if name != stem:
                target.write_bytes(data.replace(stem.encode(), name.encode())
                                   if file_name.endswith(".json") else data)
    return project_folder


CHILD = """
import json, os, resource, sys, time
from pathlib import Path
from panoptix.core.coco_export import export_panoptic
from panoptix.core.project_reader import ProjectView
from panoptix.core.pq_sources import evaluate_sources
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
now = lambda: int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
kind, folder, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
view = ProjectView.open(folder) if kind == "export" else None
before, started = now(), time.perf_counter()
if kind == "export":
    export_panoptic(view, out, "bench")
else:
    result = evaluate_sources(folder, out / "panoptic_bench.json", all_annotated=True).result
    assert result.all.pq > 0.999, result.all
print(json.dumps({"s": time.perf_counter() - started, "before": before, "peak": peak()}))
"""


def run_child(kind: str, folder: Path, out: Path) -> dict[str, float]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", CHILD, kind, str(folder), str(out)],
                          capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout)


def export_figures(sizes: list[int]) -> None:
    """Export and evaluate time and peak memory per size (see the module doc)."""
    print(f"{'images':>8} {'export s':>9} {'peak MB':>8} {'(before)':>8} "
          f"{'evaluate s':>10} {'peak MB':>8} {'(before)':>8}  load")
    for count in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = annotated_project(Path(tmp), count)
            out = Path(tmp) / "out"
            exported = run_child("export", folder, out)
            evaluated = run_child("evaluate", folder, out)
            shutil.rmtree(out)
        print(f"{count:>8,} {exported['s']:>9.1f} {exported['peak'] / 1e6:>8.0f} "
              f"{exported['before'] / 1e6:>8.0f} {evaluated['s']:>10.1f} "
              f"{evaluated['peak'] / 1e6:>8.0f} {evaluated['before'] / 1e6:>8.0f}  {load()}",
              flush=True)


def swin_raw_bytes() -> None:
    """Raw outputs of one 1920x1080 photo, Swin-T-size Mask2Former, shortest edge 800."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from panoptix.inference.engine import Predictor
    from tiny_models import build_mask2former, table_labels

    rng = np.random.default_rng(0)
    photo = np.repeat(np.repeat(rng.integers(0, 255, (27, 48, 3), np.uint8), 40, 0), 40, 1)
    with tempfile.TemporaryDirectory() as tmp:
        model = build_mask2former(Path(tmp) / "swin-t", table_labels("coco_panoptic"),
                                  size="swin-t", shortest_edge=800, longest_edge=1440)
        predictor = Predictor()
        predictor.load(str(model), "cpu")
        print(f"one forward of a 1920x1080 photo at shortest edge 800 ({load()}) ...",
              flush=True)
        started = time.perf_counter()
        raw = predictor.predict(photo)
        seconds = time.perf_counter() - started
        compact = raw.compacted()
        path = Path(tmp) / "raw" / "photo.npz"
        compact.save(path)
        written = path.stat().st_size
        every = raw.compacted(threshold=0.0)  # every query kept: a bound for any weights
    q, h, w = raw.mask_logits.shape
    print(f"forward {seconds:.1f} s; {q} queries, masks {w}x{h} cells ({load()})")
    print(f"raw outputs per 1080p image: {len(raw.to_bytes()) / 1e3:.0f} KB full, "
          f"{written / 1e3:.0f} KB compact as written ({compact.num_queries} of "
          f"{q} queries kept: random weights are unsure of every class), "
          f"{len(every.to_bytes()) / 1e3:.0f} KB with all {q} kept; goal <= 300 KB")


def main() -> None:
    if sys.argv[1:2] == ["--swin-raw"]:
        return swin_raw_bytes()
    if sys.argv[1:2] == ["--export"]:
        return export_figures([int(s) for s in (sys.argv[2] if len(sys.argv) > 2
                                                else "1000,10000,100000").split(",")])
    sizes = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "1000,10000,100000"
                              ).split(",")]
    full, compact, kept, blob = raw_bytes()
    print(f"load average {os.getloadavg()[0]:.2f} (indicative only above 1.5)")
    print(f"{'images':>8} {'migrate s':>9} {'saves/s':>8} {'KB/save':>8} {'preseg/s':>8} "
          f"{'autosave ms':>11} | old: {'rewrite ms':>10} {'KB':>8}")
    for count in sizes:
        r = measure(count, blob)
        print(f"{count:>8,} {r['migration_s']:>9.2f} {r['saves_per_s']:>8.1f} "
              f"{r['save_kb']:>8.1f} {r['preseg_per_s']:>8.1f} {r['autosave_ms']:>11.1f} | "
              f"{r['old_rewrite_ms']:>15.1f} {r['old_kb']:>8.0f}", flush=True)
    print(f"raw outputs per 640x480 image (demo model): {full / 1e3:.0f} KB full, "
          f"{compact / 1e3:.0f} KB compact ({kept:.0%} of queries kept)")
    window_table(sizes)
    print(f"load average {os.getloadavg()[0]:.2f}")


def window_table(sizes: list[int]) -> None:
    print(f"window: {'images':>8} {'open s':>7} {'stall ms':>8} {'(1 image)':>9} "
          f"{'MB above 1':>10} {'D ms':>6} {'queue ms':>8} {'MB':>4}   (load "
          f"{os.getloadavg()[0]:.2f})")
    for count in sizes:
        r = measure_window(count)
        print(f"        {count:>8,} {r['open_s']:>7.2f} {r['stall_ms']:>8.0f} "
              f"{r['stall_1_ms']:>9.0f} {r['memory_mb']:>10.0f} {r['step_ms']:>6.1f} "
              f"{r['queue_ms']:>8.0f} {r['queue_mb']:>4.0f}   (load "
              f"{os.getloadavg()[0]:.2f})", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--window"]:
        print(json.dumps(window_figures(int(sys.argv[2]))))
    elif sys.argv[1:2] == ["--window-table"]:
        window_table([int(s) for s in sys.argv[2].split(",")])
    else:
        main()
