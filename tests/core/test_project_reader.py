"""Reading a project that is open (and saving) elsewhere, without its lock."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from panoptix.core import project_reader
from panoptix.core.categories import load_table
from panoptix.core.document import Document
from panoptix.core.manifest import ProjectError
from panoptix.core.project import ImageStatus, Project
from panoptix.core.segment import Segment


def _project(tmp_path: Path) -> Project:
    images = tmp_path / "images"
    images.mkdir()
    cv2.imwrite(str(images / "a.png"), np.zeros((20, 30, 3), np.uint8))
    return Project.create(tmp_path / "p", images, [images / "a.png"], load_table("coco_panoptic"))


def _document(project: Project, category: str, rows: int) -> Document:
    ids = np.zeros((20, 30), np.int32)
    ids[:rows] = 1
    return Document(ids, {1: Segment(project.categories.find(category).id)},
                    project.categories)


def test_a_save_between_json_and_png_is_read_again(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with _project(tmp_path) as project:  # the lock stays held, as by the window
        key = project.images[0].key
        project.save_document(key, _document(project, "person", 5), ImageStatus.DONE)
        real_read = project_reader.read_panoptic_png
        calls = []

        def read_while_saving(path):  # noqa: ANN001
            if not calls:  # the window saves a new revision: the old PNG goes
                project.save_document(key, _document(project, "car", 12), ImageStatus.DONE)
            calls.append(path)
            return real_read(path)

        monkeypatch.setattr(project_reader, "read_panoptic_png", read_while_saving)
        document = project_reader.read_saved_document(project.folder, key, project.categories)
    assert len(calls) == 2 and calls[0] != calls[1]
    assert document is not None and (document.id_map == 1).sum() == 12 * 30
    assert project.categories[document.segments[1].category_id].name == "car"


def test_no_annotation_and_no_project(tmp_path: Path) -> None:
    with _project(tmp_path) as project:
        key = project.images[0].key
        assert project_reader.read_saved_document(project.folder, key,
                                                  project.categories) is None
        assert project_reader.read_manifest(project.folder).images[0].key == key
    with pytest.raises(ProjectError, match="no Panoptix project in"):
        project_reader.read_manifest(tmp_path)
    (tmp_path / "project.json").write_text("{")
    with pytest.raises(ProjectError, match="project.json: "):
        project_reader.read_manifest(tmp_path)
