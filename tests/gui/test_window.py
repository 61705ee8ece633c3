"""The real window, offscreen: open a folder, pre-segment with a tiny random-weight model
through the worker, edit, undo, autosave, export and validate."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QHeaderView

from conftest import configure_project, open_window
from panoptix.core import edits
from panoptix.core.document import Document
from panoptix.core.project import ImageStatus, Project
from panoptix.gui.panels.image_list import KEY_ROLE
from panoptix.gui.panels.segment_list import CATEGORY_COLUMN
from panoptix.inference.demo_model import demo_folder
from panoptix.inference.pipeline import postprocess
from panoptix.inference.raw_outputs import RawOutputs


def wait_presegmented(qtbot, window) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: window.session.key is not None and window.session.status(
        window.session.key) == ImageStatus.PRESEGMENTED, timeout=60_000)


def test_the_worker_snaps_edges_as_the_kept_outputs_do(qtbot, make_window, image_folder):
    configure_project(image_folder, demo_folder(), threshold=0.8, mask_threshold=0.5,
                      overlap_threshold=0.8, snap_edges=True, split_parts=True)
    window = make_window()
    assert window.open_path(image_folder)
    wait_presegmented(qtbot, window)
    session = window.session
    project, key = session.project, session.key
    raw = RawOutputs.load(project.raw_outputs_path(key))
    image = project.load_image(key)
    snapped = postprocess(raw, project.categories, session.settings, image).document
    plain = postprocess(raw, project.categories, session.settings).document
    assert session.settings.snap_edges and len(snapped.segments) >= 2
    assert np.array_equal(window.editor.document.id_map, snapped.id_map)
    assert not np.array_equal(snapped.id_map, plain.id_map)


def test_presegment_edit_undo_and_autosave(qtbot, make_window, image_folder, tiny_model):
    configure_project(image_folder, tiny_model)
    window = make_window()
    assert window.open_path(image_folder)
    wait_presegmented(qtbot, window)
    doc = window.editor.document
    assert doc is not None and len(doc.segments) >= 2
    assert window.segments.model_.rowCount() == len(doc.segments)
    # the rest of the folder is pre-segmented in the background: wait for what the user
    # sees (the project's statuses change on the worker thread, before the list hears)
    keys = window.images.keys()
    qtbot.waitUntil(lambda: all(window.images.status_of(k) == "presegmented" for k in keys),
                    timeout=60_000)
    assert window.images.counts.text().startswith("0\N{NO-BREAK SPACE}new")
    assert all(window.session.status(k) == ImageStatus.PRESEGMENTED for k in keys)

    # select two segments by clicking them on the canvas, then merge (M)
    ids = sorted(doc.segments, key=doc.area, reverse=True)[:2]
    canvas = window.canvas
    for index, segment_id in enumerate(ids):
        _box, mask = doc.region(segment_id)
        y0, x0 = doc.box(segment_id)[:2]
        # the pixel farthest from the edge: a screen pixel spans several image pixels
        # when the image is zoomed out, so an edge pixel's click may land beside it
        distance = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
        y, x = np.unravel_index(int(distance.argmax()), distance.shape)
        point = canvas.mapFromScene(QPointF(x0 + x + 0.5, y0 + y + 0.5))
        modifier = Qt.KeyboardModifier.ShiftModifier if index else Qt.KeyboardModifier.NoModifier
        qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, modifier, point)
    assert doc.selection == set(ids)
    assert window.segments.selected_ids() == set(ids)
    count = len(doc.segments)
    window.actions["merge"].trigger()
    assert len(doc.segments) == count - 1

    # relabel (L) through the popup's picker: type to filter, Enter picks
    window.actions["relabel"].trigger()
    assert window.relabel_popup.isVisible()
    qtbot.keyClicks(window.relabel_popup.picker.filter, "bicycle")
    qtbot.keyClick(window.relabel_popup.picker.filter, Qt.Key.Key_Return)
    (kept,) = doc.selection
    assert doc.categories[doc.segments[kept].category_id].name == "bicycle"

    # paint a new segment with the brush, then undo it
    window.editor.set_category(doc.categories.find("person").id)
    window.actions["deselect"].trigger()
    window.actions["tool:brush"].trigger()
    before = len(doc.segments)
    point = canvas.mapFromScene(QPointF(5.5, 5.5))
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert doc.segments[doc.segment_at(5, 5)].category_id == doc.categories.find("person").id
    window.actions["undo"].trigger()
    window.actions["redo"].trigger()
    window.actions["undo"].trigger()
    assert len(doc.segments) == before
    assert window.session.status(window.session.key) in (ImageStatus.PRESEGMENTED,
                                                         ImageStatus.EDITED)
    with qtbot.waitSignal(window.session.saved, timeout=10_000):
        pass
    key, saved_map = window.session.key, doc.id_map.copy()

    # next image (D) and back (A) keeps the edits; close and reopen restores them
    with qtbot.waitSignal(window.session.image_opened, timeout=10_000):
        window.actions["next"].trigger()
    assert window.session.key != key
    with qtbot.waitSignal(window.session.image_opened, timeout=10_000):
        window.actions["previous"].trigger()
    assert np.array_equal(window.editor.document.id_map, saved_map)
    window.actions["done"].trigger()
    window.close()
    with Project.open(image_folder.parent / "images.panoptix") as project:
        assert project.entry(key).status == ImageStatus.DONE
        assert np.array_equal(project.load_document(key).id_map, saved_map)


def test_model_error_is_a_message_and_manual_annotation_goes_on(qtbot, make_window,
                                                                  image_folder, tmp_path):
    configure_project(image_folder, tmp_path / "no-such-model")
    window = make_window()
    with qtbot.waitSignal(window.session.error, timeout=60_000) as blocker:
        window.open_path(image_folder)
    assert "model" in blocker.args[0]
    doc = window.editor.document
    assert doc is not None and not doc.segments
    window.editor.set_tool("polygon")
    window.editor.tools["polygon"].points = [(1, 1), (40, 1), (40, 40)]
    window.editor.tools["polygon"].close()
    assert len(doc.segments) == 1


def test_thresholds_rerun_only_postprocessing(qtbot, make_window, image_folder, tiny_model):
    configure_project(image_folder, tiny_model)
    window = make_window()
    window.session.auto_presegment = True
    window.open_path(image_folder)
    wait_presegmented(qtbot, window)
    raw = window.session.project.raw_outputs_path(window.session.key)
    assert raw.is_file()
    many = len(window.editor.document.segments)
    window.show_settings()
    dialog = window.settings_dialog
    with qtbot.waitSignal(window.session.document_replaced, timeout=30_000):
        dialog.sliders["threshold"].setValue(1.0)
    assert len(window.editor.document.segments) <= many
    dialog.reject()


def test_export_reports_validation(qtbot, make_window, image_folder, tiny_model):
    pytest.importorskip("panoptix.core.coco_export")
    configure_project(image_folder, tiny_model)
    window = make_window()
    window.open_path(image_folder)
    wait_presegmented(qtbot, window)
    window.show_export()
    dialog = window.export_dialog
    for check in dialog.checks.values():
        check.setChecked(True)
    with qtbot.waitSignal(dialog.finished_export, timeout=60_000) as blocker:
        dialog.start()
    assert blocker.args == [True], dialog.report.toPlainText()
    assert "validated: no problems" in dialog.report.toPlainText()


def current_row(window) -> str:  # noqa: ANN001
    return window.images.list.currentIndex().data(KEY_ROLE)


def test_switching_images_reads_them_off_the_gui_thread_and_drops_the_ones_left(
        qtbot, make_window, image_folder, monkeypatch):
    threads = []
    load_image = Project.load_image

    def recording(self, key):  # noqa: ANN001, ANN202
        threads.append(threading.current_thread())
        return load_image(self, key)

    monkeypatch.setattr(Project, "load_image", recording)
    configure_project(image_folder, None)
    window = open_window(qtbot, make_window, image_folder)
    session, keys = window.session, window.images.keys()
    assert session.key == keys[0]
    opened = []
    session.image_opened.connect(lambda key, _image, _doc: opened.append(key))

    window.actions["next"].trigger()
    window.actions["next"].trigger()  # D twice: the second image is left before it shows
    assert session.key == keys[0] and window.editor.document is session.document
    assert session.target == current_row(window) == keys[2]
    assert window.status.busy.text() == f"Loading {keys[2]}…"
    qtbot.waitUntil(lambda: session.key == keys[2], timeout=10_000)
    assert opened == [keys[2]] and window.status.busy.text() == ""
    assert window.editor.document.shape == window.canvas.image_rect.size().toTuple()[::-1]
    assert threads and threading.main_thread() not in threads

    # away and back before the other image arrives: the one in view stays
    window.actions["previous"].trigger()
    window.actions["next"].trigger()
    assert session.target == current_row(window) == keys[2]
    assert window.status.busy.text() == ""
    with qtbot.waitSignal(session.image_opened, timeout=10_000):
        window.actions["previous"].trigger()
    assert opened == [keys[2], keys[1]]  # the dropped read of keys[1] was not shown


def test_images_least_confident_first_orders_the_list_and_d_a_follow_it(
        qtbot, make_window, image_folder):
    configure_project(image_folder, None)
    with Project.open(image_folder.parent / "images.panoptix") as project:
        harbour, park, street = (entry.key for entry in project.images)
        for key, figure in ((harbour, 0.1), (street, 0.5)):  # park: no figure yet
            height, width = project.load_image(key).shape[:2]
            project.save_document(key, Document.blank(height, width, project.categories),
                                  ImageStatus.PRESEGMENTED, uncertainty=figure)
    window = open_window(qtbot, make_window, image_folder)
    session, images = window.session, window.images
    assert images.keys() == [harbour, park, street] and session.key == harbour

    window.actions["review_images_sort"].trigger()
    assert images.keys() == [street, harbour, park]
    assert current_row(window) == harbour
    for action, expected in (("next", park), ("previous", harbour), ("previous", street)):
        with qtbot.waitSignal(session.image_opened, timeout=10_000):
            window.actions[action].trigger()
        assert session.key == expected

    # the image in view keeps its place while its figure drops (a person labels it all),
    # also when another image's figure arrives (background pre-segmentation) and the list
    # sorts again; so D goes on to the next one, and the image left moves then
    doc = window.editor.document
    height, width = doc.shape
    edits.fill_polygon(doc, [(0, 0), (width, 0), (width, height), (0, height)],
                       doc.categories.find("road").id)
    session.flush()
    assert images.uncertainty_of(street) == 0.0
    images.set_uncertainty(park, 0.3)
    qtbot.waitUntil(lambda: images.keys() == [street, park, harbour], timeout=5_000)
    with qtbot.waitSignal(session.image_opened, timeout=10_000):
        window.actions["next"].trigger()
    assert session.key == park
    qtbot.waitUntil(lambda: images.keys() == [park, harbour, street], timeout=5_000)

    window.actions["review_images_sort"].trigger()
    assert images.keys() == [harbour, park, street]


def test_the_segment_table_shows_category_names_in_full_by_default(qtbot, make_window,
                                                                   image_folder):
    configure_project(image_folder, None)
    window = open_window(qtbot, make_window, image_folder)
    window.resize(1400, 900)  # the default size on a screen that has room for it
    doc = window.editor.document
    for name, polygon in (("building-other-merged", [(0, 0), (200, 0), (200, 100)]),
                          ("person", [(0, 200), (50, 200), (50, 300)])):
        edits.fill_polygon(doc, polygon, doc.categories.find(name).id)
    table = window.segments
    qtbot.waitUntil(lambda: table.model().rowCount() == 2, timeout=5_000)
    header = table.horizontalHeader()
    assert header.sectionResizeMode(CATEGORY_COLUMN) == QHeaderView.ResizeMode.Stretch
    assert all(header.sectionResizeMode(column) == QHeaderView.ResizeMode.ResizeToContents
               for column in range(header.count()) if column != CATEGORY_COLUMN)
    needed = table.fontMetrics().horizontalAdvance("building-other-merged")
    assert table.columnWidth(CATEGORY_COLUMN) > needed
