"""The per-image document: an int32 id map, its segment table, selection and undo history.

One id map means segments can never overlap. Areas are kept exact and updated from each
patch; boxes are kept as loose supersets and tightened on demand, so an edit never scans
the whole map.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

import numpy as np
from psygnal import Signal

from panoptix.core import locks
from panoptix.core.categories import CategorySet
from panoptix.core.history import Command, History, MapPatch
from panoptix.core.segment import MAX_SEGMENT_ID, Segment
from panoptix.core.stats import Box, SegmentStats, segment_stats, tight_box, union_box


class DocumentError(ValueError):
    """A document or an edit that would break the document's rules."""


class LockedError(DocumentError):
    """An edit refused because it would change a locked segment; one line says which."""


def count_values(values: np.ndarray | int, size: int) -> dict[int, int]:
    """How many times each id occurs in ``values`` (a scalar stands for ``size`` copies)."""
    if not isinstance(values, np.ndarray):
        return {int(values): size}
    if values.size == 0:
        return {}
    first = values.flat[0]
    if (values == first).all():
        return {int(first): int(values.size)}
    top = int(values.max())
    if top < 1 << 20:
        counts = np.bincount(values.ravel(), minlength=top + 1)
        present = np.flatnonzero(counts)
        return dict(zip(present.tolist(), counts[present].tolist(), strict=True))
    ids, counts = np.unique(values, return_counts=True)
    return dict(zip(ids.tolist(), counts.tolist(), strict=True))


def _touches_its_box(mask: np.ndarray) -> bool:
    """True when ``mask`` has a pixel in its first and last row and column."""
    return bool(mask.size and mask[0].any() and mask[-1].any() and mask[:, 0].any()
                and mask[:, -1].any())


class Document:
    """An editable panoptic annotation of one image."""

    map_changed = Signal(tuple)
    """``(y0, x0, y1, x1)``: the box of the id map that changed."""
    segments_changed = Signal(frozenset)
    """Ids whose table entry or area changed (added, removed, relabelled, resized)."""
    selection_changed = Signal(frozenset)
    history_changed = Signal()
    notice = Signal(str)
    """One line about an edit that went through differently than asked (locked pixels
    left untouched, say)."""

    def __init__(self, id_map: np.ndarray, segments: Mapping[int, Segment],
                 categories: CategorySet, history_limit: int = 100) -> None:
        if id_map.ndim != 2:
            raise DocumentError(f"an id map must be 2-D, got shape {id_map.shape}")
        if id_map.size and (int(id_map.min()) < 0 or int(id_map.max()) > MAX_SEGMENT_ID):
            raise DocumentError("segment ids must lie in 0..2^24-1")
        self._map = np.ascontiguousarray(id_map, dtype=np.int32).copy()
        self.categories = categories
        self.history = History(history_limit)
        self.revision = 0
        self._selection: frozenset[int] = frozenset()
        stats = segment_stats(self._map)
        missing = sorted(set(stats) - set(segments))
        if missing:
            raise DocumentError(f"ids {missing[:10]} are in the map but not in the segment table")
        for segment_id in stats:
            if segments[segment_id].category_id not in categories:
                raise DocumentError(f"segment {segment_id} has unknown category "
                                    f"{segments[segment_id].category_id}")
        self._segments: dict[int, Segment] = {i: segments[i] for i in sorted(stats)}
        self._areas = {i: s.area for i, s in stats.items()}
        self._boxes: dict[int, Box] = {i: s.box for i, s in stats.items()}
        self._loose: set[int] = set()
        self._locked_categories: frozenset[int] = frozenset()
        self._lock_table: np.ndarray | None = None
        self._lock_table_valid = False
        self._fuse_duplicate_stuff()
        self.history.clear()

    @classmethod
    def blank(cls, height: int, width: int, categories: CategorySet) -> Document:
        return cls(np.zeros((height, width), np.int32), {}, categories)

    # -- reading --------------------------------------------------------------------
    @property
    def id_map(self) -> np.ndarray:
        """A read-only view of the id map."""
        view = self._map.view()
        view.flags.writeable = False
        return view

    @property
    def shape(self) -> tuple[int, int]:
        return self._map.shape  # type: ignore[return-value]

    @property
    def segments(self) -> Mapping[int, Segment]:
        return MappingProxyType(self._segments)

    def area(self, segment_id: int) -> int:
        return self._areas.get(segment_id, 0)

    def box(self, segment_id: int) -> Box:
        """The tight ``(y0, x0, y1, x1)`` box of a segment."""
        if segment_id not in self._boxes:
            raise DocumentError(f"no segment {segment_id}")
        if segment_id in self._loose:
            y0, x0, y1, x1 = self._boxes[segment_id]
            inner = tight_box(self._map[y0:y1, x0:x1] == segment_id)
            assert inner is not None, "a segment with area has pixels"
            self._boxes[segment_id] = (y0 + inner[0], x0 + inner[1], y0 + inner[2],
                                       x0 + inner[3])
            self._loose.discard(segment_id)
        return self._boxes[segment_id]

    def stats(self) -> dict[int, SegmentStats]:
        return {i: SegmentStats(self._areas[i], self.box(i)) for i in self._segments}

    def region(self, segment_id: int) -> tuple[Box, np.ndarray]:
        """A segment's box and its mask inside that box."""
        y0, x0, y1, x1 = box = self.box(segment_id)
        return box, self._map[y0:y1, x0:x1] == segment_id

    def full_mask(self, segment_id: int) -> np.ndarray:
        return self._map == segment_id

    def segment_at(self, x: int, y: int) -> int:
        height, width = self._map.shape
        if 0 <= x < width and 0 <= y < height:
            return int(self._map[y, x])
        return 0

    def stuff_segment(self, category_id: int) -> int | None:
        """The segment of a stuff category in this image, if any."""
        for segment_id, segment in self._segments.items():
            if segment.category_id == category_id:
                return segment_id
        return None

    def new_id(self) -> int:
        new = max(self._segments, default=0) + 1
        if new > MAX_SEGMENT_ID:
            raise DocumentError("no segment ids left (2^24 - 1 used)")
        return new

    def is_thing(self, segment_id: int) -> bool:
        return self.categories.is_thing(self._segments[segment_id].category_id)

    # -- locks (see core.locks) -------------------------------------------------------
    @property
    def locked_categories(self) -> frozenset[int]:
        return self._locked_categories

    def set_locked_categories(self, category_ids: Iterable[int]) -> None:
        """Lock these categories (a view of the project's setting; not in the history)."""
        wanted = frozenset(int(i) for i in category_ids)
        changed = wanted ^ self._locked_categories
        if not changed:
            return
        self._locked_categories = wanted
        self._lock_table_valid = False
        self.segments_changed.emit(frozenset(
            i for i, s in self._segments.items() if s.category_id in changed))

    def is_locked(self, segment_id: int) -> bool:
        segment = self._segments.get(segment_id)
        return segment is not None and locks.is_locked(segment, self._locked_categories)

    def locked_ids(self) -> frozenset[int]:
        return locks.locked_ids(self._segments, self._locked_categories)

    def _locks(self) -> np.ndarray | None:
        """The lookup of locked ids, or None when nothing is locked (the fast path)."""
        if not self._lock_table_valid:
            ids = self.locked_ids()
            self._lock_table = (locks.lookup(ids, max(self._segments, default=0))
                                if ids else None)
            self._lock_table_valid = True
        return self._lock_table

    def _first_locked(self, values: np.ndarray | int, size: int) -> str:
        found = locks.first_locked(count_values(values, size), self._segments,
                                   self.categories, self._locked_categories)
        return found or "a locked segment is in the way"

    def _enforce_locks(self, command: Command) -> None:
        """Clip the command's patches to unlocked pixels; refuse it (LockedError) when it
        would write into a locked segment or leave nothing to do."""
        table = self._locks()
        if table is None:
            return
        kept, dropped, reason = [], 0, ""
        for patch in command.patches:
            size = int(patch.mask.sum())
            if locks.writes_locked(patch, table):
                raise LockedError(self._first_locked(patch.new, size))
            clipped, count = locks.clip(patch, table)
            if count and not reason:
                reason = self._first_locked(patch.old, size)
            dropped += count
            if clipped is not None:
                kept.append(clipped)
        only_creates = all(command.table_before.get(i) is None for i in command.table_after)
        if dropped and not kept and only_creates:
            raise LockedError(f"nothing to change outside locked pixels ({reason})")
        refusal = locks.table_refusal(command, self._segments, self.categories,
                                      self._locked_categories)
        if refusal is not None:
            raise LockedError(refusal)
        command.patches = kept
        if dropped:
            self.notice.emit(f"left {dropped:,} locked pixels untouched ({reason})")

    def _check_replay(self, command: Command, undoing: bool) -> None:
        """Refuse an undo or redo that would change a locked segment (history stays whole:
        a step is replayed completely or not at all)."""
        table = self._locks()
        if table is None:
            return
        refusal = locks.table_refusal(command, self._segments, self.categories,
                                      self._locked_categories, undoing=undoing)
        for patch in command.patches:
            if refusal is None and locks.touches_locked(patch, table):
                size = int(patch.mask.sum())
                ids = set(count_values(patch.old, size)) | set(count_values(patch.new, size))
                refusal = locks.first_locked(ids, self._segments, self.categories,
                                             self._locked_categories)
        if refusal is not None:
            verb = "undo" if undoing else "redo"
            raise LockedError(f"cannot {verb} {command.label.lower()}: {refusal}; "
                              "unlock it first")

    # -- selection ------------------------------------------------------------------
    @property
    def selection(self) -> frozenset[int]:
        return self._selection

    def select(self, ids: Iterable[int], add: bool = False) -> None:
        wanted = frozenset(i for i in ids if i in self._segments)
        selection = self._selection | wanted if add else wanted
        if selection != self._selection:
            self._selection = selection
            self.selection_changed.emit(selection)

    def toggle_selected(self, segment_id: int) -> None:
        if segment_id in self._selection:
            self.select(self._selection - {segment_id})
        else:
            self.select({segment_id}, add=True)

    # -- changing -------------------------------------------------------------------
    def execute(self, command: Command, *, enforce_locks: bool = True) -> Command | None:
        """Apply a command built against the current state and make it undoable.

        Locked pixels are left as they are and an edit into a locked segment raises
        LockedError (see ``core.locks``); only rules that keep the document valid (one
        segment per stuff category) pass ``enforce_locks=False``."""
        if enforce_locks:
            self._enforce_locks(command)
        for patch in command.patches:
            self._write_patch(patch, forward=True)
        return self.commit_applied(command)

    def apply_live(self, patch: MapPatch) -> MapPatch | None:
        """Write a patch now (a brush dab); the caller commits the whole stroke later.

        Locked pixels are left out; a patch into a locked segment is dropped, and
        ``notice`` says why (a dab is never refused by an exception). Returns the patch
        as written (clipped to unlocked pixels), None when nothing was."""
        table = self._locks()
        if table is not None:
            size = int(patch.mask.sum())
            if locks.writes_locked(patch, table):
                self.notice.emit(self._first_locked(patch.new, size))
                return None
            clipped, dropped = locks.clip(patch, table)
            if dropped:
                self.notice.emit(f"left locked pixels untouched "
                                 f"({self._first_locked(patch.old, size)})")
            if clipped is None:
                return None
            patch = clipped
        touched = self._write_patch(patch, forward=True)
        self.map_changed.emit(patch.box)
        self.segments_changed.emit(frozenset(touched))
        return patch

    def set_segment_untracked(self, segment_id: int, segment: Segment | None) -> None:
        """Change the table outside history; only for a command about to record it."""
        self._set_table({segment_id: segment})

    def commit_applied(self, command: Command, shown: bool = False) -> Command | None:
        """Record a command whose patches are already written; drop emptied segments.

        ``shown``: every patch was announced by :meth:`apply_live` already, so the map
        change is not announced again (a stroke over the whole image would otherwise
        have the overlay redrawn in full at release)."""
        self._set_table(command.table_after)
        emptied = {i: self._segments[i] for i in list(self._segments) if self._areas.get(i, 0) == 0}
        command.note_table(emptied, dict.fromkeys(emptied))
        self._set_table(dict.fromkeys(emptied))
        if command.is_empty:
            return None
        refusal = locks.table_refusal(command, command.table_before, self.categories,
                                      self._locked_categories)
        if refusal is not None:
            self._set_table(command.table_before)
            box = None
            for patch in reversed(command.patches):
                self._write_patch(patch, forward=False)
                box = union_box(box, patch.box)
            if box is not None:  # the live writes are undone: say so, as they were said
                self.map_changed.emit(box)
            self.segments_changed.emit(frozenset(command.table_before)
                                       | frozenset(command.table_after))
            raise LockedError(refusal)
        self.history.push(command)
        self._changed(command, map_shown=shown)
        return command

    def undo(self) -> bool:
        """Undo the last step; LockedError if that would change a locked segment."""
        command = self.history.next_undo
        if command is None:
            return False
        self._check_replay(command, undoing=True)
        command = self.history.pop_undo()
        for patch in reversed(command.patches):
            self._write_patch(patch, forward=False)
        self._set_table(command.table_before)
        self._changed(command)
        return True

    def redo(self) -> bool:
        command = self.history.next_redo
        if command is None:
            return False
        self._check_replay(command, undoing=False)
        command = self.history.pop_redo()
        for patch in command.patches:
            self._write_patch(patch, forward=True)
        self._set_table(command.table_after)
        self._changed(command)
        return True

    # -- internals ------------------------------------------------------------------
    def _ids_in(self, patch: MapPatch) -> set[int]:
        size = int(patch.mask.sum())
        return (set(count_values(patch.old, size)) | set(count_values(patch.new, size))) - {0}

    def _write_patch(self, patch: MapPatch, forward: bool) -> set[int]:
        """Write a patch, keep areas and boxes; returns the segment ids it touched."""
        size = int(patch.mask.sum())
        removed = count_values(patch.old if forward else patch.new, size)
        added = count_values(patch.new if forward else patch.old, size)
        patch.write(self._map, forward)
        for segment_id, count in removed.items():
            if segment_id:
                self._areas[segment_id] = self._areas.get(segment_id, 0) - count
                if self._areas[segment_id] <= 0:
                    self._areas.pop(segment_id)
                    self._boxes.pop(segment_id, None)
                    self._loose.discard(segment_id)
                else:
                    self._loose.add(segment_id)
        # one id painted over a mask that touches all four sides of its box (a brush dab):
        # a tight box grown by it stays tight, so no later scan is needed to tighten it
        stays_tight = len(added) == 1 and _touches_its_box(patch.mask)
        for segment_id, count in added.items():
            if segment_id:
                self._areas[segment_id] = self._areas.get(segment_id, 0) + count
                known = self._boxes.get(segment_id)
                grown = union_box(known, patch.box)
                assert grown is not None
                if grown != known:
                    tight = stays_tight and (known is None or segment_id not in self._loose)
                    self._boxes[segment_id] = grown
                    if tight:
                        self._loose.discard(segment_id)
                    else:
                        self._loose.add(segment_id)
        return (set(removed) | set(added)) - {0}

    def _set_table(self, entries: Mapping[int, Segment | None]) -> None:
        if entries:
            self._lock_table_valid = False
        for segment_id, segment in entries.items():
            if segment is None:
                self._segments.pop(segment_id, None)
            else:
                self._segments[segment_id] = segment

    def _changed(self, command: Command, map_shown: bool = False) -> None:
        self.revision += 1
        box = None
        ids = set(command.table_after) | set(command.table_before)
        for patch in command.patches:
            box = union_box(box, patch.box)
            if not map_shown:  # else apply_live announced the ids each patch touched
                ids |= self._ids_in(patch)
        if box is not None and not map_shown:
            self.map_changed.emit(box)
        self.segments_changed.emit(frozenset(ids))
        pruned = frozenset(i for i in self._selection if i in self._segments)
        if pruned != self._selection:
            self._selection = pruned
            self.selection_changed.emit(pruned)
        self.history_changed.emit()

    def duplicate_stuff(self) -> dict[int, list[int]]:
        """Stuff categories with more than one segment: lowest id -> the other ids.

        Arises when a category changes from thing to stuff, or in imported data."""
        first: dict[int, int] = {}
        duplicates: dict[int, list[int]] = {}
        for segment_id in sorted(self._segments):
            category_id = self._segments[segment_id].category_id
            if self.categories.is_thing(category_id):
                continue
            keep = first.setdefault(category_id, segment_id)
            if keep != segment_id:
                duplicates.setdefault(keep, []).append(segment_id)
        return duplicates

    def _fuse_duplicate_stuff(self) -> None:
        """Enforce one segment per stuff category on load, keeping the lowest id."""
        for keep, others in self.duplicate_stuff().items():
            for segment_id in others:
                box, mask = self.region(segment_id)
                self._write_patch(MapPatch(box, mask, segment_id, keep), forward=True)
                self._segments.pop(segment_id)
