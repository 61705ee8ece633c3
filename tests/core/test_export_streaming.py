"""Exports at dataset sizes: memory that does not grow with the number of images, progress,
and reading a project the window holds open (one writer, many readers)."""

from __future__ import annotations

import shutil
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from conftest_coco import MAP_A, MAP_B, SEGMENTS_A, SEGMENTS_B, key_of, make_project, read_json

from panoptix.cli import main
from panoptix.core import coco_export
from panoptix.core.coco_export import ExportError, export_panoptic
from panoptix.core.document import Document
from panoptix.core.folder_lock import ProjectLockedError
from panoptix.core.instances_export import export_instances
from panoptix.core.manifest import ImageStatus
from panoptix.core.project import Project
from panoptix.core.project_reader import ProjectView
from panoptix.core.segment import Segment
from panoptix.core.semantic_export import export_semantic
from panoptix.core.validate import validate_panoptic

DONE = ImageStatus.DONE
EXPORTERS = {"coco-panoptic": export_panoptic, "semantic": export_semantic,
             "coco-instances": export_instances}
FILES = {"coco-panoptic": "panoptic_val.json", "semantic": "semantic_val.json",
         "coco-instances": "instances_val.json"}


def busy_map(seed: int, height: int = 144, width: int = 192) -> tuple[np.ndarray, dict]:
    """An id map with a stuff background and a dozen thing segments."""
    rng = np.random.default_rng(seed)
    id_map = np.full((height, width), 1, np.int64)
    segments = {1: (17, 0)}
    for segment_id in range(2, 14):
        y, x = (int(v) for v in rng.integers(0, (height - 16, width - 16)))
        id_map[y:y + 16, x:x + 16] = segment_id
    for segment_id in np.unique(id_map).tolist():
        segments.setdefault(segment_id, (1 if segment_id % 2 else 5, 0))
    return id_map, {i: segments[i] for i in np.unique(id_map).tolist()}


def large_project(folder: Path, count: int) -> Path:
    annotated = {f"d/i{n:04d}.jpg": (*busy_map(n), DONE) for n in range(count)}
    with make_project(folder, annotated) as project:
        return project.folder


def peak_bytes(export, folder: Path, out: Path) -> int:  # noqa: ANN001
    view = ProjectView.open(folder)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        export(view, out, "val", workers=1)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_export_memory_does_not_grow_with_the_number_of_images(tmp_path, fmt):
    small = large_project(tmp_path / "small", 40)
    large = large_project(tmp_path / "large", 240)
    small_peak = peak_bytes(EXPORTERS[fmt], small, tmp_path / "out-small")
    large_peak = peak_bytes(EXPORTERS[fmt], large, tmp_path / "out-large")
    assert large_peak < 2 * small_peak, (small_peak, large_peak)


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_progress_counts_every_image_once_in_order(tmp_path, fmt):
    folder = large_project(tmp_path, 12)
    seen: list[tuple[int, int]] = []
    EXPORTERS[fmt](ProjectView.open(folder), tmp_path / "out", "val", workers=3,
                   progress=lambda done, total: seen.append((done, total)))
    assert seen == [(n, 12) for n in range(1, 13)]


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_the_command_exports_while_the_window_holds_the_project(tmp_path, fmt, capsys):
    with make_project(tmp_path, {"a.jpg": (MAP_A, SEGMENTS_A, DONE),
                                 "b.jpg": (MAP_B, SEGMENTS_B, DONE)}) as project:
        code = main(["export", str(project.folder), "--out", str(tmp_path / "out"),
                     "--name", "val", "--format", fmt])
        assert code == 0, capsys.readouterr().err
        with pytest.raises(ProjectLockedError):  # writers still wait for the window
            Project.open(project.folder)
    assert (tmp_path / "out" / FILES[fmt]).is_file()


def test_a_save_between_reading_the_json_and_its_png_is_waited_out(tmp_path, monkeypatch):
    """The window saves the image just after the export read its JSON: the PNG that JSON
    names is deleted; the export reads the new JSON and copies the new PNG with it."""
    with make_project(tmp_path, {"a.jpg": (MAP_A, SEGMENTS_A, DONE)}) as project:
        key = key_of(project, "a.jpg")
        erased = np.where(MAP_A == 3, 0, MAP_A)  # person erased: two segments, not three
        later = Document(erased, {7: Segment(17), 9: Segment(5, True)}, project.categories)
        copy = shutil.copyfile

        def save_first(source, target):  # noqa: ANN001, ANN202
            if not saved:
                saved.append(project.save_document(key, later, status=DONE))
            return copy(source, target)

        saved: list[None] = []
        monkeypatch.setattr(coco_export.shutil, "copyfile", save_first)
        export_panoptic(ProjectView.open(project.folder), tmp_path / "out", "val")
    out = tmp_path / "out"
    assert saved and validate_panoptic(out / "panoptic_val.json") == []
    segments = read_json(out / "panoptic_val.json")["annotations"][0]["segments_info"]
    assert sorted(s["id"] for s in segments) == [7, 9]


@pytest.mark.parametrize("command", ["export", "evaluate"])
def test_the_commands_show_progress_on_a_terminal(tmp_path, capsys, monkeypatch, command):
    folder = large_project(tmp_path, 6)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    arguments = (["export", str(folder), "--out", str(tmp_path / "out")] if command == "export"
                 else ["evaluate", str(folder), str(folder)])
    assert main(arguments) == 0
    bar = capsys.readouterr().err
    assert f"{command}: 100%" in bar and "6/6" in bar


def test_a_damaged_png_to_re_encode_fails_the_export_in_one_line(tmp_path):
    """A category turned stuff after the save has its segments joined by decoding the
    stored PNG: one that cannot be decoded stops the export with one line naming it."""
    with make_project(tmp_path, {"a.jpg": (MAP_B, SEGMENTS_B, DONE)}) as project:
        project.categories.update(1, isthing=False)  # two person segments: 4 and 70000
        png = project.annotation_paths(key_of(project, "a.jpg"))[0]
        png.write_bytes(b"\x89PNG\r\n\x1a\n not a PNG")
        with pytest.raises(ExportError, match=r"export failed: .*a\.jpg@1\.png"):
            export_panoptic(project, tmp_path / "out", "val")
