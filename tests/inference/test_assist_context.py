"""Model-assisted editing in categories: candidates at a click, top-k guesses, threshold
re-runs, on synthetic raw outputs with known blobs and scores."""

import numpy as np
import pytest
from synthetic import street_scene

from panoptix.core.categories import Category, CategorySet, load_table
from panoptix.core.document import Document
from panoptix.core.segment import Segment
from panoptix.inference.assist import AssistContext, postprocess_document
from panoptix.inference.labels import categories_for_model
from panoptix.inference.postprocess import segment
from panoptix.inference.raw_outputs import RawOutputs
from panoptix.inference.settings import InferenceSettings
from panoptix.inference.to_document import to_document

LOW, IMAGE = (30, 40), (300, 400)
LABELS = {0: "car", 1: "automobile", 2: "truck", 3: "unicorn", 4: "road"}
"""'car' and 'automobile' share one category; no category is called 'unicorn'."""
CATEGORIES = CategorySet([Category(1, "car, automobile", True, (0, 0, 200)),
                          Category(2, "truck", True, (0, 0, 90)),
                          Category(3, "road", False, (120, 60, 120))])


def _blob(y0: int, x0: int, y1: int, x1: int) -> np.ndarray:
    logits = np.full(LOW, -8.0, np.float32)
    logits[y0:y1, x0:x1] = 8.0
    return logits


def _context() -> AssistContext:
    # (box in low-res cells, {label: logit}) per query; the last query is "no object"
    queries = [((0, 0, 20, 20), {0: 4.0, 1: 3.0}),   # car + automobile: one category
               ((5, 5, 15, 15), {3: 6.0, 2: 3.5}),   # best label has no category: truck
               ((5, 5, 15, 15), {2: 2.0}),           # truck, less sure
               ((0, 0, 30, 40), {3: 8.0}),           # only 'unicorn': never offered
               ((20, 0, 30, 40), {4: 6.0})]          # road
    class_logits = np.full((len(queries) + 1, len(LABELS) + 1), -4.0, np.float32)
    masks = []
    for q, (box, logits) in enumerate(queries):
        for label, logit in logits.items():
            class_logits[q, label] = logit
        masks.append(_blob(*box))
    class_logits[-1, -1] = 8.0
    masks.append(_blob(0, 0, 30, 40))
    raw = RawOutputs(class_logits, np.stack(masks).astype(np.float16), IMAGE, LABELS)
    return AssistContext(raw, categories_for_model("test", LABELS, CATEGORIES))


def test_candidates_offer_their_best_category_ranked_by_its_probability():
    context = _context()
    candidates = context.candidates_at(x=100, y=100)  # cell (10, 10): queries 0, 1, 2, 3
    assert [c.proposal.query for c in candidates] == [0, 2, 1]
    assert [c.category_id for c in candidates] == [1, 2, 2]
    probabilities = context.index.label_probs
    first = candidates[0].proposal
    assert first.label_id == 0  # 'car', the likelier of the category's two labels
    assert first.class_score == pytest.approx(probabilities[0, 0] + probabilities[0, 1])
    assert first.score == pytest.approx(first.class_score * first.mask_confidence)
    # query 1 is mostly 'unicorn', which has no category: offered as a truck, at its odds
    assert candidates[2].proposal.class_score == pytest.approx(probabilities[1, 2])
    scores = [c.score for c in candidates]
    assert scores == sorted(scores, reverse=True)
    assert [c.category_id for c in context.candidates_at(x=10, y=290)] == [3]


def test_query_guesses_sum_labels_that_share_a_category_and_skip_unknown_labels():
    context = _context()
    probabilities = context.index.label_probs
    guesses = context.query_guesses(0)
    assert guesses[0] == (1, pytest.approx(probabilities[0, 0] + probabilities[0, 1]))
    assert [category for category, _p in guesses] == [1, 2, 3]
    assert [category for category, _p in context.query_guesses(3)] == [1, 2, 3]


def test_segment_guesses_rank_categories_by_the_covering_queries_votes():
    context = _context()
    id_map = np.zeros(IMAGE, np.int32)
    id_map[50:150, 50:150] = 1   # where queries 0, 1, 2 (and 'unicorn') overlap
    id_map[200:, :] = 2          # the road
    doc = Document(id_map, {1: Segment(1), 2: Segment(3)}, CATEGORIES)
    guesses = context.segment_guesses(doc, {1}, k=2)
    assert len(guesses) == 2 and {c for c, _p in guesses} == {1, 2}
    assert guesses[0][1] >= guesses[1][1] > 0
    assert sum(p for _c, p in context.segment_guesses(doc, {1})) < 1.0  # 'unicorn' withheld
    assert context.segment_guesses(doc, {2})[0][0] == 3
    assert context.segment_guesses(doc, {99}) == []


def test_top_guess_of_every_unedited_model_segment_is_its_own_category():
    raw = street_scene()
    coco = load_table("coco_panoptic")
    context = AssistContext(raw, categories_for_model(raw.model_id, raw.id2label, coco))
    doc = postprocess_document(raw, context.model_categories, InferenceSettings()).document
    assert len(doc.segments) >= 5
    for segment_id, seg in doc.segments.items():
        guesses = context.segment_guesses(doc, {segment_id})
        assert len(guesses) == 5
        assert guesses[0][0] == seg.category_id


@pytest.mark.parametrize("thresholds", [(0.8, 0.5, 0.8), (0.3, 0.2, 0.5), (0.99, 0.5, 0.95)])
def test_threshold_rerun_equals_a_fresh_postprocessing(thresholds):
    raw = street_scene()
    model_categories = categories_for_model(raw.model_id, raw.id2label,
                                            load_table("coco_panoptic"))
    threshold, mask_threshold, overlap_threshold = thresholds
    settings = InferenceSettings(threshold=threshold, mask_threshold=mask_threshold,
                                 overlap_threshold=overlap_threshold)
    rerun = postprocess_document(raw, model_categories, settings)
    fresh = to_document(segment(raw, model_categories.thing_labels, *thresholds),
                        model_categories)
    assert np.array_equal(rerun.document.id_map, fresh.document.id_map)
    assert dict(rerun.document.segments) == dict(fresh.document.segments)
    assert rerun.query_indices == fresh.query_indices
