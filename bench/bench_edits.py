"""Edit latency on a 3000x4000 map with 200 segments: prints each operation's time and its
ratio to the budget (merge, relabel, delete and their undo: 20 ms; one brush dab: 5 ms, also
with locked segments; vertex editing a 40% stuff segment: 100 ms to trace or write).

A ratio at or below 1.0 meets the budget. One run, no repetition: run it a few times when a
figure is close. Usage: python bench/bench_edits.py
"""

from __future__ import annotations

import time
from collections.abc import Callable

import cv2
import numpy as np

from panoptix.core import edits
from panoptix.core.attributes import set_locked
from panoptix.core.categories import load_table
from panoptix.core.document import Document
from panoptix.core.segment import Segment
from panoptix.core.vertex_edit import VertexEdit

HEIGHT, WIDTH, SEGMENTS = 3000, 4000, 200
EDIT_BUDGET_MS, DAB_BUDGET_MS = 20.0, 5.0
VERTEX_BUDGET_MS = 100.0
"""Tracing a segment for vertex editing, and writing a moved vertex on release."""


def voronoi_map(rng: np.random.Generator) -> np.ndarray:
    """200 segments: irregular cells drawn at 1/8 scale and resized like a model's output."""
    small_h, small_w = HEIGHT // 8, WIDTH // 8
    seeds = rng.uniform([0, 0], [small_h, small_w], size=(SEGMENTS, 2))
    yy, xx = np.mgrid[0:small_h, 0:small_w]
    best = np.full((small_h, small_w), np.inf)
    cells = np.zeros((small_h, small_w), np.int32)
    for index, (sy, sx) in enumerate(seeds, start=1):
        distance = (yy - sy) ** 2 + (xx - sx) ** 2
        closer = distance < best
        best[closer] = distance[closer]
        cells[closer] = index
    full = cv2.resize(cells, (WIDTH, HEIGHT), interpolation=cv2.INTER_NEAREST)
    full[: HEIGHT * 2 // 5] = SEGMENTS  # one stuff segment covers 40% of the image, like sky
    return full


def build_document() -> Document:
    categories = load_table("coco_panoptic")
    things = [c.id for c in categories if c.isthing]
    stuff = [c.id for c in categories if not c.isthing]
    id_map = voronoi_map(np.random.default_rng(0))
    segments = {i: Segment(things[i % len(things)] if i % 4 else stuff[i // 4 % len(stuff)])
                for i in np.unique(id_map).tolist()}
    return Document(id_map, segments, categories)


def timed_ms(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def largest(doc: Document, count: int, things: bool) -> list[int]:
    chosen = [i for i in doc.segments if doc.is_thing(i) == things]
    return sorted(chosen, key=doc.area, reverse=True)[:count]


def vertex_edit(doc: Document, segment_id: int) -> list[tuple[str, float, float]]:
    """Trace the 40% stuff segment, drag one vertex 60 px, release, finish."""
    started = time.perf_counter()
    edit = VertexEdit(doc, segment_id)
    trace_ms = (time.perf_counter() - started) * 1000
    points = edit.contours[0].points
    x, y = points[len(points) // 2]
    edit.move_vertex(0, len(points) // 2, x, y + 60)
    return [("vertex edit: trace 40% stuff", trace_ms, VERTEX_BUDGET_MS),
            ("  drag release (write)", timed_ms(edit.apply), VERTEX_BUDGET_MS),
            ("  finish (one undo step)", timed_ms(edit.finish), VERTEX_BUDGET_MS)]


def main() -> None:
    doc = build_document()
    big_things = largest(doc, 3, things=True)
    big_stuff = largest(doc, 1, things=False)
    other_stuff_category = next(c.id for c in doc.categories if not c.isthing
                                and c.id != doc.segments[big_stuff[0]].category_id)
    results: list[tuple[str, float, float]] = []
    operations: list[tuple[str, Callable[[], object]]] = [
        ("merge 3 largest things", lambda: edits.merge(doc, big_things)),
        ("relabel largest thing to a stuff", lambda: edits.relabel(
            doc, big_things[:1], doc.segments[big_stuff[0]].category_id)),
        ("relabel largest stuff", lambda: edits.relabel(doc, big_stuff, other_stuff_category)),
        ("delete 3 largest things", lambda: edits.delete(doc, big_things)),
        ("merge 40% stuff with a thing", lambda: edits.merge(doc, [big_stuff[0], big_things[0]])),
        ("delete 40% stuff", lambda: edits.delete(doc, big_stuff)),
    ]
    for name, action in operations:
        results.append((name, timed_ms(action), EDIT_BUDGET_MS))
        results.append((f"  undo {name}", timed_ms(doc.undo), EDIT_BUDGET_MS))
        results.append((f"  redo {name}", timed_ms(doc.redo), EDIT_BUDGET_MS))
        doc.undo()
    stroke = edits.BrushStroke(doc, radius=40, category_id=doc.segments[big_things[0]].category_id)
    dabs = [timed_ms(lambda x=x: stroke.dab(x, 1500)) for x in range(1000, 3000, 10)]
    results.append(("brush dab radius 40 (worst of 200)", max(dabs), DAB_BUDGET_MS))
    results.append(("brush stroke finish", timed_ms(stroke.finish), EDIT_BUDGET_MS))
    results.append(("  undo brush stroke", timed_ms(doc.undo), EDIT_BUDGET_MS))
    set_locked(doc, largest(doc, 10, things=True), True)
    doc.history.clear()
    stroke = edits.BrushStroke(doc, radius=40, category_id=doc.segments[big_things[0]].category_id)
    dabs = [timed_ms(lambda x=x: stroke.dab(x, 1500)) for x in range(1000, 3000, 10)]
    results.append(("  same, 10 largest things locked", max(dabs), DAB_BUDGET_MS))
    stroke.finish()
    results.extend(vertex_edit(doc, big_stuff[0]))
    print(f"{'operation':40s} {'ms':>8s} {'budget':>7s} {'ratio':>6s}")
    for name, ms, budget in results:
        print(f"{name:40s} {ms:8.2f} {budget:7.1f} {ms / budget:6.2f}")
    worst = max(ms / budget for _, ms, budget in results)
    print(f"worst ratio {worst:.2f} ({'within' if worst <= 1 else 'OVER'} budget)")


if __name__ == "__main__":
    main()
