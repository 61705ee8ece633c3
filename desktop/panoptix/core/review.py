"""Review order: where the model was least sure, so annotators look there first."""

from __future__ import annotations

from panoptix.core.document import Document


def review_order(doc: Document) -> list[int]:
    """Model segments by ascending score; segments a person made or fixed are not listed."""
    scored = [(s.score, i) for i, s in doc.segments.items()
              if s.score is not None and s.source == "model"]
    return [i for _, i in sorted(scored)]


def step_review(doc: Document, current: int | None, forward: bool = True) -> int | None:
    """The next (or previous) segment in review order after ``current``, wrapping around."""
    order = review_order(doc)
    if not order:
        return None
    if current not in order:
        return order[0] if forward else order[-1]
    index = order.index(current) + (1 if forward else -1)
    return order[index % len(order)]


def image_uncertainty(doc: Document) -> float:
    """Share of the image that still needs a look, in 0..1.

    Each model segment counts ``area * (1 - score)``; unlabeled pixels count fully, since
    someone must decide what they are; segments a person made count as certain.
    """
    height, width = doc.shape
    total = height * width
    if total == 0:
        return 0.0
    doubt = float(total - sum(doc.area(i) for i in doc.segments))
    for segment_id, segment in doc.segments.items():
        if segment.source == "model" and segment.score is not None:
            doubt += doc.area(segment_id) * (1.0 - min(1.0, max(0.0, segment.score)))
    return doubt / total
