"""Which categories a model's labels stand for: matched by name, never by position."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from panoptix.core.categories import (
    CategorySet,
    LabelMatch,
    available_tables,
    load_table,
    match_labels,
)
from panoptix.inference.registry import lookup


@dataclass(frozen=True, eq=False)
class ModelCategories:
    categories: CategorySet
    match: LabelMatch

    @property
    def unknown(self) -> dict[int, str]:
        """Labels with no category of that name: reported, and their segments dropped."""
        return self.match.unknown

    @property
    def thing_labels(self) -> frozenset[int]:
        """Label ids whose category is a thing; the others are stuff and get fused."""
        return frozenset(label for label, category in self.match.label_to_category.items()
                         if self.categories.is_thing(category))


def categories_for_model(model_id: str, id2label: Mapping[int, str],
                         categories: CategorySet | str | None = None) -> ModelCategories:
    """Map ``id2label`` onto ``categories`` (a set, or a table name or path).

    Without one: the registry's table for a published checkpoint, else a bundled table
    that names every label (a local copy or fine-tune of a published checkpoint), else
    categories made from ``id2label`` itself (all things until the user says otherwise).
    """
    if isinstance(categories, str):
        categories = load_table(categories)
    if categories is None:
        info = lookup(model_id)
        categories = load_table(info.table) if info is not None else _table_naming_all(id2label)
    if categories is None:
        categories = CategorySet.from_labels(id2label)
    return ModelCategories(categories, match_labels(id2label, categories))


def _table_naming_all(id2label: Mapping[int, str]) -> CategorySet | None:
    """The smallest bundled table with a category for every label, if any."""
    complete = [table for table in map(load_table, available_tables())
                if not match_labels(id2label, table).unknown]
    return min(complete, key=len, default=None)
