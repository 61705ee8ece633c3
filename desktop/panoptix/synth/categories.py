"""The categories of generated scenes: a subset of the COCO panoptic table, ids, names,
colours and ``isthing`` unchanged, so a model trained on them maps onto COCO by name."""

from __future__ import annotations

from functools import cache

from panoptix.core.categories import CategorySet, load_table

THINGS = ("person", "bicycle", "car", "bus", "truck", "boat", "bench", "dog", "bottle", "cup",
          "bowl", "chair", "potted plant", "dining table")
STUFF = ("tree-merged", "sky-other-merged", "road", "grass-merged", "building-other-merged",
         "pavement-merged", "water-other", "fence-merged", "mountain-merged", "dirt-merged",
         "wall-other-merged", "floor-wood", "cabinet-merged", "counter", "window-other",
         "ceiling-merged")


@cache
def _table() -> CategorySet:
    coco = load_table("coco_panoptic")
    wanted = set(THINGS) | set(STUFF)
    chosen = [category for category in coco if category.name in wanted]
    missing = wanted - {category.name for category in chosen}
    if missing:  # the bundled table is part of the package: this is a packaging error
        raise RuntimeError(f"COCO panoptic table lacks {sorted(missing)}")
    for category in chosen:
        expected = category.name in THINGS
        if category.isthing != expected:
            raise RuntimeError(f"{category.name}: isthing differs from COCO's")
    return CategorySet(chosen, name="synth")


def synth_categories() -> CategorySet:
    """A fresh copy of the table (category sets are editable)."""
    return CategorySet(list(_table()), name="synth")


@cache
def category_id(name: str) -> int:
    """The COCO id of a category of generated scenes, by name."""
    category = _table().find(name)
    if category is None:
        raise KeyError(f"{name!r} is not a category of generated scenes")
    return category.id
