"""The threshold dock's switches with a model that advises them (as the demo model does):
shown as the model advises, kept unset until clicked, so they go on following the model."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from gui.test_assist import SETTINGS, make_project
from panoptix.core.project import Project
from panoptix.inference.assist import postprocess_document
from panoptix.inference.demo_model import demo_folder


def open_with(qtbot, make_window, folder: Path, settings: dict):  # noqa: ANN001, ANN201
    """A window on ``folder``, whose project holds these inference ``settings``."""
    with Project.open_or_create_for_images(folder) as project:
        project.settings["inference"] = settings
        project.save_manifest()
    window = make_window()
    window.session.auto_presegment = False
    with qtbot.waitSignal(window.session.image_opened, timeout=10_000):
        assert window.open_path(folder)
    return window


def test_switches_follow_the_models_advice_until_clicked(qtbot, make_window, tmp_path):  # noqa: ANN001
    model = tmp_path / "advising-model"
    model.mkdir()
    shutil.copy(demo_folder() / "config.json", model)  # advises both switches on
    folder, image = make_project(tmp_path)
    window = open_with(qtbot, make_window, folder, {"model": str(model), "device": "cpu"})
    panel, session = window.thresholds, window.session
    assert panel.switches["snap_edges"].isChecked() and panel.switches["split_parts"].isChecked()
    assert "as this model advises" in panel.switches["snap_edges"].toolTip()

    qtbot.waitUntil(lambda: window.assist.context() is not None)
    context = window.assist.context()
    assert context.split_parts  # a proposal at a click: the object's part there
    advised = SETTINGS.with_changes(model=str(model), threshold=0.5)
    with qtbot.waitSignal(session.document_replaced, timeout=10_000):
        panel.sliders["threshold"].setValue(0.5)
    fresh = postprocess_document(context.raw, context.model_categories, advised, image).document
    assert np.array_equal(window.editor.document.id_map, fresh.id_map)  # snapped and split
    assert session.settings.snap_edges is None and session.settings.split_parts is None
    assert session.project.settings["inference"]["snap_edges"] is None  # follows the model

    with qtbot.waitSignal(session.document_replaced, timeout=10_000):
        panel.switches["snap_edges"].setChecked(False)
    assert session.settings.snap_edges is False and session.settings.split_parts is None
    assert "as this model advises" not in panel.switches["snap_edges"].toolTip()
    assert "as this model advises" in panel.switches["split_parts"].toolTip()
    plain = postprocess_document(context.raw, context.model_categories,
                                 advised.with_changes(snap_edges=False), image).document
    assert np.array_equal(window.editor.document.id_map, plain.id_map)


def test_defaults_restores_the_thresholds_and_the_models_advice(qtbot, make_window, tmp_path):  # noqa: ANN001
    folder, _image = make_project(tmp_path)
    window = open_with(qtbot, make_window, folder, {
        "model": "demo", "device": "cpu", "threshold": 0.6, "snap_edges": False,
        "split_parts": False})
    panel, session = window.thresholds, window.session
    assert not panel.switches["snap_edges"].isChecked()
    assert panel.sliders["threshold"].value() == 0.6
    qtbot.waitUntil(lambda: window.assist.context() is not None)
    assert not window.assist.context().split_parts
    with qtbot.waitSignal(session.document_replaced, timeout=10_000):
        qtbot.mouseClick(panel.defaults, Qt.MouseButton.LeftButton)
    assert panel.sliders["threshold"].value() == 0.8
    assert panel.switches["snap_edges"].isChecked() and panel.switches["split_parts"].isChecked()
    settings = session.settings
    assert (settings.threshold, settings.snap_edges, settings.split_parts) == (0.8, None, None)
    assert settings.resolved_snap_edges and settings.resolved_split_parts  # the demo advises
    assert window.assist.context().split_parts


def test_the_dock_waits_for_a_project(qtbot, make_window, tmp_path):  # noqa: ANN001
    window = make_window()
    panel = window.thresholds
    assert not panel.isEnabled() and panel.sliders["threshold"].value() == 0.8
    folder, _image = make_project(tmp_path)
    with qtbot.waitSignal(window.session.image_opened, timeout=10_000):
        assert window.open_path(folder)
    assert panel.isEnabled()
