"""What professional annotators missed, in the real window (offscreen, no model): locks,
crowds, the segment search, zoom to selection, the overview, image notes and the image
filter, custom shortcuts, the export dialog's name and warning, and reopening where the
user left off."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeySequence
from test_window_extras import NAMES, open_folder, project_folder, quiet_window

from panoptix.core import edits
from panoptix.core.image_notes import NOTES_NAME
from panoptix.core.project import ImageStatus
from panoptix.gui.dialogs.export import ExportDialog, export_warning
from panoptix.gui.keymap import conflicts, preset


@pytest.fixture
def window(qtbot, make_window, image_folder):  # noqa: ANN001, ANN201
    window = quiet_window(make_window)
    open_folder(qtbot, window, image_folder)
    doc = window.editor.document
    person, car = (doc.categories.find(n).id for n in ("person", "car"))
    edits.add_mask(doc, np.ones((40, 30), bool), person, offset=(20, 20))
    edits.add_mask(doc, np.ones((30, 50), bool), car, offset=(100, 100))
    return window


def brush_across(qtbot, window, y: float) -> None:  # noqa: ANN001
    """A real brush stroke of dogs across the canvas at row ``y``."""
    canvas = window.canvas
    window.editor.set_category(window.editor.document.categories.find("dog").id)
    window.editor.set_tool("brush")
    window.editor.set_brush_size(9)
    viewport = canvas.viewport()
    points = [canvas.mapFromScene(QPointF(x, y)) for x in range(10, 70, 3)]
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=points[0])
    for point in points[1:]:
        qtbot.mouseMove(viewport, point)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=points[-1])


def test_locking_a_segment_from_the_window_protects_it_from_the_brush(qtbot, window):
    doc = window.editor.document
    messages: list[str] = []
    window.status.messageChanged.connect(messages.append)
    doc.select([1])
    window.actions["lock"].trigger()
    assert doc.is_locked(1) and "locked 1 segment" in messages[-1]
    person = doc.full_mask(1)
    doc.select([])
    brush_across(qtbot, window, 40)
    assert doc.area(3) > 0
    assert np.array_equal(doc.full_mask(1), person)
    assert any("locked" in m for m in messages)
    window.segments.refresh()
    assert [r.locked for r in window.segments.model_.rows] == [True, False, False]
    assert "locked" in window.editor.describe(25, 25)


def test_a_locked_category_is_kept_in_the_project(qtbot, make_window, window, image_folder):
    doc = window.editor.document
    doc.select([2])
    window.actions["lock_category"].trigger()
    car = doc.categories.find("car").id
    assert doc.locked_categories == {car}
    with pytest.raises(edits.DocumentError, match="category car is locked"):
        edits.delete(doc, [2])
    window.close()
    again = quiet_window(make_window)
    open_folder(qtbot, again, image_folder)
    assert again.editor.document.locked_categories == {car}


def test_crowd_toggle_is_undoable(qtbot, window):
    doc = window.editor.document
    doc.select([2])
    window.actions["crowd"].trigger()
    assert doc.segments[2].iscrowd
    window.segments.refresh()
    assert window.segments.model_.rows[1].iscrowd
    window.actions["undo"].trigger()
    assert not doc.segments[2].iscrowd


def test_segment_search_filters_by_category(qtbot, window):
    window.segments.refresh()
    window.segment_search.setText("CA")
    assert window.segments.proxy.rowCount() == 1
    window.segment_search.clear()
    assert window.segments.proxy.rowCount() == 2


def test_zoom_to_selection_fills_the_view_with_the_segment(qtbot, window):
    canvas = window.canvas
    fitted = canvas.scale_factor
    window.editor.document.select([2])
    window.actions["zoom_selection"].trigger()
    assert canvas.scale_factor > 2 * fitted
    seen = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
    assert seen.contains(QPointF(100, 100)) and seen.contains(QPointF(149, 129))
    assert seen.width() < 2 * 50 * 1.5 + 10 or seen.height() < 2 * 30 * 1.5 + 10


def test_the_overview_follows_the_view_and_moves_it(qtbot, window):
    canvas, minimap = window.canvas, window.minimap
    minimap.resize(200, 150)
    canvas.zoom_by(6)
    seen = minimap.visible_rect()
    assert seen.width() < canvas.image_rect.width() / 3
    target = minimap.image_rect()
    point = QPointF(target.x() + target.width() * 0.8, target.y() + target.height() * 0.7)
    qtbot.mouseClick(minimap, Qt.MouseButton.LeftButton, pos=point.toPoint())
    centre = minimap.visible_rect().center()
    width, height = canvas.image_rect.width(), canvas.image_rect.height()
    assert abs(centre.x() - 0.8 * width) < 0.05 * width
    assert abs(centre.y() - 0.7 * height) < 0.05 * height


def test_flags_and_comments_are_saved_filter_the_list_and_survive_reopen(
        qtbot, make_window, window, image_folder):
    notes = window.notes.panel
    current = window.session.key
    notes.set_flag("ambiguous", True)
    notes.comment.setPlainText("two people, one box")
    notes.save_comment()
    saved = json.loads((project_folder(image_folder) / NOTES_NAME).read_text())
    assert saved["images"][current] == {"flags": ["ambiguous"],
                                        "comment": "two people, one box"}
    assert window.images.note_of(current) == (("ambiguous",), "two people, one box")
    window.notes.image_filter.choose("flag:ambiguous")
    assert window.images.keys() == [current]
    window.notes.image_filter.choose("all")
    assert window.images.keys() == NAMES
    window.close()
    again = quiet_window(make_window)
    open_folder(qtbot, again, image_folder)
    again.notes.image_filter.choose("commented")
    assert again.images.keys() == [current]
    again.notes.image_filter.choose("status:edited")  # its segments were saved
    assert again.images.keys() == [current]


def test_shortcut_presets_conflicts_and_saved_changes(qtbot, make_window, window):
    assert conflicts(preset("labelme")) == {} and conflicts(preset("cvat")) == {}
    window.keymap.customize()
    dialog = window.keymap.dialog
    dialog.presets.setCurrentIndex(dialog.presets.findData("cvat"))
    dialog.presets.activated.emit(dialog.presets.currentIndex())
    assert dialog.keymap()["next"] == ("F",)
    dialog.set_shortcut("merge", "F")
    save = dialog.buttons.button(dialog.buttons.StandardButton.Save)
    assert not save.isEnabled() and "F is used by" in dialog.problems.text()
    dialog.set_shortcut("merge", "Ctrl+Shift+M")
    assert save.isEnabled()
    save.click()
    assert window.actions["next"].shortcut() == QKeySequence("F")
    assert window.actions["merge"].shortcut() == QKeySequence("Ctrl+Shift+M")
    assert "Ctrl+Shift+M" in window.actions["merge"].toolTip()
    window.close()
    again = quiet_window(make_window)
    assert again.actions["merge"].shortcut() == QKeySequence("Ctrl+Shift+M")
    assert again.actions["lock"].shortcut() == QKeySequence("L")


def test_export_dialog_uses_the_dataset_name_and_warns_with_counts(qtbot, window, tmp_path):
    window.session.flush()
    dialog = ExportDialog(window.session.project, window)
    assert "new image" in dialog.warning.text() or "edited image" in dialog.warning.text()
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.name.setText("train 2024")
    dialog.start()
    assert "must be letters" in dialog.report.toPlainText()
    dialog.name.setText("train2024")
    with qtbot.waitSignal(dialog.finished_export, timeout=20_000):
        dialog.start()
    assert (tmp_path / "out" / "panoptic_train2024.json").is_file()
    text = export_warning([ImageStatus.PRESEGMENTED] * 2 + [ImageStatus.EDITED, ImageStatus.NEW,
                                                           ImageStatus.DONE], False)
    assert text == ("Not done: 2 pre-segmented images nobody has checked (untouched model "
                    "output) and 1 edited image not marked done would be exported. 1 new "
                    "image without annotation will be skipped.")
    assert export_warning([ImageStatus.DONE] * 2, False) == ""
    assert export_warning([ImageStatus.DONE, ImageStatus.EDITED], True).startswith(
        "Only the 1 image marked done")


def test_reopening_a_project_comes_back_to_the_last_image_and_view(
        qtbot, make_window, image_folder: Path):
    window = quiet_window(make_window)
    open_folder(qtbot, window, image_folder)
    with qtbot.waitSignal(window.session.image_opened, timeout=10_000):
        window.session.go_to(NAMES[2])
    window.canvas.zoom_by(3)
    window.canvas.centerOn(QPointF(200, 150))
    scale, x, y = window.canvas.view_state()
    window.close()
    again = quiet_window(make_window)
    open_folder(qtbot, again, image_folder)
    assert again.session.key == NAMES[2]
    qtbot.waitUntil(lambda: abs(again.canvas.scale_factor - scale) < 1e-6, timeout=3000)
    _scale, x2, y2 = again.canvas.view_state()
    assert abs(x2 - x) < 2 and abs(y2 - y) < 2


def test_a_model_result_for_the_image_in_view_keeps_its_locked_segments(qtbot, window):
    from panoptix.core.document import Document
    from panoptix.gui.work.worker import JobResult

    doc = window.editor.document
    doc.select([1])
    window.actions["lock"].trigger()
    person = doc.full_mask(1)
    blank = Document.blank(*doc.shape, doc.categories)
    window.session.replace_with(JobResult(0, window.session.key, blank, "m", "cpu", {}, 0.0,
                                          False))
    shown = window.editor.document
    assert shown is not doc and len(shown.segments) == 1
    (kept,) = shown.segments
    assert shown.segments[kept].locked and np.array_equal(shown.full_mask(kept), person)
