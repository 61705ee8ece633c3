"""Model ▸ Train on Done Images…: the dialog drives a separate process (a fake one here,
speaking the same JSON events), and a trained model replaces only unedited images."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import SAMPLES, configure_project
from panoptix.core.project import ImageStatus
from panoptix.gui.dialogs.train import ImageCounts, TrainDialog, format_eta, held_out_summary
from panoptix.training.record import describe

FAKE = Path(__file__).with_name("fake_train.py")


def fake_command(options: list[str]) -> tuple[str, list[str]]:
    return sys.executable, [str(FAKE), *options]


@pytest.fixture
def dialog(qtbot, tmp_path: Path) -> TrainDialog:  # noqa: ANN001
    project = tmp_path / "photos.panoptix"
    project.mkdir()
    widget = TrainDialog(project, "facebook/mask2former-swin-tiny-coco-panoptic",
                         ImageCounts(done=5, edited=1, unedited=3), command=fake_command)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_the_options_are_the_command_line(dialog: TrainDialog) -> None:
    dialog.name.setText("v1")
    options = dialog.options()
    assert options[:3] == [str(dialog.project), "--name", "v1"]
    assert options[3:] == ["--base", "facebook/mask2former-swin-tiny-coco-panoptic",
                           "--epochs", "10", "--device", "auto"]
    dialog.base.setCurrentIndex(1)
    dialog.unit.setCurrentText("steps")
    dialog.length.setValue(300)
    dialog.size.setValue(384)
    dialog.include_edited.setChecked(True)
    assert dialog.options()[3:] == ["--from-scratch", "small", "--steps", "300", "--size",
                                    "384", "--device", "auto", "--include-edited"]
    dialog.base.setEditText("/models/mine")
    assert dialog.options()[3:5] == ["--base", "/models/mine"]


def test_oneformer_bases_are_offered(dialog: TrainDialog) -> None:
    bases = [dialog.base.itemData(i) for i in range(dialog.base.count())]
    assert "shi-labs/oneformer_ade20k_swin_tiny" in bases
    assert "facebook/mask2former-swin-tiny-coco-panoptic" in bases
    dialog.base.setCurrentIndex(bases.index("shi-labs/oneformer_ade20k_swin_tiny"))
    assert dialog.options()[3:5] == ["--base", "shi-labs/oneformer_ade20k_swin_tiny"]


def test_a_run_shows_progress_and_offers_its_model(qtbot, dialog: TrainDialog) -> None:  # noqa: ANN001
    dialog.name.setText("v1")
    qtbot.mouseClick(dialog.start_button, _left())
    assert dialog.stop_button.isVisible() and not dialog.base.isEnabled()
    qtbot.waitUntil(lambda: dialog.use_button.isVisible(), timeout=30_000)
    assert [s for s, _ in dialog.plot.losses] == [1, 2, 3, 4]
    assert dialog.plot.pq == [(0, 0.0), (2, 0.4), (4, 0.8)]
    assert dialog.bar.value() == 4
    assert "validation PQ 80.0 (step 4)" in dialog.status.text()
    assert dialog.presegment_again.isVisible() and dialog.presegment_again.isChecked()
    assert "3 images not edited" in dialog.presegment_again.text()
    with qtbot.waitSignal(dialog.use_model) as blocker:
        qtbot.mouseClick(dialog.use_button, _left())
    assert blocker.args == [str(dialog.project / "models" / "v1"), True]
    dialog.grab()  # paints the plot with data


def test_stop_keeps_the_checkpoint_and_resume_continues(qtbot, dialog: TrainDialog) -> None:  # noqa: ANN001
    dialog.name.setText("wait")
    dialog.start()
    qtbot.waitUntil(lambda: len(dialog.plot.losses) == 2, timeout=30_000)
    qtbot.mouseClick(dialog.stop_button, _left())
    qtbot.waitUntil(lambda: dialog.resume_button.isVisible(), timeout=30_000)
    assert "Stopped at step 2" in dialog.status.text()
    assert not dialog.use_button.isVisible()
    dialog.name.setText("wait")
    qtbot.mouseClick(dialog.resume_button, _left())
    qtbot.waitUntil(lambda: dialog.use_button.isVisible(), timeout=30_000)
    assert [s for s, _ in dialog.plot.losses] == [1, 2, 3, 4]  # one curve across the stop


def test_a_crashed_process_is_one_line_and_the_window_goes_on(qtbot, dialog: TrainDialog) -> None:  # noqa: ANN001
    dialog.name.setText("crash")
    dialog.start()
    qtbot.waitUntil(lambda: bool(dialog.error.text()), timeout=30_000)
    assert dialog.error.text() == "the training process ended with exit code 3: " \
                                  "RuntimeError: boom"
    assert dialog.start_button.isVisible() and dialog.base.isEnabled()


def test_eta_reads_like_a_clock() -> None:
    assert format_eta(None) == "–"
    assert format_eta(75) == "1:15"
    assert format_eta(3 * 3600 + 62) == "3:01:02"


def test_the_model_in_use_says_where_it_came_from(tmp_path: Path) -> None:
    assert describe("facebook/mask2former-swin-tiny-coco-panoptic", False).kind == "hub"
    folder = tmp_path / "m"
    folder.mkdir()
    assert describe(str(folder), True).text == "m (local folder)"
    (folder / "training.json").write_text(
        '{"format": "panoptix-training", "name": "v1", "best": {"step": 9, "pq": 0.612},'
        ' "base": {"kind": "scratch", "model": "small"}, "steps": {"done": 9},'
        ' "images": {"train": ["a", "b"]}}')
    origin = describe(str(folder), True)
    assert origin.kind == "trained" and origin.text == "v1 (trained here, validation PQ 61.2)"
    assert "from scratch (small), 9 steps on 2 images" in origin.details


def test_a_new_model_presegments_again_only_what_nobody_edited(
        qtbot, make_window, image_folder: Path, tiny_model: Path, tmp_path: Path) -> None:  # noqa: ANN001
    shutil.copy2(SAMPLES / "kitchen_01.jpg", image_folder / "kitchen_01.jpg")
    configure_project(image_folder, tiny_model)
    trained = tmp_path / "v2"
    shutil.copytree(tiny_model, trained)
    (trained / "training.json").write_text(
        '{"format": "panoptix-training", "name": "v2", "best": {"step": 9, "pq": 0.5}}')
    window = make_window()
    assert window.open_path(image_folder)
    keys = window.images.keys()
    qtbot.waitUntil(lambda: all(window.session.status(k) == ImageStatus.PRESEGMENTED
                                for k in keys), timeout=60_000)
    project = window.session.project
    view_key = window.session.key
    done_key, edited_key, other_key = [k for k in keys if k != view_key]
    for key, status in ((done_key, ImageStatus.DONE), (edited_key, ImageStatus.EDITED)):
        project.save_document(key, project.load_document(key), status, model="by hand")
    kept = {k: project.load_document(k).id_map.copy() for k in (done_key, edited_key)}

    window.training.use_model(str(trained), True)
    assert window.session.settings.model == str(trained)
    qtbot.waitUntil(lambda: all(project.read_annotation(k).model == str(trained)
                                for k in (view_key, other_key)), timeout=60_000)
    qtbot.waitUntil(lambda: not window.client.busy, timeout=60_000)
    for key, id_map in kept.items():
        assert project.read_annotation(key).model == "by hand"
        assert np.array_equal(project.load_document(key).id_map, id_map)
    assert window.session.status(done_key) == ImageStatus.DONE
    assert window.session.status(edited_key) == ImageStatus.EDITED
    assert window.status.model.text() == \
        "model: v2 (trained here, validation PQ 50.0) on cpu"


def _left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_the_dialog_says_how_many_images_train_and_how_many_are_held_out() -> None:
    assert held_out_summary(1) == ("1 image is marked done: all train the model (5 or more "
                                   "are needed to hold some out, so there will be no "
                                   "validation PQ).")
    assert held_out_summary(4).startswith("4 images are marked done: all train")
    assert held_out_summary(5).endswith("; 1 of them is held out to measure the model "
                                        "(validation PQ).")
    assert "; 3 of them are held out" in held_out_summary(20)


def test_with_no_image_done_the_dialog_says_what_would_train(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    """Issue 19 E: 0 done images no longer reads "0 images are marked done: all train the
    model"; Start waits until the edited images are included."""
    project = tmp_path / "photos.panoptix"
    project.mkdir()
    widget = TrainDialog(project, "facebook/mask2former-swin-tiny-coco-panoptic",
                         ImageCounts(done=0, edited=3, unedited=2), command=fake_command)
    qtbot.addWidget(widget)
    widget.show()
    assert "0 images" not in widget.summary.text()
    assert widget.summary.text().startswith("No image is marked done yet")
    assert not widget.start_button.isEnabled()
    widget.include_edited.setChecked(True)
    assert widget.start_button.isEnabled()


def test_after_a_run_another_can_be_started(qtbot, dialog: TrainDialog) -> None:  # noqa: ANN001
    dialog.name.setText("v1")
    qtbot.mouseClick(dialog.start_button, _left())
    qtbot.waitUntil(lambda: dialog.use_button.isVisible(), timeout=30_000)
    assert dialog.base.isEnabled() and dialog.length.isEnabled()
    assert dialog.start_button.isVisible() and dialog.start_button.isEnabled()
    assert dialog.name.text() != "v1"  # the next run does not overwrite the first
    dialog.name.setText("v2")
    qtbot.mouseClick(dialog.start_button, _left())
    qtbot.waitUntil(lambda: dialog.use_button.isVisible() and not dialog.running,
                    timeout=30_000)
    assert dialog.model_folder == str(dialog.project / "models" / "v2")
