"""Laptops and high-DPI (issue 11, defect 10; issue 19 C): the window at scale factors 1.0,
1.5 and 2.0 on 1366x768 and 1920x1080 screens (at 2.0 the laptop has 683x384 logical
pixels).

A scale factor is fixed when the application starts, so each of the six runs in a process
of its own (all at once), on the offscreen platform given a screen of that size. Each
shows an image with two segments, a category name of 21 characters, and every read-out of
the status bar at once (a message, the pointer, work running, the model, background
progress), as on the first start. The window's own size is checked as it opens; the rest
after it is kept inside the screen, as a window manager does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from itertools import product

import pytest

from panoptix.core.bundled import bundled

SCREENS = ((1366, 768), (1920, 1080))
FACTORS = ("1.0", "1.5", "2.0")
COMBINATIONS = [f"{w}x{h}@{f}" for (w, h), f in product(SCREENS, FACTORS)]
READABLE = "building-oth"
"""At least 12 characters of a category name are in view."""

PROBE = r"""
import json, shutil, sys
from pathlib import Path
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QDockWidget, QTabBar, QToolBar, QToolButton, QWidget
QSettings.setDefaultFormat(QSettings.Format.IniFormat)
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, sys.argv[1])
from panoptix.core import edits
from panoptix.gui.app import application
from panoptix.gui.main_window import MainWindow
from panoptix.gui.panels.segment_list import CATEGORY_COLUMN, SCORE_COLUMN
from panoptix.gui.prefs import Prefs

READABLE = sys.argv[3]


def settle(ms):
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


app = application()
window = MainWindow(Prefs(QSettings()))
window.session.auto_presegment = False
window.show()
loop = QEventLoop()
window.session.image_opened.connect(lambda *_: QTimer.singleShot(300, loop.quit))
QTimer.singleShot(30_000, loop.quit)  # never hang: the asserts then say what is missing
window.open_path(sys.argv[2], model="none")
loop.exec()
doc = window.editor.document
for name, polygon in (("building-other-merged", [(0, 0), (200, 0), (200, 100)]),
                      ("person", [(0, 200), (50, 200), (50, 300)])):
    edits.fill_polygon(doc, polygon, doc.categories.find(name).id)
status = window.status
status.message("the model is loading: the image shows as soon as it is segmented")
status.hover.setText("(1024, 768)  #12 building-other-merged  score 0.99  area 94,679 px")
status.set_busy("load", "Loading street_01.jpg…")
status.set_stage("segmenting street_01.jpg")
status.set_background(0, 5)
status.model.setText("model: Panoptix demo model (generated scenes only) on cpu")
settle(600)
free = app.primaryScreen().availableGeometry()
frame = window.frameGeometry()
least = window.minimumSizeHint()
# then, as a window manager would, keep the window inside the screen
window.resize(min(window.width(), free.width()), min(window.height(), free.height()))
settle(300)
docks = {dock.windowTitle(): dock for dock in window.findChildren(QDockWidget)}
opens_on = sorted(title for title, dock in docks.items() if not dock.visibleRegion().isEmpty())
in_view = {}
for title, widget in (("Segments", window.segments), ("Categories", window.categories)):
    docks[title].raise_()  # they may be tabs of one group on a small screen
    settle(300)
    in_view[title] = widget.isVisible() and not widget.visibleRegion().isEmpty()
canvas = window.canvas
viewport = canvas.viewport()
centre = canvas.mapToScene(viewport.rect().center())
bars = [b for b in window.findChildren(QToolBar) if b.isVisible()]
buttons = [(b, b.widgetForAction(a)) for b in bars for a in b.actions()
           if not a.isSeparator() and b.widgetForAction(a) is not None]
table, tree = window.segments, window.categories.picker.tree
swatch = tree.iconSize().width() if tree.iconSize().isValid() else 16
tab_bars = [t for t in window.findChildren(QTabBar) if t.parent() is window and t.isVisible()]
read_outs = [w for w in status.findChildren(QWidget) if w.parent() is status and w.isVisible()]
print(json.dumps({
    "dpr": window.devicePixelRatio(),
    "free": [free.x(), free.y(), free.width(), free.height()],
    "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
    "least": [least.width(), least.height()],
    "window_width": window.width(),
    "canvas_width": canvas.width(),
    "viewport": [viewport.width(), viewport.height()],
    "scale": canvas.scale_factor,
    "image": [canvas.scene().sceneRect().width(), canvas.scene().sceneRect().height()],
    "centre": [centre.x(), centre.y()],
    "hidden_buttons": [b.windowTitle() + ":" + w.toolTip() for b, w in buttons
                       if not w.isVisible()
                       or w.mapTo(window, w.rect().bottomRight()).x() >= window.width()],
    "overflow_arrows": sum(b.findChild(QToolButton, "qt_toolbar_ext_button").isVisible()
                           for b in bars),
    "status_cut": [type(w).__name__ for w in read_outs
                   if w.mapTo(window, w.rect().bottomRight()).x() >= window.width()],
    "status_right": status.mapTo(window, status.rect().bottomRight()).x(),
    "table_name": table.columnWidth(CATEGORY_COLUMN),
    "table_readable": table.fontMetrics().horizontalAdvance(READABLE),
    "score_shown": not table.isColumnHidden(SCORE_COLUMN) and table.columnWidth(SCORE_COLUMN)
                   >= table.fontMetrics().horizontalAdvance("0.00"),
    "table_in_view": in_view["Segments"],
    "tree_name": tree.columnWidth(0) - tree.indentation() - swatch,
    "tree_readable": tree.fontMetrics().horizontalAdvance(READABLE),
    "tree_in_view": in_view["Categories"],
    "opens_on": opens_on,
    "cut_tabs": [t.tabText(i) for t in tab_bars for i in range(t.count())
                 if t.tabRect(i).width() < t.tabSizeHint(i).width()
                 or t.elideMode() != t.elideMode().ElideNone],
}))
window.close()
"""


@pytest.fixture(scope="module")
def layouts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("dpi")
    runs = {}
    for combination in COMBINATIONS:  # a folder each: a project is open in one process
        size, factor = combination.split("@")
        width, height = (int(n) for n in size.split("x"))
        folder = root / combination
        images = folder / "images"
        images.mkdir(parents=True)
        (images / "street_01.jpg").write_bytes(
            bundled("samples", "street_01.jpg").read_bytes())
        screen = folder / "screen.json"
        screen.write_text(json.dumps({"screens": [
            {"name": "screen", "x": 0, "y": 0, "width": width, "height": height,
             "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
        env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={screen}",
               "QT_SCALE_FACTOR": factor, "HOME": str(folder), "XDG_CONFIG_HOME": str(folder)}
        env.pop("QT_SCREEN_SCALE_FACTORS", None)
        runs[combination] = subprocess.Popen(
            [sys.executable, "-c", PROBE, str(folder / "settings"), str(images), READABLE],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = {}
    try:
        for combination, run in runs.items():
            out, err = run.communicate(timeout=180)
            assert run.returncode == 0, err
            results[combination] = json.loads(out.strip().splitlines()[-1])
    finally:
        for run in runs.values():  # none is left behind, whatever failed
            if run.poll() is None:
                run.kill()
                run.wait()
    return results


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_the_window_fits_the_screen_and_the_canvas_keeps_half_of_it(layouts, combination):
    layout = layouts[combination]
    assert layout["dpr"] == pytest.approx(float(combination.split("@")[1]))
    fx, fy, fw, fh = layout["frame"]
    x, y, width, height = layout["free"]
    assert layout["least"][0] <= width and layout["least"][1] <= height
    assert x <= fx and y <= fy and fx + fw <= x + width and fy + fh <= y + height
    assert layout["canvas_width"] >= 0.5 * layout["window_width"]
    assert layout["viewport"][1] >= 200


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_every_toolbar_button_and_status_read_out_shows(layouts, combination):
    layout = layouts[combination]
    assert layout["hidden_buttons"] == [] and layout["overflow_arrows"] == 0
    assert layout["status_cut"] == [] and layout["status_right"] < layout["window_width"]


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_category_names_are_readable_and_the_score_shows(layouts, combination):
    layout = layouts[combination]
    assert {"Segments", "Categories"} & set(layout["opens_on"])  # not "Image notes"
    assert layout["table_in_view"] and layout["tree_in_view"]
    assert layout["table_name"] >= layout["table_readable"] + 8  # the text's margins
    assert layout["score_shown"]
    assert layout["tree_name"] >= layout["tree_readable"]
    assert layout["cut_tabs"] == []  # dock tabs read "Thresholds", not "Thr..."


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_the_image_fits_the_canvas_and_the_pointer_maps_to_its_pixels(layouts, combination):
    layout = layouts[combination]
    (view_width, view_height), (width, height) = layout["viewport"], layout["image"]
    assert layout["scale"] == pytest.approx(min(view_width / width, view_height / height),
                                            rel=0.02)
    cx, cy = layout["centre"]
    assert abs(cx - width / 2) <= 1 / layout["scale"] + 1
    assert abs(cy - height / 2) <= 1 / layout["scale"] + 1


def test_layout_arithmetic():
    from PySide6.QtCore import QRect

    from panoptix.gui.adaptive_layout import fit_rect, rows_for, share_out

    assert rows_for([700, 650], 1400) == [[0, 1]]
    assert rows_for([700, 650], 1000) == [[0], [1]]
    assert rows_for([1200, 300, 200], 1000) == [[0], [1, 2]]  # too wide: a row of its own
    assert share_out(100, [80, 80]) == [50, 50]
    assert share_out(100, [20, 200]) == [20, 80]  # one side gives what it can
    assert share_out(500, [20, 30]) == [20, 30]
    assert fit_rect(QRect(300, 200, 1400, 900), QRect(0, 0, 1067, 667)) == QRect(0, 0, 1067, 667)
    assert fit_rect(QRect(900, 500, 400, 300), QRect(0, 0, 1067, 667)) == QRect(667, 367, 400,
                                                                                300)
