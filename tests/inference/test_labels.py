"""Model labels to dataset categories, by name; the registry's tables."""

from __future__ import annotations

import pytest

from panoptix.core.categories import load_table
from panoptix.inference.labels import categories_for_model
from panoptix.inference.registry import DEFAULT_MODEL_ID, MODELS, default_task, lookup
from tiny_models import table_labels


def test_all_133_coco_labels_map_by_name_onto_sparse_category_ids() -> None:
    labels = table_labels("coco_panoptic")
    mapped = categories_for_model(DEFAULT_MODEL_ID, labels)
    assert mapped.unknown == {}
    assert len(set(mapped.match.label_to_category.values())) == 133
    coco = load_table("coco_panoptic")
    for label, name in labels.items():
        assert coco[mapped.match.category_for(label)].name == name
    assert mapped.match.category_for(0) == 1  # person
    assert mapped.match.category_for(80) == 92  # banner: label id is not category id
    assert mapped.thing_labels == frozenset(range(80))


def test_ade20k_short_names_trailing_spaces_and_shared_synonyms() -> None:
    labels = table_labels("ade20k_panoptic")
    assert labels[8] == "window "  # as some checkpoints have it
    mapped = categories_for_model("facebook/mask2former-swin-large-ade-panoptic", labels)
    assert mapped.unknown == {}
    assert len(set(mapped.match.label_to_category.values())) == 150
    ade = mapped.categories
    assert all(mapped.match.category_for(label) == label for label in labels)  # ids 0..149
    # 'stool' is its own category, not the 'toilet, ..., stool, throne' synonym
    assert ade[mapped.match.category_for(110)].name == "stool"
    short = categories_for_model("x", {0: "Road", 1: "WALL ", 2: "sidewalk"}, "ade20k_panoptic")
    assert short.unknown == {}
    assert ade[short.match.category_for(0)].name == "road, route"


def test_unknown_names_are_reported_not_guessed() -> None:
    mapped = categories_for_model("x", {0: "person", 1: "persn", 2: "unicorn"}, "coco_panoptic")
    assert mapped.match.label_to_category == {0: 1}
    assert mapped.unknown == {1: "persn", 2: "unicorn"}


def test_a_local_copy_of_a_published_model_finds_its_table() -> None:
    mapped = categories_for_model("/models/my-finetune", table_labels("cityscapes_panoptic"))
    assert mapped.categories.name == "cityscapes_panoptic" and mapped.unknown == {}


def test_a_model_without_a_table_gets_editable_categories_from_its_labels() -> None:
    mapped = categories_for_model("/models/widgets", {0: "widget", 1: "gadget "})
    assert [c.name for c in mapped.categories] == ["widget", "gadget"]
    assert mapped.unknown == {} and mapped.thing_labels == {0, 1}
    mapped.categories.update(mapped.match.category_for(1), isthing=False)
    assert mapped.thing_labels == {0}


@pytest.mark.parametrize("info", MODELS, ids=lambda info: info.model_id)
def test_every_registry_entry_has_a_table_naming_its_labels(info) -> None:
    mapped = categories_for_model(info.model_id, table_labels(info.table))
    assert mapped.unknown == {} and mapped.categories.name == info.table


def test_registry_lookup_and_default_task() -> None:
    assert lookup(DEFAULT_MODEL_ID.upper()).table == "coco_panoptic"
    assert default_task("facebook/mask2former-swin-tiny-ade-semantic") == "semantic"
    assert default_task("/some/folder") == "panoptic"
    assert lookup("shi-labs/oneformer_ade20k_swin_tiny").tasks == (
        "panoptic", "semantic", "instance")
    assert "OneFormer" in lookup("shi-labs/oneformer_coco_swin_large").title
