"""Issue 19 B: no keyboard traps. Every text field, spin box and dialog of the window gives
the keyboard back to the canvas on Enter, Esc and close, so the next shortcut works; the
category filter's Enter picks the exact name before a prefix before a substring."""

from __future__ import annotations

import pytest
from hand_segmented import open_hand_segmented
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QLineEdit, QWidget

from panoptix.core.categories import load_table

CATEGORIES = load_table("coco_panoptic")


@pytest.fixture
def window(qtbot, make_window, image_folder):  # noqa: ANN001, ANN201
    return open_hand_segmented(qtbot, make_window, image_folder)


def press(qtbot, key) -> None:  # noqa: ANN001
    """A key as the user presses it: to whichever widget has the keyboard."""
    qtbot.keyClick(QApplication.focusWidget(), key)


def canvas_has_keyboard(qtbot, window) -> None:  # noqa: ANN001
    qtbot.waitUntil(window.canvas.hasFocus, timeout=2_000)


def closed(qtbot, window) -> None:  # noqa: ANN001
    """After a dialog closed: the window manager makes the window active again (the
    offscreen platform leaves that to the caller)."""
    qtbot.wait(50)
    window.activateWindow()


@pytest.mark.parametrize("leave", [Qt.Key.Key_Return, Qt.Key.Key_Escape])
def test_the_brush_size_box_gives_the_keyboard_back(qtbot, window, leave):  # noqa: ANN001
    box = window.brush
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, "64")
    press(qtbot, leave)
    canvas_has_keyboard(qtbot, window)
    if leave == Qt.Key.Key_Return:
        assert window.editor.brush_size == 64
    size = window.editor.brush_size
    press(qtbot, "]")  # the next shortcut works at once
    assert window.editor.brush_size > size
    press(qtbot, "B")
    assert window.editor.tool.name == "brush"


def test_the_image_notes_flag_field_gives_the_keyboard_back_after_enter(qtbot, window):  # noqa: ANN001
    field = window.notes.panel.new_flag
    field.setFocus()
    qtbot.keyClicks(field, "blurry")
    press(qtbot, Qt.Key.Key_Return)
    assert "blurry" in window.notes.panel.flags()
    canvas_has_keyboard(qtbot, window)
    assert field.text() == ""


def test_closing_the_shortcuts_dialog_gives_the_canvas_the_keyboard(qtbot, window):  # noqa: ANN001
    window.segment_search.setFocus()  # wherever the keyboard was before
    window.keymap.customize()
    dialog = window.keymap.dialog
    qtbot.waitExposed(dialog)
    dialog.accept()  # Save
    closed(qtbot, window)
    canvas_has_keyboard(qtbot, window)
    press(qtbot, "B")
    assert window.editor.tool.name == "brush"


def test_closing_the_export_dialog_gives_the_canvas_the_keyboard(qtbot, window):  # noqa: ANN001
    window.segment_search.setFocus()
    window.show_export()
    dialog = window.export_dialog
    qtbot.waitExposed(dialog)
    dialog.reject()
    closed(qtbot, window)
    canvas_has_keyboard(qtbot, window)


def focusable(window) -> list[QWidget]:  # noqa: ANN001
    canvas = window.canvas
    return [w for w in window.findChildren(QWidget)
            if w.isVisible() and w.isEnabled() and w.focusPolicy() != Qt.FocusPolicy.NoFocus
            and w is not canvas and not canvas.isAncestorOf(w) and w.focusProxy() is None
            and w.window() is window]


def test_every_focusable_widget_gives_the_keyboard_back(qtbot, window):  # noqa: ANN001
    widgets = focusable(window)
    fields = [w for w in widgets if isinstance(w, (QLineEdit, QAbstractSpinBox))]
    assert len(fields) >= 4  # category filter, segment search, flag field, brush, thresholds
    trapped = []
    for widget in widgets:
        keys = [Qt.Key.Key_Escape]
        if widget in fields:
            keys.append(Qt.Key.Key_Return)
        for key in keys:
            widget.setFocus()
            if not widget.hasFocus():
                continue
            press(qtbot, key)
            qtbot.wait(10)
            QApplication.processEvents()
            if not window.canvas.hasFocus():
                trapped.append(f"{type(widget).__name__} {widget.objectName()!r} "
                               f"{getattr(widget, 'placeholderText', lambda: '')()!r} "
                               f"{key.name}")
    assert trapped == [], "\n".join(trapped)


@pytest.mark.parametrize(("typed", "chosen"), [
    ("road", "road"),            # exact beats the substring in railroad
    ("LIGHT", "light"),          # exact, whatever the case, beats traffic light
    ("ligh", "light"),           # a prefix beats a substring
    ("ailr", "railroad"),        # a substring when nothing else matches
])
def test_the_category_filter_enter_picks_exact_then_prefix_then_substring(
        qtbot, window, typed, chosen):  # noqa: ANN001
    picker = window.categories.picker
    picker.filter.setFocus()
    qtbot.keyClicks(picker.filter, typed)
    press(qtbot, Qt.Key.Key_Return)
    assert window.editor.category_name() == chosen
