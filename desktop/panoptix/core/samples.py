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
from pathlib import Path

from panoptix.core.categories import RESOURCES_DIR

SAMPLES_DIR = RESOURCES_DIR / "samples"
COPIED_SUFFIXES = (".jpg", ".jpeg", ".png", ".json", ".md")
"""The photos, their ground truth (``panoptic_samples.json``) and the licence; the ground
truth's PNG folder comes along too. Not the script that renders them."""
GROUND_TRUTH_DIR = "panoptic_samples"
VERSION_LENGTH = 10


def bundled_files(source: Path = SAMPLES_DIR) -> list[Path]:
    """The files a copy holds, relative to ``source``, in a fixed order."""
    found = [p for p in source.iterdir() if p.is_file() and p.suffix.lower() in COPIED_SUFFIXES]
    truth = source / GROUND_TRUTH_DIR
    if truth.is_dir():
        found += [p for p in truth.iterdir() if p.is_file() and p.suffix.lower() == ".png"]
    return sorted(p.relative_to(source) for p in found)


def samples_version(source: Path = SAMPLES_DIR) -> str:
    """A digest of the bundled files' names and bytes: changes whenever a sample does."""
    digest = hashlib.sha256()
    for relative in bundled_files(source):
        digest.update(relative.as_posix().encode() + b"\0")
        digest.update(hashlib.sha256((source / relative).read_bytes()).digest())
    return digest.hexdigest()[:VERSION_LENGTH]


def copy_samples(target_root: Path, source: Path = SAMPLES_DIR) -> Path:
    """``target_root/samples-<version>``, copied there first if absent (complete or not
    at all: it is staged beside and renamed into place)."""
    target = target_root / f"samples-{samples_version(source)}"
    if target.is_dir():
        return target
    target_root.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".samples-", dir=target_root))
    try:
        for relative in bundled_files(source):
            (stage / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / relative, stage / relative)
        try:
            os.replace(stage, target)
        except OSError:
            if not target.is_dir():  # else another Panoptix copied them meanwhile
                raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return target
