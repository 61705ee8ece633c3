"""High-DPI (issue 11, defect 10): the window at scale factors 1.0, 1.5 and 2.0 on a
1600x1000 screen (1067x667 and 800x500 logical pixels at the higher two).

A scale factor is fixed when the application starts, so each runs in a process of its own
(all three at once), on the offscreen platform given a screen of that size. The window's
own size is checked as it opens; the rest after it is kept inside the screen, as a
window manager does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from panoptix.core.bundled import bundled

SCREEN = {"screens": [{"name": "screen", "x": 0, "y": 0, "width": 1600, "height": 1000,
                       "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}
FACTORS = ("1.0", "1.5", "2.0")

PROBE = r"""
import json, shutil, sys
from pathlib import Path
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QToolBar
QSettings.setDefaultFormat(QSettings.Format.IniFormat)
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, sys.argv[1])
from panoptix.gui.app import application
from panoptix.gui.main_window import MainWindow
from panoptix.gui.prefs import Prefs

app = application()
window = MainWindow(Prefs(QSettings()))
window.session.auto_presegment = False
window.show()
loop = QEventLoop()
window.session.image_opened.connect(lambda *_: QTimer.singleShot(300, loop.quit))
QTimer.singleShot(30_000, loop.quit)  # never hang: the asserts then say what is missing
window.open_path(sys.argv[2], model="none")
loop.exec()
free = app.primaryScreen().availableGeometry()
frame = window.frameGeometry()
# then, as a window manager would, keep the window inside the screen
window.resize(min(window.width(), free.width()), min(window.height(), free.height()))
loop = QEventLoop()
QTimer.singleShot(300, loop.quit)
loop.exec()
canvas = window.canvas
viewport = canvas.viewport()
centre = canvas.mapToScene(viewport.rect().center())
bars = [b for b in window.findChildren(QToolBar) if b.isVisible()]
print(json.dumps({
    "dpr": window.devicePixelRatio(),
    "free": [free.x(), free.y(), free.width(), free.height()],
    "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
    "window_width": window.width(),
    "viewport": [viewport.width(), viewport.height()],
    "scale": canvas.scale_factor,
    "image": [canvas.scene().sceneRect().width(), canvas.scene().sceneRect().height()],
    "centre": [centre.x(), centre.y()],
    "hidden_buttons": sum(1 for b in bars for a in b.actions() if not a.isSeparator()
                          and b.widgetForAction(a) is not None
                          and not b.widgetForAction(a).isVisible()),
    "toolbar_right": max(b.geometry().right() for b in bars),
}))
window.close()
"""


@pytest.fixture(scope="module")
def layouts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("dpi")
    screen = root / "screen.json"
    screen.write_text(json.dumps(SCREEN))
    runs = {}
    for factor in FACTORS:  # a folder each: a project is open in one process at a time
        images = root / f"images-{factor}"
        images.mkdir()
        (images / "street_01.jpg").write_bytes(
            bundled("samples", "street_01.jpg").read_bytes())
        settings = root / f"settings-{factor}"
        env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={screen}",
               "QT_SCALE_FACTOR": factor, "HOME": str(root), "XDG_CONFIG_HOME": str(root)}
        env.pop("QT_SCREEN_SCALE_FACTORS", None)
        runs[factor] = subprocess.Popen(
            [sys.executable, "-c", PROBE, str(settings), str(images)], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = {}
    try:
        for factor, run in runs.items():
            out, err = run.communicate(timeout=120)
            assert run.returncode == 0, err
            results[factor] = json.loads(out.strip().splitlines()[-1])
    finally:
        for run in runs.values():  # none is left behind, whatever failed
            if run.poll() is None:
                run.kill()
                run.wait()
    return results


@pytest.mark.parametrize("factor", FACTORS)
def test_the_window_fits_the_screen_and_the_canvas_keeps_half_of_it(layouts, factor):
    layout = layouts[factor]
    assert layout["dpr"] == pytest.approx(float(factor))
    fx, fy, fw, fh = layout["frame"]
    x, y, width, height = layout["free"]
    assert x <= fx and y <= fy and fx + fw <= x + width and fy + fh <= y + height
    view_width, view_height = layout["viewport"]
    assert view_width >= 0.45 * layout["window_width"] and view_width >= 300
    assert view_height >= 250


@pytest.mark.parametrize("factor", FACTORS)
def test_every_toolbar_button_shows(layouts, factor):
    layout = layouts[factor]
    assert layout["hidden_buttons"] == 0
    assert layout["toolbar_right"] < layout["window_width"]


@pytest.mark.parametrize("factor", FACTORS)
def test_the_image_fits_the_canvas_and_the_pointer_maps_to_its_pixels(layouts, factor):
    layout = layouts[factor]
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
