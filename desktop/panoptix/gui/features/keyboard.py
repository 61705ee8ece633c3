"""No keyboard traps: whatever widget of the window takes the keyboard gives it back to the
canvas, so the next shortcut (B, [, ], F...) works without a click.

Esc in any widget of the window, Enter in a text field or spin box (after the field took
its value) and closing a dialog hand the keyboard to the canvas. Esc while typing in a
text field is the field's (it does not also clear the selection). The filter is installed
on each widget as it takes the keyboard, so no application-wide filter sees every event.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QDialog,
    QDockWidget,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

ONE_LINE = (QLineEdit, QAbstractSpinBox)
"""Fields that Enter completes."""
TYPED_IN = (*ONE_LINE, QPlainTextEdit, QTextEdit)
"""Fields where Esc belongs to the typing, not to the window's Esc shortcut."""
KEY_EVENTS = (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride)


class KeyboardReturn(QObject):
    def __init__(self, window: QWidget, canvas: QWidget) -> None:
        super().__init__(window)
        self.window, self.canvas = window, canvas
        self._back = QTimer(self, singleShot=True, interval=0)
        self._back.timeout.connect(self.give_back)
        window.installEventFilter(self)  # sees each dialog made for the window
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)

    def give_back(self) -> None:
        if self.window.isVisible():
            self.canvas.setFocus(Qt.FocusReason.OtherFocusReason)

    def _in_window(self, widget: QWidget) -> bool:
        """In the window itself or one of its docks (floating too), not in a dialog."""
        top = widget.window()
        if top is not self.window and not isinstance(top, QDockWidget):
            return False
        while widget is not None and widget is not self.window:
            widget = widget.parentWidget()
        return widget is self.window

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is not None and self._in_window(new) and new is not self.canvas \
                and not self.canvas.isAncestorOf(new):
            new.installEventFilter(self)  # once: installing again only moves it first

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind in (QEvent.Type.ChildAdded, QEvent.Type.ChildPolished) \
                and watched is self.window:
            child = event.child()  # type: ignore[attr-defined]
            if isinstance(child, QDialog):
                child.installEventFilter(self)
            return False
        if kind == QEvent.Type.Hide and isinstance(watched, QDialog):
            self._back.start()  # a dialog of the window closed: Save, Cancel, Esc or X
            return False
        if kind not in KEY_EVENTS or not isinstance(event, QKeyEvent):
            return False
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if modifiers:
            return False
        key = event.key()
        if key == Qt.Key.Key_Escape:
            if event.type() == QEvent.Type.ShortcutOverride and isinstance(watched, TYPED_IN):
                event.accept()  # Esc leaves the field; it does not also deselect
            self._back.start()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and isinstance(watched, ONE_LINE) \
                and event.type() == QEvent.Type.KeyPress:
            self._back.start()  # after the field has taken Enter (its value, returnPressed)
        return False
