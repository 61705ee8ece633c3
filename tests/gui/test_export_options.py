"""The export dialog offers what ``panoptix export`` does: flat names, images placed in the
dataset folder, and the semantic pixel ids."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from panoptix.core.categories import load_table
from panoptix.core.document import Document
from panoptix.core.imageio import image_size
from panoptix.core.manifest import ImageStatus
from panoptix.core.project import Project
from panoptix.core.segment import Segment
from panoptix.gui.dialogs.export import FORMATS, ExportDialog


def test_the_dialog_exports_flat_names_jpegs_and_category_ids(qtbot, image_folder: Path,
                                                              tmp_path: Path) -> None:
    categories = load_table("coco_panoptic")
    project = Project.open_or_create_for_images(image_folder, categories=categories)
    for entry in project.images:
        width, height = image_size(project.image_root / entry.rel_path)
        id_map = np.zeros((height, width), np.int32)
        id_map[: height // 2] = 1
        project.save_document(entry.key, Document(id_map, {1: Segment(3, False)}, categories),
                              status=ImageStatus.DONE)
    dialog = ExportDialog(project)
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(tmp_path / "out"))
    for check in dialog.checks.values():
        check.setChecked(True)
    dialog.flat_names.setChecked(True)
    dialog.images.setCurrentIndex(dialog.images.findData("jpeg"))
    dialog.semantic_ids.setCurrentIndex(dialog.semantic_ids.findData("category"))
    with qtbot.waitSignal(dialog.finished_export, timeout=60_000) as blocker:
        dialog.start()
    project.close()
    assert blocker.args == [True], dialog.report.toPlainText()
    name = project.folder.name.removesuffix(".panoptix")
    panoptic = json.loads((tmp_path / "out" / f"panoptic_{name}.json").read_text())
    for annotation in panoptic["annotations"]:
        assert (tmp_path / "out" / name / (annotation["file_name"][:-4] + ".jpg")).is_file()
    classes = json.loads((tmp_path / "out" / f"semantic_{name}_classes.json").read_text())
    assert classes["ids"] == "category"


def test_the_dialog_takes_image_ids_from_a_reference_json(qtbot, image_folder: Path,
                                                          tmp_path: Path) -> None:
    categories = load_table("coco_panoptic")
    project = Project.open_or_create_for_images(image_folder, categories=categories)
    for entry in project.images:
        width, height = image_size(project.image_root / entry.rel_path)
        id_map = np.ones((height, width), np.int32)
        project.save_document(entry.key, Document(id_map, {1: Segment(3, False)}, categories),
                              status=ImageStatus.DONE)
    reference = tmp_path / "gt.json"
    reference.write_text(json.dumps({"images": [
        {"id": 31, "file_name": "street_01.jpg"}, {"id": 7, "file_name": "val/park_01.jpg"},
        {"id": 2, "file_name": "lake_01.jpg"}]}))
    dialog = ExportDialog(project)
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.reference.setText(str(reference))
    with qtbot.waitSignal(dialog.finished_export, timeout=60_000) as blocker:
        dialog.start()
    project.close()
    report = dialog.report.toPlainText()
    assert blocker.args == [True], report
    name = project.folder.name.removesuffix(".panoptix")
    panoptic = json.loads((tmp_path / "out" / f"panoptic_{name}.json").read_text())
    assert {r["original_file_name"]: r["id"] for r in panoptic["images"]} == {
        "street_01.jpg": 31, "park_01.jpg": 7, "harbour_01.jpg": 32}
    assert "note: 1 image not in gt.json (ids from 32 on): harbour_01.jpg" in report
    assert "gt.json has 1 image that the export lacks" in report

    reference.write_text("{}")
    dialog.start()  # a bad reference: one line, no export
    assert dialog.report.toPlainText().startswith("image ids from: ")
    assert "no images[] list" in dialog.report.toPlainText()


def test_return_exports(qtbot, image_folder: Path, tmp_path: Path) -> None:
    """Export is the dialog's default button (issue 20): Return in a field exports."""
    from PySide6.QtCore import Qt

    project = Project.open_or_create_for_images(image_folder,
                                                categories=load_table("coco_panoptic"))
    dialog = ExportDialog(project)
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.export_button.isDefault()
    dialog.name.setFocus()
    with qtbot.waitSignal(dialog.finished_export, timeout=60_000):
        qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    project.close()
    assert dialog.isVisible()  # the report stays readable
    name = project.folder.name.removesuffix(".panoptix")
    assert (tmp_path / "out" / f"panoptic_{name}.json").is_file()


def test_the_dialog_shows_each_formats_progress(qtbot, image_folder: Path, tmp_path: Path):
    """A large project's export takes a while: a bar counts the images of each format."""
    categories = load_table("coco_panoptic")
    project = Project.open_or_create_for_images(image_folder, categories=categories)
    for entry in project.images:
        width, height = image_size(project.image_root / entry.rel_path)
        project.save_document(entry.key, Document(np.ones((height, width), np.int32),
                                                  {1: Segment(3, False)}, categories),
                              status=ImageStatus.DONE)
    total = len(project.images)
    dialog = ExportDialog(project)
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.checks["instances"].setChecked(True)
    seen: list[tuple[str, int, int]] = []
    dialog.progressed.connect(lambda *args: seen.append(args))
    with qtbot.waitSignal(dialog.finished_export, timeout=60_000) as blocker:
        dialog.start()
    project.close()
    assert blocker.args == [True], dialog.report.toPlainText()
    titles = [fmt.title for fmt in FORMATS if fmt.key in ("panoptic", "instances")]
    assert seen == [(title, done, total) for title in titles for done in range(1, total + 1)]
    assert not dialog.progress.isHidden()
    assert (dialog.progress.value(), dialog.progress.maximum()) == (total, total)
    assert dialog.progress.text().startswith(f"{titles[-1]}: {total} / {total}")
