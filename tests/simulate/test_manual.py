"""The manual policy: polygons back to front, a label pick per category change."""

from __future__ import annotations

import numpy as np
import pytest

from panoptix.core.document import Document
from panoptix.core.segment import Segment
from panoptix.simulate import annotate_manually
from panoptix.simulate.picker import pick_keys
from panoptix.simulate.policies import drawing_order
from panoptix.synth import generate, synth_categories
from panoptix.synth.categories import category_id


def rectangles(names: list[str], size: tuple[int, int] = (120, 160)) -> Document:
    """Grass everywhere, and one rectangle per name, apart from each other."""
    categories = synth_categories()
    id_map = np.ones(size, np.int32)
    segments = {1: Segment(category_id("grass-merged"))}
    for index, name in enumerate(names, start=2):
        x0 = 8 + 30 * (index - 2)
        id_map[20 + 3 * index:60 + 2 * index, x0:x0 + 18] = index
        segments[index] = Segment(category_id(name))
    return Document(id_map, segments, categories)


@pytest.mark.parametrize("names", [["car"], ["car", "bus", "person", "boat"]])
def test_rectangles_cost_four_vertices_and_a_label_each(names: list[str]) -> None:
    truth = rectangles(names)
    outcome = annotate_manually(truth)
    effort = outcome.at(0.85).effort
    shapes = len(names) + 1  # the grass is four clicks too: its outline is the image's
    label_keys = sum(pick_keys(truth.categories, truth.segments[i].category_id)
                     for i in truth.segments)
    assert effort.vertices == 4 * shapes
    assert effort.clicks == shapes  # the category panel's filter, once per category
    assert effort.keys == 1 + shapes + label_keys  # P, Enter per polygon, the names typed
    assert effort.drags == 0 and effort.decisions == shapes
    assert outcome.at(0.9).effort.actions == effort.actions  # exact already
    assert outcome.at(0.9).pq == 1.0


def test_one_car_costs_its_figure() -> None:
    """Written out: P; grass: click the filter, "gr" Enter ("g" alone shows the dog first),
    4 vertices, Enter; the car: click the filter, "ca" Enter ("c": the bicycle), 4
    vertices, Enter. Two decisions (KLM M), ten clicks, nine keys."""
    effort = annotate_manually(rectangles(["car"])).at(0.85).effort
    assert (effort.clicks, effort.keys, effort.vertices) == (2, 1 + 3 + 1 + 3 + 1, 8)
    assert effort.actions == 19
    assert effort.seconds() == pytest.approx(2 * 1.35 + 10 * 1.3 + 9 * 0.2)


def test_back_to_front_puts_what_is_in_front_last() -> None:
    truth = rectangles(["car", "bus"])
    assert drawing_order(truth)[0] == 1


@pytest.mark.parametrize("kind", ["street", "harbour"])
def test_manual_reaches_both_targets(kind: str) -> None:
    scene = generate(kind, 3, (160, 240))
    outcome = annotate_manually(scene.document, scene.image)
    for threshold in (0.85, 0.9):
        milestone = outcome.at(threshold)
        assert milestone.reached and milestone.pq >= threshold
    assert outcome.at(0.9).effort.actions >= outcome.at(0.85).effort.actions
    assert outcome.at(0.85).effort.vertices > 4 * len(scene.document.segments)
