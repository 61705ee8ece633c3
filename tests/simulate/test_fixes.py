"""Fixing almost-right segments: vertex editing, refine edge finely, seconds per operation."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from panoptix.core.document import Document
from panoptix.core.segment import Segment
from panoptix.inference.assist import AssistContext, postprocess_document
from panoptix.inference.labels import categories_for_model
from panoptix.inference.settings import InferenceSettings
from panoptix.simulate import annotate_assisted, correct, plans, standin, vertices
from panoptix.simulate.annotator import Annotator
from panoptix.simulate.truth import compare
from panoptix.synth import generate, synth_categories
from panoptix.synth.categories import category_id

SIZE = (240, 320)
ROAD, THING = 1, 2


def scene(thing: str, box: tuple[int, int, int, int]) -> Document:
    """Road everywhere, one ``thing`` filling ``box`` (y0, x0, y1, x1)."""
    id_map = np.full(SIZE, ROAD, np.int32)
    y0, x0, y1, x1 = box
    id_map[y0:y1, x0:x1] = THING
    return Document(id_map, {ROAD: Segment(category_id("road")),
                             THING: Segment(category_id(thing))}, synth_categories())


def moved(gt: Document, box: tuple[int, int, int, int]) -> Document:
    """The ground truth with its thing at ``box`` instead (an edge off by a few pixels)."""
    id_map = np.where(gt.id_map == THING, ROAD, gt.id_map)
    y0, x0, y1, x1 = box
    id_map[y0:y1, x0:x1] = THING
    return Document(id_map, dict(gt.segments), gt.categories)


def corrected(gt: Document, start: Document, image: np.ndarray | None = None,
              context: AssistContext | None = None) -> Annotator:
    annotator = Annotator(Document(start.id_map, start.segments, start.categories), image,
                          context)
    reached = correct.Corrector(annotator, gt, assisted=context is not None).run(0.85)
    assert reached.reached(0.85)
    return annotator


def test_a_shifted_edge_is_fixed_with_a_few_vertex_drags(monkeypatch) -> None:
    """The car's top edge 4 px low and its right edge 6 px out (IoU 0.84): Ctrl+J and a
    drag per corner put it right, one undo step, quicker than brush and eraser."""
    gt = scene("car", (100, 100, 140, 180))
    start = moved(gt, (104, 100, 140, 186))
    assert 0.8 < compare(gt, start).iou[THING] < 0.85
    annotator = corrected(gt, start)
    effort = annotator.effort
    assert effort.operations["vertices"] == 1 and effort.operations["brush"] == 0
    assert 1 <= effort.drags <= 4
    assert compare(gt, annotator.doc).iou[THING] >= 0.87
    assert annotator.doc.history.undo_label == "Edit vertices"
    with_vertices = effort.seconds()

    monkeypatch.setattr(vertices, "plan", lambda *_args, **_kwargs: None)
    without = corrected(gt, start).effort
    assert without.operations["vertices"] == 0
    assert with_vertices < without.seconds()


def test_a_vertex_plan_only_drags_onto_the_true_edge() -> None:
    gt = scene("car", (100, 100, 140, 180))
    start = moved(gt, (104, 100, 140, 186))
    comparison = compare(gt, start)
    expected = np.where(gt.id_map == THING, THING, ROAD)
    found = vertices.plan(start, comparison.pairs[THING], gt.id_map == THING, expected, 0.95)
    assert found is not None and found.iou >= 0.95
    edge = {(x, y) for y, x in zip(*np.nonzero(gt.id_map == THING), strict=True)
            if x in (100, 179) or y in (100, 139)}
    assert all((drag.x, drag.y) in edge for drag in found.drags)
    assert all(drag.length <= vertices.REACH for drag in found.drags)


def test_a_detached_part_is_split_off_where_the_pointer_is() -> None:
    """The model's car also holds two blobs of road, apart from it and from each other: the
    annotator points at the larger one and presses Shift+X (Split Off the Part Here); the
    car keeps its own part and the other blob (split, X, would have cut off both)."""
    gt = scene("car", (100, 100, 140, 180))
    id_map = gt.id_map.copy()
    id_map[160:190, 40:90] = THING  # the larger blob
    id_map[20:26, 250:262] = THING  # a small one, far off
    start = Document(id_map, dict(gt.segments), gt.categories)
    annotator = Annotator(Document(start.id_map, start.segments, start.categories), None,
                          None)
    corrector = correct.Corrector(annotator, gt, assisted=False)
    comparison = compare(gt, annotator.doc)
    (split_off,) = [o for o in corrector._gt_options(THING, comparison)
                    if o.name.startswith("split")]
    assert split_off.name == "split off"
    split_off.run()
    doc = annotator.doc
    blob = doc.segment_at(60, 170)
    assert blob not in (THING, ROAD) and doc.area(blob) == 30 * 50
    assert doc.segment_at(255, 22) == doc.segment_at(120, 120) == THING
    assert doc.history.undo_label == "Split Off"


def test_a_small_object_is_refined_finely(monkeypatch) -> None:
    """A person drawn a pixel too large all round (IoU 0.75): R's 6 px band lets GrabCut
    eat into it, Shift+R (2 px) snaps it to the photo: quicker than R and the brush."""
    truth = generate("street", 0, SIZE)
    gt = truth.document
    person = category_id("person")
    g = max((i for i, s in gt.segments.items() if s.category_id == person
             and gt.area(i) < 600), key=gt.area)
    grown = cv2.dilate((gt.id_map == g).astype(np.uint8), np.ones((3, 3), np.uint8))
    start = Document(np.where(grown.astype(bool), g, gt.id_map).astype(np.int32),
                     dict(gt.segments), gt.categories)
    assert compare(gt, start).iou[g] < 0.8
    raw = standin.raw_outputs(gt, 0, standin.LEVELS["near-perfect"], gt.categories)
    context = AssistContext(raw, categories_for_model(standin.NAME, raw.id2label,
                                                      gt.categories))
    finely = corrected(gt, start, truth.image, context).effort
    assert finely.operations["refine finely"] == 1
    assert finely.operations["undone refine finely"] == 0

    monkeypatch.setattr(plans, "refine_option", lambda annotator, d, fine=False:
                        plans.Option("refine", 0.0, lambda: annotator.refine(d)))
    coarse = corrected(gt, start, truth.image, context).effort
    assert coarse.operations["refine finely"] == 0
    assert finely.seconds() < coarse.seconds()


def test_seconds_by_operation_add_up_to_the_estimate() -> None:
    """Every estimated second goes to the operation it was spent on ("look" before the
    first: one M per model segment); an undone edit's Ctrl+Z to "undone ..."."""
    truth = generate("street", 3, SIZE)
    categories = synth_categories()
    raw = standin.raw_outputs(truth.document, 3, standin.LEVELS["strong"], categories)
    model = categories_for_model(standin.NAME, raw.id2label, categories)
    document = postprocess_document(raw, model, InferenceSettings()).document
    outcome = annotate_assisted(truth.document, document, AssistContext(raw, model),
                                truth.image)
    for threshold in (0.85, 0.9):
        effort = outcome.at(threshold).effort
        spent = effort.by_operation()
        assert sum(spent.values()) == pytest.approx(effort.seconds())
        assert set(spent) - {"look"} <= set(effort.operations)
        assert spent["look"] >= 1.35 * len(document.segments) - 1e-9
        saved = outcome.at(threshold).to_json()["operation_seconds"]
        assert saved == {k: round(v, 2) for k, v in sorted(spent.items())}


@pytest.mark.parametrize("kind", ["harbour", "street"])
def test_the_stand_in_levels_are_graded(kind: str) -> None:
    """Near-perfect starts nearer the truth than strong, strong than weak (mean PQ)."""
    categories = synth_categories()
    scenes = [generate(kind, seed, SIZE) for seed in range(3)]
    means = {}
    for level in ("weak", "strong", "near-perfect"):
        pqs = []
        for seed, truth in enumerate(scenes):
            raw = standin.raw_outputs(truth.document, seed, standin.LEVELS[level], categories)
            model = categories_for_model(standin.NAME, raw.id2label, categories)
            pqs.append(compare(truth.document,
                               postprocess_document(raw, model, InferenceSettings()).document).pq)
        means[level] = float(np.mean(pqs))
    assert means["weak"] < means["strong"] < means["near-perfect"]
