"""Editing a segment as polygons: move, add and delete vertices of its outline (holes too).

A :class:`VertexEdit` traces the segment once (``core.outline``). Each change of the
polygons is written to the map at once (live, like brush dabs) and the whole session is
one undo step when it finishes. Only the pixels near the edges that really changed are
touched, so the rest of the segment keeps its exact pixels even though its outline is
simplified: inside a band around the changed edges the map follows the new polygons,
elsewhere it stays as it was. Pixels the segment gives up become unlabeled, unless the
segment had taken them from another segment during this session: those go back.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from panoptix.core import locks
from panoptix.core.document import Document, LockedError
from panoptix.core.edits import EditError, before_live, fold_live
from panoptix.core.history import Command, MapPatch
from panoptix.core.outline import MAX_VERTICES, Contour, bounds, edges, rasterize, trace
from panoptix.core.stats import Box, union_box

MIN_POINTS = 3


class VertexEdit:
    """One editing session of one segment's outline."""

    def __init__(self, doc: Document, segment_id: int, *, only_unlabeled: bool = False,
                 max_vertices: int = MAX_VERTICES, at_least: float = 0.0) -> None:
        """``at_least``: the least simplification tolerance in image pixels (fewer,
        farther vertices: what a person would draw at the zoom in use)."""
        if segment_id not in doc.segments:
            raise EditError(f"no segment {segment_id} to edit")
        refusal = locks.first_locked([segment_id], doc.segments, doc.categories,
                                     doc.locked_categories)
        if refusal is not None:
            raise LockedError(refusal)
        self.doc = doc
        self.segment_id = segment_id
        self.only_unlabeled = only_unlabeled
        box, mask = doc.region(segment_id)
        self.contours, self.epsilon = trace(mask, (box[0], box[1]), at_least=at_least,
                                            max_vertices=max_vertices)
        self._original = [c.copy() for c in self.contours]
        self._original_edges = edges(self._original)
        self._band = math.ceil(self.epsilon) + 1
        self._patches: list[MapPatch] = []

    # -- changing the polygons ----------------------------------------------------------
    def move_vertex(self, contour: int, index: int, x: float, y: float) -> None:
        """Put a vertex on the pixel centre nearest (x, y), inside the image."""
        height, width = self.doc.shape
        point = (min(max(round(x), 0), width - 1), min(max(round(y), 0), height - 1))
        self.contours[contour].points[index] = point

    def insert_vertex(self, contour: int, after: int, x: float, y: float) -> int:
        """Add a vertex on the edge that starts at vertex ``after``; returns its index."""
        points = self.contours[contour].points
        self.contours[contour].points = np.insert(points, after + 1, points[after], axis=0)
        self.move_vertex(contour, after + 1, x, y)
        return after + 1

    def delete_vertex(self, contour: int, index: int) -> bool:
        """Remove a vertex; a polygon left with under three vertices goes (a part or a hole
        of the segment disappears). Returns True when the whole polygon went."""
        points = np.delete(self.contours[contour].points, index, axis=0)
        if len(points) < MIN_POINTS:
            del self.contours[contour]
            return True
        self.contours[contour].points = points
        return False

    # -- writing ------------------------------------------------------------------------
    def apply(self) -> bool:
        """Write the polygons' changes into the map (live); True when pixels changed."""
        box = self._work_box()
        if box is None:
            return False
        y0, x0, y1, x1 = box
        before = before_live(self.doc, self._patches, box)
        current = self.doc.id_map[y0:y1, x0:x1]
        wanted = self.shape_in(box, before)
        own = before == self.segment_id
        target = np.where(wanted, np.int32(self.segment_id), np.where(own, 0, before))
        patch = MapPatch.from_change(box, current, target.astype(np.int32))
        if patch is None:
            return False
        self._patches.append(patch)
        self.doc.apply_live(patch)
        return True

    def shape_in(self, box: Box, before: np.ndarray) -> np.ndarray:
        """The segment's pixels inside ``box`` once the polygons are applied, ``before``
        being the map there before the session: near the edges that changed (within a
        band; ``box`` must hold the band around every change in it) the polygons,
        elsewhere the segment as it was."""
        new_shape, old_shape = rasterize(self.contours, box), rasterize(self._original, box)
        changed = (new_shape ^ old_shape).astype(np.uint8)
        size = 2 * self._band + 1
        band = cv2.dilate(changed, np.ones((size, size), np.uint8)).astype(bool)
        own = before == self.segment_id
        wanted = np.where(band, new_shape, own)
        if self.only_unlabeled:
            wanted &= own | (before == 0)
        return wanted

    @property
    def band(self) -> int:
        """How far from a changed edge the map follows the polygons."""
        return self._band

    def finish(self) -> Command | None:
        """End the session: everything written is one undo step ("Edit vertices")."""
        folded = fold_live(self.doc, self._patches)
        self._patches = []
        if folded is None:
            return None
        return self.doc.commit_applied(Command("Edit vertices", [folded]))

    def cancel(self) -> None:
        """Put back the pixels as they were before the session."""
        for patch in reversed(self._patches):
            self.doc.apply_live(MapPatch(patch.box, patch.mask, patch.new, patch.old))
        self._patches = []
        self.contours = [c.copy() for c in self._original]

    @property
    def changed(self) -> bool:
        return bool(self._patches)

    def _work_box(self) -> Box | None:
        """Where the map may change: around the edges that differ from the traced ones,
        plus wherever earlier changes of this session were written (they may go back)."""
        moved = edges(self.contours) ^ self._original_edges
        box = None
        if moved:
            endpoints = [Contour(np.array([[xa, ya], [xb, yb]], np.int32), 0)
                         for _depth, xa, ya, xb, yb in moved]
            found = bounds(endpoints)
            assert found is not None
            pad = self._band + 1
            box = (found[0] - pad, found[1] - pad, found[2] + pad, found[3] + pad)
        for patch in self._patches:
            box = union_box(box, patch.box)
        if box is None:
            return None
        height, width = self.doc.shape
        box = (max(0, box[0]), max(0, box[1]), min(height, box[2]), min(width, box[3]))
        return box if box[0] < box[2] and box[1] < box[3] else None
