"""Model-assisted editing in the real window, on synthetic raw outputs kept for an image:
proposals at a click, the picker's top-5 guesses, live thresholds, review order, refine
edge, and each image's uncertainty in the image list."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QDockWidget

from inference.synthetic import street_scene
from panoptix.core.categories import load_table
from panoptix.core.edits import EditError
from panoptix.core.history import MapPatch
from panoptix.core.project import ImageStatus, Project
from panoptix.core.refine import FINE_BAND
from panoptix.core.review import image_uncertainty, review_order
from panoptix.gui.features import assist as assist_module
from panoptix.inference.assist import AssistContext, postprocess_document
from panoptix.inference.labels import categories_for_model
from panoptix.inference.settings import InferenceSettings

SETTINGS = InferenceSettings(threshold=0.8, mask_threshold=0.5, overlap_threshold=0.8)
GROWN_PX = 4
"""The people in the photo are this much larger than the model's masks of them."""


def make_project(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """A one-image project pre-segmented from ``street_scene`` outputs kept on disk; the
    photo is painted from the segmentation, with every person a little larger."""
    raw = street_scene()
    categories = load_table("coco_panoptic")
    model_categories = categories_for_model(raw.model_id, raw.id2label, categories)
    doc = postprocess_document(raw, model_categories, SETTINGS).document
    person = categories.find("person").id
    colours = np.random.default_rng(0).integers(40, 215, (max(doc.segments) + 1, 3))
    image = colours[doc.id_map].astype(np.uint8)
    people = np.isin(doc.id_map, [i for i, s in doc.segments.items()
                                  if s.category_id == person]).astype(np.uint8)
    grown = cv2.dilate(people, np.ones((2 * GROWN_PX + 1,) * 2, np.uint8)).astype(bool)
    image[grown] = (230, 60, 60)
    folder = tmp_path / "images"
    folder.mkdir()
    cv2.imwrite(str(folder / "street.png"), image[:, :, ::-1])
    with Project.open_or_create_for_images(folder, categories=categories) as project:
        key = project.images[0].key
        raw.save(project.raw_outputs_path(key))
        project.save_document(key, doc, ImageStatus.PRESEGMENTED, "synthetic",
                              uncertainty=image_uncertainty(doc))
    return folder, image


@pytest.fixture
def window(qtbot, make_window, tmp_path):  # noqa: ANN001, ANN201
    folder, _image = make_project(tmp_path)
    window = make_window()
    window.session.auto_presegment = False
    with qtbot.waitSignal(window.session.image_opened, timeout=10_000):
        assert window.open_path(folder)
    # The main window lays its central canvas out again whenever it likes (a resize of the
    # canvas alone lasted only until then): hide the docks so the canvas itself is wide.
    for dock in window.findChildren(QDockWidget):
        dock.hide()
    qtbot.waitUntil(lambda: window.canvas.width() >= window.width() - 20)
    window.canvas.fit()
    window.canvas.setFocus()
    return window


def context_of(window) -> AssistContext:  # noqa: ANN001
    context = window.assist.context()
    assert context is not None
    return context


def click(qtbot, window, x: float, y: float) -> None:  # noqa: ANN001
    canvas = window.canvas
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton,
                     pos=canvas.mapFromScene(QPointF(x, y)))


def wheel(canvas, steps: int) -> None:  # noqa: ANN001
    centre = QPointF(canvas.viewport().rect().center())
    event = QWheelEvent(centre, canvas.mapToGlobal(centre), QPoint(), QPoint(0, 120 * steps),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(canvas.viewport(), event)


def test_click_lists_outlined_proposals_tab_and_wheel_cycle_enter_accepts_undo_restores(
        qtbot, window):
    doc, tool = window.editor.document, window.editor.tools["propose"]
    before = doc.id_map.copy()
    window.actions["tool:propose"].trigger()
    x, y = 0.2 * 480, 0.55 * 270  # the first person, inside the wall
    click(qtbot, window, x, y)
    expected = context_of(window).candidates_at(int(x), int(y))
    assert len(expected) >= 2
    assert [c.proposal.query for c in tool.candidates] == [c.proposal.query for c in expected]
    scores = [c.score for c in tool.candidates]
    assert scores == sorted(scores, reverse=True)
    assert tool._outline.isVisible() and not tool._outline.path().isEmpty()
    assert tool._outline.path().boundingRect().contains(QPointF(x, y))
    assert tool._list.isVisible() and "person" in tool._list.toPlainText()
    placed = tool._list.sceneBoundingRect()
    assert not placed.intersects(tool._outline.path().boundingRect())  # beside it

    qtbot.keyClick(window.canvas, Qt.Key.Key_Tab)
    assert tool.current == 1 and window.canvas.hasFocus()
    assert tool._list.sceneBoundingRect().topLeft() == placed.topLeft()  # it stays put
    qtbot.keyClick(window.canvas, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert tool.current == 0
    scale = window.canvas.scale_factor
    wheel(window.canvas, -1)  # towards the user: next, and no zoom
    assert tool.current == 1 and window.canvas.scale_factor == scale
    wheel(window.canvas, 1)
    assert tool.current == 0

    chosen = tool.candidate
    history = len(doc.history)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return)
    (new,) = doc.selection
    assert doc.segments[new].category_id == chosen.category_id
    assert doc.segments[new].source == "model"
    assert doc.segment_at(int(x), int(y)) == new
    assert len(doc.history) == history + 1 and not tool.candidates
    assert not tool._outline.isVisible() and not tool._list.isVisible()
    window.actions["undo"].trigger()
    assert np.array_equal(doc.id_map, before)


def test_shift_enter_accepts_with_the_label_picked_by_digit(qtbot, window):
    doc, tool = window.editor.document, window.editor.tools["propose"]
    window.editor.set_tool("propose")
    x, y = 0.8 * 480, 0.75 * 270  # the car
    click(qtbot, window, x, y)
    query = tool.candidate.proposal.query
    guesses = context_of(window).query_guesses(query)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    popup = window.assist.picker
    assert popup.isVisible()
    assert popup.picker.suggested_ids() == [category for category, _p in guesses]
    qtbot.keyClick(popup.picker.filter, Qt.Key.Key_2)
    (new,) = doc.selection
    assert doc.segments[new].category_id == guesses[1][0]
    assert not popup.isVisible() and len(doc.history) == 1


def test_picker_offers_the_models_top_5_with_probabilities_and_digits_pick(qtbot, window):
    doc = window.editor.document
    person = doc.categories.find("person").id
    target = next(i for i, s in doc.segments.items() if s.category_id == person)
    doc.select([target])
    window.actions["relabel"].trigger()
    picker = window.relabel_popup.picker
    guesses = context_of(window).segment_guesses(doc, {target})
    assert picker.suggested_ids() == [category for category, _p in guesses]
    assert len(guesses) == 5 and guesses[0][0] == person
    probabilities = [p for _c, p in guesses]
    assert probabilities == sorted(probabilities, reverse=True) and probabilities[0] > 0.5
    first = picker._suggested.child(0)
    assert first.text(0) == "1  person" and first.text(1) == f"{probabilities[0]:.0%}"
    qtbot.keyClick(picker.filter, Qt.Key.Key_3)
    (relabelled,) = doc.selection  # a stuff category joins its one segment
    assert doc.segments[relabelled].category_id == guesses[2][0]
    assert not window.relabel_popup.isVisible()


def test_threshold_slider_reruns_postprocessing_equal_to_a_fresh_one(qtbot, window):
    panel = window.thresholds
    assert panel.values() == {"threshold": 0.8, "mask_threshold": 0.5,
                              "overlap_threshold": 0.8}  # switches only once clicked
    before = len(window.editor.document.segments)
    with qtbot.waitSignal(window.session.document_replaced, timeout=10_000):
        panel.sliders["threshold"].setValue(0.999)
    doc = window.editor.document
    image = window.session.project.load_image(window.session.key)
    fresh = postprocess_document(
        context_of(window).raw, context_of(window).model_categories,
        SETTINGS.with_changes(threshold=0.999), image).document
    assert np.array_equal(doc.id_map, fresh.id_map)
    assert dict(doc.segments) == dict(fresh.segments)
    assert len(doc.segments) < before
    assert window.session.settings.threshold == 0.999  # kept for the project
    assert "post-processed again" in panel.status.text()
    assert window.session.status(window.session.key) == ImageStatus.PRESEGMENTED


def test_the_snap_switch_reruns_with_and_without_the_image_edges(qtbot, window):
    panel, session = window.thresholds, window.session
    context = context_of(window)
    image = session.project.load_image(session.key)
    plain = postprocess_document(context.raw, context.model_categories, SETTINGS).document
    snapped = postprocess_document(context.raw, context.model_categories,
                                   SETTINGS.with_changes(snap_edges=True), image).document
    assert not panel.switches["snap_edges"].isChecked()  # off by default
    with qtbot.waitSignal(session.document_replaced, timeout=10_000):
        panel.switches["snap_edges"].setChecked(True)
    assert np.array_equal(window.editor.document.id_map, snapped.id_map)
    assert session.settings.snap_edges is True  # kept for the project
    with qtbot.waitSignal(session.document_replaced, timeout=10_000):
        panel.switches["snap_edges"].setChecked(False)
    assert np.array_equal(window.editor.document.id_map, plain.id_map)
    with qtbot.waitSignal(session.document_replaced, timeout=10_000):
        panel.switches["snap_edges"].setChecked(True)
    person = session.project.categories.find("person").id
    people = [i for i, s in snapped.segments.items() if s.category_id == person]
    assert np.isin(snapped.id_map, people).sum() > np.isin(plain.id_map, people).sum()
    window.thresholds.show_settings(SETTINGS)
    assert not panel.switches["snap_edges"].isChecked()  # shown without a re-run
    assert np.array_equal(window.editor.document.id_map, snapped.id_map)


def test_proposals_snap_to_the_edges_of_the_image_in_view(qtbot, window):
    session = window.session
    image = session.project.load_image(session.key)
    assert context_of(window).index.guide is None  # off: the model's masks as they are
    with qtbot.waitSignal(session.document_replaced, timeout=10_000):
        window.thresholds.switches["snap_edges"].setChecked(True)
    assert np.array_equal(context_of(window).index.guide,
                          cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))


def test_a_threshold_rerun_is_saved_on_the_saver_thread(qtbot, window, monkeypatch):
    threads = []
    save_snapshot = Project.save_snapshot

    def recording(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        threads.append(threading.current_thread())
        return save_snapshot(self, *args, **kwargs)

    monkeypatch.setattr(Project, "save_snapshot", recording)
    with qtbot.waitSignal(window.session.saved, timeout=10_000):
        window.thresholds.sliders["threshold"].setValue(0.999)
    assert threads and threading.main_thread() not in threads
    session = window.session
    assert np.array_equal(session.project.load_document(session.key).id_map,
                          window.editor.document.id_map)
    assert session.project.entry(session.key).status == ImageStatus.PRESEGMENTED


def test_thresholds_ask_before_replacing_an_edited_image(qtbot, window):
    doc = window.editor.document
    asked = []
    window.assist.confirm = lambda title, text: asked.append(title) or False
    doc.select([next(iter(doc.segments))])
    window.actions["delete"].trigger()
    edited = doc.id_map.copy()
    with qtbot.waitSignal(window.assist.note, timeout=10_000):
        window.thresholds.sliders["overlap_threshold"].setValue(0.5)
    assert asked and window.editor.document is doc
    assert np.array_equal(doc.id_map, edited)
    window.assist.confirm = lambda title, text: True
    with qtbot.waitSignal(window.session.document_replaced, timeout=10_000):
        window.thresholds.sliders["overlap_threshold"].setValue(0.6)
    assert window.editor.document is not doc


def test_review_keys_walk_least_confident_first_and_the_list_sorts_so(qtbot, window):
    doc = window.editor.document
    order = review_order(doc)
    assert len(order) >= 3
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5_000)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Period)
    assert doc.selection == {order[0]}
    qtbot.keyClick(window.canvas, Qt.Key.Key_Period)
    assert doc.selection == {order[1]}
    qtbot.keyClick(window.canvas, Qt.Key.Key_Comma)
    assert doc.selection == {order[0]}
    assert "least confident 1 of" in window.status.currentMessage()
    window.actions["review_sort"].trigger()
    table = window.segments
    shown = [int(table.proxy.index(row, 0).data()) for row in range(table.proxy.rowCount())]
    assert shown[:len(order)] == order


def largest_person(doc) -> int:  # noqa: ANN001
    person = doc.categories.find("person").id
    return max((i for i, s in doc.segments.items() if s.category_id == person), key=doc.area)


def test_refine_edge_runs_off_the_gui_thread_and_snaps_to_the_photo_in_one_undo_step(
        qtbot, window):
    doc = window.editor.document
    target = largest_person(doc)
    doc.select([target])
    before, area, history = doc.id_map.copy(), doc.area(target), len(doc.history)
    window.actions["refine_edge"].trigger()
    # not computed yet: GrabCut runs on its own thread, the status bar says so
    assert np.array_equal(doc.id_map, before) and len(doc.history) == history
    assert window.status.busy.text() == "Refining edge…"
    qtbot.waitUntil(lambda: window.status.currentMessage() == "edge refined", timeout=10_000)
    assert doc.area(target) > area  # grew towards the larger person in the photo
    assert len(doc.history) == history + 1 and window.status.busy.text() == ""
    window.actions["undo"].trigger()
    assert np.array_equal(doc.id_map, before)


def test_refine_edge_finely_moves_the_edge_by_two_pixels_at_most(qtbot, window):
    """Shift+R: the same snap within FINE_BAND (2 px) instead of 6: the person grows
    towards the photo's person (GROWN_PX larger), but only by two pixels; R from the same
    start goes farther. One undo step."""
    action = window.actions["refine_edge_fine"]
    assert action.shortcut().toString() == "Shift+R"
    doc = window.editor.document
    target = largest_person(doc)
    doc.select([target])
    before, history = doc.id_map.copy(), len(doc.history)
    action.trigger()
    qtbot.waitUntil(lambda: window.status.currentMessage() == "edge refined", timeout=10_000)
    was = (before == target).astype(np.uint8)
    within = cv2.dilate(was, np.ones((2 * FINE_BAND + 1,) * 2, np.uint8)).astype(bool)
    grown = (doc.id_map == target) & ~was.astype(bool)
    assert grown.any() and not (grown & ~within).any()
    assert len(doc.history) == history + 1
    finely = int(grown.sum())
    window.actions["undo"].trigger()
    assert np.array_equal(doc.id_map, before)
    doc.select([target])
    window.status.showMessage("")
    window.actions["refine_edge"].trigger()
    qtbot.waitUntil(lambda: window.status.currentMessage() == "edge refined", timeout=10_000)
    assert int(((doc.id_map == target) & ~was.astype(bool)).sum()) > finely


def test_refine_edge_result_is_dropped_when_the_annotation_changed_meanwhile(qtbot, window):
    doc = window.editor.document
    target = largest_person(doc)
    other = next(i for i in doc.segments if i != target)
    doc.select([target])
    window.actions["refine_edge"].trigger()
    doc.select([other])
    window.actions["delete"].trigger()  # an edit before the result is back
    edited = doc.id_map.copy()
    qtbot.waitUntil(lambda: "edge not refined" in window.status.currentMessage(),
                    timeout=10_000)
    assert np.array_equal(doc.id_map, edited) and window.status.busy.text() == ""

    # a stroke in progress changes pixels before it changes the revision: erase the ring
    # just outside the person, where refining would grow it
    doc.select([target])
    window.actions["refine_edge"].trigger()
    revision = doc.revision
    (y0, x0, y1, x1), inside = doc.region(target)
    y0, x0, y1, x1 = y0 - 3, x0 - 3, y1 + 3, x1 + 3
    inside = np.pad(inside, 3).astype(np.uint8)
    ring = cv2.dilate(inside, np.ones((5, 5), np.uint8)).astype(bool) & ~inside.astype(bool)
    ring &= doc.id_map[y0:y1, x0:x1] != 0
    doc.apply_live(MapPatch((y0, x0, y1, x1), ring, doc.id_map[y0:y1, x0:x1][ring], 0))
    qtbot.waitUntil(lambda: window.status.busy.text() == "", timeout=10_000)
    assert doc.revision == revision
    assert "edge not refined" in window.status.currentMessage()


def test_refine_edge_errors_are_status_messages(qtbot, window, monkeypatch):
    def fail(*_args: object, **_kwargs: object) -> None:
        raise EditError("cannot refine this segment: too thin")

    monkeypatch.setattr(assist_module, "refine_patch", fail)
    doc = window.editor.document
    doc.select([largest_person(doc)])
    window.actions["refine_edge"].trigger()
    qtbot.waitUntil(lambda: window.status.currentMessage() == (
        "cannot refine this segment: too thin"), timeout=10_000)
    assert window.status.busy.text() == ""


def test_image_list_shows_uncertainty_from_presegmentation_and_after_a_save(qtbot, window):
    key = window.session.key
    doc = window.editor.document
    shown = window.images.uncertainty_of(key)
    assert shown == pytest.approx(image_uncertainty(doc))
    assert f"{shown:.0%} unsure" in window.images.list.currentIndex().data()
    doc.select([review_order(doc)[0]])
    window.actions["delete"].trigger()  # its pixels become unlabeled: more doubt
    with qtbot.waitSignal(window.session.saved, timeout=10_000):
        pass
    assert window.images.uncertainty_of(key) == pytest.approx(image_uncertainty(doc))
    assert window.images.uncertainty_of(key) > shown
    assert window.session.project.entry(key).uncertainty == pytest.approx(
        image_uncertainty(doc))


def test_without_kept_outputs_the_tool_says_so(qtbot, window):
    Path(window.session.project.raw_outputs_path(window.session.key)).unlink()
    window.editor.set_tool("propose")
    click(qtbot, window, 100.5, 100.5)
    assert not window.editor.tools["propose"].candidates
    assert "run the model" in window.status.currentMessage()


def test_with_a_tiny_model_outputs_kept_by_the_worker_feed_the_context_once_per_image(
        qtbot, make_window, image_folder, tiny_model):
    with Project.open_or_create_for_images(image_folder) as project:
        project.settings["inference"] = {"model": str(tiny_model), "device": "cpu",
                                         "threshold": 0.0, "mask_threshold": 0.0,
                                         "overlap_threshold": 0.0}
        project.save_manifest()
    window = make_window()
    assert window.open_path(image_folder)
    session, keys = window.session, window.session.keys()
    qtbot.waitUntil(lambda: all(window.images.uncertainty_of(k) is not None for k in keys),
                    timeout=60_000)
    key = session.key
    assert window.images.uncertainty_of(key) == pytest.approx(
        image_uncertainty(window.editor.document))
    context = window.assist.context()
    assert context is not None and context.raw.num_queries == 20
    assert context.raw.image_size == window.editor.document.shape
    assert window.assist.context() is context  # built once, not per click
    window.editor.set_tool("propose")
    click(qtbot, window, 10.5, 10.5)
    tool = window.editor.tools["propose"]
    # a random model scores under 0.02; at a score threshold of 0 it is still offered
    assert tool.candidates and max(c.score for c in tool.candidates) < 0.02
    assert [c.proposal.query for c in tool.candidates] == [
        c.proposal.query for c in context.candidates_at(10, 10, min_score=0.0)]
    with qtbot.waitSignal(session.image_opened, timeout=10_000):
        window.actions["next"].trigger()
    assert session.key != key and window.assist.context() is not context
