"""The two ways to annotate an image: by hand from a blank document, or by correcting the
model's pre-segmentation; each run to the targets and measured.

**Manual.** Polygons drawn back to front, as Panoptix's polygons paint over what is
there: the annotator orders the segments so that each one's polygon covers only segments
drawn after it (in front of it), then outlines each (simplified at ~1.5 px, a click per
vertex), choosing its category in the category panel (type to filter). A segment's
outline may run through segments in front of it, which are drawn over it later, so the
sky or the water is often four clicks. A thing in several parts gets a polygon per part,
merged (Shift+click, M). Then the corrector (:mod:`.correct`) with the manual tools only:
polygon, fill for unlabeled areas, brush and eraser, delete, merge, split off, relabel.

**Assisted.** From the pre-segmentation: every model segment is looked at once (one KLM
M each). The score threshold is lowered a step at a time in the threshold panel (the image
is post-processed again from the kept outputs) while that shows more right than wrong
(one drag and a look at the new segments each; the last step back when it did not). Then
one of three routes, whichever takes the fewest estimated seconds to the target (an
experienced annotator sees at a glance whether a pre-segmentation is worth correcting; an
annotator aiming at IoU 0.9 may choose otherwise than one aiming at 0.85):

- *corrected*: the corrector works on the pre-segmentation as it is;
- *kept*: the segments that roughly stand for a ground-truth segment and hold little
  else (IoU >= 0.5, 95 % of their pixels on it) are kept (Ctrl+A, Shift+click each, Del),
  Protect Labeled Pixels is switched on (Ctrl+P) and the rest is drawn as by hand around
  them, front to back (each polygon may run through what is labelled), protection off;
- *cleared*: everything goes (Ctrl+A, Del) and the image is drawn as by hand.

Each route ends with the corrector with everything the window offers besides the manual
tools: relabelling with the model's top-5 guesses (a digit), proposals at a click for
missed objects (Tab to cycle), refine edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from panoptix.core.document import Document
from panoptix.inference.assist import AssistContext
from panoptix.inference.settings import InferenceSettings
from panoptix.simulate import geometry
from panoptix.simulate.annotator import Annotator
from panoptix.simulate.correct import Corrector, badness
from panoptix.simulate.effort import Effort
from panoptix.simulate.proposing import ProposalStats
from panoptix.simulate.truth import compare

TARGETS = (0.85, 0.9)
"""IoU per ground-truth segment and PQ to reach; effort is reported at each."""
KEEP_IOU, KEEP_PRECISION = 0.5, 0.95
"""A model segment at least this close to a ground-truth segment, and with this share of
its pixels on it, is kept on the "kept" route (the corrector fixes its edges later): one
that holds much of its neighbours (a road with the cars on it) would stop their polygons
under Protect Labeled Pixels."""
THRESHOLD_STEPS = (0.6, 0.4, 0.2)
"""Score thresholds the annotator tries in turn, below the pre-segmentation's."""
ROUTES = ("corrected", "kept", "cleared")


@dataclass
class Milestone:
    threshold: float
    reached: bool
    pq: float
    effort: Effort
    route: str = "manual"
    """How the assisted policy used the pre-segmentation on the way (:data:`ROUTES`)."""

    def to_json(self) -> dict:
        return {"threshold": self.threshold, "reached": self.reached, "route": self.route,
                "pq": round(self.pq, 4), **self.effort.to_json()}


@dataclass
class Outcome:
    """One image annotated with one policy."""

    policy: str
    start_pq: float
    milestones: list[Milestone]
    proposals: ProposalStats = field(default_factory=ProposalStats)
    document: Document | None = field(default=None, repr=False)
    """The finished annotation (for training on it)."""
    route: str = "manual"
    """The route taken to the first target (:data:`ROUTES`)."""
    routes: dict[str, float] = field(default_factory=dict)
    """Estimated seconds to the first target of every route tried."""

    def at(self, threshold: float) -> Milestone:
        return next(m for m in self.milestones if m.threshold == threshold)

    def to_json(self) -> dict:
        return {"policy": self.policy, "start_pq": round(self.start_pq, 4),
                "route": self.route, "routes": {k: round(v, 1) for k, v in self.routes.items()},
                "milestones": [m.to_json() for m in self.milestones],
                "proposals": self.proposals.to_json()}


def annotate_manually(gt: Document, image: np.ndarray | None = None,
                      targets: Sequence[float] = TARGETS) -> Outcome:
    doc = Document.blank(*gt.shape, gt.categories)
    annotator = Annotator(doc, image)
    start = compare(gt, doc).pq
    draw_back_to_front(annotator, gt)
    return _finish("manual", start, annotator, gt, targets)


def annotate_assisted(gt: Document, presegmented: Document, context: AssistContext | None,
                      image: np.ndarray | None = None, targets: Sequence[float] = TARGETS,
                      policy: str = "assisted",
                      settings: InferenceSettings | None = None) -> Outcome:
    """Every route tried from the same start; at each target the quickest to it. The
    outcome is the first target's route, its milestones each target's best, its document
    the one finished at the last target (what is saved as done)."""
    start = compare(gt, presegmented).pq
    tried: dict[str, Outcome] = {}
    for route in ROUTES:
        doc = Document(presegmented.id_map, presegmented.segments, presegmented.categories)
        annotator = Annotator(doc, image, context)
        annotator.look(len(doc.segments))
        if context is not None:
            lower_threshold(annotator, gt, min(targets), settings or InferenceSettings())
        if _take_route(route, annotator, gt):
            tried[route] = _finish(policy, start, annotator, gt, targets)
            for milestone in tried[route].milestones:
                milestone.route = route

    def quickest(index: int) -> str:
        return min(tried, key=lambda r: (tried[r].milestones[index].effort.seconds(),
                                         ROUTES.index(r)))

    first = quickest(0)
    outcome = tried[first]
    outcome.route = first
    outcome.routes = {r: o.milestones[0].effort.seconds() for r, o in tried.items()}
    outcome.milestones = [tried[quickest(i)].milestones[i]
                          for i in range(len(outcome.milestones))]
    outcome.document = tried[quickest(len(outcome.milestones) - 1)].document
    return outcome


def _take_route(route: str, annotator: Annotator, gt: Document) -> bool:
    """Start ``route`` on the annotator's document; False when it does not apply (nothing
    to keep, or everything)."""
    if route == "corrected":
        return True
    comparison = compare(gt, annotator.doc)
    doc = annotator.doc
    kept = {d for g, d in comparison.pairs.items() if comparison.iou[g] >= KEEP_IOU
            and comparison.overlap[(g, d)] >= KEEP_PRECISION * doc.area(d)}
    if route == "kept":
        if not kept or len(kept) == len(doc.segments):
            return False
        annotator.think("keep good, clear the rest")
        annotator.clear_except(sorted(kept))
        annotator.protect(True)
        paired = {g for g, d in comparison.pairs.items() if d in kept}
        draw_back_to_front(annotator, gt, skip=paired)
        annotator.protect(False)
        return True
    annotator.think("clear")
    annotator.clear()
    draw_back_to_front(annotator, gt)
    return True


def lower_threshold(annotator: Annotator, gt: Document, target: float,
                    settings: InferenceSettings) -> float:
    """Step the score threshold down while the document gets better, when the model missed
    something (a ground-truth segment nothing stands for); the threshold kept."""
    comparison = compare(gt, annotator.doc)
    kept = settings.threshold
    if len(comparison.pairs) == len(gt.segments):
        return kept
    best = badness(comparison, target)
    for threshold in THRESHOLD_STEPS:
        if threshold >= kept:
            continue
        before = annotator.doc
        annotator.think("threshold")
        after = annotator.rerun(settings.with_changes(threshold=threshold))
        annotator.look(max(0, len(after.segments) - len(before.segments)))
        score = badness(compare(gt, after), target)
        if score >= best:  # back to where it was: the same document again
            annotator.rerun(settings.with_changes(threshold=kept))
            annotator.doc = before
            break
        best, kept = score, threshold
    return kept


def _finish(policy: str, start_pq: float, annotator: Annotator, gt: Document,
            targets: Sequence[float]) -> Outcome:
    corrector = Corrector(annotator, gt, assisted=policy != "manual")
    milestones = []
    for threshold in sorted(targets):
        reached = corrector.run(threshold)
        milestones.append(Milestone(threshold, reached.reached(threshold), reached.pq,
                                    annotator.effort.copy()))
    return Outcome(policy, start_pq, milestones, corrector.proposals, annotator.doc)


# -- manual drawing ----------------------------------------------------------------------------
def drawing_order(gt: Document) -> list[int]:
    """Segments back to front: repeatedly the one whose filled outline covers the fewest
    pixels of the others still left goes to the front (ties: smaller first, then id)."""
    ids = sorted(gt.segments)
    masks = {i: gt.full_mask(i) for i in ids}
    filled = {i: _filled(masks[i]) for i in ids}
    covers = {(a, b): int((filled[a] & masks[b]).sum()) for a in ids for b in ids if a != b}
    left, front = set(ids), []
    while left:
        nearest = min(left, key=lambda a: (sum(covers[(a, b)] for b in left if b != a),
                                           int(masks[a].sum()), a))
        front.append(nearest)
        left.remove(nearest)
    return front[::-1]


def draw_back_to_front(annotator: Annotator, gt: Document,
                       skip: frozenset[int] | set[int] = frozenset()) -> None:
    """A polygon per visible part of every segment (but those in ``skip``, there already),
    in :func:`drawing_order`; each outline may take in the segments drawn after it when that
    needs fewer vertices. With Protect Labeled Pixels on, the same front to back instead:
    each outline may take in what is labelled already (drawn before it, or kept)."""
    order = [s for s in drawing_order(gt) if s not in skip]
    if annotator.protected:
        for segment_id in reversed(order):
            allowed = gt.full_mask(segment_id) | (annotator.doc.id_map > 0)
            _draw_segment(annotator, gt, segment_id, allowed)
        return
    later = np.zeros(gt.shape, bool)
    allowed_for = {}
    for segment_id in reversed(order):
        mask = gt.full_mask(segment_id)
        allowed_for[segment_id] = mask | later
        later |= mask
    for segment_id in order:
        _draw_segment(annotator, gt, segment_id, allowed_for[segment_id])


def _draw_segment(annotator: Annotator, gt: Document, segment_id: int,
                  allowed: np.ndarray) -> None:
    """Polygons for a ground-truth segment's parts, a thing's parts merged into one."""
    category = gt.segments[segment_id].category_id
    first: int | None = None
    for points in _outlines(gt.full_mask(segment_id), allowed):
        annotator.think("polygon")
        created = annotator.polygon(points, category)
        if created is None:
            continue
        if first is not None and gt.categories.is_thing(category) and created != first:
            annotator.merge([created, first])
        if first is None or first not in annotator.doc.segments:
            first = created


def _outlines(mask: np.ndarray, allowed: np.ndarray) -> list[np.ndarray]:
    """For each part of ``allowed`` that holds pixels of ``mask``: the outline of that part
    or those of the mask's own pieces in it, whichever has fewer vertices."""
    count, labels = cv2.connectedComponents(allowed.astype(np.uint8), connectivity=8)
    chosen = []
    for label in sorted(set(np.unique(labels[mask]).tolist()) - {0}):
        part = labels == label
        wide = geometry.polygons(part)[:1]
        own = geometry.polygons(mask & part)
        if not own and not wide:
            continue
        vertices = sum(len(p) for p in own)
        chosen += wide if wide and len(wide[0]) <= vertices else own
    return chosen


def _filled(mask: np.ndarray) -> np.ndarray:
    """The mask with its holes filled (what its outer outlines enclose)."""
    found, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                cv2.CHAIN_APPROX_SIMPLE)
    out = np.zeros(mask.shape, np.uint8)
    cv2.drawContours(out, found, -1, 1, thickness=cv2.FILLED)
    return out.astype(bool)
