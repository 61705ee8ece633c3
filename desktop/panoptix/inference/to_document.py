"""Turning a predicted segmentation into an editable document.

Labels become categories by name (see :mod:`panoptix.inference.labels`). A segment whose
label has no category is dropped and counted, never guessed; stuff ends up as one segment
per category even when several labels or instances map onto it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from panoptix.core.document import Document
from panoptix.core.segment import Segment
from panoptix.inference.labels import ModelCategories
from panoptix.inference.postprocess import Segmentation


@dataclass(frozen=True, eq=False)
class Conversion:
    document: Document
    dropped: dict[str, int] = field(default_factory=dict)
    """Label name -> segments dropped because no category has that name."""
    query_indices: dict[int, tuple[int, ...]] = field(default_factory=dict)
    """Document segment id -> the model queries it came from (for proposals, label guesses)."""

    @property
    def dropped_count(self) -> int:
        return sum(self.dropped.values())


def to_document(segmentation: Segmentation, model_categories: ModelCategories) -> Conversion:
    categories, match = model_categories.categories, model_categories.match
    top = max((s.id for s in segmentation.segments), default=0)
    lookup = np.zeros(top + 1, np.int32)
    table: dict[int, Segment] = {}
    queries: dict[int, tuple[int, ...]] = {}
    stuff_ids: dict[int, int] = {}
    dropped: Counter[str] = Counter()
    for predicted in segmentation.segments:
        category_id = match.category_for(predicted.label_id)
        if category_id is None:
            dropped[match.unknown.get(predicted.label_id, str(predicted.label_id))] += 1
            continue
        new_id = stuff_ids.get(category_id)
        if new_id is None:
            new_id = len(table) + 1
            table[new_id] = Segment(category_id, score=predicted.score, source="model")
            queries[new_id] = ()
            if not categories.is_thing(category_id):
                stuff_ids[category_id] = new_id
        elif predicted.score > (table[new_id].score or 0.0):
            table[new_id] = Segment(category_id, score=predicted.score, source="model")
        queries[new_id] = tuple(dict.fromkeys(queries[new_id] + predicted.query_indices))
        lookup[predicted.id] = new_id
    id_map = lookup[segmentation.id_map] if top else np.zeros_like(segmentation.id_map)
    return Conversion(Document(id_map, table, categories), dict(dropped), queries)
