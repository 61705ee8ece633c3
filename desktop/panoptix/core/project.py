"""The project store: a folder with ``project.json``, ``project.sqlite`` and one
annotation per image.

Layout (``photos.panoptix/`` beside ``photos/`` by default)::

    project.json                 manifest: image root, categories, settings (format 2)
    project.sqlite               image table: one row per image (path, status, size,
                                 uncertainty), SQLite in WAL mode (see image_table)
    project-v1.json.bak          the format 1 manifest, kept when it was migrated
    .lock                        held while open (see folder_lock)
    annotations/<key>.json       segments (id, category, iscrowd, score, source, area, bbox),
                                 status, model, and the name of its PNG
    annotations/<key>@<rev>.png  COCO panoptic PNG
    raw/<key>.npz                raw model outputs, written by the inference layer
    quarantine/<time>-<key>/     damaged annotations, moved aside, never deleted

Threads: saves of different images run in parallel; saves, loads and status changes of
one image are serialised by a per-image lock (:meth:`Project.locked`); the manifest has
its own lock; ``project.json`` is written whole and atomically when categories or settings
change, while a save or a status change writes its image's row only. The status in the
table is what lists show; the one in an annotation JSON is written first, so after a crash
it wins when the image is next read.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import numpy as np

from panoptix.core import annotation_file as files
from panoptix.core import atomic, imageio, project_open
from panoptix.core.annotation_file import AnnotationError, AnnotationRecord, DocumentSnapshot
from panoptix.core.atomic import StoreError
from panoptix.core.categories import CategorySet
from panoptix.core.document import Document
from panoptix.core.folder_lock import FolderLock
from panoptix.core.image_table import TABLE_NAME, ImageTable
from panoptix.core.manifest import (
    ImageEntry,
    ImageStatus,
    Manifest,
    ProjectError,
    make_key,
    safe_rel_path,
)
from panoptix.core.panoptic_png import PanopticPngError, read_panoptic_png
from panoptix.core.paths import is_utf8_name, shown_name
from panoptix.core.project_layout import (
    ANNOTATIONS,
    MANIFEST_NAME,
    QUARANTINE,
    RAW,
    default_project_folder,
    inside,
)
from panoptix.core.raw_budget import RawBudget, budget_bytes

__all__ = ["ANNOTATIONS", "MANIFEST_NAME", "AnnotationError", "AnnotationRecord", "ImageEntry",
           "ImageStatus", "Project", "ProjectError", "StoreError", "default_project_folder"]

_log = logging.getLogger(__name__)
_T = TypeVar("_T")


class Project:
    """An open project. Use :meth:`create`, :meth:`open` or
    :meth:`open_or_create_for_images`, and :meth:`close` it (or use ``with``)."""

    def __init__(self, folder: Path, manifest: Manifest, lock: FolderLock | None,
                 table: ImageTable | None) -> None:
        self.folder = folder
        self._manifest = manifest
        self._lock = lock
        self._table = table
        self._unsaved_rows: dict[str, None] = {}
        """Keys whose row changed in memory only (new images, image sizes), in order;
        written at the next save."""
        self.image_root = Path(os.path.normpath(folder / manifest.image_root))
        self._entries = {entry.key: entry for entry in manifest.images}
        self._counts = Counter(entry.status for entry in manifest.images)
        self._taken = {key.casefold() for key in self._entries}
        self._paths = {entry.rel_path for entry in manifest.images}
        self._manifest_lock = threading.RLock()
        self._key_locks: dict[str, threading.RLock] = {}
        self._key_locks_guard = threading.Lock()
        self.skipped: list[str] = []
        """Files found or given but not taken, one line each (names that are not UTF-8)."""
        self.raw_budget = RawBudget(folder / RAW, lambda: budget_bytes(self.settings),
                                    self._raw_viewed_times, self._note_raw_viewed)
        """The disk budget of ``raw/`` (see raw_budget); kept by the writer only."""
        if lock is not None:
            self.raw_budget.register()

    # -- opening (see project_open) -----------------------------------------------------
    @classmethod
    def create(cls, folder: str | os.PathLike[str], image_root: str | os.PathLike[str],
               image_paths: Iterable[str | os.PathLike[str]], categories: CategorySet, *,
               settings: dict | None = None) -> Project:
        """A new project in ``folder`` (made if needed) for images under ``image_root``."""
        return project_open.create(cls, folder, image_root, image_paths, categories,
                                   settings=settings)

    @classmethod
    def open(cls, folder: str | os.PathLike[str]) -> Project:
        """Open a project, cleaning up after a crash. A folder that cannot be written
        opens read-only (:attr:`read_only`); saving then fails with a clear StoreError."""
        return project_open.open_project(cls, folder)

    @classmethod
    def open_or_create_for_images(
            cls, path: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], *,
            project_folder: str | os.PathLike[str] | None = None,
            categories: CategorySet | None = None, recursive: bool = True) -> Project:
        """The project for a folder of images or a list of image files (see
        :func:`project_open.open_or_create_for_images`)."""
        return project_open.open_or_create_for_images(
            cls, path, project_folder=project_folder, categories=categories,
            recursive=recursive)

    def close(self, save: bool = True) -> None:
        """Write pending row changes (image sizes) and release the folder."""
        try:
            if save and self._unsaved_rows and not self.read_only:
                self._store_rows(())
        finally:
            self.raw_budget.release()
            if self._table is not None:
                self._table.close()
                self._table = None
            if self._lock is not None:
                self._lock.release()
                self._lock = None

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def read_only(self) -> bool:
        return self._lock is None

    # -- images ---------------------------------------------------------------------------
    @property
    def images(self) -> list[ImageEntry]:
        with self._manifest_lock:
            return list(self._entries.values())

    def query_table(self, read: Callable[[ImageTable], _T]) -> _T:
        """``read(table)`` under the project's lock: lists query the rows they show
        instead of holding every image (ProjectError once closed)."""
        with self._manifest_lock:
            if self._table is None:
                raise ProjectError(f"{self.folder} is closed")
            return read(self._table)

    def status_counts(self) -> dict[ImageStatus, int]:
        """How many images have each status (kept as statuses change, never recounted)."""
        with self._manifest_lock:
            return {status: self._counts[status] for status in ImageStatus}

    def entry(self, key: str) -> ImageEntry:
        with self._manifest_lock:
            try:
                return self._entries[key]
            except KeyError:
                raise ProjectError(f"no image with key {key!r} in this project") from None

    def image_path(self, key: str) -> Path:
        return self.image_root / self.entry(key).rel_path

    def add_images(self, paths: Iterable[str | os.PathLike[str]]) -> list[ImageEntry]:
        """Add image files (absolute, or relative to the image root); returns the new
        entries. Files already listed, missing, or not images are skipped; a file
        outside the image root is refused."""
        with self._manifest_lock:
            added = self._add(paths)
            self._store_rows(())
            return added

    def load_image(self, key: str) -> np.ndarray:
        """The image as read-only ``HxWx3`` RGB uint8, in displayed orientation."""
        image = imageio.load_image(self.image_path(key))
        self._note_size(key, image.shape[1], image.shape[0])
        return image

    def set_status(self, key: str, status: ImageStatus) -> None:
        status = ImageStatus(status)
        with self.locked(key):
            record = self._read_record_or_quarantine(key)
            if record is not None and record.status != status:
                files.rewrite_record(self._annotations, replace(record, status=status))
            self._update_entry(key, status=status)

    # -- annotations ----------------------------------------------------------------------
    @contextmanager
    def locked(self, key: str) -> Iterator[None]:
        """Hold ``key``'s lock: no save or load of that image runs meanwhile (e.g. while
        an export copies its PNG)."""
        self.entry(key)
        with self._key_locks_guard:
            lock = self._key_locks.setdefault(key, threading.RLock())
        with lock:
            yield

    def has_annotation(self, key: str) -> bool:
        return (self._annotations / files.json_name(self.entry(key).key)).is_file()

    def annotation_paths(self, key: str) -> tuple[Path, Path]:
        """``(png, json)`` of the saved annotation; the PNG's name changes with each save,
        so hold :meth:`locked` while using them."""
        record = self.read_annotation(key)
        if record is None:
            raise ProjectError(f"{self.entry(key).rel_path} has no saved annotation")
        return self._annotations / record.png, self._annotations / files.json_name(key)

    def read_annotation(self, key: str) -> AnnotationRecord | None:
        """The saved segments (with area and bbox), status and model, without the PNG."""
        with self.locked(key):
            record = self._read_record_or_quarantine(key)
            if record is not None:
                self._reconcile_status(key, record)
            return record

    def load_document(self, key: str) -> Document:
        """The saved document, or a blank one of the image's displayed size.

        A damaged annotation is moved to ``quarantine/`` and reported by an
        AnnotationError; loading again then gives a blank document.
        """
        with self.locked(key):
            record = self._read_record_or_quarantine(key)
            if record is None:
                width, height = self._image_size(key, required=True)  # type: ignore[misc]
                return Document.blank(height, width, self.categories)
            size = self._image_size(key)
            if size is not None and size != (record.width, record.height):
                raise ProjectError(
                    f"{self.entry(key).rel_path} is now {size[0]}x{size[1]} but its "
                    f"annotation is {record.width}x{record.height}")
            try:
                id_map = read_panoptic_png(self._annotations / record.png,
                                           (record.width, record.height))
                doc = files.to_document(record, id_map, self.categories)
            except (PanopticPngError, AnnotationError) as exc:
                raise self._quarantine(key, str(exc)) from exc
            except StoreError as exc:
                if exc.errno != errno.ENOENT:
                    raise
                raise self._quarantine(key, f"its PNG {record.png} is missing") from exc
            self._reconcile_status(key, record)
            return doc

    def save_document(self, key: str, doc: Document, status: ImageStatus | None = None,
                      model: str | None = None, *, uncertainty: float | None = None,
                      if_status: Collection[ImageStatus] | None = None) -> bool:
        """Save atomically; call on the thread that edits ``doc``. See :meth:`save_snapshot`."""
        return self.save_snapshot(key, DocumentSnapshot.of(doc), status, model,
                                  uncertainty=uncertainty, if_status=if_status)

    def save_snapshot(self, key: str, snapshot: DocumentSnapshot,
                      status: ImageStatus | None = None, model: str | None = None, *,
                      uncertainty: float | None = None,
                      if_status: Collection[ImageStatus] | None = None) -> bool:
        """Save a snapshot (any thread). ``status=None`` moves NEW and PRESEGMENTED to
        EDITED and keeps the others; ``model=None`` keeps the saved model. With
        ``if_status``, nothing is written (returns False) unless the image's status is one
        of those: a background pre-segmentation passes ``{NEW}`` so it never overwrites
        the user's edits."""
        with self.locked(key):
            entry = self.entry(key)
            if if_status is not None and entry.status not in if_status:
                return False
            size = self._image_size(key)
            if size is not None and size != (snapshot.shape[1], snapshot.shape[0]):
                raise ProjectError(f"cannot save a {snapshot.shape[1]}x{snapshot.shape[0]} "
                                   f"annotation for {entry.rel_path}, which is "
                                   f"{size[0]}x{size[1]}")
            try:
                previous = files.read_record(self._annotations, key)
            except AnnotationError as exc:
                moved = files.quarantine(self._annotations, key, self.folder / QUARANTINE)
                _log.warning("annotation of %s was damaged (%s); moved to %s before saving",
                             entry.rel_path, exc, moved)
                previous = None
            if status is None:
                status = (ImageStatus.EDITED if entry.status in (
                    ImageStatus.NEW, ImageStatus.PRESEGMENTED) else entry.status)
            if model is None and previous is not None:
                model = previous.model
            files.write_annotation(self._annotations, key, entry.rel_path, snapshot,
                                   ImageStatus(status), model, previous)
            changes: dict = {"status": ImageStatus(status)}
            if uncertainty is not None:
                changes["uncertainty"] = float(uncertainty)
            self._update_entry(key, **changes)
            return True

    def raw_outputs_path(self, key: str) -> Path:
        """Where the inference layer keeps this image's raw outputs (folder made here)."""
        folder = self.folder / RAW
        try:
            folder.mkdir(exist_ok=True)
        except OSError as exc:
            raise atomic.os_error(exc, "create", folder) from exc
        return folder / f"{self.entry(key).key}.npz"

    # -- categories and settings ----------------------------------------------------------
    @property
    def categories(self) -> CategorySet:
        """Edit in place (``add``/``update``), then :meth:`save_manifest`. Categories are
        never removed, so saved segments always keep a valid category."""
        return self._manifest.categories

    @property
    def settings(self) -> dict:
        """Model and inference settings (JSON values); :meth:`save_manifest` after edits."""
        return self._manifest.settings

    def save_manifest(self) -> None:
        """Write ``project.json`` (categories, settings) and any pending image rows."""
        with self._manifest_lock:
            atomic.write_json(self.folder / MANIFEST_NAME, self._manifest.to_json(), indent=1)
            self._store_rows(())

    @property
    def rows_written(self) -> int:
        """Image rows written since the project was opened (one per changed image)."""
        return 0 if self._table is None else self._table.rows_written

    # -- internals ------------------------------------------------------------------------
    @property
    def _annotations(self) -> Path:
        return self.folder / ANNOTATIONS

    def _add(self, paths: Iterable[str | os.PathLike[str]]) -> list[ImageEntry]:
        root = os.path.abspath(self.image_root)
        added: list[ImageEntry] = []
        with self._manifest_lock:
            for path in paths:
                full = os.path.abspath(os.path.join(root, path))
                relative = os.path.relpath(full, root) if _same_drive(full, root) else full
                if os.path.isabs(relative) or relative.split(os.sep)[0] == os.pardir:
                    raise ProjectError(f"{full} is outside the image folder {root}")
                if not is_utf8_name(relative):
                    self.skipped.append(f"{shown_name(relative)}: the name is not valid "
                                        "UTF-8; rename it")
                    continue
                if inside(full, self.folder):
                    continue  # the project's own files are never images
                rel_path = safe_rel_path(Path(relative).as_posix())
                if (rel_path in self._paths or not imageio.is_image_file(full)
                        or not os.path.isfile(full)):
                    continue
                entry = ImageEntry(make_key(rel_path, self._taken), rel_path)
                self._entries[entry.key] = entry
                self._counts[entry.status] += 1
                self._paths.add(rel_path)
                self._unsaved_rows[entry.key] = None
                added.append(entry)
        return added

    def _update_entry(self, key: str, **changes: object) -> None:
        with self._manifest_lock:
            current = self._entries[key]
            updated = replace(current, **changes)
            if updated != current:
                self._entries[key] = updated
                self._counts[current.status] -= 1
                self._counts[updated.status] += 1
                self._store_rows((key,))

    def _raw_viewed_times(self) -> dict[str, float]:
        with self._manifest_lock:
            return {} if self._table is None else self._table.viewed_times()

    def _note_raw_viewed(self, key: str, when: float) -> None:
        with self._manifest_lock:
            if self._table is not None and self._table.writable:
                self._table.note_viewed(key, when)

    def _store_rows(self, keys: Iterable[str]) -> None:
        """Write these images' rows, and those changed in memory only, in one commit."""
        with self._manifest_lock:
            pending = [*self._unsaved_rows, *(k for k in keys if k not in self._unsaved_rows)]
            if not pending:
                return
            if self._table is None or not self._table.writable:
                raise StoreError(f"cannot write {self.folder / TABLE_NAME}: the project is "
                                 "open read-only", errno.EROFS)
            self._table.put(self._entries[key] for key in pending)
            self._unsaved_rows.clear()

    def _image_size(self, key: str, required: bool = False) -> tuple[int, int] | None:
        """The image's displayed size, read from its header once; None if unreadable,
        unless ``required`` (then the ImageLoadError says why)."""
        entry = self.entry(key)
        if entry.width is not None and entry.height is not None:
            return entry.width, entry.height
        try:
            width, height = imageio.image_size(self.image_path(key))
        except imageio.ImageLoadError:
            if required:
                raise
            return None
        self._note_size(key, width, height)
        return width, height

    def _note_size(self, key: str, width: int, height: int) -> None:
        with self._manifest_lock:
            current = self._entries[key]
            if (current.width, current.height) != (width, height):
                self._entries[key] = replace(current, width=width, height=height)
                self._unsaved_rows[key] = None

    def _read_record_or_quarantine(self, key: str) -> AnnotationRecord | None:
        try:
            return files.read_record(self._annotations, key)
        except AnnotationError as exc:
            raise self._quarantine(key, str(exc)) from exc

    def _quarantine(self, key: str, reason: str) -> AnnotationError:
        """Move a damaged annotation aside; the error to raise says what happened."""
        name = self.entry(key).rel_path
        try:
            moved = files.quarantine(self._annotations, key, self.folder / QUARANTINE)
        except StoreError as exc:
            return AnnotationError(f"annotation of {name} is damaged ({reason}) and could not "
                                   f"be moved aside ({exc})")
        self._update_entry(key, status=ImageStatus.NEW)
        return AnnotationError(f"annotation of {name} was damaged ({reason}); moved to "
                               f"{moved}, the image starts blank")

    def _reconcile_status(self, key: str, record: AnnotationRecord) -> None:
        if self.entry(key).status != record.status and not self.read_only:
            self._update_entry(key, status=record.status)

    def _recover(self) -> None:
        """Remove what a killed writer left: temp files and PNGs no JSON names."""
        with contextlib.suppress(OSError):  # a save reports it if this really fails
            self._annotations.mkdir(exist_ok=True)
        for folder in (self.folder, self._annotations, self.folder / RAW):
            atomic.remove_temp_files(folder)
        removed = files.remove_orphans(self._annotations)
        if removed:
            _log.info("removed %d unfinished annotation file(s) in %s", removed, self.folder)


def _same_drive(a: str, b: str) -> bool:
    return os.path.splitdrive(a)[0].casefold() == os.path.splitdrive(b)[0].casefold()
