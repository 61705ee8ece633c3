"""Model-assisted editing without Qt: one image's kept outputs turned into what the annotator
is offered - proposals at a click, category guesses, a re-run at new thresholds.

Everything is in *categories*, not model labels: a label maps to a category by name
(:mod:`panoptix.inference.labels`), and a label without a category is never offered.

Top-k guesses come from :meth:`ProposalIndex.label_guesses` (queries vote with their class
probabilities, weighted by how much of the segment their masks cover) for every segment,
model-made or not. The queries that formed a segment (``Conversion.query_indices``) are
neither saved with the annotation nor meaningful once the segment was edited, so a
query-based ranking would only hold until the first save or brush stroke; on an unedited
segment those queries cover it almost entirely and dominate the vote anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from panoptix.core.categories import CategorySet
from panoptix.core.document import Document
from panoptix.inference.labels import ModelCategories, categories_for_model
from panoptix.inference.postprocess import is_thing_function, segment, working_guide
from panoptix.inference.proposals import Box, Proposal, ProposalIndex
from panoptix.inference.raw_outputs import RawOutputs
from panoptix.inference.settings import InferenceSettings
from panoptix.inference.to_document import Conversion, to_document

TOP_K = 5

Guess = tuple[int, float]
"""(category id, probability)."""


@dataclass(frozen=True)
class Candidate:
    """A proposal as offered at a click: its mask's query and the category it would get."""

    proposal: Proposal
    """Its ``label_id``/``class_score`` are those of the best label that has a category."""
    category_id: int

    @property
    def score(self) -> float:
        return self.proposal.score


def postprocess_document(raw: RawOutputs, model_categories: ModelCategories,
                         settings: InferenceSettings,
                         image: np.ndarray | None = None) -> Conversion:
    """The document the model's outputs give at ``settings``' thresholds (what a fresh
    pre-segmentation with those settings produces). The switches are as the settings say
    or, unset, as the model advises: snapping puts the boundaries on ``image``'s edges
    (the image, or its guide from :func:`panoptix.inference.edges.edge_guide` at the
    working grid's size), splitting makes the detached parts of objects objects of their
    own."""
    segmentation = segment(raw, model_categories.thing_labels, settings.threshold,
                           settings.mask_threshold, settings.overlap_threshold,
                           image=image if settings.resolved_snap_edges else None,
                           split_parts=settings.resolved_split_parts)
    return to_document(segmentation, model_categories)


class AssistContext:
    """One image's raw outputs with their proposal index, in categories.

    Built once per image (the index costs one pass over all masks); every click, guess
    and re-run then reads it. A category's probability is the sum over the labels that
    map to it (ADE20K-style synonyms can give one category several labels).
    """

    def __init__(self, raw: RawOutputs, model_categories: ModelCategories,
                 image: np.ndarray | None = None, split_parts: bool = False) -> None:
        """With ``image`` (the image the outputs are for; one of another size is not
        used), proposals come with their boundaries snapped to its edges; with
        ``split_parts``, an object's proposal is its detached part under the click, as the
        pre-segmentation splits it."""
        self.raw = raw
        self.model_categories = model_categories
        self.split_parts = split_parts
        self._is_thing = is_thing_function(model_categories.thing_labels)
        fits = image is not None and image.shape[:2] == tuple(raw.image_size)
        guide = working_guide(image) if fits else None
        self.index = ProposalIndex(raw, guide=guide)
        lookup = model_categories.match.label_to_category
        self.category_ids = np.array(sorted(set(lookup.values())), np.int64)
        """The categories some label maps to; columns of :attr:`category_probs`."""
        self.label_to_column = np.zeros((raw.num_labels, self.category_ids.size), np.float32)
        for label, category in lookup.items():
            if 0 <= label < raw.num_labels:
                column = int(np.searchsorted(self.category_ids, category))
                self.label_to_column[label, column] = 1.0
        self.category_probs = self.index.label_probs @ self.label_to_column
        """(Q, categories): each query's probability per category."""

    @classmethod
    def load(cls, path: str | Path, categories: CategorySet,
             image: np.ndarray | None = None, split_parts: bool = False) -> AssistContext:
        """Read raw outputs (raises ``RawOutputsError``) and map their labels onto
        ``categories``; ``image`` and ``split_parts`` as for the constructor."""
        raw = RawOutputs.load(path)
        return cls(raw, categories_for_model(raw.model_id, raw.id2label, categories), image,
                   split_parts)

    def candidates_at(self, x: float, y: float, limit: int = 20,
                      min_score: float | None = None) -> list[Candidate]:
        """Proposals covering image pixel (x, y), each with its most probable category,
        best first by that category's probability x mask confidence, scoring at least
        ``min_score`` (default the index's; see ``proposals.proposal_floor``)."""
        index = self.index
        floor = index.min_score if min_score is None else min_score
        candidates = []
        for proposal in index.at(x, y, limit=index.raw.num_queries, min_score=floor):
            if self.category_ids.size == 0:
                break
            column = int(self.category_probs[proposal.query].argmax())
            probability = float(self.category_probs[proposal.query, column])
            labels = self.label_to_column[:, column] > 0
            label = int(np.where(labels, index.label_probs[proposal.query], -1.0).argmax())
            point = (int(x), int(y)) if self.split_parts and self._is_thing(label) else None
            offered = replace(proposal, label_id=label, class_score=probability, point=point)
            if probability > 0 and offered.score >= floor:
                candidates.append(Candidate(offered, int(self.category_ids[column])))
        candidates.sort(key=lambda c: -c.score)
        return candidates[:limit]

    def query_guesses(self, query: int, k: int = TOP_K) -> list[Guess]:
        """One proposal's own top-k categories (its query's class probabilities)."""
        return self._top(self.category_probs[query], k)

    def segment_guesses(self, doc: Document, ids: set[int] | frozenset[int],
                        k: int = TOP_K) -> list[Guess]:
        """Top-k categories for the union of segments ``ids``, best first."""
        present = [i for i in ids if i in doc.segments]
        if not present:
            return []
        boxes = [doc.box(i) for i in present]
        box: Box = (min(b[0] for b in boxes), min(b[1] for b in boxes),
                    max(b[2] for b in boxes), max(b[3] for b in boxes))
        y0, x0, y1, x1 = box
        return self.region_guesses(box, np.isin(doc.id_map[y0:y1, x0:x1], present), k)

    def region_guesses(self, box: Box, mask: np.ndarray, k: int = TOP_K) -> list[Guess]:
        """Top-k categories for any region (a mask inside ``box``, e.g. one Segment
        Anything found), best first."""
        votes = np.zeros(self.raw.num_labels, np.float32)
        for guess in self.index.label_guesses(box, mask, k=self.raw.num_labels):
            votes[guess.label_id] = guess.probability
        return self._top(votes @ self.label_to_column, k)

    def _top(self, category_probs: np.ndarray, k: int) -> list[Guess]:
        order = np.argsort(-category_probs, kind="stable")[:k]
        return [(int(self.category_ids[i]), float(category_probs[i])) for i in order
                if category_probs[i] > 0]
