"""Export throughput against just encoding the same PNGs, at 3000x4000 with 200 segments.

Prints the time to encode every id map once (``write_panoptic_png``, no fsync, one after
another: what a save costs) and the time of a full COCO panoptic export of the same maps
(copying the stored PNGs, JSON from the stored areas and boxes, validation of everything
written), and their ratio: export throughput / encode throughput, which should be at least
0.8. One run: a warm-up export, then three interleaved rounds (encode, export), so that
other load on the machine hits both alike; the median round's ratio is the figure. The
CPU-time ratio (all threads) is printed too: it does not count the second core's help, but
neither does other load on the machine distort it.

Usage: python bench/bench_export.py [IMAGES]   (default 8)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from bench_edits import HEIGHT, SEGMENTS, WIDTH, voronoi_map
from panoptix.core.categories import load_table
from panoptix.core.coco_export import export_panoptic
from panoptix.core.document import Document
from panoptix.core.manifest import ImageStatus
from panoptix.core.panoptic_png import write_panoptic_png
from panoptix.core.project import Project
from panoptix.core.segment import Segment
from panoptix.core.validate import validate_panoptic

ROUNDS = 3


def build_project(folder: Path, count: int) -> tuple[Project, list[np.ndarray]]:
    categories = load_table("coco_panoptic")
    things = [c.id for c in categories if c.isthing]
    photos = folder / "photos"
    photos.mkdir()
    blank = Image.new("RGB", (WIDTH, HEIGHT))
    for index in range(count):
        blank.save(photos / f"img_{index:03d}.jpg", quality=50)
    project = Project.create(folder / "photos.panoptix", photos, sorted(photos.iterdir()),
                             categories)
    maps = []
    for index, entry in enumerate(project.images):
        id_map = voronoi_map(np.random.default_rng(index))
        segments = {i: Segment(things[i % len(things)]) for i in range(1, SEGMENTS + 1)}
        project.save_document(entry.key, Document(id_map, segments, categories),
                              status=ImageStatus.DONE)
        maps.append(id_map)
    return project, maps


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        print(f"building a project of {count} images, {WIDTH}x{HEIGHT}, {SEGMENTS} segments")
        project, maps = build_project(folder, count)
        export_panoptic(project, folder / "warm-up", "bench")  # first-call costs aside
        rounds = []
        for round_index in range(ROUNDS):
            encoded = folder / f"encoded{round_index}"
            encoded.mkdir()
            start, cpu = time.perf_counter(), time.process_time()
            for index, id_map in enumerate(maps):
                write_panoptic_png(encoded / f"{index}.png", id_map, sync=False)
            encode = (time.perf_counter() - start, time.process_time() - cpu)
            start, cpu = time.perf_counter(), time.process_time()
            result = export_panoptic(project, folder / f"out{round_index}", "bench")
            export = (time.perf_counter() - start, time.process_time() - cpu)
            rounds.append((encode[0] / export[0], encode, export))
        start = time.perf_counter()
        problems = validate_panoptic(result.paths[0])
        validation = time.perf_counter() - start
        project.close()
    assert not problems and result.images == count
    for ratio, encode, export in rounds:
        print(f"encode {encode[0]:5.2f} s ({count / encode[0]:5.2f} img/s, CPU {encode[1]:5.2f} s)"
              f"   export {export[0]:5.2f} s ({count / export[0]:5.2f} img/s, CPU "
              f"{export[1]:5.2f} s)   ratio {ratio:.2f}")
    ratio, encode, export = sorted(rounds)[len(rounds) // 2]
    print(f"validation alone: {validation:.2f} s")
    print(f"ratio (export throughput / encode throughput), median round: {ratio:.2f} "
          f"({'meets' if ratio >= 0.8 else 'BELOW'} the 0.8 target); "
          f"CPU-time ratio {encode[1] / export[1]:.2f}")


if __name__ == "__main__":
    main()
