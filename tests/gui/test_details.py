"""Issue 19 E: details that cost time."""

from __future__ import annotations

import numpy as np
import pytest
from hand_segmented import entries, open_hand_segmented, open_menu
from PySide6.QtCore import QItemSelectionModel, QPointF, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QMessageBox

from panoptix.core import edits
from panoptix.core.categories import load_table
from panoptix.core.document import Document
from panoptix.core.image_notes import ImageNotes
from panoptix.core.project import ImageStatus
from panoptix.gui.panels.category_picker import CategoryPanel
from panoptix.gui.panels.image_list import KEY_ROLE

SELECT = QItemSelectionModel.SelectionFlag.Select


@pytest.fixture
def window(qtbot, make_window, image_folder):  # noqa: ANN001, ANN201
    return open_hand_segmented(qtbot, make_window, image_folder)


def in_view(tree, item) -> bool:  # noqa: ANN001
    rect = tree.visualItemRect(item)
    return rect.isValid() and tree.viewport().rect().contains(rect)


def test_the_categories_list_shows_the_current_category_when_it_opens(qtbot, window):  # noqa: ANN001
    picker = window.categories.picker
    dock = next(d for d in window.findChildren(QDockWidget) if d.widget() is window.categories)
    dock.hide()  # closed, or a tab behind another
    doc = window.editor.document
    late = doc.categories.find("wall-other-merged").id
    window.editor.set_category(late)
    dock.show()
    qtbot.waitExposed(picker.tree)
    qtbot.wait(50)
    item = picker.tree.currentItem()
    assert item.text(0) == "wall-other-merged" and in_view(picker.tree, item)


def test_the_categories_list_keeps_the_current_category_in_view_when_it_shrinks(qtbot):  # noqa: ANN001
    """The window settles its docks after the list was filled (restored geometry, a
    smaller screen, tabs): the current category stays in view."""
    panel = CategoryPanel()
    qtbot.addWidget(panel)
    panel.resize(300, 900)
    panel.show()
    qtbot.waitExposed(panel)
    picker = panel.picker
    table = load_table("coco_panoptic")
    picker.set_categories(table)
    picker.set_current(table.find("wall-other-merged").id)
    assert in_view(picker.tree, picker.tree.currentItem())
    panel.resize(300, 250)
    qtbot.wait(50)
    assert in_view(picker.tree, picker.tree.currentItem())


def test_a_typed_comment_survives_adding_a_flag_at_once(qtbot, window):  # noqa: ANN001
    """Tick a flag, type a comment, add another flag with Enter before the comment's
    save delay ran out: notes.json keeps the comment (it was emptied before)."""
    panel = window.notes.panel
    panel.set_flag("blurry", True)
    panel.comment.setFocus()
    qtbot.keyClicks(panel.comment, "the left car is a van")
    panel.new_flag.setFocus()
    qtbot.keyClicks(panel.new_flag, "check-later")
    qtbot.keyClick(panel.new_flag, Qt.Key.Key_Return)
    saved = ImageNotes(window.session.project.folder).get(window.session.key)
    assert saved.comment == "the left car is a van"
    assert set(saved.flags) == {"blurry", "check-later"}
    assert panel.comment.toPlainText() == "the left car is a van"


def right_click(qtbot, images, row: int):  # noqa: ANN001, ANN201
    """Press the right button on a row, as a user does, then open its menu."""
    at = images.visualRect(images.model().index(row, 0)).center()
    qtbot.mousePress(images.viewport(), Qt.MouseButton.RightButton, pos=at)
    qtbot.mouseRelease(images.viewport(), Qt.MouseButton.RightButton, pos=at)
    return open_menu(qtbot, images.viewport(), at)


def action(menu, text: str):  # noqa: ANN001, ANN201
    return next(a for a in menu.actions() if a.text().replace("&", "").startswith(text))


def test_right_click_in_the_image_list_keeps_the_image_in_view(qtbot, window):  # noqa: ANN001
    images = window.images.list
    shown = window.session.key
    menu = right_click(qtbot, images, 1)
    qtbot.wait(100)
    assert window.session.key == shown and window.session.target == shown
    assert window.images.selected_keys() == [images.model().index(1, 0).data(KEY_ROLE)]
    assert {"Open", "Mark Done", "Re-run the Model"} <= set(entries(menu))
    menu.close()


def test_several_images_are_marked_done_from_the_image_list(qtbot, window):  # noqa: ANN001
    images, session = window.images.list, window.session
    shown = session.key
    others = [images.model().index(i, 0).data(KEY_ROLE) for i in (1, 2)]
    images.clearSelection()  # as after Ctrl+clicks on the image in view and two others
    images.selectionModel().select(images.model().index(1, 0), SELECT)
    images.selectionModel().select(images.model().index(2, 0), SELECT)
    menu = right_click(qtbot, images, 2)
    action(menu, "Mark Done (2 images)").trigger()
    assert session.key == shown
    assert [session.status(key) for key in others] == [ImageStatus.DONE] * 2
    assert [session.project.read_annotation(key).status for key in others] == \
        [ImageStatus.DONE] * 2  # on disk
    assert [window.images.status_of(key) for key in others] == ["done", "done"]
    assert window.status.currentMessage() == "marked 2 images done"


def test_several_images_are_re_run_from_the_image_list(qtbot, window, monkeypatch):  # noqa: ANN001
    images, session = window.images.list, window.session
    shown = session.key
    others = [images.model().index(i, 0).data(KEY_ROLE) for i in (1, 2)]
    submitted: list[list] = []
    monkeypatch.setattr(window.client, "submit_background", submitted.append)
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda _parent, _title, text, *_a:
                        asked.append(text) or QMessageBox.StandardButton.Ok)
    session.mark_images_done(others[:1])  # an image with work in it: asked first
    images.clearSelection()  # as after Ctrl+clicks on the image in view and two others
    images.selectionModel().select(images.model().index(1, 0), SELECT)
    images.selectionModel().select(images.model().index(2, 0), SELECT)
    menu = right_click(qtbot, images, 1)
    action(menu, "Re-run the Model (2 images)").trigger()
    assert session.key == shown
    assert asked == ["Re-running the model replaces the segments of 1 edited image, "
                     "edits included."]
    (jobs,) = submitted
    assert [job.key for job in jobs] == others


def test_split_at_12_mp_joins_parts_a_person_would_call_specks(qtbot, window):  # noqa: ANN001
    """Split (X) of a car at 12 MP: parts of 20-60 px join their neighbour instead of
    becoming segments; a part a person would keep (a wheel of 2,000 px) stays one."""
    categories = window.editor.document.categories
    doc = Document.blank(3000, 4000, categories)
    car = categories.find("car").id
    mask = np.zeros((3000, 4000), bool)
    mask[1000:1400, 1000:1800] = True  # the body
    mask[1500:1545, 1000:1045] = True  # a wheel, 2,025 px
    for i, size in enumerate((20, 40, 60)):  # specks a model's ragged edge leaves
        mask[900, 1000 + 100 * i:1000 + 100 * i + size] = True
    edits.add_mask(doc, mask, car)
    (segment,) = doc.segments
    window.editor.set_document(doc)
    doc.select([segment])
    window.editor.split()
    assert len(doc.segments) == 2  # the body and the wheel
    assert window.editor.split_min_area_for(doc) >= 60
    assert "3 specks" in window.status.currentMessage()


def vertex_session(qtbot, window):  # noqa: ANN001, ANN201
    """A 300 px brush stroke 64 px wide, at 100% zoom, in the vertex tool."""
    doc, editor = window.editor.document, window.editor
    stroke = edits.BrushStroke(doc, 32, category_id=doc.categories.find("dog").id)
    stroke.line_to(150, 300)
    stroke.line_to(450, 330)
    stroke.finish()
    doc.select([stroke.value])
    window.canvas.actual_pixels()
    editor.set_tool("vertices")
    tool = editor.tools["vertices"]
    assert tool.edit is not None and tool.edit.segment_id == stroke.value
    return doc, tool, stroke.value


def vertices(tool) -> int:  # noqa: ANN001
    return sum(len(c.points) for c in tool.edit.contours)


def test_vertex_editing_offers_what_a_person_would_draw(qtbot, window):  # noqa: ANN001
    doc, tool, segment = vertex_session(qtbot, window)
    offered = vertices(tool)
    assert 8 <= offered <= 60  # a few dozen, not a handle on every boundary pixel
    press(qtbot, window, "]")  # more detail
    assert vertices(tool) > offered
    press(qtbot, window, "[")
    press(qtbot, window, "[")
    assert vertices(tool) < offered
    before = doc.id_map.copy()
    contour = tool.edit.contours[0]
    x, y = contour.points[0]
    tool.edit.move_vertex(0, 0, x + 6, y + 6)
    tool.edit.apply()
    tool.finish()
    changed = np.argwhere(doc.id_map != before)
    assert len(changed) and np.abs(changed - (y, x)).max() < 60  # only near the vertex


def press(qtbot, window, key) -> None:  # noqa: ANN001
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, key)


def test_right_click_on_a_handle_deletes_it_and_opens_no_menu(qtbot, window):  # noqa: ANN001
    doc, tool, segment = vertex_session(qtbot, window)
    offered = vertices(tool)
    x, y = tool.edit.contours[0].points[0]
    canvas = window.canvas
    point = canvas.mapFromScene(QPointF(x + 0.5, y + 0.5))
    qtbot.mousePress(canvas.viewport(), Qt.MouseButton.RightButton, pos=point)
    QApplication.sendEvent(canvas.viewport(), QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, point, canvas.viewport().mapToGlobal(point)))
    qtbot.mouseRelease(canvas.viewport(), Qt.MouseButton.RightButton, pos=point)
    qtbot.wait(50)
    assert vertices(tool) == offered - 1
    assert QApplication.activePopupWidget() is None
    assert doc.selection == {segment}
