"""Undo history built from small patches: a box, a mask and the old values, never a full map.

Modelled on napari's Labels layer atoms ``(slice, mask, old_values, new_value)``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from panoptix.core.segment import Segment

Box = tuple[int, int, int, int]
"""``(y0, x0, y1, x1)`` with exclusive ends."""


@dataclass(frozen=True)
class MapPatch:
    """Pixels of the id map changed inside ``box``: ``mask`` marks them, ``old``/``new`` hold
    their values, each a scalar when all those pixels share one id (the usual case)."""

    box: Box
    mask: np.ndarray
    old: np.ndarray | int
    new: np.ndarray | int

    @property
    def nbytes(self) -> int:
        values = (v.nbytes for v in (self.old, self.new) if isinstance(v, np.ndarray))
        return self.mask.nbytes + sum(values)

    def write(self, id_map: np.ndarray, forward: bool) -> None:
        y0, x0, y1, x1 = self.box
        id_map[y0:y1, x0:x1][self.mask] = self.new if forward else self.old

    @classmethod
    def from_change(cls, box: Box, before: np.ndarray, after: np.ndarray) -> MapPatch | None:
        """The patch turning ``before`` into ``after`` (both the map's content inside ``box``)."""
        mask = before != after
        if not mask.any():
            return None
        rows = np.flatnonzero(mask.any(axis=1))
        cols = np.flatnonzero(mask.any(axis=0))
        r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        mask = mask[r0:r1, c0:c1]
        old = _scalar_if_uniform(before[r0:r1, c0:c1][mask])
        new = _scalar_if_uniform(after[r0:r1, c0:c1][mask])
        y0, x0 = box[0], box[1]
        return cls((y0 + int(r0), x0 + int(c0), y0 + int(r1), x0 + int(c1)),
                   np.ascontiguousarray(mask), old, new)


def _scalar_if_uniform(values: np.ndarray) -> np.ndarray | int:
    return int(values[0]) if (values == values[0]).all() else values


@dataclass
class Command:
    """One undoable step: map patches plus the segment-table entries before and after."""

    label: str
    patches: list[MapPatch] = field(default_factory=list)
    table_before: dict[int, Segment | None] = field(default_factory=dict)
    table_after: dict[int, Segment | None] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        return sum(p.nbytes for p in self.patches) + 64 * len(self.table_after)

    @property
    def is_empty(self) -> bool:
        return not self.patches and self.table_before == self.table_after

    def note_table(self, before: Mapping[int, Segment | None],
                   after: Mapping[int, Segment | None]) -> None:
        for segment_id, value in before.items():
            self.table_before.setdefault(segment_id, value)
        self.table_after.update(after)


class History:
    """Bounded undo/redo stacks, limited both in steps and in bytes.

    A *clean* mark (as ``QUndoStack.setClean``) remembers one point of the history, e.g.
    the state an image was opened in: undoing back to it makes :attr:`is_clean` true
    again. Positions count the steps dropped off the bottom too, so a mark below them, or
    one on a redo branch a new edit discarded, can never be reached again.
    """

    def __init__(self, max_steps: int = 100, max_bytes: int = 512 * 1024 * 1024) -> None:
        self.max_steps = max_steps
        self.max_bytes = max_bytes
        self._undo: deque[Command] = deque()
        self._redo: list[Command] = []
        self._dropped = 0
        self._clean: int | None = 0

    @property
    def _position(self) -> int:
        return self._dropped + len(self._undo)

    def mark_clean(self) -> None:
        self._clean = self._position

    @property
    def is_clean(self) -> bool:
        """True when the history stands where :meth:`mark_clean` left it."""
        return self._clean == self._position

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def next_undo(self) -> Command | None:
        return self._undo[-1] if self._undo else None

    @property
    def next_redo(self) -> Command | None:
        return self._redo[-1] if self._redo else None

    @property
    def undo_label(self) -> str | None:
        return self._undo[-1].label if self._undo else None

    @property
    def redo_label(self) -> str | None:
        return self._redo[-1].label if self._redo else None

    @property
    def nbytes(self) -> int:
        return sum(c.nbytes for c in self._undo) + sum(c.nbytes for c in self._redo)

    def __len__(self) -> int:
        return len(self._undo)

    def push(self, command: Command) -> None:
        if self._clean is not None and self._clean > self._position:
            self._clean = None  # the mark was on the redo branch this edit discards
        self._undo.append(command)
        self._redo.clear()
        while len(self._undo) > self.max_steps or (
                len(self._undo) > 1 and self.nbytes > self.max_bytes):
            self._undo.popleft()
            self._dropped += 1
        if self._clean is not None and self._clean < self._dropped:
            self._clean = None  # below what can still be undone

    def pop_undo(self) -> Command:
        command = self._undo.pop()
        self._redo.append(command)
        return command

    def pop_redo(self) -> Command:
        command = self._redo.pop()
        self._undo.append(command)
        return command

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()
        self._dropped = 0
        self._clean = 0
