"""Per-image flags and comments ("ambiguous", "bad image"...), kept in the project.

They live in ``notes.json`` beside ``project.json``, written whole and atomically on every
change, so a kill never leaves half a file. Exports copy them into each image record of
the JSON (``"flags"`` and ``"comment"``, only when present: COCO readers ignore keys they
do not know). A damaged file is moved aside (never deleted) and the project starts with
no notes, with one line saying so.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from panoptix.core import atomic
from panoptix.core.manifest import is_valid_key
from panoptix.core.regular_files import read_text

NOTES_NAME = "notes.json"
FORMAT = "panoptix-notes"
VERSION = 1
MAX_FLAG_LENGTH = 40
MAX_COMMENT_LENGTH = 20_000
PRESET_FLAGS = ("ambiguous", "bad image", "needs review", "occluded")
"""Offered in the window; any other short text is a flag too."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class NotesError(ValueError):
    """A flag or comment that cannot be kept; one line."""


def clean_flag(text: str) -> str:
    """A flag as kept: trimmed, inner whitespace single spaces, lower case."""
    flag = " ".join(str(text).split()).lower()
    if not flag:
        raise NotesError("a flag needs some text")
    if len(flag) > MAX_FLAG_LENGTH or _CONTROL.search(flag):
        raise NotesError(f"a flag is at most {MAX_FLAG_LENGTH} printable characters")
    return flag


@dataclass(frozen=True)
class ImageNote:
    flags: tuple[str, ...] = ()
    comment: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.flags and not self.comment

    def with_flag(self, flag: str, on: bool = True) -> ImageNote:
        flag = clean_flag(flag)
        flags = [f for f in self.flags if f != flag] + ([flag] if on else [])
        return ImageNote(tuple(sorted(flags)), self.comment)

    def with_comment(self, comment: str) -> ImageNote:
        comment = comment.strip()
        if len(comment) > MAX_COMMENT_LENGTH:
            raise NotesError(f"a comment is at most {MAX_COMMENT_LENGTH:,} characters")
        return ImageNote(self.flags, comment)

    def export_fields(self) -> dict:
        """The keys an exported image record gains."""
        fields: dict = {}
        if self.flags:
            fields["flags"] = list(self.flags)
        if self.comment:
            fields["comment"] = self.comment
        return fields


def _parse(data: object) -> dict[str, ImageNote]:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise NotesError("not a Panoptix notes file")
    images = data.get("images")
    if not isinstance(images, dict):
        raise NotesError("images must be an object")
    notes = {}
    for key, item in images.items():
        if not is_valid_key(key) or not isinstance(item, dict):
            raise NotesError(f"bad entry {key!r}")
        flags, comment = item.get("flags", []), item.get("comment", "")
        if not isinstance(flags, list) or not isinstance(comment, str):
            raise NotesError(f"{key}: flags must be a list and comment a string")
        note = ImageNote()
        for flag in flags:
            note = note.with_flag(flag if isinstance(flag, str) else "")
        note = note.with_comment(comment)
        if not note.is_empty:
            notes[key] = note
    return notes


def read_notes(folder: str | os.PathLike[str]) -> dict[str, ImageNote]:
    """The notes of a project folder, without writing anything; {} if missing or damaged
    (an export must not fail over notes)."""
    try:
        return _parse(json.loads(read_text(Path(folder) / NOTES_NAME)))
    except (OSError, ValueError, RecursionError):
        return {}


class ImageNotes:
    """The notes of one project; ``problem`` says what happened to a damaged file."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.path = Path(folder) / NOTES_NAME
        self.problem: str | None = None
        self._notes: dict[str, ImageNote] = {}
        try:
            raw = read_text(self.path)
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError) as exc:
            self.problem = f"image notes not read: {exc}"
            return
        try:
            self._notes = _parse(json.loads(raw))
        except (ValueError, RecursionError) as exc:
            self.problem = self._move_aside(" ".join(str(exc).split()))

    def get(self, key: str) -> ImageNote:
        return self._notes.get(key, ImageNote())

    def set(self, key: str, note: ImageNote) -> None:
        """Keep ``note`` for ``key`` and write the file (StoreError if that fails; the
        notes in memory then stay as they were)."""
        notes = dict(self._notes)
        if note.is_empty:
            notes.pop(key, None)
        else:
            notes[key] = note
        if notes == self._notes:
            return
        atomic.write_json(self.path, {"format": FORMAT, "version": VERSION, "images": {
            k: {"flags": list(n.flags), "comment": n.comment} for k, n in sorted(notes.items())}},
            indent=1)
        self._notes = notes

    def items(self) -> list[tuple[str, ImageNote]]:
        """(key, note) of each image with a note."""
        return list(self._notes.items())

    def flags_in_use(self) -> list[str]:
        return sorted({flag for note in self._notes.values() for flag in note.flags})

    def _move_aside(self, reason: str) -> str:
        target = self.path.with_name(f"{NOTES_NAME}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            os.replace(self.path, target)
        except OSError as exc:
            return f"image notes are damaged ({reason}) and could not be moved aside ({exc})"
        return f"image notes were damaged ({reason}); moved to {target.name}, starting afresh"
