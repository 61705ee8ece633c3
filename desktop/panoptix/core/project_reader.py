"""Reading a project that may be open elsewhere: no lock is taken and nothing is written.

``panoptix evaluate``, ``panoptix export`` and ``panoptix train`` must work while the window
has the project open and keeps saving. That is safe without the lock because a save writes a new PNG
before the JSON that names it and deletes the old PNG last: a read that finds its PNG gone
re-reads the JSON and tries again. The image list is read from ``project.sqlite`` in
WAL mode, which lets a reader see the last committed state while the writer goes on. A
damaged annotation is reported, never moved aside
(that needs the lock). :class:`ProjectView` is such a project as an exporter takes it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from panoptix.core.annotation_file import AnnotationRecord, read_record, to_document
from panoptix.core.atomic import StoreError
from panoptix.core.categories import CategorySet
from panoptix.core.document import Document
from panoptix.core.manifest import ImageEntry, Manifest, ProjectError
from panoptix.core.messages import one_line
from panoptix.core.panoptic_png import read_panoptic_png
from panoptix.core.project_layout import ANNOTATIONS, MANIFEST_NAME, project_folder
from panoptix.core.project_store import read_images
from panoptix.core.regular_files import read_regular

READ_ATTEMPTS = 5
"""Saves that may replace an image's PNG between our reading its JSON and its PNG."""
T = TypeVar("T")


@dataclass(frozen=True)
class ProjectView:
    """A project as last saved, read without its lock: what an export needs of it (the
    window's open :class:`~panoptix.core.project.Project` has the same attributes)."""

    folder: Path
    manifest: Manifest

    @classmethod
    def open(cls, folder: str | os.PathLike[str]) -> ProjectView:
        folder = project_folder(folder)
        return cls(folder, read_manifest(folder))

    @property
    def images(self) -> list[ImageEntry]:
        return self.manifest.images

    @property
    def categories(self) -> CategorySet:
        return self.manifest.categories

    @property
    def settings(self) -> dict:
        return self.manifest.settings

    @property
    def image_root(self) -> Path:
        return Path(os.path.normpath(self.folder / self.manifest.image_root))


def read_manifest(folder: Path) -> Manifest:
    """The project's manifest with its image list (from ``project.sqlite``, as last
    committed by the writer); raises :class:`ProjectError` in one line naming the file."""
    path = folder / MANIFEST_NAME
    try:
        data = json.loads(read_regular(path).decode("utf-8"))
    except FileNotFoundError:
        raise ProjectError(f"no Panoptix project in {folder} ({MANIFEST_NAME} is "
                           "missing)") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProjectError(f"{path}: {one_line(exc)}") from None
    try:
        manifest = Manifest.from_json(data)
    except ProjectError as exc:
        raise ProjectError(f"{path}: {exc}") from None
    read_images(folder, manifest)
    return manifest


def read_saved(folder: Path, key: str, use: Callable[[AnnotationRecord, Path], T]
               ) -> T | None:
    """``use(record, png)`` on the saved record of ``key`` and the PNG it names, read
    together (None without a record): when the PNG is gone, saved again meanwhile, the
    JSON is read again. Raises what ``read_record`` and ``use`` raise."""
    annotations = folder / ANNOTATIONS
    for attempt in range(1, READ_ATTEMPTS + 1):
        record = read_record(annotations, key)
        if record is None:
            return None
        png = annotations / record.png
        try:
            return use(record, png)
        except (OSError, StoreError):
            if attempt == READ_ATTEMPTS or os.path.lexists(png):
                raise
    raise AssertionError("unreachable")


def read_saved_document(folder: Path, key: str, categories: CategorySet) -> Document | None:
    """The saved annotation of ``key`` (None without one). Raises ``StoreError``
    (``AnnotationError`` for a damaged one) or ``PanopticPngError``."""
    return read_saved(folder, key, lambda record, png: to_document(
        record, read_panoptic_png(png), categories))
