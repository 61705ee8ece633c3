"""The Segment Anything tool (S) in the real window with a tiny random-weight SAM 2: the
embedding made once per image on the worker thread, prompts answered on the decoder
thread, clicks kept until the embedding exists, and what accepting a mask does."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt

from conftest import configure_project
from panoptix.core import edits
from panoptix.core.project import MANIFEST_NAME, Project
from panoptix.gui.tools.sam_tool import SamTool
from panoptix.inference.sam.engine import SamEngine
from panoptix.inference.sam.predictor import MaskCandidate, Prediction, SamPredictor
from panoptix.inference.sam.settings import MANIFEST_KEY
from tiny_models import build_sam2

TOOL = SamTool.name
RECT = (100, 200, 300, 360)
"""(y0, x0, y1, x1) of the mask the stub decoder answers with."""


@pytest.fixture(scope="session")
def sam2_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sam2(tmp_path_factory.mktemp("gui-sam") / "sam2")


def open_window(qtbot, make_window, folder: Path, sam_model: Path | str):  # noqa: ANN001, ANN201
    with Project.open_or_create_for_images(folder) as project:
        project.settings[MANIFEST_KEY] = {"model": str(sam_model), "device": "cpu"}
        project.save_manifest()
    window = make_window()
    window.session.auto_presegment = False
    with qtbot.waitSignal(window.session.image_opened, timeout=20_000):
        assert window.open_path(folder)
    window.canvas.resize(960, 720)
    window.canvas.fit()
    window.canvas.setFocus()
    return window


@pytest.fixture
def window(qtbot, make_window, image_folder, sam2_dir):  # noqa: ANN001, ANN201
    configure_project(image_folder, None)
    return open_window(qtbot, make_window, image_folder, sam2_dir)


def click(qtbot, window, x: float, y: float, button=Qt.MouseButton.LeftButton,  # noqa: ANN001
          modifier=Qt.KeyboardModifier.NoModifier) -> None:
    canvas = window.canvas
    qtbot.mouseClick(canvas.viewport(), button, modifier, canvas.mapFromScene(QPointF(x, y)))


def start(qtbot, window) -> SamTool:  # noqa: ANN001
    """Switch to the tool and wait until the image in view has its embedding."""
    window.actions[f"tool:{TOOL}"].trigger()
    key = window.session.key
    qtbot.waitUntil(lambda: window.sam.has_embedding(key), timeout=60_000)
    tool = window.editor.tools[TOOL]
    assert isinstance(tool, SamTool)
    return tool


def test_clicks_before_the_embedding_are_kept_then_answered_off_the_gui_thread_once(
        qtbot, window, monkeypatch):
    threads: dict[str, list[threading.Thread]] = {"embed": [], "decode": []}
    embed, decode = SamPredictor.embed, SamEngine.decode

    def recording_embed(self, image):  # noqa: ANN001, ANN202
        threads["embed"].append(threading.current_thread())
        return embed(self, image)

    def recording_decode(self, *args):  # noqa: ANN001, ANN202
        threads["decode"].append(threading.current_thread())
        return decode(self, *args)

    monkeypatch.setattr(SamPredictor, "embed", recording_embed)
    monkeypatch.setattr(SamEngine, "decode", recording_decode)
    tool, keys = window.editor.tools[TOOL], window.images.keys()
    window.actions[f"tool:{TOOL}"].trigger()
    click(qtbot, window, 320, 240)  # the model is not even loaded yet
    assert not tool.candidates and len(tool.prompts.points) == 1
    assert "kept" in window.status.currentMessage()
    qtbot.waitUntil(lambda: bool(tool.candidates), timeout=60_000)
    assert len(tool.candidates) == 3  # one point: three candidates, best first
    scores = [c.iou for c in tool.candidates]
    assert scores == sorted(scores, reverse=True)
    assert tool._fill.isVisible() and not tool._fill.path().isEmpty()
    # the image beside it in the list is embedded next, ahead of the user going there
    qtbot.waitUntil(lambda: window.sam.has_embedding(keys[1]), timeout=60_000)
    made = len(threads["embed"])
    assert made == 2

    click(qtbot, window, 50, 50, modifier=Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: tool.prediction is not None
                    and tool.prediction.prompts == tool.prompts, timeout=20_000)
    assert [p[2] for p in tool.prompts.points] == [True, False]
    assert len(tool.candidates) == 1  # refined: SAM's single-mask answer
    window.editor.set_tool("select")
    window.actions[f"tool:{TOOL}"].trigger()
    click(qtbot, window, 400, 300, button=Qt.MouseButton.RightButton)
    qtbot.waitUntil(lambda: tool.prediction is not None, timeout=20_000)
    assert tool.prompts.points[0][2] is False  # right click: a negative point
    assert len(threads["embed"]) == made  # neither clicks nor coming back re-encode
    main = threading.main_thread()
    assert threads["embed"] and all(t is not main for t in threads["embed"])
    assert threads["decode"] and all(t is not main for t in threads["decode"])
    assert len({t.ident for t in threads["embed"]} & {t.ident for t in threads["decode"]}) == 0


def test_tab_cycles_backspace_removes_the_last_prompt_esc_clears_a_drag_is_a_box(
        qtbot, window):
    tool = start(qtbot, window)
    click(qtbot, window, 320, 240)
    qtbot.waitUntil(lambda: len(tool.candidates) == 3, timeout=20_000)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Tab)
    assert tool.current == 1 and window.canvas.hasFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert tool.current == 0
    click(qtbot, window, 100, 100)
    qtbot.waitUntil(lambda: tool.prediction.prompts == tool.prompts, timeout=20_000)
    assert len(tool.candidates) == 1
    qtbot.keyClick(window.canvas, Qt.Key.Key_Tab)  # more prompts: the alternatives on demand
    qtbot.waitUntil(lambda: tool.prediction.multimask, timeout=20_000)
    assert len(tool.candidates) in (3, 4) and tool.current == 1
    masks = [(c.box, c.mask.tobytes()) for c in tool.candidates]
    assert len(set(masks)) == len(masks)  # SAM 2's fallback to a multimask one: not twice
    qtbot.keyClick(window.canvas, Qt.Key.Key_Backspace)
    assert len(tool.prompts.points) == 1
    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)
    assert tool.prompts.is_empty and not tool.candidates and not tool._markers
    assert not tool._fill.isVisible()

    canvas = window.canvas
    a, b = canvas.mapFromScene(QPointF(200, 150)), canvas.mapFromScene(QPointF(420, 330))
    qtbot.mousePress(canvas.viewport(), Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(canvas.viewport(), b)
    qtbot.mouseRelease(canvas.viewport(), Qt.MouseButton.LeftButton, pos=b)
    assert tool.prompts.box is not None and not tool.prompts.points
    x0, y0, x1, y1 = tool.prompts.box
    assert abs(x0 - 200) < 2 and abs(y1 - 330) < 2
    qtbot.waitUntil(lambda: tool.prediction is not None, timeout=20_000)


def rectangle(rect=RECT, iou: float = 0.9) -> MaskCandidate:  # noqa: ANN001
    y0, x0, y1, x1 = rect
    return MaskCandidate.of_pixels(rect, np.ones((y1 - y0, x1 - x0), bool), iou)


def stub_decoder(window, rect=RECT) -> None:  # noqa: ANN001
    """Answer every prompt with one known rectangle, so accepting can be checked exactly."""
    candidate = rectangle(rect)
    window.sam.engine.decode = lambda _key, prompts, multimask=None: Prediction(
        prompts, (candidate,), False, 0.001)


def test_alternatives_asked_with_tab_leave_out_the_mask_already_shown(qtbot, window):
    tool = start(qtbot, window)
    single, other = rectangle(iou=0.8), rectangle((10, 10, 50, 50), 0.7)
    window.sam.engine.decode = lambda _key, prompts, multimask=None: Prediction(
        prompts, (rectangle(iou=0.9), other) if multimask else (single,), bool(multimask),
        0.001)
    click(qtbot, window, 300, 200)
    click(qtbot, window, 320, 210)
    qtbot.waitUntil(lambda: tool.prediction is not None
                    and tool.prediction.prompts == tool.prompts, timeout=20_000)
    assert tool.candidates == [single]
    qtbot.keyClick(window.canvas, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: len(tool.candidates) == 2, timeout=20_000)
    assert tool.candidates == [single, other] and tool.current == 1


def prepared(qtbot, window):  # noqa: ANN001, ANN201
    """The tool showing the stub rectangle, beside a person segment taking its left half."""
    tool = start(qtbot, window)
    stub_decoder(window)
    doc = window.editor.document
    categories = doc.categories
    person = categories.find("person").id
    left = np.zeros(doc.shape, bool)
    left[50:350, 150:280] = True
    existing = edits.add_mask(doc, left, person)
    window.editor.set_category(categories.find("car").id)
    click(qtbot, window, 300, 200)
    qtbot.waitUntil(lambda: bool(tool.candidates), timeout=20_000)
    return tool, doc, existing, left


def test_enter_makes_a_new_segment_of_unlabeled_pixels_only_in_one_undo_step(qtbot, window):
    tool, doc, existing, left = prepared(qtbot, window)
    assert window.actions["protect"].isChecked()  # the default
    before, history, area = doc.id_map.copy(), len(doc.history), doc.area(existing)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return)
    (new,) = doc.selection
    assert doc.segments[new].category_id == doc.categories.find("car").id
    y0, x0, y1, x1 = RECT
    rect = np.zeros(doc.shape, bool)
    rect[y0:y1, x0:x1] = True
    assert np.array_equal(doc.id_map == new, rect & ~left)
    assert doc.area(existing) == area
    assert len(doc.history) == history + 1 and tool.prompts.is_empty
    window.actions["undo"].trigger()
    assert np.array_equal(doc.id_map, before)


def test_overwriting_is_one_toggle_away_and_the_tool_keeps_its_own_setting(qtbot, window):
    _tool, doc, existing, left = prepared(qtbot, window)
    protect, editor = window.actions["protect"], window.editor
    editor.set_tool("brush")
    assert not protect.isChecked() and not editor.protect_labeled  # the brush's: off
    editor.set_tool(TOOL)
    assert protect.isChecked()  # Segment Anything's: on at first
    protect.trigger()
    assert not editor.protect_labeled
    editor.set_tool("brush")
    protect.trigger()  # the brush's own toggle ...
    editor.set_tool(TOOL)
    assert not protect.isChecked()  # ... leaves the tool's as the user set it
    click(qtbot, window, 300, 200)  # changing tools dropped the prompts
    qtbot.waitUntil(lambda: bool(_tool.candidates), timeout=20_000)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return)
    (new,) = doc.selection
    y0, x0, y1, x1 = RECT
    assert (doc.id_map[y0:y1, x0:x1] == new).all()
    assert doc.area(existing) == int(left.sum()) - int(left[y0:y1, x0:x1].sum())


def test_shift_enter_adds_the_mask_to_the_selected_segment(qtbot, window):
    _tool, doc, existing, left = prepared(qtbot, window)
    doc.select([existing])
    count, history = len(doc.segments), len(doc.history)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    y0, x0, y1, x1 = RECT
    grown = left.copy()
    grown[y0:y1, x0:x1] = True
    assert np.array_equal(doc.id_map == existing, grown)
    assert len(doc.segments) == count and len(doc.history) == history + 1
    assert doc.selection == {existing}


def test_with_kept_model_outputs_enter_opens_the_picker_on_the_models_guesses(
        qtbot, make_window, tmp_path, sam2_dir):
    from gui.test_assist import make_project

    folder, _image = make_project(tmp_path)
    window = open_window(qtbot, make_window, folder, sam2_dir)
    tool = start(qtbot, window)
    doc = window.editor.document
    rect = (int(0.45 * doc.shape[0]), int(0.15 * doc.shape[1]),
            int(0.65 * doc.shape[0]), int(0.25 * doc.shape[1]))  # around the first person
    stub_decoder(window, rect)
    window.actions["protect"].trigger()  # the person is labeled already: take it over
    click(qtbot, window, rect[3] - 2, rect[2] - 2)
    qtbot.waitUntil(lambda: bool(tool.candidates), timeout=20_000)
    candidate = tool.candidate
    guesses = window.assist.context().region_guesses(candidate.box, candidate.mask)
    assert guesses and guesses[0][0] == doc.categories.find("person").id
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return)
    picker = window.assist.picker
    assert picker.isVisible()
    assert picker.picker.suggested_ids()[:len(guesses)] == [g for g, _ in guesses]
    qtbot.keyClick(picker.picker.filter, Qt.Key.Key_1)
    (new,) = doc.selection
    assert doc.segments[new].category_id == guesses[0][0]
    assert not picker.isVisible()


def test_a_missing_sam_model_is_a_status_message_and_the_window_works_on(
        qtbot, make_window, image_folder, tmp_path):
    configure_project(image_folder, None)
    window = open_window(qtbot, make_window, image_folder, tmp_path / "no-such-model")
    tool = window.editor.tools[TOOL]
    window.actions[f"tool:{TOOL}"].trigger()
    click(qtbot, window, 320, 240)
    qtbot.waitUntil(lambda: "unavailable" in window.status.currentMessage(), timeout=20_000)
    assert "no model folder at" in window.status.currentMessage()
    assert "\n" not in window.status.currentMessage()
    assert not tool.candidates
    window.editor.set_category(window.editor.document.categories.find("car").id)
    window.actions["tool:brush"].trigger()
    canvas = window.canvas
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton,
                     pos=canvas.mapFromScene(QPointF(100, 100)))
    assert len(window.editor.document.segments) == 1  # editing goes on
    window.actions[f"tool:{TOOL}"].trigger()  # a new try, and the same one line
    qtbot.waitUntil(lambda: "unavailable" in window.status.currentMessage(), timeout=20_000)


def test_the_model_menu_chooses_the_sam_model_for_the_project(qtbot, window):
    window.actions["sam_settings"].trigger()
    dialog = window.sam.dialog
    assert dialog is not None and dialog.isVisible()
    combo = dialog.model.combo
    combo.activated.emit(1)  # the list's second entry: its hub id, not its title
    assert dialog.model.text() == "facebook/sam2.1-hiera-small"
    dialog.keep_on_disk.setChecked(True)
    dialog._accept()
    project = window.session.project
    assert project.settings[MANIFEST_KEY]["model"] == "facebook/sam2.1-hiera-small"
    assert window.sam.engine.settings.keep_on_disk
    manifest = json.loads((project.folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["settings"][MANIFEST_KEY]["keep_on_disk"] is True


def test_an_image_of_the_same_name_in_another_project_gets_its_own_embedding(
        qtbot, window, tmp_path):
    start(qtbot, window)
    key = window.session.key
    other = tmp_path / "other"
    other.mkdir()
    for entry in window.session.project.images:
        image = np.asarray(Image.open(window.session.project.image_path(entry.key)))
        Image.fromarray(np.ascontiguousarray(image[::-1])).save(other / entry.rel_path)
    configure_project(other, None)
    with Project.open_or_create_for_images(other) as project:
        project.settings[MANIFEST_KEY] = window.session.project.settings[MANIFEST_KEY]
        project.save_manifest()
    with qtbot.waitSignal(window.session.image_opened, timeout=20_000):
        assert window.open_path(other)
    assert window.session.key == key and not window.sam.has_embedding(key)
    qtbot.waitUntil(lambda: window.sam.has_embedding(key), timeout=60_000)


def test_a_mask_waits_while_the_model_segments_the_image_since_its_result_replaces_it(
        qtbot, window, monkeypatch):
    tool, doc, _existing, _left = prepared(qtbot, window)
    monkeypatch.setattr(type(window.client), "view_pending", property(lambda _self: True))
    count = len(doc.segments)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return)
    assert len(doc.segments) == count and tool.candidates  # kept, to accept later
    assert "still segmenting this image" in window.status.currentMessage()
    monkeypatch.undo()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return)
    assert len(doc.segments) == count + 1


def test_locked_segments_keep_their_pixels_and_refuse_the_mask(qtbot, window):
    from panoptix.core.attributes import set_locked

    _tool, doc, existing, left = prepared(qtbot, window)
    set_locked(doc, [existing], True)
    window.actions["protect"].trigger()  # overwrite: but not what is locked
    assert not window.editor.protect_labeled
    doc.select([existing])
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert "locked" in window.status.currentMessage()  # adding to it is refused
    assert np.array_equal(doc.id_map == existing, left)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return)
    (new,) = doc.selection
    y0, x0, y1, x1 = RECT
    rect = np.zeros(doc.shape, bool)
    rect[y0:y1, x0:x1] = True
    assert np.array_equal(doc.id_map == new, rect & ~left)
    assert np.array_equal(doc.id_map == existing, left)
