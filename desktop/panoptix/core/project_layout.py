"""Where a project lives and what it holds: its folder beside the images (or in the user
data folder), the names of its files, and the check that its own folders are real ones."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from platformdirs import user_data_path

from panoptix.core.imageio import PROJECT_MANIFEST, PROJECT_SUFFIX
from panoptix.core.manifest import ProjectError

MANIFEST_NAME = PROJECT_MANIFEST
MANIFEST_BACKUP = "project-v1.json.bak"
"""``project.json`` as it was before its image list moved to ``project.sqlite``."""
ANNOTATIONS = "annotations"
RAW = "raw"
QUARANTINE = "quarantine"
MODELS = "models"
EXPORT = "export"
"""The window's suggested export folder."""
OWN_FOLDERS = (ANNOTATIONS, RAW, QUARANTINE, MODELS, EXPORT)
"""Every folder Panoptix writes or cleans inside a project."""


def project_folder(folder: str | os.PathLike[str]) -> Path:
    """A project folder as every part of Panoptix takes it: absolute, with its links
    resolved, so a link to a project is the project itself and the image root stored
    relative to it means the same folder however the project was reached."""
    return Path(os.path.realpath(folder))


def default_project_folder(image_root: str | os.PathLike[str]) -> Path:
    """``<image folder>.panoptix`` beside the image folder."""
    root = Path(os.path.abspath(image_root))
    return root.with_name(root.name + PROJECT_SUFFIX)


def fallback_project_folder(image_root: str | os.PathLike[str]) -> Path:
    """Where a project goes when the image folder's parent cannot be written."""
    root = os.path.abspath(image_root)
    digest = hashlib.sha1(os.fsencode(root)).hexdigest()[:10]
    name = Path(root).name or "root"
    return user_data_path("panoptix", appauthor=False) / "projects" / (
        f"{name}-{digest}{PROJECT_SUFFIX}")


def check_layout(folder: Path) -> None:
    """Refuse a project whose own folders are links (or files): cleaning up after a crash
    deletes files in them, and a link could lead that outside the project."""
    for name in OWN_FOLDERS:
        check_own_folder(folder / name)


def check_own_folder(path: Path) -> None:
    """The one check of a folder Panoptix writes or cleans inside a project (its own
    folders, a training run's folders): absent or a real folder, never a link or a file."""
    if path.is_symlink() or (os.path.lexists(path) and not path.is_dir()):
        kind = "a link" if path.is_symlink() else "not a folder"
        raise ProjectError(f"{path} is {kind}; a project keeps its own files in real "
                           "folders inside it, and Panoptix never follows links out of "
                           "a project (make it a real folder to open the project)")


def inside(path: str, folder: Path) -> bool:
    """Whether the absolute ``path`` lies inside ``folder`` (not ``folder`` itself)."""
    return os.path.normcase(path).startswith(os.path.normcase(str(folder)) + os.sep)
