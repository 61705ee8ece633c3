"""Model-assisted editing from kept raw outputs: mask proposals at a click, label guesses.

Numpy and OpenCV only, so it runs in the GUI thread without torch. Everything expensive
(softmax, sigmoid, per-query confidence) is computed once per image in
:class:`ProposalIndex`; a click then costs one lookup per query. Given the image's guide,
a proposal's mask has its boundary snapped to the image's edges as the pre-segmentation's
segments have (:mod:`panoptix.inference.edges`, on the same working grid), so what a
click offers fits as well.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from panoptix.core.document import Document
from panoptix.core.edits import add_mask
from panoptix.inference.edges import snap_radius, snap_to_edges
from panoptix.inference.parts import part_at
from panoptix.inference.postprocess import WORKING_SIZE, sigmoid, softmax, working_shape
from panoptix.inference.raw_outputs import RawOutputs

Box = tuple[int, int, int, int]
MIN_SCORE = 0.02
"""Proposals scoring below this are not offered, unless the score threshold is lower."""


def proposal_floor(threshold: float) -> float:
    """The lowest score offered at a score threshold: never above the threshold, so what
    a low-confidence model kept as a segment is always offered there too."""
    return min(MIN_SCORE, max(0.0, float(threshold)))


@dataclass(frozen=True)
class Proposal:
    """One query's mask as a candidate segment, with its best label."""

    query: int
    label_id: int
    class_score: float
    """The label's probability (softmax over labels and "no object")."""
    mask_confidence: float
    """Mean mask probability over the mask's own pixels, as Mask2Former scores masks."""
    point: tuple[int, int] | None = None
    """(x, y) of the click when the proposal is an object's detached part there
    (:func:`panoptix.inference.parts.part_at`), None for the query's whole mask."""

    @property
    def score(self) -> float:
        return self.class_score * self.mask_confidence


@dataclass(frozen=True)
class LabelGuess:
    label_id: int
    probability: float


class ProposalIndex:
    """Per-image index of the model's mask proposals over its raw outputs."""

    def __init__(self, raw: RawOutputs, min_score: float = MIN_SCORE,
                 guide: np.ndarray | None = None) -> None:
        """``guide``: the image, grey, on the working grid (``edges.edge_guide`` at
        ``postprocess.working_shape``), to snap masks to its edges; None leaves them as
        the model made them."""
        if guide is not None and guide.shape != working_shape(raw.image_size, WORKING_SIZE):
            raise ValueError(f"the guide is {guide.shape[1]}x{guide.shape[0]}, not the "
                             f"working grid of a {raw.image_size[1]}x{raw.image_size[0]} "
                             "image")
        self.raw = raw
        self.min_score = min_score
        self.guide = guide
        probs = softmax(raw.class_logits)
        self.label_probs = probs[:, :-1]
        self.labels = self.label_probs.argmax(axis=1)
        self.class_scores = self.label_probs.max(axis=1)
        self.mask_probs = sigmoid(raw.mask_logits)
        binary = self.mask_probs > 0.5
        areas = binary.sum(axis=(1, 2))
        self.mask_confidence = np.where(
            areas > 0, (self.mask_probs * binary).sum(axis=(1, 2)) / np.maximum(areas, 1), 0.0)
        self.scores = self.class_scores * self.mask_confidence

    @property
    def low_size(self) -> tuple[int, int]:
        return self.mask_probs.shape[1], self.mask_probs.shape[2]

    def _to_low(self, x: float, y: float) -> tuple[int, int]:
        height, width = self.raw.image_size
        low_h, low_w = self.low_size
        return (min(low_h - 1, max(0, int(y * low_h / height))),
                min(low_w - 1, max(0, int(x * low_w / width))))

    def at(self, x: float, y: float, limit: int = 20,
           min_score: float | None = None) -> list[Proposal]:
        """Proposals whose mask covers image pixel (x, y), best first, scoring at least
        ``min_score`` (default :attr:`min_score`)."""
        floor = self.min_score if min_score is None else min_score
        ly, lx = self._to_low(x, y)
        covering = np.flatnonzero((self.mask_probs[:, ly, lx] > 0.5)
                                  & (self.scores >= floor))
        ranked = covering[np.argsort(-self.scores[covering], kind="stable")][:limit]
        return [Proposal(int(q), int(self.labels[q]), float(self.class_scores[q]),
                         float(self.mask_confidence[q])) for q in ranked]

    def mask(self, query: int, point: tuple[int, int] | None = None
             ) -> tuple[Box, np.ndarray] | None:
        """The query's mask at image resolution, as (box, mask inside the box); with a
        ``point`` (x, y), only the detached part there, as splitting would leave it.

        Only the part of the low-resolution logits around the mask is upsampled, with
        the same pixel-centre alignment a full-size bilinear resize would use. With a
        guide, the mask is made and snapped at the guide's size (the working grid, as
        post-processing does) and then brought to the image's size by nearest neighbour.
        """
        size = self.raw.image_size if self.guide is None else self.guide.shape
        placed = self._mask_at(query, size)
        if placed is not None and self.guide is not None:
            placed = self._to_image(*self._snapped(*placed))
        if placed is None or point is None:
            return placed
        (y0, x0, _, _), mask = placed
        height, width = self.raw.image_size
        return placed[0], part_at(mask, point[1] - y0, point[0] - x0, height * width)

    def _mask_at(self, query: int, size: tuple[int, int]) -> tuple[Box, np.ndarray] | None:
        """The query's mask on a grid of ``size`` (h, w) over the image."""
        height, width = size
        low_h, low_w = self.low_size
        binary = self.mask_probs[query] > 0.5
        rows, cols = np.flatnonzero(binary.any(axis=1)), np.flatnonzero(binary.any(axis=0))
        if rows.size == 0:
            return None
        sy, sx = height / low_h, width / low_w
        y0 = max(0, int(np.floor((rows[0] - 1) * sy)))
        y1 = min(height, int(np.ceil((rows[-1] + 2) * sy)))
        x0 = max(0, int(np.floor((cols[0] - 1) * sx)))
        x1 = min(width, int(np.ceil((cols[-1] + 2) * sx)))
        # pixel centre (x + 0.5) maps to low-res coordinate (x + 0.5) / s - 0.5
        map_x = ((np.arange(x0, x1, dtype=np.float32) + 0.5) / sx - 0.5)[None, :]
        map_y = ((np.arange(y0, y1, dtype=np.float32) + 0.5) / sy - 0.5)[:, None]
        map_x, map_y = np.broadcast_to(map_x, (y1 - y0, x1 - x0)), np.broadcast_to(
            map_y, (y1 - y0, x1 - x0))
        logits = self.raw.mask_logits[query].astype(np.float32)
        crop = cv2.remap(logits, np.ascontiguousarray(map_x), np.ascontiguousarray(map_y),
                         cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        mask = crop > 0
        if not mask.any():
            return None
        return (y0, x0, y1, x1), mask

    def _snapped(self, box: Box, mask: np.ndarray) -> tuple[Box, np.ndarray]:
        """The mask (on the guide's grid) snapped to the guide's edges, in its box grown by
        the reach of the filter (the mask may move outward)."""
        assert self.guide is not None
        height, width = self.guide.shape
        radius = snap_radius(self.low_size, (height, width))
        margin = 2 * radius + 1
        y0, x0, y1, x1 = box
        gy0, gx0 = max(0, y0 - margin), max(0, x0 - margin)
        gy1, gx1 = min(height, y1 + margin), min(width, x1 + margin)
        inside = np.zeros((gy1 - gy0, gx1 - gx0), np.int32)
        inside[y0 - gy0:y1 - gy0, x0 - gx0:x1 - gx0] = mask
        snapped = snap_to_edges(inside, self.guide[gy0:gy1, gx0:gx1], radius) == 1
        return (gy0, gx0, gy1, gx1), snapped

    def _to_image(self, box: Box, mask: np.ndarray) -> tuple[Box, np.ndarray]:
        """A mask on the guide's grid at the image's size (nearest neighbour)."""
        assert self.guide is not None
        (height, width), (grid_h, grid_w) = self.raw.image_size, self.guide.shape
        if (grid_h, grid_w) == (height, width):
            return box, mask
        y0, x0, y1, x1 = box
        top, left = round(y0 * height / grid_h), round(x0 * width / grid_w)
        bottom, right = round(y1 * height / grid_h), round(x1 * width / grid_w)
        resized = cv2.resize(mask.view(np.uint8), (right - left, bottom - top),
                             interpolation=cv2.INTER_NEAREST_EXACT)
        return (top, left, bottom, right), resized.astype(bool)

    def label_guesses(self, box: Box, mask: np.ndarray, k: int = 5) -> list[LabelGuess]:
        """The top-k labels for a segment (given by its box and mask at image resolution).

        Each query votes with its label distribution, weighted by how much of the segment
        its mask covers and by how sure it is that it found an object at all.
        """
        coverage = self._coverage(box, mask)
        total = float(coverage.sum())
        if total <= 0:
            return []
        overlap = (self.mask_probs * coverage[None]).sum(axis=(1, 2)) / total
        weights = overlap * self.label_probs.sum(axis=1)
        if weights.sum() <= 0:
            return []
        votes = (weights[:, None] * self.label_probs).sum(axis=0)
        votes /= votes.sum()
        top = np.argsort(-votes, kind="stable")[:k]
        return [LabelGuess(int(label), float(votes[label])) for label in top]

    def _coverage(self, box: Box, mask: np.ndarray) -> np.ndarray:
        """The segment's share of each low-resolution cell, in 0..1."""
        height, width = self.raw.image_size
        low_h, low_w = self.low_size
        y0, x0, y1, x1 = box
        ly0, lx0 = int(y0 * low_h / height), int(x0 * low_w / width)
        ly1 = max(ly0 + 1, min(low_h, int(np.ceil(y1 * low_h / height))))
        lx1 = max(lx0 + 1, min(low_w, int(np.ceil(x1 * low_w / width))))
        coverage = np.zeros((low_h, low_w), np.float32)
        coverage[ly0:ly1, lx0:lx1] = cv2.resize(mask.astype(np.float32), (lx1 - lx0, ly1 - ly0),
                                                interpolation=cv2.INTER_AREA)
        return coverage


def accept_proposal(doc: Document, index: ProposalIndex, proposal: Proposal,
                    category_id: int) -> int | None:
    """Insert a proposal as a segment of ``category_id``, taking its pixels from whatever
    held them, as one undo step. A stuff category joins its existing segment."""
    placed = index.mask(proposal.query, proposal.point)
    if placed is None:
        return None
    (y0, x0, _, _), mask = placed
    return add_mask(doc, mask, category_id, offset=(y0, x0), score=proposal.score,
                    source="model", label="Accept proposal")
