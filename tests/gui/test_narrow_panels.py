"""Issue 19 C, the panels of a narrow window (a laptop at 1.5x or 2x): the segment table
and the category list never squeeze names below 12 characters nor drop the score, the
table decides its columns the same way every time, and the status bar's least width fits
683 logical pixels (1366 at 2x) with every read-out showing, the background progress
whole when there is room."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QHBoxLayout, QWidget

from panoptix.core.categories import load_table
from panoptix.core.document import Document
from panoptix.core.segment import Segment
from panoptix.gui.panels.category_picker import CategoryPicker
from panoptix.gui.panels.segment_list import (
    CATEGORY_COLUMN,
    SCORE_COLUMN,
    TYPE_COLUMN,
    SegmentList,
)
from panoptix.gui.panels.status import StatusBar

CATEGORIES = load_table("coco_panoptic")
READABLE = "building-oth"


def two_segments() -> Document:
    id_map = np.ones((300, 400), np.int32)
    id_map[:100] = 2
    building = CATEGORIES.find("building-other-merged").id
    return Document(id_map, {1: Segment(building, score=0.5),
                             2: Segment(CATEGORIES.find("person").id, score=0.93)},
                    CATEGORIES)


def test_a_narrow_segment_table_keeps_12_characters_and_the_score_and_decides_once(qtbot):
    holder = QWidget()  # in a layout, as in its dock: the least width holds
    table = SegmentList()
    QHBoxLayout(holder).addWidget(table)
    qtbot.addWidget(holder)
    holder.show()
    table.set_document(two_segments())
    readable = table.fontMetrics().horizontalAdvance(READABLE)
    for width in range(120, 520, 9):
        holder.resize(width, 300)
        qtbot.wait(1)
        first = [table.isColumnHidden(c) for c in range(5)], table.columnWidth(CATEGORY_COLUMN)
        table.refresh()
        table.refresh()
        assert ([table.isColumnHidden(c) for c in range(5)],
                table.columnWidth(CATEGORY_COLUMN)) == first, width  # no flip-flop
        assert not table.isColumnHidden(SCORE_COLUMN), width
        assert table.columnWidth(CATEGORY_COLUMN) >= readable + 8, width


def test_a_narrow_category_list_keeps_12_characters(qtbot):
    holder = QWidget()
    picker = CategoryPicker(follows_highlight=True)
    QHBoxLayout(holder).addWidget(picker)
    qtbot.addWidget(holder)
    picker.set_categories(CATEGORIES)
    holder.show()
    holder.resize(60, 300)
    qtbot.wait(1)
    tree = picker.tree
    swatch = tree.iconSize().width() if tree.iconSize().isValid() else 16
    assert tree.columnWidth(0) - tree.indentation() - swatch \
        >= tree.fontMetrics().horizontalAdvance(READABLE)


def test_the_status_bar_fits_a_laptop_at_2x_and_cuts_the_model_before_the_progress(qtbot):
    status = StatusBar()
    qtbot.addWidget(status)
    status.message("the model is loading: the image shows as soon as it is segmented")
    status.hover.setText("(1024, 768)  #12 building-other-merged  score 0.99  area 94,679 px")
    status.set_busy("load", "Loading street_01.jpg…")
    status.set_stage("segmenting street_01.jpg")
    status.set_background(2, 5)
    status.model.setText("model: Panoptix demo model (generated scenes only) on cpu")
    status.show()
    qtbot.wait(400)  # the busy read-out shows after a moment
    assert status.minimumSizeHint().width() <= 0.94 * 683  # the window's width there
    status.resize(900, 30)
    qtbot.wait(10)
    progress = status.progress_text
    assert progress.width() >= progress.sizeHint().width()  # "2 of 5 images" whole
    assert status.model.width() < status.model.sizeHint().width()  # the model gave way
    assert status.minimumSizeHint().width() <= 0.94 * 683  # and the least never grew


def test_the_segment_table_drops_type_before_it_cuts_a_name(qtbot):
    holder = QWidget()
    table = SegmentList()
    QHBoxLayout(holder).addWidget(table)
    qtbot.addWidget(holder)
    holder.show()
    table.set_document(two_segments())
    holder.resize(1000, 300)
    qtbot.wait(1)
    assert not table.isColumnHidden(TYPE_COLUMN)  # room for all
    whole = table.sizeHintForColumn(CATEGORY_COLUMN)  # "building-other-merged" whole
    type_width = table.columnWidth(TYPE_COLUMN)
    holder.resize(holder.width() - table.columnWidth(CATEGORY_COLUMN) + whole - type_width // 2,
                  300)  # with Type the name is cut; without, it is whole
    qtbot.wait(1)
    assert table.isColumnHidden(TYPE_COLUMN)
    assert table.columnWidth(CATEGORY_COLUMN) >= whole


def test_the_docks_join_on_the_right_when_narrow_and_go_back_when_wide(qtbot, make_window):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDockWidget

    window = make_window()
    window.resize(760, 700)  # as on a small screen: two sides of docks do not fit
    docks = window.findChildren(QDockWidget)
    right = Qt.DockWidgetArea.RightDockWidgetArea
    # each resize is adapted a turn of the event loop later: wait for the settled layout
    def settled() -> None:
        assert {window.dockWidgetArea(d) for d in docks} == {right}
        assert window.centralWidget().width() >= window.width() / 2

    qtbot.waitUntil(settled, timeout=5000)
    window.adaptive.one_column(2000)  # as on a wide screen: each side has room again
    areas = {d.windowTitle(): window.dockWidgetArea(d) for d in docks}
    assert areas["Images"] == areas["Thresholds"] == Qt.DockWidgetArea.LeftDockWidgetArea
    assert areas["Segments"] == areas["Categories"] == right
