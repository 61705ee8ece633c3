"""What both screenshot scripts share: a window on copied samples with throwaway settings,
waiting for an image to show, letting throttled views settle, saving the grab."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402

from panoptix.core.bundled import bundled_path  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SAMPLES = bundled_path("samples")


def sample_ground_truth(name: str) -> list[tuple[str, np.ndarray]]:
    """``(category name, mask)`` of each segment of a sample's ground truth, in id order."""
    from panoptix.core.categories import CategorySet
    from panoptix.core.panoptic_png import read_panoptic_png

    data = json.loads((SAMPLES / "panoptic_samples.json").read_text(encoding="utf-8"))
    categories = CategorySet.from_coco(data["categories"])
    image_id = next(image["id"] for image in data["images"] if image["file_name"] == name)
    annotation = next(a for a in data["annotations"] if a["image_id"] == image_id)
    id_map = read_panoptic_png(SAMPLES / "panoptic_samples" / annotation["file_name"])
    return [(categories[info["category_id"]].name, id_map == info["id"])
            for info in sorted(annotation["segments_info"], key=lambda info: info["id"])]


def inside_point(mask: np.ndarray) -> tuple[int, int]:
    """``(x, y)`` of the pixel of ``mask`` farthest from its edge."""
    import cv2

    distance = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
    y, x = np.unravel_index(int(distance.argmax()), distance.shape)
    return int(x), int(y)


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
