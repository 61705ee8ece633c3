"""Looking for a missed object among the model's proposals, as a person would.

A click on the object (its deepest pixel) lists the proposals covering it; the annotator
looks at their outlines one by one (Tab) and stops at the first that fits well. When none
of the first :data:`SCAN` fits well, the best one that fits at all is taken (Shift+Tab back
to it); when none fits at all, Esc and another tool. Each outline looked at is one KLM M.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from panoptix.inference.assist import Candidate
from panoptix.simulate.annotator import Annotator
from panoptix.simulate.effort import KEY_S, POINT_S, THINK_S
from panoptix.simulate.picker import pick_keys

SCAN = 8
"""Proposals looked at, at most: the rows the window's list shows at once."""
GOOD = 0.8
"""IoU with the object at which the annotator stops looking and accepts."""
ENOUGH = 0.5
"""IoU below which a proposal is no use."""


@dataclass
class ProposalStats:
    """How often the list at a missed object's click held a usable mask."""

    tries: int = 0
    found: int = 0
    positions: list[int] = field(default_factory=list)
    """1-based list position of each proposal taken."""
    ious: list[float] = field(default_factory=list)

    def add(self, other: ProposalStats) -> None:
        self.tries += other.tries
        self.found += other.found
        self.positions += other.positions
        self.ious += other.ious

    def to_json(self) -> dict:
        return {"tries": self.tries, "found": self.found, "positions": list(self.positions),
                "ious": [round(i, 3) for i in self.ious]}


@dataclass(frozen=True)
class Pick:
    candidate: Candidate
    position: int
    """0-based."""
    looked: int
    """Outlines looked at before taking it."""
    iou: float


def choose(candidates: list[Candidate], annotator: Annotator,
           wanted: np.ndarray) -> tuple[Pick | None, int]:
    """The proposal the annotator takes for the object ``wanted`` (a full-size mask), and
    how many outlines they looked at."""
    assert annotator.context is not None
    index = annotator.context.index
    wanted_area = int(wanted.sum())
    scores = []
    for position, candidate in enumerate(candidates[:SCAN]):
        placed = index.mask(candidate.proposal.query, candidate.proposal.point)
        iou = 0.0
        if placed is not None:
            (y0, x0, y1, x1), mask = placed
            shared = int(wanted[y0:y1, x0:x1][mask].sum())
            iou = shared / (int(mask.sum()) + wanted_area - shared)
        if iou >= GOOD:
            return Pick(candidate, position, position + 1, iou), position + 1
        scores.append(iou)
    if scores and max(scores) >= ENOUGH:
        best = int(np.argmax(scores))
        return Pick(candidates[best], best, len(scores), scores[best]), len(scores)
    return None, len(scores)


def keys_to_reach(pick: Pick) -> int:
    """Tab to each outline looked at, then Shift+Tab back to the one taken."""
    back = pick.looked - 1 - pick.position
    return (pick.looked - 1) + 2 * back


def estimate(annotator: Annotator, pick: Pick | None, looked: int, category_id: int) -> float:
    tool = 0.0 if annotator.tool == "propose" else KEY_S
    cost = THINK_S + tool + POINT_S + KEY_S + THINK_S * looked
    if pick is None:
        return cost + KEY_S
    cost += KEY_S * keys_to_reach(pick)
    if pick.candidate.category_id == category_id:
        return cost + KEY_S
    assert annotator.context is not None
    guesses = [c for c, _ in annotator.context.query_guesses(pick.candidate.proposal.query)]
    return cost + KEY_S * (2 + pick_keys(annotator.doc.categories, category_id, guesses))


def attempt(annotator: Annotator, point: tuple[int, int], wanted: np.ndarray,
            category_id: int, stats: ProposalStats) -> bool:
    """Click, look, accept or give up; True when a proposal was accepted."""
    candidates = annotator.proposals_at(*point)
    pick, looked = choose(candidates, annotator, wanted)
    annotator.look(looked)
    stats.tries += 1
    if pick is None:
        if candidates:
            annotator.dismiss()
        return False
    annotator.next_proposal(keys_to_reach(pick))
    created = annotator.accept(pick.candidate, category_id)
    stats.found += 1
    stats.positions.append(pick.position + 1)
    stats.ious.append(pick.iou)
    return created is not None
