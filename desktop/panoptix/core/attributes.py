"""Edits of segment attributes that leave the pixels alone: iscrowd and the lock.

Each is one undoable command on the segment table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from panoptix.core.document import Document
from panoptix.core.edits import EditError, _existing
from panoptix.core.history import Command


def set_crowd(doc: Document, ids: Iterable[int], crowd: bool | None = None) -> bool:
    """Mark thing segments as a crowd (COCO ``iscrowd``) or not; ``None`` toggles, going by
    the first segment. Stuff is never a crowd. Returns the value set."""
    found = _existing(doc, ids)
    stuff = [i for i in found if not doc.is_thing(i)]
    if stuff:
        name = doc.categories[doc.segments[stuff[0]].category_id].name
        raise EditError(f"{name} is stuff: only thing segments can be a crowd")
    value = (not doc.segments[found[0]].iscrowd) if crowd is None else bool(crowd)
    _set(doc, found, "Crowd" if value else "Not crowd", iscrowd=value)
    return value


def set_locked(doc: Document, ids: Iterable[int], locked: bool | None = None) -> bool:
    """Lock segments against edits, or unlock them; ``None`` toggles, going by the first
    segment. Returns the value set."""
    found = _existing(doc, ids)
    value = (not doc.segments[found[0]].locked) if locked is None else bool(locked)
    _set(doc, found, "Lock" if value else "Unlock", locked=value)
    return value


def _set(doc: Document, ids: list[int], label: str, **changes: bool) -> None:
    command = Command(label)
    for segment_id in ids:
        old = doc.segments[segment_id]
        new = replace(old, **changes)
        if new != old:
            command.note_table({segment_id: old}, {segment_id: new})
    if command.is_empty:
        return
    doc.execute(command)
