"""The simulated annotator's key counts for the category picker, against the real widget."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from panoptix.core.categories import load_table
from panoptix.gui.panels.category_picker import CategoryPicker
from panoptix.simulate.picker import pick_keys
from panoptix.synth import synth_categories


def choose_like_the_simulation(picker: CategoryPicker, categories, target: int,
                               suggestions: list[int]) -> tuple[list[int], int]:
    """Press what ``pick_keys`` counts: a digit, or the name's first letters and Enter (Down
    first when needed). Returns what the picker chose and the keys pressed."""
    chosen: list[int] = []
    picker.category_chosen.connect(chosen.append)
    picker.filter.clear()
    picker.filter.setFocus()
    count = pick_keys(categories, target, suggestions)
    name = categories[target].name
    if target in suggestions[:5] and count == 1:
        QTest.keyClick(picker.filter, Qt.Key(Qt.Key.Key_1 + suggestions.index(target)))
    else:
        typed = min(len(name), count - 1)
        QTest.keyClicks(picker.filter, name[:typed])
        downs = count - 1 - typed
        for _ in range(downs):  # the first moves the focus into the list
            QTest.keyClick(picker.filter, Qt.Key.Key_Down)
        QTest.keyClick(picker.tree if downs else picker.filter, Qt.Key.Key_Return)
    picker.category_chosen.disconnect(chosen.append)
    return chosen, count


@pytest.mark.parametrize("table", ["synth", "coco_panoptic"])
def test_every_category_is_chosen_with_the_keys_counted(qtbot, table: str) -> None:
    categories = synth_categories() if table == "synth" else load_table(table)
    picker = CategoryPicker()
    qtbot.addWidget(picker)
    picker.set_categories(categories)
    picker.show()
    for category in categories:
        chosen, _ = choose_like_the_simulation(picker, categories, category.id, [])
        assert chosen == [category.id], category.name


def test_suggestions_take_a_digit_or_come_first_when_typed(qtbot) -> None:
    categories = synth_categories()
    picker = CategoryPicker()
    qtbot.addWidget(picker)
    picker.set_categories(categories)
    ids = [c.id for c in categories]
    suggestions = [ids[-1], ids[3], ids[7], ids[0], ids[12], ids[20]]
    picker.set_suggestions([(i, 0.5) for i in suggestions])
    picker.show()
    for target in ids:
        chosen, count = choose_like_the_simulation(picker, categories, target, suggestions)
        assert chosen == [target], categories[target].name
        if target in suggestions[:5]:
            assert count == 1
