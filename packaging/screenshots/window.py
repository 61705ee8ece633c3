"""Take the README screenshot: the real window on a bundled sample, annotated as a user would.

    QT_QPA_PLATFORM=offscreen python packaging/screenshots/window.py [OUT.png]

Writes (by default) packaging/screenshots/window.png.

The sample is copied to a temporary folder; segments are drawn with the same edits the
polygon and brush tools make (no model is needed), one car is selected and the pointer
hovers it, so the segment list, category picker and status bar all show something.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SCENE = [  # (category, polygon in (x, y)) traced over resources/samples/street_01.jpg
    ("sky-other-merged", [(0, 0), (640, 0), (640, 300), (0, 300)]),
    ("road", [(0, 318), (640, 318), (640, 480), (0, 480)]),
    ("car", [(42, 392), (50, 380), (55, 345), (175, 345), (180, 392), (175, 420), (50, 420)]),
    ("car", [(268, 372), (330, 372), (330, 338), (420, 338), (420, 372), (460, 372),
             (460, 420), (268, 420)]),
    ("person", [(175, 232), (215, 232), (215, 312), (175, 312)]),
]


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_suffix(".png")
    with tempfile.TemporaryDirectory() as tmp:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        from panoptix.core import edits
        from panoptix.gui.app import application
        from panoptix.gui.main_window import MainWindow
        from panoptix.gui.prefs import Prefs

        images = Path(tmp) / "street"
        images.mkdir()
        for name in ("street_01.jpg", "street_02.jpg", "park_01.jpg", "shapes_01.jpg"):
            shutil.copy2(REPO / "resources" / "samples" / name, images / name)
        application()
        window = MainWindow(Prefs(QSettings()))  # the settings in tmp, not the user's
        window.session.auto_presegment = False
        window.resize(1500, 860)
        window.show()
        window.open_path(images, model="local-model-not-needed")
        show_image(window, "street_01.jpg")
        doc = window.editor.document
        for name, polygon in SCENE:
            edits.fill_polygon(doc, polygon, doc.categories.find(name).id)
        car = doc.segment_at(100, 400)
        doc.select([car])
        window.editor.set_category(doc.categories.find("car").id)
        window.editor.set_tool("brush")
        window.status.hover.setText(window.editor.describe(100, 400))
        window.images.set_status("street_02.jpg", _status("presegmented"))
        window.images.set_status("park_01.jpg", _status("done"))
        window.canvas.fit()
        settle(400)  # let the throttled segment list catch up
        out.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(out))
        window.close()
    print(f"wrote {out}")


def show_image(window, key: str) -> None:  # noqa: ANN001
    """Go to ``key`` and wait until it is shown (images are read on a loader thread)."""
    from PySide6.QtCore import QEventLoop

    loop = QEventLoop()
    window.session.image_opened.connect(lambda shown, *_: shown == key and loop.quit())
    window.session.go_to(key)
    if window.session.key != key:
        loop.exec()


def settle(ms: int) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _status(name: str):  # noqa: ANN202
    from panoptix.core.project import ImageStatus

    return ImageStatus(name)


if __name__ == "__main__":
    main()
