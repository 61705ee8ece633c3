import json

import pytest

from panoptix.core.bundled import CATEGORIES, bundled
from panoptix.core.categories import (
    CategoryError,
    CategorySet,
    available_tables,
    load_table,
    match_labels,
)


def _id2label(table: str) -> dict[int, str]:
    raw = json.loads(bundled(CATEGORIES, f"{table}.id2label.json").read_text())
    return {int(k): v for k, v in raw.items()}


def test_bundled_tables_load_with_their_sizes():
    assert {"coco_panoptic", "ade20k_panoptic", "cityscapes_panoptic"} <= set(available_tables())
    coco = load_table("coco_panoptic")
    assert len(coco) == 133
    assert sum(c.isthing for c in coco) == 80
    assert len(load_table("ade20k_panoptic")) == 150
    assert len(load_table("cityscapes_panoptic")) == 19


@pytest.mark.parametrize("table", ["coco_panoptic", "ade20k_panoptic", "cityscapes_panoptic"])
def test_every_checkpoint_label_maps_by_name_to_its_own_category(table):
    categories = load_table(table)
    id2label = _id2label(table)
    match = match_labels(id2label, categories)
    assert match.unknown == {}
    ordered = list(categories)
    for label, category_id in match.label_to_category.items():
        # the checkpoints' label order is the table order; names, not positions, decide
        assert category_id == ordered[label].id


def test_coco_label_ids_are_not_category_ids():
    match = match_labels(_id2label("coco_panoptic"), load_table("coco_panoptic"))
    car = match.category_for(2)
    assert load_table("coco_panoptic")[car].name == "car"
    assert car == 3  # label 2 is 'car', whose COCO category id is 3 (2 is bicycle)
    assert match.category_for(80) == 92  # first stuff label: 'banner'


def test_synonyms_trailing_spaces_and_case_match_but_unknown_names_are_reported():
    ade = load_table("ade20k_panoptic")
    labels = {0: "Road", 1: "window", 2: "pavement", 3: "spaceship", 4: "stool", 5: "ground",
              6: " Chest of Drawers "}
    match = match_labels(labels, ade)
    assert ade[match.category_for(0)].name == "road, route"
    assert ade[match.category_for(1)].name == "window "
    assert ade[match.category_for(2)].name == "sidewalk, pavement"
    assert ade[match.category_for(4)].name == "stool"  # not 'toilet, ..., stool, throne'
    assert ade[match.category_for(6)].name.startswith("chest of drawers")
    # "ground" is a synonym of two categories: ambiguous, reported, not guessed
    assert match.unknown == {3: "spaceship", 5: "ground"}


def test_category_edits_keep_names_unique():
    cats = CategorySet.from_labels({0: "cat", 1: "grass"}, thing_names=["cat"])
    assert cats.find("cat").isthing and not cats.find("grass").isthing
    added = cats.add("dog", isthing=True)
    assert added.id == 3
    with pytest.raises(CategoryError):
        cats.add("Dog", isthing=True)
    with pytest.raises(CategoryError):
        cats.update(added.id, name="cat")
    assert cats.update(added.id, color=(1, 2, 3), isthing=False).color == (1, 2, 3)


def test_bad_tables_give_clear_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CategoryError, match="cannot read"):
        load_table(str(bad))
    bad.write_text(json.dumps([{"id": 1, "name": "a"}, {"id": 1, "name": "b"}]))
    with pytest.raises(CategoryError, match="twice"):
        load_table(str(bad))
    with pytest.raises(CategoryError, match="no category table"):
        load_table("nonexistent_table")


def test_a_category_id_cannot_be_changed_under_its_segments():
    cats = load_table("cityscapes_panoptic")
    with pytest.raises(CategoryError, match="id"):
        cats.update(7, id=8)
    assert cats[7].name == "road"
