"""Proposals at a click and label guesses, on synthetic raw outputs with known blobs."""

import numpy as np
import pytest

from panoptix.core.categories import load_table
from panoptix.core.document import Document
from panoptix.core.segment import Segment
from panoptix.inference.proposals import ProposalIndex, accept_proposal
from panoptix.inference.raw_outputs import RawOutputs

COCO = load_table("coco_panoptic")
LOW = (30, 40)
IMAGE = (300, 400)


def _blob(y0, x0, y1, x1, strength=8.0):
    """Mask logits that are positive inside the low-res box, negative outside."""
    logits = np.full(LOW, -strength, np.float32)
    logits[y0:y1, x0:x1] = strength
    return logits


def _raw(num_labels=5):
    # query: (box in low-res cells, label, class logit)
    queries = [((0, 0, 20, 20), 1, 6.0),    # big blob, label 1, very sure
               ((5, 5, 15, 15), 2, 3.0),    # small blob inside it, label 2, less sure
               ((5, 5, 15, 15), 3, 1.0),    # same blob, label 3, unsure
               ((20, 30, 30, 40), 4, 5.0)]  # far away
    class_logits = np.full((len(queries) + 1, num_labels + 1), -4.0, np.float32)
    masks = []
    for q, (box, label, logit) in enumerate(queries):
        class_logits[q, label] = logit
        masks.append(_blob(*box))
    class_logits[-1, -1] = 8.0  # a "no object" query
    masks.append(_blob(0, 0, 30, 40))
    return RawOutputs(class_logits, np.stack(masks).astype(np.float16), IMAGE,
                      {i: f"label {i}" for i in range(num_labels)})


def test_click_lists_covering_proposals_ranked_by_class_score_times_mask_confidence():
    index = ProposalIndex(_raw())
    ranked = index.at(x=100, y=100)  # low-res cell (10, 10): inside queries 0, 1, 2
    assert [p.query for p in ranked] == [0, 1, 2]
    assert [p.label_id for p in ranked] == [1, 2, 3]
    scores = [p.score for p in ranked]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < p.mask_confidence <= 1 for p in ranked)
    # the "no object" query never shows up, and a click elsewhere finds the far blob
    assert [p.query for p in index.at(x=390, y=290)] == [3]
    assert index.at(x=300, y=50) == []


def test_proposal_mask_is_upsampled_to_image_pixels_inside_its_box():
    index = ProposalIndex(_raw())
    (y0, x0, y1, x1), mask = index.mask(1)
    full = np.zeros(IMAGE, bool)
    full[y0:y1, x0:x1] = mask
    expected = np.zeros(IMAGE, bool)
    expected[50:150, 50:150] = True
    # same pixels as a full bilinear upsampling, up to a pixel along the border
    assert np.abs(full.sum() - expected.sum()) <= 2 * 400
    assert full[60:140, 60:140].all() and not full[:40].any() and not full[:, 160:].any()


def test_accepting_a_proposal_takes_its_pixels_in_one_undo_step():
    index = ProposalIndex(_raw())
    id_map = np.zeros(IMAGE, np.int32)
    id_map[:200, :200] = 1
    doc = Document(id_map, {1: Segment(1)}, COCO)
    before = doc.id_map.copy()
    proposal = index.at(x=100, y=100)[1]
    new_id = accept_proposal(doc, index, proposal, category_id=3)
    assert doc.segments[new_id].category_id == 3
    assert doc.segments[new_id].source == "model"
    assert doc.segments[new_id].score == pytest.approx(proposal.score)
    assert doc.area(new_id) == pytest.approx(100 * 100, rel=0.05)
    assert doc.area(1) == 200 * 200 - doc.area(new_id)
    doc.undo()
    assert np.array_equal(doc.id_map, before) and new_id not in doc.segments


def test_label_guesses_rank_the_labels_of_queries_covering_the_segment():
    index = ProposalIndex(_raw())
    box = (50, 50, 150, 150)
    mask = np.ones((100, 100), bool)
    guesses = index.label_guesses(box, mask, k=5)
    assert [g.label_id for g in guesses[:3]] == [1, 2, 3]
    assert sum(g.probability for g in guesses) <= 1.0 + 1e-6
    far = index.label_guesses((200, 300, 300, 400), np.ones((100, 100), bool), k=2)
    assert far[0].label_id == 4


def test_a_score_threshold_under_the_floor_lowers_it_so_unsure_segments_are_offered():
    from panoptix.inference.proposals import proposal_floor

    raw = _raw(num_labels=120)
    raw.class_logits[2, 3] = -3.9  # barely above 120 other labels: under 1% sure
    index = ProposalIndex(raw)
    unsure = next(p for p in index.at(x=100, y=100, min_score=0.0) if p.query == 2)
    assert unsure.score < 0.02
    assert 2 not in [p.query for p in index.at(x=100, y=100)]  # the default floor
    assert 2 in [p.query for p in index.at(x=100, y=100, min_score=proposal_floor(0.0))]
    assert proposal_floor(0.0) == 0.0 and proposal_floor(0.01) == 0.01
    assert proposal_floor(0.8) == 0.02  # a high threshold keeps the usual floor
