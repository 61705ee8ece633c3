"""The assisted policy: from a pre-segmentation, with proposals, guesses and refine edge."""

from __future__ import annotations

import pytest

from panoptix.inference.assist import AssistContext, postprocess_document
from panoptix.inference.labels import categories_for_model
from panoptix.inference.settings import InferenceSettings
from panoptix.simulate import annotate_assisted, annotate_manually, proposing, standin
from panoptix.simulate.truth import compare
from panoptix.synth import generate, synth_categories

SIZE = (240, 320)


def presegmented(kind: str, seed: int, mistakes: standin.Mistakes | None = None):
    scene = generate(kind, seed, SIZE)
    categories = synth_categories()
    raw = standin.raw_outputs(scene.document, seed, mistakes or standin.Mistakes(), categories)
    model = categories_for_model(standin.NAME, raw.id2label, categories)
    document = postprocess_document(raw, model, InferenceSettings()).document
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
