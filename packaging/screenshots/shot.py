"""What both screenshot scripts share: a window on copied samples with throwaway settings,
waiting for an image to show, letting throttled views settle, saving the grab."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "resources" / "samples"


def use_temporary_settings(folder: str) -> None:
    """Keep the window's QSettings in ``folder``, never the user's own layout."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, folder)


def copy_samples(folder: Path, names: Iterable[str]) -> Path:
    images = folder / "street"
    images.mkdir()
    for name in names:
        shutil.copy2(SAMPLES / name, images / name)
    return images


def open_window(images: Path, size: tuple[int, int], model: str):  # noqa: ANN201
    """The real main window on ``images``, shown at ``size``, without background inference."""
    from panoptix.gui.app import application
    from panoptix.gui.main_window import MainWindow
    from panoptix.gui.prefs import Prefs

    application()
    window = MainWindow(Prefs(QSettings()))
    window.session.auto_presegment = False
    window.resize(*size)
    window.show()
    window.open_path(images, model=model)
    return window


def show_image(window, key: str) -> None:  # noqa: ANN001
    """Go to ``key`` and wait until it is shown (images are read on a loader thread)."""
    loop = QEventLoop()
    window.session.image_opened.connect(lambda shown, *_: shown == key and loop.quit())
    window.session.go_to(key)
    if window.session.key != key:
        loop.exec()


def settle(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def save(window, out: Path) -> None:  # noqa: ANN001
    settle(400)  # let the throttled segment list catch up
    out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out))
    window.close()
    print(f"wrote {out}")
