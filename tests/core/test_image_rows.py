"""The image table's queries for lists: the images a filter keeps, in project order or
least confident first, with stand-ins for rows not written yet, read by position."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from panoptix.core.image_table import TABLE_NAME, ImageTable, RowQuery
from panoptix.core.manifest import ImageEntry, ImageStatus

NEW, PRE, EDITED, DONE = (ImageStatus.NEW, ImageStatus.PRESEGMENTED, ImageStatus.EDITED,
                          ImageStatus.DONE)
ROWS = [("a", PRE, 0.2), ("b", NEW, None), ("c", DONE, 0.9), ("d", EDITED, 0.5),
        ("e", PRE, 0.7), ("f", PRE, 0.2)]


def table(tmp_path: Path) -> ImageTable:
    path = tmp_path / TABLE_NAME
    ImageTable.build(path, [ImageEntry(key, f"{key}.png", status, 8, 8, figure)
                            for key, status, figure in ROWS])
    return ImageTable.open(path, writable=True)


def keys(t: ImageTable, query: RowQuery) -> list[str]:
    positions = t.ordered(query)
    rows = t.rows_at(positions)
    return [rows[int(p)].key for p in positions]


def test_filters_and_orders(tmp_path):
    t = table(tmp_path)
    assert keys(t, RowQuery()) == ["a", "b", "c", "d", "e", "f"]
    # done vouched for: no figure, last with those without one, in project order
    assert keys(t, RowQuery(least_confident_first=True)) == ["e", "d", "a", "f", "b", "c"]
    assert keys(t, RowQuery(statuses=frozenset({PRE}), least_confident_first=True)) == \
        ["e", "a", "f"]
    assert keys(t, RowQuery(keys=frozenset({"b", "e"}))) == ["b", "e"]
    assert keys(t, RowQuery(keys=frozenset({"b", "e"}), without=True)) == ["a", "c", "d", "f"]
    assert t.position_of("d") == t.ordered(RowQuery())[3] and t.position_of("zz") is None


def test_stand_ins_are_used_instead_of_their_rows(tmp_path):
    t = table(tmp_path)
    shown = {"b": (EDITED, 0.8), "e": (DONE, None)}  # told, not written yet
    assert keys(t, RowQuery(least_confident_first=True, shown=shown)) == \
        ["b", "d", "a", "f", "c", "e"]
    assert keys(t, RowQuery(statuses=frozenset({EDITED}), shown=shown)) == ["b", "d"]


def test_a_table_made_before_the_order_index_gets_it_when_opened_to_write(tmp_path):
    t = table(tmp_path)
    t.close()
    with sqlite3.connect(tmp_path / TABLE_NAME) as db:
        db.execute("DROP INDEX images_unsure")
    ImageTable.open(tmp_path / TABLE_NAME, writable=True).close()
    with sqlite3.connect(tmp_path / TABLE_NAME) as db:
        names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "images_unsure" in names


def test_a_list_held_in_memory_answers_the_same(tmp_path):
    memory = ImageTable.in_memory([ImageEntry(key, f"{key}.png", status, 8, 8, figure)
                                   for key, status, figure in ROWS])
    assert keys(memory, RowQuery(least_confident_first=True)) == \
        keys(table(tmp_path), RowQuery(least_confident_first=True))
