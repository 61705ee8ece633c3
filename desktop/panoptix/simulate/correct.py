"""The annotator's loop: look at the biggest error, fix it the cheapest way that works.

Errors are of two kinds: a ground-truth segment below the target (no segment of its
category stands for it, or its segment's IoU is too low) and a segment standing for
nothing (a false segment). The biggest (in pixels) goes first. For each, the ways the
policy allows are tried in order of preference (relabel or merge before deleting; a
proposal before drawing a missed object; refine edge before brushing a ragged boundary;
among the drawing tools the cheapest by estimated seconds); a way is kept when it makes
the document better (fewer wrong pixels, fewer failing or false segments), else undone
(Ctrl+Z, counted) and the next one tried. Everything is deterministic: ties break by id.
"""

from __future__ import annotations

import cv2
import numpy as np

from panoptix.core.document import Document
from panoptix.core.refine import BAND
from panoptix.simulate import plans, proposing, vertices
from panoptix.simulate.annotator import Annotator
from panoptix.simulate.geometry import depth, interior_point
from panoptix.simulate.plans import Option, Region
from panoptix.simulate.truth import Comparison, compare

PENALTY = 50
"""Pixels a failing or a false segment weighs, beside the wrong pixels, in the objective."""
REFINE_BAND = BAND
"""Refine edge moves a boundary by at most this much."""
BOUNDARY_SHARE = 0.6
"""Refine edge is tried when this share of a segment's error lies along its boundary."""
MAX_STEPS = 600
VERTEX_MARGIN = 0.02
"""Vertex editing aims this far above the target IoU."""
PIECE_S = 6.0
"""Seconds one piecewise fix (a stroke or a small polygon, with its clicks) takes, for
choosing between fixing a small thing piece by piece and drawing it again: the typical
cost of such fixes in the simulation's own logs (an estimate; never reported)."""


def badness(comparison: Comparison, threshold: float) -> float:
    """What the corrector lowers: wrong pixels, and :data:`PENALTY` per failing or false
    segment."""
    return comparison.wrong_pixels + PENALTY * (len(comparison.failing(threshold))
                                                + len(comparison.unpaired))


class Corrector:
    """Fixes ``annotator``'s document towards ``gt``; ``assisted`` allows the model's help
    (proposals, refine edge, relabelling by its guesses) besides the manual tools."""

    def __init__(self, annotator: Annotator, gt: Document, assisted: bool) -> None:
        self.annotator = annotator
        self.gt = gt
        self.assisted = assisted and annotator.context is not None
        self.masks = {g: gt.full_mask(g) for g in gt.segments}
        self.refined: set[int] = set()
        self.proposals = proposing.ProposalStats()
        self._given_up: dict[tuple[str, int], int] = {}
        self.threshold = 1.0

    @property
    def doc(self) -> Document:
        return self.annotator.doc

    def run(self, threshold: float, max_steps: int = MAX_STEPS) -> Comparison:
        """Fix until the target is reached or nothing more helps; the last comparison."""
        self.threshold = threshold
        current = compare(self.gt, self.doc)
        for _ in range(max_steps):
            if current.reached(threshold):
                break
            improved = self._step(current, threshold)
            if improved is None:
                break
            current = improved
        return current

    # -- one step -------------------------------------------------------------------------
    def _badness(self, comparison: Comparison, threshold: float) -> float:
        return badness(comparison, threshold)

    def _problems(self, comparison: Comparison, threshold: float) -> list[tuple[int, str, int]]:
        found = [(self.doc.area(d), "extra", d) for d in comparison.unpaired]
        for g in comparison.failing(threshold):
            d = comparison.pairs.get(g)
            size = int(self.masks[g].sum())
            if d is not None:
                size += self.doc.area(d) - 2 * comparison.overlap[(g, d)]
            found.append((size, "gt", g))
        return sorted(found, key=lambda p: (-p[0], p[1], p[2]))

    def _step(self, comparison: Comparison, threshold: float) -> Comparison | None:
        before = self._badness(comparison, threshold)
        for size, kind, key in self._problems(comparison, threshold):
            if self._given_up.get((kind, key)) == size:
                continue
            options = (self._extra_options(key, comparison) if kind == "extra"
                       else self._gt_options(key, comparison))
            for option in options:
                revision = self.doc.revision
                self.annotator.think(option.name)
                option.run()
                steps = self.doc.revision - revision
                if steps == 0:
                    continue
                after = compare(self.gt, self.doc)
                if self._badness(after, threshold) < before:
                    return after
                self.annotator.effort.operations[f"undone {option.name}"] += 1
                self.annotator.effort.begin(f"undone {option.name}")
                for _ in range(steps):
                    self.annotator.undo()
            self._given_up[(kind, key)] = size
        return None

    # -- ways to fix a false segment ------------------------------------------------------------
    def _extra_options(self, d: int, comparison: Comparison) -> list[Option]:
        annotator, doc = self.annotator, self.doc
        options = []
        h, shared = comparison.majority(d)
        if h and 2 * shared >= doc.area(d):
            home, category = comparison.pairs.get(h), self.gt.segments[h].category_id
            if home is None:
                options.append(plans.relabel_option(annotator, d, category))
            elif doc.segments[d].category_id == category or home < d:
                options.append(plans.merge_option(annotator, [home, d]))
            else:
                options.append(plans.relabel_option(annotator, d, category))
        options.append(plans.delete_option(annotator, d))
        return options

    # -- ways to fix a ground-truth segment -------------------------------------------------------
    def _gt_options(self, g: int, comparison: Comparison) -> list[Option]:
        d = comparison.pairs.get(g)
        return self._create_options(g, comparison) if d is None else \
            self._improve_options(g, d, comparison)

    def _create_options(self, g: int, comparison: Comparison) -> list[Option]:
        """A ground-truth segment nothing stands for: relabel what covers it, take a
        proposal, or draw it (polygon, fill, brush: the cheapest first)."""
        annotator, doc = self.annotator, self.doc
        category = self.gt.segments[g].category_id
        options: list[Option] = []
        wanted = self.masks[g]
        covering = [(n, d) for (gt_id, d), n in comparison.overlap.items()
                    if gt_id == g and d and doc.segments[d].category_id != category]
        if covering:
            shared, d = max(covering)
            union = doc.area(d) + int(wanted.sum()) - shared
            if 2 * shared >= doc.area(d) or shared >= 0.5 * union:
                options.append(plans.relabel_option(annotator, d, category))
        region = Region.of(_largest_part(wanted))
        if region is None:
            return options
        if self.assisted:
            options.append(self._proposal_option(region, wanted, category))
        drawn = [plans.polygon_option(annotator, region, category),
                 plans.fill_option(annotator, region, wanted, category, None),
                 plans.brush_option(annotator, region, category_id=category)]
        return options + _by_rate(drawn)

    def _improve_options(self, g: int, d: int, comparison: Comparison) -> list[Option]:
        """A segment that stands for ``g`` but covers it badly: refine its edge, edit its
        vertices (when quicker than the pieces it needs), draw it again, or fix it piece
        by piece (:meth:`_part_options`)."""
        annotator, doc = self.annotator, self.doc
        wanted, held = self.masks[g], doc.id_map == d
        missing, extra = wanted & ~held, held & ~wanted
        options: list[Option] = []
        if self.assisted and d not in self.refined and _along_boundary(missing | extra, held):
            self.refined.add(d)
            options += [plans.refine_option(annotator, d, fine) for fine in
                        ((True,) if _thin(held) else (False, True))]
        redraw = self._redraw_option(g, d, missing, extra, comparison)
        parts = self._part_options(g, d, missing, extra, comparison)
        found = self._vertex_plan(g, d, comparison)
        if found is not None and found.iou >= self.threshold:
            edited = plans.vertices_option(annotator, found)
            each = parts[0].cost if parts else PIECE_S  # the piecewise fix tried first
            if edited.cost < self._pieces(g, d, missing, extra, comparison) * each:
                options.append(edited)
        return options + ([redraw] if redraw is not None else []) + parts

    def _part_options(self, g: int, d: int, missing: np.ndarray, extra: np.ndarray,
                      comparison: Comparison) -> list[Option]:
        """Split off a part that is not ``g``, or move the largest wrong part where it
        belongs."""
        annotator, doc = self.annotator, self.doc
        held = doc.id_map == d
        options: list[Option] = []
        part_missing, part_extra = _largest_part(missing), _largest_part(extra)
        if part_missing.sum() >= part_extra.sum():
            return self._add_options(part_missing, missing, g, d)
        ys, xs = np.nonzero(part_extra)
        owners, counts = np.unique(self.gt.id_map[ys, xs], return_counts=True)
        h = int(owners[np.argmax(counts)])
        if doc.is_thing(d) and _whole_part(part_extra, held):
            options.append(plans.split_off_option(annotator, interior_point(part_extra)))
        if h == 0:
            region = Region.of(extra & (self.gt.id_map == 0))
            erase = plans.brush_option(annotator, region, target=d, erase=True) if region else None
            return options + ([erase] if erase else [])
        home = comparison.pairs.get(h)
        if home is None:
            return options + self._create_options(h, comparison)
        return options + self._add_options(part_extra, extra & self.masks[h], h, home)

    def _vertex_plan(self, g: int, d: int, comparison: Comparison) -> vertices.Plan | None:
        """Vertex editing of ``d`` towards ``g``, a little past the target (so that the
        next target does not need another session at once)."""
        lookup = np.full(int(self.gt.id_map.max()) + 1, -1, np.int64)
        lookup[0] = 0
        for gt_id, doc_id in comparison.pairs.items():
            lookup[gt_id] = doc_id
        return vertices.plan(self.doc, d, self.masks[g], lookup[self.gt.id_map],
                             self.threshold + VERTEX_MARGIN, self.annotator.protected)

    def _redraw_option(self, g: int, d: int, missing: np.ndarray, extra: np.ndarray,
                       comparison: Comparison) -> Option | None:
        """Draw a thing again (polygon, then delete what is left of the old segment) when
        that is cheaper than the piecewise fixes it still needs."""
        if not self.doc.is_thing(d):
            return None
        outlines = plans.geometry.polygons(self.masks[g])
        if len(outlines) != 1:
            return None
        needed = PIECE_S * self._pieces(g, d, missing, extra, comparison)
        region = Region.of(self.masks[g])
        if region is None or _drawn_iou(outlines[0], region) <= comparison.iou[g]:
            return None
        option = plans.polygon_option(self.annotator, region, self.gt.segments[g].category_id,
                                      then_delete=d)
        if option is None or option.cost >= needed:
            return None
        return Option("redraw", option.cost, option.run)

    def _pieces(self, g: int, d: int, missing: np.ndarray, extra: np.ndarray,
                comparison: Comparison) -> int:
        """Wrong parts of ``d`` to fix (largest first) to reach the target."""
        shared = comparison.overlap[(g, d)]
        union = int(self.masks[g].sum()) + self.doc.area(d) - shared
        return _pieces_needed(missing, extra, shared, union, self.threshold)

    def _add_options(self, part: np.ndarray, pieces: np.ndarray, g: int, d: int) -> list[Option]:
        """Ways to give pixels of ground truth ``g`` to its segment ``d``: fill or a polygon
        for the largest ``part``, the brush over all ``pieces`` its disk fits in."""
        annotator = self.annotator
        category = self.gt.segments[g].category_id
        region, spread = Region.of(part), Region.of(pieces)
        if region is None or spread is None:
            return []
        drawn = [plans.fill_option(annotator, region, self.masks[g], category, d),
                 plans.brush_option(annotator, spread, target=d),
                 plans.polygon_option(annotator, region, category,
                                      merge_into=d if self.doc.is_thing(d) else None)]
        return _by_rate(drawn)

    def _proposal_option(self, region: Region, wanted: np.ndarray, category: int) -> Option:
        point = interior_point(region.mask, region.offset)
        annotator = self.annotator
        context = annotator.context
        assert context is not None
        pick, looked = proposing.choose(context.candidates_at(*point), annotator, wanted)
        cost = proposing.estimate(annotator, pick, looked, category)
        return Option("proposal", cost, lambda: proposing.attempt(
            annotator, point, wanted, category, self.proposals))


def _by_rate(options: list[Option | None]) -> list[Option]:
    """Drawing options, fewest estimated seconds per pixel put right first."""
    return sorted((o for o in options if o is not None), key=lambda o: (o.rate, o.name))


def _largest_part(mask: np.ndarray) -> np.ndarray:
    """The largest 8-connected part of ``mask`` (empty when it has none)."""
    if not mask.any():
        return mask
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8),
                                                               connectivity=8)
    if count <= 2:
        return mask
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return labels == largest


def _drawn_iou(outline: np.ndarray, region: Region) -> float:
    """IoU of the region with what a polygon along ``outline`` fills (what the annotator
    sees before drawing: an outline that skips holes covers them)."""
    y0, x0, y1, x1 = region.box
    drawn = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(drawn, [outline - np.array([x0, y0], np.int32)], 1)
    drawn = drawn.astype(bool)
    return float((drawn & region.mask).sum() / max(1, (drawn | region.mask).sum()))


def _pieces_needed(missing: np.ndarray, extra: np.ndarray, shared: int, union: int,
                   threshold: float) -> int:
    """How many of the wrong parts (largest first) must be fixed to reach ``threshold``."""
    sizes = []
    for mask, kind in ((missing, 0), (extra, 1)):
        if mask.any():
            count, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8),
                                                                  connectivity=8)
            sizes += [(int(a), kind) for a in stats[1:count, cv2.CC_STAT_AREA]]
    needed = 0
    for size, kind in sorted(sizes, reverse=True):
        if shared >= threshold * union:
            break
        if kind == 0:
            shared += size
        else:
            union -= size
        needed += 1
    return needed


def _whole_part(part: np.ndarray, held: np.ndarray) -> bool:
    """Whether ``part`` is (almost all of) one of several separate parts of ``held``."""
    count, labels = cv2.connectedComponents(held.astype(np.uint8), connectivity=8)
    if count <= 2:
        return False
    inside = labels[part]
    label = int(np.bincount(inside).argmax())
    return label > 0 and int((labels == label).sum()) <= 1.1 * int(part.sum())


def _thin(held: np.ndarray) -> bool:
    """Whether refine edge's band reaches most of the way into the segment (a small or
    thin segment: only refining finely is worth a try; else R, then Shift+R)."""
    return float(depth(held).max()) <= 2 * REFINE_BAND


def _along_boundary(error: np.ndarray, held: np.ndarray) -> bool:
    """Whether most error pixels lie within refine edge's reach of the segment's edge."""
    total = int(error.sum())
    if total == 0:
        return False
    size = 2 * REFINE_BAND + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    held8 = held.astype(np.uint8)
    band = cv2.dilate(held8, kernel).astype(bool) & ~cv2.erode(held8, kernel).astype(bool)
    return int((error & band).sum()) >= BOUNDARY_SHARE * total
