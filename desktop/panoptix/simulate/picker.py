"""Keys it takes to choose a category in the window's category picker.

The picker (``gui/panels/category_picker.py``) lists a "Suggested" section (the model's top
guesses, or the categories chosen last; the first five numbered 1-5) above all categories
in the set's order. Typing filters both sections: an entry stays when the typed text,
normalised like category names, occurs anywhere in its normalised text. Enter chooses the
first entry left; a digit chooses a suggestion while nothing is typed; Down moves into the
list (its section headers are rows too) and Enter there chooses the current row. The
annotator types the name from its start until the wanted category is the first entry left.
``tests/gui/test_simulated_picker.py`` checks these counts against the real widget.
"""

from __future__ import annotations

from collections.abc import Sequence

from panoptix.core.categories import CategorySet, normalize_name

DIGITS = 5
"""Suggestions that have a digit key."""


def entries(categories: CategorySet, suggestions: Sequence[int]) -> list[tuple[int, str]]:
    """The picker's entries in order: (category id, the text the filter reads)."""
    listed: list[tuple[int, str]] = []
    for category_id in suggestions:
        category = categories.get(category_id)
        if category is not None:
            number = len(listed) + 1
            text = f"{number}  {category.name}" if number <= DIGITS else category.name
            listed.append((category.id, text))
    return listed + [(category.id, category.name) for category in categories]


def pick_keys(categories: CategorySet, target: int, suggestions: Sequence[int] = ()) -> int:
    """Key presses that choose ``target``: a digit, or characters typed then Enter (then
    Down presses first, when the whole name still leaves others above it)."""
    listed = entries(categories, suggestions)
    suggested = [i for i, _ in listed[:len(listed) - len(categories)]]
    if target in suggested[:DIGITS]:
        return 1
    name = categories[target].name
    normalised = [(i, normalize_name(text)) for i, text in listed]
    for typed in range(1, len(name) + 1):
        wanted = normalize_name(name[:typed])
        visible = [i for i, text in normalised if wanted in text]
        if visible and visible[0] == target:
            return typed + 1
    wanted = normalize_name(name)
    rows: list[int | None] = []
    shown = [i for i, text in normalised[:len(suggested)] if wanted in text]
    if shown:
        rows += [None, *shown]
    rows += [None, *(i for i, text in normalised[len(suggested):] if wanted in text)]
    return len(name) + rows.index(target) + 1 + 1
