"""A writable copy of the bundled sample images, one per version of them.

The window opens the samples when started without a folder, and makes a project beside
them, so they must live somewhere writable (the user data folder), not in the install.
Each version of the bundled samples gets its own copy, ``samples-<version>``, the version
being a digest of the bundled files: an install that brings new samples opens them, and
an older copy, with whatever work its project holds, stays as it was.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from panoptix.core.bundled import SAMPLES, bundled

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

COPIED_SUFFIXES = (".jpg", ".jpeg", ".png", ".json", ".md")
"""The photos, their ground truth (``panoptic_samples.json``) and the licence; the ground
truth's PNG folder comes along too."""
GROUND_TRUTH_DIR = "panoptic_samples"
VERSION_LENGTH = 10


def bundled_samples() -> Traversable:
    """The bundled samples' folder (read it through :mod:`importlib.resources`)."""
    return bundled(SAMPLES)


def bundled_files(source: Traversable | None = None) -> list[PurePosixPath]:
    """The files a copy holds, relative to ``source`` (default: the bundled samples), in
    a fixed order."""
    source = source or bundled_samples()
    found = [PurePosixPath(entry.name) for entry in source.iterdir()
             if entry.is_file() and _suffix(entry.name) in COPIED_SUFFIXES]
    truth = source / GROUND_TRUTH_DIR
    if truth.is_dir():
        found += [PurePosixPath(GROUND_TRUTH_DIR, entry.name) for entry in truth.iterdir()
                  if entry.is_file() and _suffix(entry.name) == ".png"]
    return sorted(found)


def _suffix(name: str) -> str:
    return PurePosixPath(name).suffix.lower()


def _entry(source: Traversable, relative: PurePosixPath) -> Traversable:
    return source.joinpath(*relative.parts)


def copy_file(entry: Traversable, target: Path) -> None:
    with entry.open("rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst)


def samples_version(source: Traversable | None = None) -> str:
    """A digest of the bundled files' names and bytes: changes whenever a sample does."""
    source = source or bundled_samples()
    digest = hashlib.sha256()
    for relative in bundled_files(source):
        digest.update(relative.as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(_entry(source, relative).read_bytes()).digest())
    return digest.hexdigest()[:VERSION_LENGTH]


def copy_samples(target_root: Path, source: Traversable | None = None) -> Path:
    """``target_root/samples-<version>``, copied there first if absent (complete or not
    at all: it is staged beside and renamed into place)."""
    source = source or bundled_samples()
    target = target_root / f"samples-{samples_version(source)}"
    if target.is_dir():
        return target
    target_root.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".samples-", dir=target_root))
    try:
        for relative in bundled_files(source):
            (stage / relative).parent.mkdir(parents=True, exist_ok=True)
            copy_file(_entry(source, relative), stage / relative)
        try:
            os.replace(stage, target)
        except OSError:
            if not target.is_dir():  # else another Panoptix copied them meanwhile
                raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return target
