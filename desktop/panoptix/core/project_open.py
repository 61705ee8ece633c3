"""Opening a project: creating one, opening one (read-only where the folder cannot be
written), and the project for a folder or a list of images (beside the images, else in the
user data folder). :class:`~panoptix.core.project.Project`'s class methods call these."""

from __future__ import annotations

import errno
import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from panoptix.core import atomic, imageio
from panoptix.core.atomic import StoreError
from panoptix.core.categories import CategorySet, load_table
from panoptix.core.folder_lock import FolderLock
from panoptix.core.image_table import TABLE_NAME, ImageTable
from panoptix.core.manifest import Manifest, ProjectError
from panoptix.core.paths import is_utf8_name, shown_name
from panoptix.core.project_layout import (
    ANNOTATIONS,
    MANIFEST_NAME,
    check_layout,
    default_project_folder,
    fallback_project_folder,
    project_folder,
)
from panoptix.core.project_store import open_image_table
from panoptix.core.regular_files import read_regular

if TYPE_CHECKING:
    from panoptix.core.project import Project

DEFAULT_CATEGORIES = "coco_panoptic"

_log = logging.getLogger(__name__)
_NOT_WRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS}


def create(cls: type[Project], folder: str | os.PathLike[str], image_root: str | os.PathLike[str],
           image_paths: Iterable[str | os.PathLike[str]], categories: CategorySet, *,
           settings: dict | None = None) -> Project:
    """A new project in ``folder`` (made if needed) for images under ``image_root``."""
    folder = project_folder(folder)
    if (folder / MANIFEST_NAME).exists():
        raise ProjectError(f"{folder} already holds a project; open it instead")
    root = os.path.abspath(image_root)
    if not is_utf8_name(root):
        raise ProjectError(f"the image folder {shown_name(root)} has a name that is not "
                           "valid UTF-8, which a project cannot store: rename it")
    check_layout(folder)
    try:
        (folder / ANNOTATIONS).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise atomic.os_error(exc, "create project folder", folder) from exc
    try:
        stored_root = os.path.relpath(root, folder)
    except ValueError:  # another drive (Windows)
        stored_root = root
    lock = FolderLock.acquire(folder)
    try:
        ImageTable.build(folder / TABLE_NAME, [])  # no project.json yet: not a project
        table = ImageTable.open(folder / TABLE_NAME, writable=True)
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    project = cls(folder, Manifest(stored_root, [], categories, dict(settings or {})),
                  lock, table)
    try:
        project._add(image_paths)
        project.save_manifest()
    except BaseException:
        project.close(save=False)
        raise
    return project


def open_project(cls: type[Project], folder: str | os.PathLike[str]) -> Project:
    """Open a project, cleaning up after a crash. A folder that cannot be written
    opens read-only (:attr:`read_only`); saving then fails with a clear StoreError."""
    folder = project_folder(folder)
    manifest_path = folder / MANIFEST_NAME
    try:
        raw = read_regular(manifest_path)
    except FileNotFoundError:
        raise ProjectError(f"no Panoptix project in {folder} ({MANIFEST_NAME} "
                           "is missing)") from None
    except OSError as exc:
        raise atomic.os_error(exc, "read", manifest_path) from exc
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProjectError(f"{manifest_path} is damaged: {' '.join(str(exc).split())}"
                           ) from exc
    try:
        manifest = Manifest.from_json(data)
    except ProjectError as exc:
        raise ProjectError(f"{manifest_path}: {exc}") from None
    check_layout(folder)
    lock = FolderLock.acquire(folder)
    try:
        table = (open_image_table(folder, manifest, writable=lock is not None)
                 or ImageTable.in_memory(manifest.images))  # read-only format 1
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    project = cls(folder, manifest, lock, table)
    if not project.read_only:
        project._recover()
    return project


def open_or_create_for_images(
        cls: type[Project], path: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], *,
        project_folder: str | os.PathLike[str] | None = None,
        categories: CategorySet | None = None, recursive: bool = True) -> Project:
    """The project for a folder of images or a list of image files.

    A project folder given directly is opened. Otherwise the project lives in
    ``project_folder`` if given, else beside the images (:func:`default_project_folder`)
    or, when that cannot be written, in the user data folder
    (:func:`fallback_project_folder`). An existing project gains the images it lacks
    (unless it is read-only); a new one gets ``categories`` (default: COCO panoptic).
    """
    paths = [path] if isinstance(path, str | os.PathLike) else list(path)
    skipped: list[str] = []
    if len(paths) == 1 and Path(paths[0]).is_dir():
        root = Path(os.path.abspath(paths[0]))
        if (root / MANIFEST_NAME).is_file():
            return open_project(cls, root)
        excluded = [project_folder] if project_folder is not None else []
        images: list[Path] = imageio.find_images(root, recursive, exclude=excluded,
                                                 skipped=skipped)
    elif len(paths) == 1 and not os.path.lexists(paths[0]):
        raise ProjectError(f"{shown_name(os.path.abspath(paths[0]))} does not exist")
    elif paths:
        images = [Path(os.path.abspath(p)) for p in paths]
        if not any(imageio.is_image_file(p) for p in images):
            raise ProjectError(f"{shown_name(images[0])}"
                               f"{' and the others are' if len(images) > 1 else ' is'} "
                               "not an image Panoptix reads (by its extension)")
        root = Path(os.path.commonpath([p.parent for p in images]))
    else:
        raise ProjectError("no images given")
    project = _open_or_create(cls, root, images, project_folder, categories)
    project.skipped[:0] = skipped
    return project


def _open_or_create(cls: type[Project], root: Path, images: list[Path],
                    project_folder: str | os.PathLike[str] | None,
                    categories: CategorySet | None) -> Project:
    candidates = ([Path(project_folder)] if project_folder is not None
                  else [default_project_folder(root), fallback_project_folder(root)])
    for candidate in candidates:
        if (candidate / MANIFEST_NAME).is_file():
            project = open_project(cls, candidate)
            try:
                if os.path.normcase(project.image_root) != os.path.normcase(root):
                    raise ProjectError(f"{candidate} belongs to images in "
                                       f"{project.image_root}, not {root}")
                if not project.read_only:  # a read-only project still opens, as it is
                    project.add_images(images)
            except BaseException:
                project.close(save=False)
                raise
            return project
    if not images:
        raise ProjectError(f"no images found in {root}")
    categories = categories or load_table(DEFAULT_CATEGORIES)
    try:
        return create(cls, candidates[0], root, images, categories)
    except StoreError as exc:
        if len(candidates) == 1 or exc.errno not in _NOT_WRITABLE:
            raise
        _log.warning("%s; keeping the project in %s instead", exc, candidates[1])
        return create(cls, candidates[1], root, images, categories)
