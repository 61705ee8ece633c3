"""Screenshots of the editor on a real X display, driven by real X input (xdotool).

    Xvfb :103 -screen 0 1600x1000x24 &
    DISPLAY=:103 QT_SCALE_FACTOR=1.0 python packaging/screenshots/xvfb_tour.py OUT_DIR

A 4000x3000 photo (the street sample, enlarged) is annotated with the sample's ground
truth (enlarged the same way) and opened in the real window on ``$DISPLAY``. Then, with
xdotool moving the real X pointer and pressing real keys, while a 2 ms timer in the
window records how long the event loop ever stalled:

1. a 64 px brush stroke of a new person across the sky, the buildings and the road
   (``stroke.png``, and the longest stall during the stroke, printed);
2. the "building" category hidden with a click on its eye in the category panel
   (``hidden.png``), then "car" soloed with Ctrl+click (``solo.png``), Shift+H shows all;
3. colour by instance, Shift+I (``instances.png``);
4. a right click on a car: the canvas menu (``menu.png``).

Each screenshot is the X screen where the window is (ImageMagick ``import -window root``),
not a grab of the window by Qt. Requires xdotool and ImageMagick. The README's
``stroke-12mp.png``, ``solo.png`` and ``instances.png`` are this tour at scale 1.0, and
``hidden-2x.png`` its ``hidden.png`` at QT_SCALE_FACTOR=2.0.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "xcb"  # the real display (shot.py defaults to offscreen)

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PySide6.QtCore import (  # noqa: E402
    QElapsedTimer,
    QEventLoop,
    QPoint,
    QPointF,
    QProcess,
    QSettings,
    Qt,
    QTimer,
)
from shot import (  # noqa: E402
    SAMPLES,
    copy_samples,
    inside_point,
    sample_ground_truth,
    use_temporary_settings,
)

STALL_TICK_MS = 2


class Stalls:
    """The gaps between 2 ms ticks on the GUI thread while it runs; ``mark()`` splits
    them into before and after a moment (the stroke's release)."""

    def __init__(self) -> None:
        self.clock, self.timer = QElapsedTimer(), QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(STALL_TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[tuple[float, float]] = []
        self.marked: float | None = None
        self._last = 0

    def start(self) -> None:
        self.gaps.clear()
        self.marked = None
        self.clock.start()
        self._last = self.clock.nsecsElapsed()
        self.timer.start()

    def mark(self) -> None:
        self.marked = self.clock.nsecsElapsed() / 1e6

    def stop(self) -> tuple[float, float]:
        """The longest stall (ms beyond the tick) before the mark and from it on."""
        self.timer.stop()
        cut = self.marked if self.marked is not None else float("inf")
        before = [gap for end, gap in self.gaps if end < cut]
        after = [gap for end, gap in self.gaps if end >= cut]  # the release's own gap too
        return (max(before, default=STALL_TICK_MS) - STALL_TICK_MS,
                max(after, default=STALL_TICK_MS) - STALL_TICK_MS)

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed()
        self.gaps.append((now / 1e6, (now - self._last) / 1e6))
        self._last = now


def run(program: str, args: list[str]) -> None:
    """Run a command while the event loop keeps running (the window paints meanwhile)."""
    process, loop = QProcess(), QEventLoop()
    process.finished.connect(loop.quit)
    process.start(program, args)
    loop.exec()


def settle(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def at(widget, point: QPoint) -> list[str]:  # noqa: ANN001
    """xdotool's arguments to move the pointer to a widget point (in X's pixels)."""
    ratio = widget.devicePixelRatio()
    spot = widget.mapToGlobal(point)
    return ["mousemove", str(round(spot.x() * ratio)), str(round(spot.y() * ratio))]


def shoot(window, out: Path) -> None:  # noqa: ANN001
    """The X screen where the window is (in X's pixels), as ImageMagick reads it."""
    settle(500)
    ratio = window.devicePixelRatio()
    frame = window.frameGeometry()
    crop = (f"{round(frame.width() * ratio)}x{round(frame.height() * ratio)}"
            f"+{round(frame.x() * ratio)}+{round(frame.y() * ratio)}")
    run("import", ["-window", "root", "-crop", crop, "+repage", str(out)])
    print(f"wrote {out}")


def make_project(folder: Path) -> tuple[Path, tuple[int, int]]:
    """The project, and an image point inside its largest car."""
    images = copy_samples(folder, ("street_02.jpg", "park_01.jpg"))
    photo = cv2.imread(str(SAMPLES / "street_01.jpg"))
    big = cv2.resize(photo, (4000, 3000), interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(str(images / "street_12mp.jpg"), big, [cv2.IMWRITE_JPEG_QUALITY, 92])
    from panoptix.core import edits
    from panoptix.core.categories import load_table
    from panoptix.core.document import Document
    from panoptix.core.project import ImageStatus, Project

    project = Project.open_or_create_for_images(images, categories=load_table("coco_panoptic"))
    doc = Document.blank(big.shape[0], big.shape[1], project.categories)
    cars = []
    for name, mask in sample_ground_truth("street_01.jpg"):
        grown = cv2.resize(mask.astype(np.uint8), (4000, 3000),
                           interpolation=cv2.INTER_NEAREST).astype(bool)
        edits.add_mask(doc, grown, project.categories.find(name).id)
        if name == "car":
            cars.append(grown)
    project.save_document("street_12mp.jpg", doc, status=ImageStatus.PRESEGMENTED)
    project.save_manifest()
    project.close()
    return images, inside_point(max(cars, key=lambda m: int(m.sum())))


def tour(window, out_dir: Path, car: tuple[int, int]) -> dict:  # noqa: ANN001
    canvas, picker, report = window.canvas, window.categories.picker, {}
    doc = window.editor.document
    stalls = Stalls()

    def scene_point(x: float, y: float) -> QPoint:
        return canvas.mapFromScene(QPointF(x, y))  # a point of the canvas's viewport

    def eye(name: str) -> QPoint:
        item = next(i for i in picker._entries() if i.text(0) == name)
        picker.tree.scrollToItem(item)
        settle(100)
        header, column = picker.tree.header(), window.view.column.column
        return QPoint(header.sectionViewportPosition(column) + header.sectionSize(column) // 2,
                      picker.tree.visualItemRect(item).center().y())

    def key(*keys: str) -> None:
        run("xdotool", ["key", "--clearmodifiers", *keys])
        settle(300)

    # 1. a 64 px stroke of a new person across sky, buildings and road
    run("xdotool", [*at(canvas.viewport(), scene_point(2000, 1500)), "click", "1"])  # focus
    window.editor.set_category(doc.categories.find("person").id)
    window.editor.clear_selection()
    key("b")
    window.editor.set_brush_size(64)
    path = [(400 + 40 * i, 900 + 900 * np.sin(i / 18)) for i in range(80)]
    moves = []
    for x, y in path[1:]:
        moves += [*at(canvas.viewport(), scene_point(x, y)), "sleep", "0.012"]
    before = len(doc.history)
    canvas.pointer_released.connect(stalls.mark)
    stalls.start()
    started = time.perf_counter()
    run("xdotool", [*at(canvas.viewport(), scene_point(*path[0])), "mousedown", "1", *moves,
                    "mouseup", "1"])
    settle(300)
    report["stroke_seconds"] = round(time.perf_counter() - started, 2)
    during, release = stalls.stop()
    canvas.pointer_released.disconnect(stalls.mark)
    report["stroke_longest_stall_ms"] = round(during, 1)
    report["release_longest_stall_ms"] = round(release, 1)
    report["stroke_committed"] = len(doc.history) == before + 1
    shoot(window, out_dir / "stroke.png")

    # 2. hide a category from its eye, solo another with Ctrl+click, then show all
    run("xdotool", [*at(picker.tree.viewport(), eye("building-other-merged")), "click", "1"])
    report["hidden"] = sorted(window.view.visibility.hidden)
    shoot(window, out_dir / "hidden.png")
    run("xdotool", [*at(picker.tree.viewport(), eye("car")), "keydown", "ctrl", "click", "1",
                    "keyup", "ctrl"])
    report["soloed"] = sorted(window.view.visibility.soloed)
    shoot(window, out_dir / "solo.png")
    key("v")  # back to the select tool (a click with the brush would paint)
    key("shift+h")
    report["all_shown_again"] = window.view.visibility.is_default

    # 3. colour by instance
    key("shift+i")
    report["color_by_instance"] = window.canvas.renderer.style.color_by_instance
    shoot(window, out_dir / "instances.png")
    key("shift+i")

    # 4. the canvas menu on a car
    run("xdotool", [*at(canvas.viewport(), scene_point(*car)), "click", "3"])
    settle(300)
    report["menu_open"] = window.context_menus.last is not None \
        and window.context_menus.last.isVisible()
    shoot(window, out_dir / "menu.png")
    key("Escape")
    report["category_of_menu_segment"] = [
        doc.categories[doc.segments[i].category_id].name for i in doc.selection]
    return report


def main() -> None:
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    out_dir.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("DISPLAY"):
        raise SystemExit("needs a real X display (DISPLAY); see the docstring")
    with tempfile.TemporaryDirectory() as tmp:
        use_temporary_settings(tmp)
        images, car = make_project(Path(tmp))
        from panoptix.gui.app import application
        from panoptix.gui.main_window import MainWindow
        from panoptix.gui.prefs import Prefs

        application()
        window = MainWindow(Prefs(QSettings()))
        window.session.auto_presegment = False
        window.show()
        loop = QEventLoop()
        window.session.image_opened.connect(
            lambda key, *_: key == "street_12mp.jpg" and loop.quit())
        window.open_path(images, model="local-model-not-needed")
        window.session.go_to("street_12mp.jpg")
        loop.exec()
        settle(800)
        window.activateWindow()
        report = tour(window, out_dir, car)
        report["scale_factor"] = window.devicePixelRatio()
        print(json.dumps(report))
        window.close()


if __name__ == "__main__":
    main()
