"""The export dialog: COCO panoptic, semantic and instances, then the validator's report.

Export runs on a superqt worker thread so the window stays responsive; the COCO panoptic
result is always validated before success is reported.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)
from superqt.utils import create_worker

from panoptix.core.project import Project
from panoptix.core.validate import validate_panoptic


@dataclass(frozen=True)
class ExportFormat:
    key: str
    title: str
    module: str
    function: str
    """``function(project, out_dir, only_done=...) -> Path`` of the written JSON."""

    def exporter(self) -> Callable[..., Path]:
        return getattr(importlib.import_module(self.module), self.function)


FORMATS = (
    ExportFormat("panoptic", "COCO panoptic (JSON + PNGs)", "panoptix.core.coco_export",
                 "export_panoptic"),
    ExportFormat("semantic", "Semantic masks (PNG per image)", "panoptix.core.semantic_export",
                 "export_semantic"),
    ExportFormat("instances", "COCO instances (JSON, RLE masks)",
                 "panoptix.core.instances_export", "export_instances"),
)


def run_export(project: Project, out_dir: Path, formats: list[ExportFormat],
               only_done: bool) -> list[str]:
    """Export and validate; returns report lines. Runs on a worker thread."""
    lines = []
    for fmt in formats:
        path = fmt.exporter()(project, out_dir, only_done=only_done)
        lines.append(f"{fmt.title}: {path}")
        if fmt.key == "panoptic":
            problems = validate_panoptic(Path(path))
            if problems:
                lines.append(f"  validation FAILED: {len(problems)} problems")
                lines.extend(f"  - {problem}" for problem in problems[:50])
            else:
                lines.append("  validated: no problems")
    return lines


class ExportDialog(QDialog):
    finished_export = Signal(bool)
    """True when every format exported and validated."""

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.project = project
        self.folder = QLineEdit(str(project.folder / "export"))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        self.checks = {fmt.key: QCheckBox(fmt.title) for fmt in FORMATS}
        self.checks["panoptic"].setChecked(True)
        self.only_done = QCheckBox("Only images marked done")
        self.report = QPlainTextEdit(readOnly=True)
        self.report.setMinimumHeight(160)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.clicked.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Folder", row)
        for check in self.checks.values():
            form.addRow("", check)
        form.addRow("", self.only_done)
        form.addRow(self.report)
        form.addRow(self.buttons)
        self.resize(560, 420)
        self._worker = None

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export to", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def start(self) -> None:
        formats = [fmt for fmt in FORMATS if self.checks[fmt.key].isChecked()]
        if not formats:
            self.report.setPlainText("choose at least one format")
            return
        self.export_button.setEnabled(False)
        self.report.setPlainText("exporting…")
        self._worker = create_worker(run_export, self.project, Path(self.folder.text()),
                                     formats, self.only_done.isChecked(),
                                     _connect={"returned": self._done, "errored": self._error})

    def _done(self, lines: list[str]) -> None:
        self.export_button.setEnabled(True)
        self.report.setPlainText("\n".join(lines))
        self.finished_export.emit(not any("FAILED" in line for line in lines))

    def _error(self, error: Exception) -> None:
        self.export_button.setEnabled(True)
        self.report.setPlainText(f"export failed: {error}")
        self.finished_export.emit(False)
