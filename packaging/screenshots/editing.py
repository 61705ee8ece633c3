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

from shot import copy_samples, open_window, settle, show_image, use_temporary_settings
from window import SCENE

NAMES = ("street_01.jpg", "street_02.jpg", "park_01.jpg", "shapes_01.jpg")


def build(tmp: Path):  # noqa: ANN201
    from panoptix.core import edits

    images = copy_samples(tmp, NAMES)
    window = open_window(images, (1600, 1000), model="local-model-not-needed")
    show_image(window, "street_01.jpg")
    doc = window.editor.document
    for name, polygon in SCENE:
        edits.fill_polygon(doc, polygon, doc.categories.find(name).id)
    doc.history.clear()
    window.editor.set_category(doc.categories.find("car").id)
    window.canvas.fit()
    return window


def screen_points(window) -> dict:  # noqa: ANN001
    """Global screen positions of the scene points the manual session uses."""
    from PySide6.QtCore import QPointF

    canvas = window.canvas

    def at(x: float, y: float) -> list[int]:
        point = canvas.viewport().mapToGlobal(canvas.mapFromScene(QPointF(x, y)))
        return [point.x(), point.y()]

    notes = window.extras.notes
    boxes = {flag: box.mapToGlobal(box.rect().center()) for flag, box in notes._boxes.items()}
    return {"car": at(100, 400), "car_corner": at(189.5, 372.5), "car_pull": at(235, 350),
            "car_edge": at(127, 345.5), "car_edge_pull": at(127, 315),
            "person": at(205, 280), "brush_from": at(170, 280), "brush_to": at(240, 280),
            "comment": _centre(notes.comment),
            "flags": {f: [p.x(), p.y()] for f, p in boxes.items()},
            "filter": _centre(window.extras.image_filter)}


def _centre(widget) -> list[int]:  # noqa: ANN001
    point = widget.mapToGlobal(widget.rect().center())
    return [point.x(), point.y()]


def grab(window, out: Path) -> None:  # noqa: ANN001
    settle(400)
    window.grab().save(str(out))
    print(f"wrote {out}")


def offscreen(window, folder: Path) -> None:  # noqa: ANN001
    """The same states, staged through the tools' own calls."""
    from PySide6.QtCore import QPointF

    from panoptix.core import edits

    doc, editor = window.editor.document, window.editor
    road, car = doc.segment_at(20, 470), doc.segment_at(100, 400)
    doc.select([road])
    editor.set_tool("vertices")  # the road: its outline and the holes the cars make
    tool = editor.tools["vertices"]
    corner = tool.vertex_at(189.5, 371.5)
    if corner is not None:
        tool.edit.move_vertex(*corner, 160, 392)
        tool.item.hover = corner
        tool.item.changed()
        tool.edit.apply()
    window.canvas.zoom_to(doc.box(car), margin=0.45)
    grab(window, folder / "vertices.png")
    tool.finish()
    person = doc.segment_at(205, 280)
    doc.select([person])
    window.actions["lock"].trigger()
    editor.set_tool("brush")
    doc.select([])
    stroke = edits.BrushStroke(doc, 12, category_id=doc.categories.find("car").id)
    for x in range(170, 241, 4):
        stroke.line_to(x, 280)
    stroke.finish()
    window.canvas.zoom_to(doc.box(person), margin=1.5)
    window.status.hover.setText(editor.describe(205, 280))
    window.segments.refresh()
    grab(window, folder / "locks.png")
    notes = window.extras.notes
    notes.set_flag("ambiguous", True)
    notes.comment.setPlainText("two people behind the lamp post: one box or two?")
    notes.save_comment()
    window.session.go_to("park_01.jpg")
    settle(300)
    notes.set_flag("bad image", True)
    window.canvas.fit()
    grab(window, folder / "flags.png")
    window.extras.customize_shortcuts()
    dialog = window.extras.shortcuts_dialog
    dialog.presets.setCurrentIndex(dialog.presets.findData("cvat"))
    dialog.presets.activated.emit(dialog.presets.currentIndex())
    dialog.set_shortcut("merge", "F")
    settle(300)
    dialog.grab().save(str(folder / "shortcuts.png"))
    print(f"wrote {folder / 'shortcuts.png'}")
    del QPointF


def main() -> None:
    args = sys.argv[1:]
    hold = None
    if args[:1] == ["--hold"]:
        hold, args = float(args[1]), args[2:]
    folder = Path(args[0]) if args else Path(__file__).parent
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        use_temporary_settings(tmp)
        window = build(Path(tmp))
        if hold is None:
            offscreen(window, folder)
        else:
            window.showMaximized()
            settle(1500)
            (folder / "points.json").write_text(json.dumps(screen_points(window), indent=1))
            print("holding", flush=True)
            settle(int(hold * 1000))
        window.close()


if __name__ == "__main__":
    main()
