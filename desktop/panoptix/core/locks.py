"""Locks: segments and whole categories that edits must leave untouched.

The document applies these rules to every patch it writes, so any edit — brush, eraser,
fill, polygon, vertex editing, proposals, SAM, merge, relabel, delete, split, refine, and
tools written later — respects locks without knowing about them:

- a pixel held by a locked segment keeps its id: a patch that would change it is clipped
  to the other pixels (and the document says how many it kept);
- an edit that would write *into* a locked segment (grow it, create a segment of a locked
  category, relabel, merge, delete or split a locked segment, change its attributes) is
  refused as a whole, with one line saying which segment or category is locked;
- only the ``locked`` flag of a segment may change while it is locked (to unlock it).

A segment is locked by its own ``Segment.locked`` flag (saved with the annotation, undoable)
or because its category is in the document's locked categories (a project setting).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

import numpy as np

from panoptix.core.categories import CategorySet
from panoptix.core.history import Command, MapPatch
from panoptix.core.segment import Segment


def is_locked(segment: Segment, locked_categories: frozenset[int]) -> bool:
    return segment.locked or segment.category_id in locked_categories


def locked_ids(segments: Mapping[int, Segment],
               locked_categories: frozenset[int]) -> frozenset[int]:
    return frozenset(i for i, s in segments.items() if is_locked(s, locked_categories))


def lookup(ids: Iterable[int], largest: int) -> np.ndarray:
    """A boolean table indexed by segment id; ids above ``largest`` (new ones) read False
    through ``take(..., mode="clip")``, since the last entry is always False."""
    table = np.zeros(largest + 2, bool)
    table[list(ids)] = True
    return table


def _locked_values(values: np.ndarray | int, size: int, table: np.ndarray) -> np.ndarray:
    """Per changed pixel of a patch, whether its value is a locked id."""
    if isinstance(values, np.ndarray):
        return table.take(values, mode="clip")
    return np.full(size, bool(table.take(values, mode="clip")))


def writes_locked(patch: MapPatch, table: np.ndarray) -> bool:
    """Whether the patch gives any pixel a locked segment's id."""
    return bool(_locked_values(patch.new, int(patch.mask.sum()), table).any())


def touches_locked(patch: MapPatch, table: np.ndarray) -> bool:
    size = int(patch.mask.sum())
    return bool(_locked_values(patch.old, size, table).any()
                or _locked_values(patch.new, size, table).any())


def clip(patch: MapPatch, table: np.ndarray) -> tuple[MapPatch | None, int]:
    """The patch without the pixels that locked segments hold, and how many it dropped."""
    size = int(patch.mask.sum())
    held = _locked_values(patch.old, size, table)
    dropped = int(held.sum())
    if dropped == 0:
        return patch, 0
    if dropped == size:
        return None, dropped
    keep = ~held
    mask = patch.mask.copy()
    mask[patch.mask] = keep
    old = patch.old[keep] if isinstance(patch.old, np.ndarray) else patch.old
    new = patch.new[keep] if isinstance(patch.new, np.ndarray) else patch.new
    return MapPatch(patch.box, mask, old, new), dropped


def lock_flag_only(before: Segment | None, after: Segment | None) -> bool:
    """Whether a table change only locks or unlocks a segment."""
    return (before is not None and after is not None
            and replace(before, locked=after.locked) == after)


def describe(segment_id: int, segment: Segment, categories: CategorySet,
             locked_categories: frozenset[int]) -> str:
    category = categories.get(segment.category_id)
    name = category.name if category is not None else f"category {segment.category_id}"
    if segment.category_id in locked_categories and not segment.locked:
        return f"category {name} is locked"
    return f"{name} #{segment_id} is locked"


def table_refusal(command: Command, current: Mapping[int, Segment], categories: CategorySet,
                  locked_categories: frozenset[int], *, undoing: bool = False) -> str | None:
    """Why the command's segment-table changes are refused, or None when they are allowed.

    ``undoing``: the command is being undone (its ``table_before`` is what it writes)."""
    ids = set(command.table_before) | set(command.table_after)
    for segment_id in sorted(ids, key=lambda i: (i not in current, i)):  # existing first
        before = command.table_before.get(segment_id, current.get(segment_id))
        after = command.table_after.get(segment_id, before)
        if undoing:
            before, after = after, before
        if before == after or lock_flag_only(before, after):
            continue
        for segment in (before, after):
            if segment is not None and is_locked(segment, locked_categories):
                return describe(segment_id, segment, categories, locked_categories)
    return None


def first_locked(ids: Iterable[int], segments: Mapping[int, Segment], categories: CategorySet,
                 locked_categories: frozenset[int]) -> str | None:
    """The description of the first locked segment among ``ids``."""
    for segment_id in sorted(ids):
        segment = segments.get(segment_id)
        if segment is not None and is_locked(segment, locked_categories):
            return describe(segment_id, segment, categories, locked_categories)
    return None
