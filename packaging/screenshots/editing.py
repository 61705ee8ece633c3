"""Screenshots of the editing features: vertex editing, a lock, image flags, shortcuts.

    python packaging/screenshots/editing.py [OUT_FOLDER]          # offscreen grabs
    DISPLAY=:104 QT_QPA_PLATFORM=xcb python packaging/screenshots/editing.py --hold 300 OUT

Writes vertices.png, locks.png, flags.png and shortcuts.png into OUT_FOLDER (default: this
folder). With ``--hold SECONDS`` the window stays up on the display after the scene is
built, for driving it with real input (xdotool) and capturing the screen; the screen
positions of the points of interest are written to OUT_FOLDER/points.json.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from shot import (
    copy_samples,
    inside_point,
    open_window,
    sample_ground_truth,
    settle,
    show_image,
    use_temporary_settings,
)

NAMES = ("street_01.jpg", "street_02.jpg", "park_01.jpg", "harbour_01.jpg")


def build(tmp: Path):  # noqa: ANN201
    """The window on street_01 with its ground truth painted in; and the image points
    of interest (see :func:`scene_points`)."""
    from panoptix.core import edits

    images = copy_samples(tmp, NAMES)
    window = open_window(images, (1600, 1000), model="local-model-not-needed")
    show_image(window, "street_01.jpg")
    doc = window.editor.document
    truth = sample_ground_truth("street_01.jpg")
    for name, mask in truth:
        edits.add_mask(doc, mask, doc.categories.find(name).id)
    doc.history.clear()
    window.editor.set_category(doc.categories.find("car").id)
    window.canvas.fit()
    return window, scene_points(truth)


def scene_points(truth: list[tuple[str, np.ndarray]]) -> dict[str, tuple[float, float]]:
    """``(x, y)`` image points: inside the largest car, its lowest left corner (a vertex
    of the road's outline) and a spot to pull it to, the middle of its bottom edge and a
    spot below, inside the largest person and a brush stroke across them, and inside the
    road."""
    def largest(name: str) -> np.ndarray:
        return max((mask for label, mask in truth if label == name), key=np.sum)

    car, person = largest("car"), largest("person")
    ys, xs = np.nonzero(car)
    bottom = ys.max()
    left = xs[ys == bottom].min()
    middle = int(np.median(xs[ys == bottom]))
    px, py = inside_point(person)
    return {"car": inside_point(car), "car_corner": (left + 0.5, bottom + 0.5),
            "car_pull": (left - 30.5, bottom + 25.5), "car_edge": (middle, bottom + 1),
            "car_edge_pull": (middle, bottom + 30), "person": (px, py),
            "brush_from": (px - 35, py), "brush_to": (px + 35, py),
            "road": inside_point(largest("road"))}


def screen_points(window, points: dict) -> dict:  # noqa: ANN001
    """Global screen positions of the scene points the manual session uses."""
    from PySide6.QtCore import QPointF

    canvas = window.canvas

    def at(x: float, y: float) -> list[int]:
        point = canvas.viewport().mapToGlobal(canvas.mapFromScene(QPointF(x, y)))
        return [point.x(), point.y()]

    notes = window.notes.panel
    boxes = {flag: box.mapToGlobal(box.rect().center()) for flag, box in notes._boxes.items()}
    return {**{name: at(*point) for name, point in points.items()},
            "comment": _centre(notes.comment),
            "flags": {f: [p.x(), p.y()] for f, p in boxes.items()},
            "filter": _centre(window.notes.image_filter)}


def _centre(widget) -> list[int]:  # noqa: ANN001
    point = widget.mapToGlobal(widget.rect().center())
    return [point.x(), point.y()]


def grab(window, out: Path) -> None:  # noqa: ANN001
    settle(400)
    window.grab().save(str(out))
    print(f"wrote {out}")


def offscreen(window, folder: Path, points: dict) -> None:  # noqa: ANN001
    """The same states, staged through the tools' own calls."""
    from panoptix.core import edits

    doc, editor = window.editor.document, window.editor
    road, car = doc.segment_at(*points["road"]), doc.segment_at(*points["car"])
    doc.select([road])
    editor.set_tool("vertices")  # the road: its outline and the holes the cars make
    tool = editor.tools["vertices"]
    corner = tool.vertex_at(*points["car_corner"])
    if corner is not None:
        tool.edit.move_vertex(*corner, *points["car_pull"])
        tool.item.hover = corner
        tool.item.changed()
        tool.edit.apply()
    window.canvas.zoom_to(doc.box(car), margin=0.45)
    grab(window, folder / "vertices.png")
    tool.finish()
    person = doc.segment_at(*points["person"])
    doc.select([person])
    window.actions["lock"].trigger()
    editor.set_tool("brush")
    doc.select([])
    stroke = edits.BrushStroke(doc, 12, category_id=doc.categories.find("car").id)
    (x0, y), (x1, _) = points["brush_from"], points["brush_to"]
    for x in range(int(x0), int(x1) + 1, 4):
        stroke.line_to(x, y)
    stroke.finish()
    window.canvas.zoom_to(doc.box(person), margin=1.5)
    window.status.hover.setText(editor.describe(*points["person"]))
    window.segments.refresh()
    grab(window, folder / "locks.png")
    notes = window.notes.panel
    notes.set_flag("ambiguous", True)
    notes.comment.setPlainText("two people behind the parked car: one segment or two?")
    notes.save_comment()
    window.session.go_to("park_01.jpg")
    settle(300)
    notes.set_flag("bad image", True)
    window.canvas.fit()
    grab(window, folder / "flags.png")
    window.keymap.customize()
    dialog = window.keymap.dialog
    dialog.presets.setCurrentIndex(dialog.presets.findData("cvat"))
    dialog.presets.activated.emit(dialog.presets.currentIndex())
    dialog.set_shortcut("merge", "F")
    settle(300)
    dialog.grab().save(str(folder / "shortcuts.png"))
    print(f"wrote {folder / 'shortcuts.png'}")


def main() -> None:
    args = sys.argv[1:]
    hold = None
    if args[:1] == ["--hold"]:
        hold, args = float(args[1]), args[2:]
    folder = Path(args[0]) if args else Path(__file__).parent
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        use_temporary_settings(tmp)
        window, points = build(Path(tmp))
        if hold is None:
            offscreen(window, folder, points)
        else:
            window.showMaximized()
            settle(1500)
            (folder / "points.json").write_text(json.dumps(screen_points(window, points),
                                                           indent=1))
            print("holding", flush=True)
            settle(int(hold * 1000))
        window.close()


if __name__ == "__main__":
    main()
