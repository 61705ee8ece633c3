"""Issue 19 E: details that cost time."""

from __future__ import annotations

import pytest
from hand_segmented import open_hand_segmented
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

from panoptix.core.categories import load_table
from panoptix.core.image_notes import ImageNotes
from panoptix.gui.panels.category_picker import CategoryPanel


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
