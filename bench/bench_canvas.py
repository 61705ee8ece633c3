"""Brush strokes and image switches at 12 MP through the real canvas: worst frame and stall.

A 4000x3000 photo with the 200-segment map of bench_edits.py (one stuff segment covers
40% of it) is shown in the real ``Canvas`` and ``Editor``. A 200-dab brush stroke (a new
person, painted with nothing selected over the stuff and the things) is replayed as mouse
events, at 64 px and 300 px, with the whole image in view and at 100%:

* frame: one mouse move handled and painted (``sendEvent`` then ``processEvents``):
  the worst and the 95th percentile wall time of the 200, the worst CPU time of the
  process (all threads: a shared machine's other jobs do not count there), and the
  stroke's release (committing its undo step, selecting the new segment);
* stall: the same stroke fed by an 8 ms timer (a 125 Hz mouse) while a 2 ms timer on the
  GUI thread records the gaps between its ticks; the longest gap beyond 2 ms.

Baselines measured in the same run, so the ratios hold on a busy machine:

* "old": what the canvas did before, per dab - redraw the boxes of every segment the
  dab touched (for the stuff segment, the whole image) - replayed on the same stroke;
* "bare fill": a numpy fill of each dab's box in the overlay buffer, then the repaint: the
  floor that any canvas pays.

Image switch: GUI-thread time to show a new 12 MP image and document, after the loader
thread prepared them (``DisplayPreparer``) and without that; the baseline is the old path
(a QPixmap from an RGB888 QImage, then the whole overlay rendered), timed here too. The
longest GUI stall while the loader thread prepares is reported as well.

    python bench/bench_canvas.py [--dabs 200] [--brushes 64,300]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from PySide6.QtCore import QEvent, QEventLoop, QPointF, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QImage, QMouseEvent, QPixmap  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bench_edits import build_document  # noqa: E402
from bench_gui_stall import StallMeter  # noqa: E402
from panoptix.core.document import Document  # noqa: E402
from panoptix.gui.canvas.canvas import Canvas  # noqa: E402
from panoptix.gui.canvas.overlay import OverlayRenderer  # noqa: E402
from panoptix.gui.tools.editor import Editor  # noqa: E402

VIEW = (1200, 900)
FEED_MS = 8


def photo(height: int, width: int) -> np.ndarray:
    """A smooth gradient with noise, like a photo to the painter (no flat areas)."""
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack([xx * 255 // width, yy * 255 // height, (xx + yy) * 255 // (width + height)],
                    axis=-1)
    return (base + rng.integers(0, 24, (height, width, 3))).clip(0, 255).astype(np.uint8)


def stroke_points(area: tuple[float, float, float, float], brush: int,
                  dabs: int) -> list[tuple[float, float]]:
    """``dabs`` points along a zigzag inside ``area`` (x0, y0, x1, y1), spaced just under
    the stroke's own dab step, so each mouse move paints exactly one dab."""
    x0, y0, x1, y1 = area
    step = 0.9 * max(1.0, brush / 4)
    margin = min(brush / 2, (x1 - x0) / 4)
    rows = np.linspace(y0 + margin, y1 - margin, 6)
    corners = []
    for index, y in enumerate(rows):
        ends = (x0 + margin, x1 - margin)
        corners += [(ends[index % 2], y), (ends[1 - index % 2], y)]
    points = [corners[0]]
    for (ax, ay), (bx, by) in zip(corners, corners[1:], strict=False):
        length = float(np.hypot(bx - ax, by - ay))
        for t in np.arange(step, length, step) / max(length, 1e-9):
            points.append((ax + (bx - ax) * t, ay + (by - ay) * t))
    while len(points) < dabs:  # back along the same path
        points += points[-2::-1]
    return points[:dabs]


def visible_area(canvas: Canvas) -> tuple[float, float, float, float]:
    rect = canvas.mapToScene(canvas.viewport().rect()).boundingRect().intersected(
        canvas.image_rect)
    return rect.left(), rect.top(), rect.right(), rect.bottom()


class Replay:
    """Feeds a stroke to the canvas as real mouse events."""

    def __init__(self, app: QApplication, canvas: Canvas) -> None:
        self.app, self.canvas = app, canvas

    def send(self, kind: QEvent.Type, x: float, y: float) -> None:
        view = self.canvas.viewportTransform().map(QPointF(x + 0.5, y + 0.5))
        button = Qt.MouseButton.LeftButton
        buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
        event = QMouseEvent(kind, view, self.canvas.viewport().mapToGlobal(view),
                            Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else button,
                            buttons, Qt.KeyboardModifier.NoModifier)
        self.app.sendEvent(self.canvas.viewport(), event)

    def frames(self, points: list[tuple[float, float]],
               ) -> tuple[list[float], list[float], float]:
        """Per-move wall and process CPU ms (handled and painted), the release's ms."""
        times, cpu = [], []
        self.send(QEvent.Type.MouseButtonPress, *points[0])
        self.app.processEvents()
        for x, y in points[1:]:
            started, started_cpu = time.perf_counter(), time.process_time()
            self.send(QEvent.Type.MouseMove, x, y)
            self.app.processEvents()
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        started = time.perf_counter()
        self.send(QEvent.Type.MouseButtonRelease, *points[-1])
        self.app.processEvents()
        return times, cpu, (time.perf_counter() - started) * 1000

    def stall(self, points: list[tuple[float, float]]) -> float:
        """The longest stall (ms) while the stroke comes in at 125 Hz."""
        meter, loop, feed = StallMeter(), QEventLoop(), QTimer()
        feed.setTimerType(Qt.TimerType.PreciseTimer)
        feed.setInterval(FEED_MS)
        pending = list(points)
        self.send(QEvent.Type.MouseButtonPress, *pending.pop(0))

        def next_point() -> None:
            x, y = pending.pop(0)
            if pending:
                self.send(QEvent.Type.MouseMove, x, y)
            else:
                self.send(QEvent.Type.MouseButtonRelease, x, y)
                feed.stop()
                loop.quit()

        feed.timeout.connect(next_point)
        meter.start()
        feed.start()
        loop.exec()
        return meter.stop()


def old_full_box(canvas: Canvas) -> Callable[[frozenset[int]], None]:
    """The old canvas's reaction to a dab: redraw every touched segment's whole box."""
    renderer = canvas.renderer

    def redraw(ids: frozenset[int]) -> None:
        renderer.rebuild_lut()
        box = renderer.boxes_of(ids)
        if box is not None:
            canvas.overlay.refresh(renderer.render(box))

    return redraw


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def bare_fill(app: QApplication, canvas: Canvas, doc: Document, points: list, brush: int,
              ) -> tuple[list[float], list[float]]:
    times, cpu = [], []
    height, width = doc.shape
    r = brush // 2
    words = canvas.renderer.rgba.view(np.uint32)[:, :, 0]
    for x, y in points[1:]:
        started, started_cpu = time.perf_counter(), time.process_time()
        cx, cy = round(x), round(y)
        box = (max(0, cy - r - 1), max(0, cx - r - 1), min(height, cy + r + 2),
               min(width, cx + r + 2))
        words[box[0]:box[2], box[1]:box[3]] = 0xFF4080C0
        canvas.overlay.refresh(box)
        app.processEvents()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return times, cpu


def view_at(canvas: Canvas, zoom: str, center: tuple[float, float]) -> None:
    canvas.fit()
    if zoom == "100%":
        canvas.actual_pixels()
        canvas.centerOn(QPointF(*center))


def bench_strokes(app: QApplication, canvas: Canvas, editor: Editor, doc: Document,
                  brushes: list[int], dabs: int) -> None:
    replay = Replay(app, canvas)
    person = doc.categories.find("person").id
    editor.set_tool("brush")
    editor.set_category(person)
    print(f"\nbrush stroke of {dabs} dabs, nothing selected (a new person over stuff and "
          f"things), view {VIEW[0]}x{VIEW[1]}")
    print("frame = one mouse move handled and painted (ms): worst and 95th percentile of "
          "wall time, worst CPU time of the process;\nstall = longest event-loop gap at 125 Hz "
          "input; ratios = p95 wall and worst CPU against the old path and the bare fill")
    print(f"{'brush':>6s} {'view':>5s} {'path':>9s} {'worst':>8s} {'p95':>7s} {'cpu':>8s} "
          f"{'stall':>8s} {'release':>8s} {'p95/old':>8s} {'cpu/old':>8s} {'p95/fill':>8s} "
          f"{'cpu/fill':>8s}")
    for brush in brushes:
        editor.set_brush_size(brush)
        for zoom in ("fit", "100%"):
            view_at(canvas, zoom, (doc.shape[1] / 2, doc.shape[0] * 0.4))
            points = stroke_points(visible_area(canvas), brush, dabs)
            rows = {}
            for path in ("new", "old"):
                extra = old_full_box(canvas) if path == "old" else None
                if extra is not None:
                    doc.segments_changed.connect(extra)
                try:
                    times, cpu, release = replay.frames(points)
                    editor.undo()
                    stall = replay.stall(points)
                    editor.undo()
                finally:
                    if extra is not None:
                        doc.segments_changed.disconnect(extra)
                app.processEvents()
                rows[path] = (max(times), p95(times), max(cpu), stall, release)
            fill_times, fill_cpu = bare_fill(app, canvas, doc, points, brush)
            fill = (max(fill_times), p95(fill_times), max(fill_cpu))
            canvas.redraw_overlay()
            app.processEvents()
            for path, (worst, p95_ms, cpu_ms, stall, release) in rows.items():
                old = rows["old"]
                print(f"{brush:6d} {zoom:>5s} {path:>9s} {worst:8.2f} {p95_ms:7.2f} "
                      f"{cpu_ms:8.2f} {stall:8.1f} {release:8.1f} {p95_ms / old[1]:8.3f} "
                      f"{cpu_ms / old[2]:8.3f} {p95_ms / fill[1]:8.2f} {cpu_ms / fill[2]:8.2f}")
            print(f"{brush:6d} {zoom:>5s} {'bare fill':>9s} {fill[0]:8.2f} {fill[1]:7.2f} "
                  f"{fill[2]:8.2f}")


def bench_switch(app: QApplication, canvas: Canvas, editor: Editor, rgb: np.ndarray,
                 make_doc: Callable[[], Document]) -> None:
    print("\nswitch to a 4000x3000 image (GUI thread ms; best of 3)")
    height, width = rgb.shape[:2]

    def old() -> float:
        doc = make_doc()
        started = time.perf_counter()
        image = QImage(rgb.data, width, height, width * 3, QImage.Format.Format_RGB888)
        QPixmap.fromImage(image)
        OverlayRenderer().set_document(doc)
        return (time.perf_counter() - started) * 1000

    def switch(prepared: bool) -> tuple[float, float]:
        doc, image = make_doc(), rgb.copy()
        stall = 0.0
        if prepared:
            meter = StallMeter()
            thread = threading.Thread(target=canvas.preparer, args=(image, doc))
            meter.start()
            thread.start()
            while thread.is_alive():
                app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
            stall = meter.stop()
        started = time.perf_counter()
        canvas.set_image(image)
        editor.set_document(doc)
        app.processEvents()
        return (time.perf_counter() - started) * 1000, stall

    baseline = min(old() for _ in range(3))
    ahead = [switch(True) for _ in range(3)]
    here = min(switch(False)[0] for _ in range(3))
    best_ahead = min(ms for ms, _ in ahead)
    print(f"  old path (pixmap + whole overlay):    {baseline:7.1f} ms   ratio 1.000")
    print(f"  prepared on the loader thread:        {best_ahead:7.1f} ms   ratio "
          f"{best_ahead / baseline:.3f}   (longest GUI stall while it prepared "
          f"{max(s for _, s in ahead):.1f} ms)")
    print(f"  not prepared (made on the GUI thread): {here:6.1f} ms   ratio "
          f"{here / baseline:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dabs", type=int, default=200)
    parser.add_argument("--brushes", default="64,300")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    doc = build_document()
    rgb = photo(*doc.shape)
    canvas = Canvas()
    canvas.resize(*VIEW)
    canvas.show()
    editor = Editor(canvas)
    canvas.set_image(rgb)
    editor.set_document(doc)
    app.processEvents()
    print(f"{doc.shape[1]}x{doc.shape[0]} image, {len(doc.segments)} segments, "
          f"{os.cpu_count()} CPUs, platform {app.platformName()}")
    bench_strokes(app, canvas, editor, doc, [int(b) for b in args.brushes.split(",")],
                  args.dabs)
    bench_switch(app, canvas, editor, rgb, build_document)
    canvas.close()


if __name__ == "__main__":
    main()
