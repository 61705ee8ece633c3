"""The export dialog: COCO panoptic, semantic and instances, then the validator's report.

Export runs on a superqt worker thread so the window stays responsive, a progress bar
counting the images; the COCO panoptic result is validated image by image as it is written
(``export_panoptic``) before success is reported. The naming options (flat names,
images placed in the dataset folder, image ids from a reference JSON) and the semantic ids
are those of ``panoptix export``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QWidget,
)
from superqt.utils import create_worker

from panoptix.core.coco_export import (
    ExportError,
    ExportResult,
    check_name,
    default_name,
    export_panoptic,
)
from panoptix.core.export_names import ExportNaming
from panoptix.core.instances_export import export_instances
from panoptix.core.project import ImageStatus, Project
from panoptix.core.reference_ids import ReferenceIdsError, ReferenceImages
from panoptix.core.semantic_export import DEFAULT_IDS, export_semantic


@dataclass(frozen=True)
class ExportFormat:
    key: str
    title: str
    export: Callable[..., ExportResult]


FORMATS = (
    ExportFormat("panoptic", "COCO panoptic (JSON + PNGs)", export_panoptic),
    ExportFormat("semantic", "Semantic masks (JSON + PNGs)", export_semantic),
    ExportFormat("instances", "COCO instances (JSON, RLE masks)", export_instances),
)


IMAGE_CHOICES = (
    ("Images stay where they are", None),
    ("Copy the images into the dataset folder", "copy"),
    ("Hard-link the images into the dataset folder", "link"),
    ("Images as <PNG name>.jpg in the dataset folder (detectron2)", "jpeg"),
)
SEMANTIC_IDS = (("Semantic pixels: training ids 0..N-1, 255 unlabeled", "train"),
                ("Semantic pixels: category ids", "category"))


def run_export(project: Project, out_dir: Path, formats: list[ExportFormat],
               only_done: bool, name: str | None = None,
               naming: ExportNaming = ExportNaming(),  # noqa: B008
               semantic_ids: str = DEFAULT_IDS,
               progress: Callable[[str, int, int], None] | None = None) -> list[str]:
    """Export (each format checks what it writes); returns report lines. Runs on a worker
    thread; ``progress(format title, images done, images in all)``."""
    lines = []
    for fmt in formats:
        extra = {"ids": semantic_ids} if fmt.key == "semantic" else {}
        if progress is not None:
            extra["progress"] = partial(progress, fmt.title)
        result = fmt.export(project, out_dir, name, only_done=only_done, naming=naming,
                            **extra)
        lines.append(f"{fmt.title}: {result.images} images, {result.segments} segments")
        lines.extend(f"  {path}" for path in result.paths)
        if result.skipped:
            lines.append(f"  skipped (not annotated yet): {', '.join(result.skipped[:10])}")
        lines.extend(f"  note: {note}" for note in result.notes)
        if fmt.key == "panoptic":
            lines.append("  validated: no problems")
    return lines


def export_warning(statuses: list[ImageStatus], only_done: bool) -> str:
    """What the export would include that is not finished work, with counts; empty when
    every image is marked done."""
    counts = Counter(statuses)
    done = counts[ImageStatus.DONE]
    if only_done:
        left = len(statuses) - done
        return (f"Only the {done} image{_s(done)} marked done will be exported; {left} "
                f"other{_s(left)} left out." if left else "")
    parts = []
    if counts[ImageStatus.PRESEGMENTED]:
        n = counts[ImageStatus.PRESEGMENTED]
        parts.append(f"{n} pre-segmented image{_s(n)} nobody has checked (untouched model "
                     "output)")
    if counts[ImageStatus.EDITED]:
        n = counts[ImageStatus.EDITED]
        parts.append(f"{n} edited image{_s(n)} not marked done")
    text = ("Not done: " + " and ".join(parts) + " would be exported.") if parts else ""
    if counts[ImageStatus.NEW]:
        n = counts[ImageStatus.NEW]
        text += (" " if text else "") + (f"{n} new image{_s(n)} without annotation "
                                         "will be skipped.")
    return text


def _s(count: int) -> str:
    return "" if count == 1 else "s"


class ExportDialog(QDialog):
    finished_export = Signal(bool)
    """True when every format exported and validated."""
    progressed = Signal(str, int, int)
    """(format title, images done, images in all), from the export's thread."""

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.project = project
        self.folder = QLineEdit(str(project.folder / "export"))
        browse = QPushButton("Choose…", autoDefault=False)  # Return still exports
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        self.checks = {fmt.key: QCheckBox(fmt.title) for fmt in FORMATS}
        self.checks["panoptic"].setChecked(True)
        self.name = QLineEdit(default_name(project))
        self.name.setToolTip("Names the files: panoptic_<name>.json and panoptic_<name>/ "
                             "(as the command line's --name)")
        self.name.textChanged.connect(self._check_name)
        self.only_done = QCheckBox("Only images marked done")
        self.only_done.toggled.connect(self._update_warning)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #e65100;")
        self.flat_names = QCheckBox("Flat names with one dot (x/b.2024.jpg → x_b_2024.jpg)")
        self.images = _choices(IMAGE_CHOICES)
        self.semantic_ids = _choices(SEMANTIC_IDS)
        self.reference = QLineEdit()
        self.reference.setPlaceholderText("the project's own")
        self.reference.setToolTip("A COCO JSON (the ground truth) whose image ids the export "
                                  "takes by file name, so that panopticapi and detectron2, "
                                  "which pair by image_id, pair it correctly (as the command "
                                  "line's --image-ids-from)")
        choose_reference = QPushButton("Choose…")
        choose_reference.clicked.connect(self._browse_reference)
        reference_row = QHBoxLayout()
        reference_row.addWidget(self.reference, 1)
        reference_row.addWidget(choose_reference)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.progressed.connect(self._show_progress)
        self.report = QPlainTextEdit(readOnly=True)
        self.report.setMinimumHeight(160)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.clicked.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Folder", row)
        form.addRow("Dataset name", self.name)
        for check in self.checks.values():
            form.addRow("", check)
        form.addRow("", self.only_done)
        form.addRow("", self.flat_names)
        form.addRow("", self.images)
        form.addRow("", self.semantic_ids)
        form.addRow("Image ids from", reference_row)
        form.addRow(self.warning)
        form.addRow(self.progress)
        form.addRow(self.report)
        form.addRow(self.buttons)
        self.export_button.setDefault(True)  # Return exports (once the button is in here)
        self.resize(560, 460)
        self._worker = None
        self._update_warning()

    def _update_warning(self) -> None:
        statuses = [entry.status for entry in self.project.images]
        self.warning.setText(export_warning(statuses, self.only_done.isChecked()))
        self.warning.setVisible(bool(self.warning.text()))

    def _check_name(self) -> bool:
        try:
            check_name(self.name.text().strip())
        except ExportError as exc:
            self.name.setToolTip(str(exc))
            self.name.setStyleSheet("background: #ffcdd2;")
            return False
        self.name.setToolTip("Names the files: panoptic_<name>.json and panoptic_<name>/")
        self.name.setStyleSheet("")
        return True

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export to", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def _browse_reference(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Image ids from", self.reference.text(),
                                              "COCO JSON (*.json)")
        if path:
            self.reference.setText(path)

    def start(self) -> None:
        formats = [fmt for fmt in FORMATS if self.checks[fmt.key].isChecked()]
        if not formats:
            self.report.setPlainText("choose at least one format")
            return
        if not self._check_name():
            self.report.setPlainText(self.name.toolTip())
            return
        reference = None
        if self.reference.text().strip():
            try:
                reference = ReferenceImages.read(Path(self.reference.text().strip()))
            except ReferenceIdsError as exc:
                self.report.setPlainText(f"image ids from: {exc}")
                return
        self.export_button.setEnabled(False)
        self.report.setPlainText("exporting…")
        naming = ExportNaming(flat=self.flat_names.isChecked(), images=self.images.currentData(),
                              reference=reference)
        self._worker = create_worker(run_export, self.project, Path(self.folder.text()),
                                     formats, self.only_done.isChecked(),
                                     self.name.text().strip(), naming,
                                     self.semantic_ids.currentData(), self.progressed.emit,
                                     _connect={"returned": self._done, "errored": self._error})

    def _show_progress(self, title: str, done: int, total: int) -> None:
        self.progress.setVisible(True)
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat(f"{title}: %v / %m images")

    def _done(self, lines: list[str]) -> None:
        self.export_button.setEnabled(True)
        self.report.setPlainText("\n".join(lines))
        self.finished_export.emit(True)

    def _error(self, error: Exception) -> None:
        self.export_button.setEnabled(True)
        self.report.setPlainText(f"export failed: {error}")
        self.finished_export.emit(False)


def _choices(choices: tuple[tuple[str, str | None], ...]) -> QComboBox:
    box = QComboBox()
    for title, value in choices:
        box.addItem(title, value)
    return box
