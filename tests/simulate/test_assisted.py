"""The assisted policy: from a pre-segmentation, with proposals, guesses and refine edge."""

from __future__ import annotations

import numpy as np
import pytest

from panoptix.core.document import Document
from panoptix.core.segment import Segment
from panoptix.inference.assist import AssistContext, postprocess_document
from panoptix.inference.labels import categories_for_model
from panoptix.inference.settings import InferenceSettings
from panoptix.simulate import annotate_assisted, annotate_manually, policies, proposing, standin
from panoptix.simulate.annotator import Annotator
from panoptix.simulate.truth import compare
from panoptix.synth import generate, synth_categories
from panoptix.synth.categories import category_id

SIZE = (240, 320)


def presegmented(kind: str, seed: int, mistakes: standin.Mistakes | None = None):
    scene = generate(kind, seed, SIZE)
    categories = synth_categories()
    raw = standin.raw_outputs(scene.document, seed, mistakes or standin.Mistakes(), categories)
    model = categories_for_model(standin.NAME, raw.id2label, categories)
    document = postprocess_document(raw, model, InferenceSettings(), scene.image).document
    return scene, document, AssistContext(raw, model)


@pytest.mark.parametrize(("kind", "seed"), [("street", 1), ("kitchen", 2)])
def test_assisted_reaches_both_targets(kind: str, seed: int) -> None:
    scene, document, context = presegmented(kind, seed)
    outcome = annotate_assisted(scene.document, document, context, scene.image)
    for threshold in (0.85, 0.9):
        assert outcome.at(threshold).reached
    assert compare(scene.document, outcome.document).reached(0.9)
    assert outcome.start_pq < 0.85  # there was something to fix


def test_counts_are_the_same_every_run() -> None:
    runs = []
    for _ in range(2):
        scene, document, context = presegmented("harbour", 4)
        runs.append(annotate_assisted(scene.document, document, context, scene.image).to_json())
    assert runs[0] == runs[1]
    assert runs[0]["milestones"][0]["actions"] > 0
    scene = generate("park", 5, SIZE)
    assert annotate_manually(scene.document).to_json() == \
        annotate_manually(scene.document).to_json()


def test_a_right_pre_segmentation_costs_only_looking() -> None:
    """Nothing to fix: one look per segment, no action."""
    scene, _, context = presegmented("street", 1)
    outcome = annotate_assisted(scene.document, scene.document, context, scene.image)
    effort = outcome.at(0.9).effort
    assert effort.actions == 0
    assert effort.decisions == len(scene.document.segments)


def test_missed_objects_are_taken_from_the_proposals() -> None:
    """The stand-in scores some objects under the threshold: they are not in the
    pre-segmentation, but their masks are proposals, and a click takes them (not for the
    smallest boats, whose quarter-resolution masks miss them)."""
    mistakes = standin.Mistakes(missed=0.5, mislabelled=0.0, merged=0.0, false_objects=0)
    scene, document, context = presegmented("harbour", 6, mistakes)
    outcome = annotate_assisted(scene.document, document, context, scene.image)
    stats = outcome.proposals
    assert stats.found >= 2 and stats.tries >= stats.found
    assert outcome.at(0.85).effort.operations["proposal"] == stats.tries
    assert min(stats.ious) >= proposing.ENOUGH and max(stats.ious) >= 0.9
    assert stats.positions[0] == 1


def test_wrong_labels_are_fixed_with_a_digit() -> None:
    """A mislabelled segment: the model's guesses hold the right category, so L and a
    digit relabel it."""
    mistakes = standin.Mistakes(missed=0.0, mislabelled=0.5, merged=0.0, false_objects=0)
    scene, document, context = presegmented("street", 8, mistakes)
    outcome = annotate_assisted(scene.document, document, context, scene.image)
    operations = outcome.at(0.85).effort.operations
    assert operations["relabel"] >= 1
    assert operations["label by digit"] >= 1
    assert outcome.at(0.9).reached


def test_the_threshold_is_lowered_when_that_finds_what_was_missed() -> None:
    """Missed segments that score 0.65: one step down the threshold slider (0.6) brings
    them back, and the proposal tool is not needed for them."""
    mistakes = standin.Mistakes(missed=0.4, missed_logit=4.0, mislabelled=0.0, merged=0.0,
                                false_objects=0)
    scene, document, context = presegmented("street", 9, mistakes)
    assert len(compare(scene.document, document).pairs) < len(scene.document.segments)
    outcome = annotate_assisted(scene.document, document, context, scene.image)
    effort = outcome.at(0.85).effort
    assert effort.operations["threshold"] >= 1 and effort.drags >= 1
    assert outcome.proposals.tries == 0
    assert outcome.at(0.9).reached


def test_a_useless_pre_segmentation_is_cleared_and_drawn_by_hand() -> None:
    """The model's output for another scene: Ctrl+A, Del, then as by hand (proposals still
    at hand), so about the manual cost, not more."""
    scene = generate("park", 3, SIZE)
    _, document, context = presegmented("kitchen", 4)
    outcome = annotate_assisted(scene.document, document, context, scene.image)
    manual = annotate_manually(scene.document, scene.image)
    assert outcome.at(0.85).effort.operations["clear"] == 1
    assert outcome.at(0.9).reached
    assert outcome.at(0.85).effort.seconds() <= 1.1 * manual.at(0.85).effort.seconds()


def test_the_quickest_way_through_the_pre_segmentation_is_taken() -> None:
    """Every route is tried from the same start; the outcome is the quickest to 0.85."""
    scene, document, context = presegmented("street", 1)
    outcome = annotate_assisted(scene.document, document, context, scene.image)
    assert {"corrected", "cleared"} <= set(outcome.routes)
    assert outcome.route == min(outcome.routes, key=outcome.routes.get)
    assert outcome.at(0.85).effort.seconds() == outcome.routes[outcome.route]
    assert outcome.at(0.9).route in outcome.routes  # the quickest to 0.9, maybe another
    assert outcome.at(0.9).effort.seconds() >= outcome.at(0.85).effort.seconds()


def test_right_segments_are_kept_and_the_rest_drawn_around_them() -> None:
    """The sky and the road exactly right, the rest one wrong segment: the kept route
    keeps both (Ctrl+A, two Shift+clicks, Del), draws the rest under Protect Labeled
    Pixels, and costs less than drawing everything."""
    scene = generate("street", 1, SIZE)
    gt = scene.document
    names = {g: gt.categories[s.category_id].name for g, s in gt.segments.items()}
    keep = [g for g, name in names.items() if name in ("sky-other-merged", "road")]
    assert len(keep) == 2
    id_map = np.where(np.isin(gt.id_map, keep), gt.id_map, 99).astype(np.int32)
    segments = {g: gt.segments[g] for g in keep} | {99: Segment(category_id("bus"))}
    start = Document(id_map, segments, gt.categories)
    annotator = Annotator(Document(start.id_map, start.segments, start.categories), scene.image)
    assert policies._take_route("kept", annotator, gt)
    for g in keep:
        assert (annotator.doc.id_map == g).sum() == (gt.id_map == g).sum()  # untouched
    assert not annotator.protected
    assert compare(gt, annotator.doc).pq > 0.6
    outcome = annotate_assisted(gt, start, None, scene.image)
    assert outcome.route == "kept"
    assert outcome.at(0.9).reached
    manual = annotate_manually(gt, scene.image)
    assert outcome.at(0.85).effort.seconds() < manual.at(0.85).effort.seconds()
