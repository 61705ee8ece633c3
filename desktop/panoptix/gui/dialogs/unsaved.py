"""Work that could not be saved, before the window quits or opens another project: ask to
save again, discard or cancel; and a shutdown that always stops the threads.

The question is asked through :data:`Ask`, which tests replace (a dialog would block).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import Enum

from PySide6.QtWidgets import QMessageBox, QWidget

from panoptix.gui.work.session import Session
from panoptix.gui.work.worker import error_message

SHOWN = 8
"""Lines of what could not be saved listed in the question; the rest are counted."""


class Choice(Enum):
    SAVE_AGAIN = "save again"
    DISCARD = "discard"
    CANCEL = "cancel"


Ask = Callable[[list[str]], Choice]
"""(what could not be saved, one line each) -> the user's choice."""


def ask_with_dialog(parent: QWidget) -> Ask:
    def ask(unsaved: list[str]) -> Choice:
        box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved work",
                          "Some of your work could not be saved:", parent=parent)
        listed = unsaved[:SHOWN] + ([f"… and {len(unsaved) - SHOWN} more"]
                                    if len(unsaved) > SHOWN else [])
        box.setInformativeText("\n".join(listed) + "\n\nFree some space or make the folder "
                               "writable, then save again, or discard these changes.")
        again = box.addButton("Save Again", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(again)
        box.exec()
        clicked = box.clickedButton()
        return (Choice.SAVE_AGAIN if clicked is again
                else Choice.DISCARD if clicked is discard else Choice.CANCEL)

    return ask


def settle_unsaved(session: Session, ask: Ask) -> bool:
    """Save everything; while something is still not on disk, ask. True when the project
    may be closed (all saved, or the user discarded the rest), False on cancel."""
    while not session.save():
        choice = ask(session.unsaved())
        if choice is Choice.CANCEL:
            return False
        if choice is Choice.DISCARD:
            for name in session.discard_unsaved():
                print(f"panoptix: discarded unsaved changes of {name}", file=sys.stderr)
            return True
    return True


def shut_down(steps: list[Callable[[], object]], last: Callable[[], object]) -> list[str]:
    """Run every step even if one fails, then ``last`` (stopping the inference thread: a
    QThread destroyed while running aborts the process). Returns the failures, which are
    also written to stderr: the window is going away."""
    problems: list[str] = []
    try:
        for step in steps:
            try:
                result = step()
            except Exception as exc:  # noqa: BLE001 - quitting must finish whatever failed
                problems.append(error_message(exc))
            else:
                if isinstance(result, list):  # Session.shutdown: what could not be saved
                    problems += [f"could not save {line}" for line in result]
    finally:
        last()
    for problem in problems:
        print(f"panoptix: {problem}", file=sys.stderr)
    return problems
