"""Shared by the window tests of issue 11: a project pre-segmented by hand (no model), the
window on it, and right-click menus opened as a user opens them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu

from conftest import configure_project
from panoptix.core import edits
from panoptix.core.document import Document
from panoptix.core.imageio import load_image
from panoptix.core.project import ImageStatus, Project


def presegment_by_hand(images: Path) -> None:
    """Every image pre-segmented: sky on top, a car and a person, 98% unsure."""
    configure_project(images, None)
    project = Project.open_or_create_for_images(images)
    for entry in project.images:
        height, width = load_image(project.image_path(entry.key)).shape[:2]
        doc = Document.blank(height, width, project.categories)
        edits.add_mask(doc, np.ones((height // 3, width), bool),
                       project.categories.find("sky-other-merged").id)
        edits.add_mask(doc, np.ones((40, 60), bool), project.categories.find("car").id,
                       offset=(height // 2, 20))
        edits.add_mask(doc, np.ones((50, 20), bool), project.categories.find("person").id,
                       offset=(height // 2, 120))
        project.save_document(entry.key, doc, status=ImageStatus.PRESEGMENTED,
                              uncertainty=0.98)
    project.save_manifest()
    project.close()


def open_hand_segmented(qtbot, make_window, image_folder: Path):  # noqa: ANN001, ANN201
    """The window on ``image_folder`` pre-segmented by hand, the canvas focused."""
    presegment_by_hand(image_folder)
    window = make_window()
    window.session.auto_presegment = False
    with qtbot.waitSignal(window.session.image_opened, timeout=10_000):
        assert window.open_path(image_folder)
    window.activateWindow()
    window.canvas.setFocus()
    qtbot.waitUntil(lambda: window.editor.document is not None, timeout=10_000)
    return window


def open_menu(qtbot, widget, pos: QPoint) -> QMenu:  # noqa: ANN001
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, widget.mapToGlobal(pos))
    QApplication.sendEvent(widget, event)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu), timeout=3000)
    return QApplication.activePopupWidget()


def entries(menu: QMenu) -> list[str]:
    return [a.text().replace("&", "") for a in menu.actions() if a.text()]
