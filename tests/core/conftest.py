"""Fixtures for the store tests: small image folders, a project, documents, and folders
made read-only (for real where the OS enforces it, simulated when running as root)."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panoptix.core import edits
from panoptix.core.categories import Category, CategorySet
from panoptix.core.document import Document
from panoptix.core.project import Project

PHOTOS = ("a.jpg", "a.png", "sub/a.jpg", "x.tar.gz.png")
PHOTO_SIZE = (64, 48)


@pytest.fixture
def categories() -> CategorySet:
    return CategorySet([
        Category(1, "person", True, (220, 20, 60)),
        Category(3, "car", True, (0, 0, 142)),
        Category(17, "sky", False, (70, 130, 180)),
        Category(21, "road", False, (128, 64, 128)),
    ], name="test")


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """``photos/`` with names that collide naively: a.jpg, a.png, sub/a.jpg, x.tar.gz.png."""
    folder = tmp_path / "photos"
    for index, name in enumerate(PHOTOS):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", PHOTO_SIZE, (40 * index, 90, 200)).save(path)
    return folder


@pytest.fixture
def project(photos: Path, categories: CategorySet) -> Iterator[Project]:
    folder = photos.with_name("photos.panoptix")
    project = Project.create(folder, photos, sorted(photos.rglob("*.*")), categories)
    yield project
    project.close(save=False)


def paint(doc: Document, seed: int = 0) -> Document:
    """A few segments of every kind: things with scores, stuff, a crowd region."""
    height, width = doc.shape
    rng = np.random.default_rng(seed)
    y, x = int(rng.integers(0, height // 2)), int(rng.integers(0, width // 2))
    edits.add_mask(doc, np.ones((height // 3, width // 3), bool), 1, offset=(y, x),
                   score=0.91, source="model")
    edits.add_mask(doc, np.ones((4, width), bool), 17, offset=(0, 0), score=0.5,
                   source="model")
    edits.add_mask(doc, np.ones((5, 7), bool), 3, offset=(height - 6, width - 9),
                   iscrowd=True)
    edits.add_mask(doc, np.eye(9, dtype=bool), 3, offset=(y + 1, x + 1))
    return doc


@pytest.fixture
def painted(categories: CategorySet) -> Callable[..., Document]:
    """``painted(height, width, seed)``: a document with a few segments."""
    def make(height: int = PHOTO_SIZE[1], width: int = PHOTO_SIZE[0], seed: int = 0):
        return paint(Document.blank(height, width, categories), seed)
    return make


@pytest.fixture
def make_read_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], None]]:
    """``make_read_only(folder)``: nothing under ``folder`` can be created, replaced or
    deleted. chmod where that works; as root (which ignores modes) the same failures are
    injected at the os calls the store uses."""
    changed: list[Path] = []
    guarded: list[str] = []

    def make(folder: Path) -> None:
        for path in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
            path.chmod(0o555)
            changed.append(path)
        if os.access(folder, os.W_OK):
            guarded.append(os.path.abspath(folder))

    def inside(path: object) -> bool:
        full = os.path.abspath(os.fspath(path))  # type: ignore[arg-type]
        return any(full == g or full.startswith(g + os.sep) for g in guarded)

    def refuse(path: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))  # type: ignore[arg-type]

    real_open, real_mkdir = os.open, os.mkdir
    real_replace, real_unlink = os.replace, os.unlink

    def fake_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and inside(path):
            refuse(path)
        return real_open(path, flags, *args, **kwargs)

    def fake_mkdir(path, *args, **kwargs):
        if inside(path):
            refuse(path)
        return real_mkdir(path, *args, **kwargs)

    def fake_replace(src, dst, *args, **kwargs):
        if inside(src) or inside(dst):
            refuse(dst)
        return real_replace(src, dst, *args, **kwargs)

    def fake_unlink(path, *args, **kwargs):
        if inside(path):
            refuse(path)
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "mkdir", fake_mkdir)
    monkeypatch.setattr(os, "replace", fake_replace)
    monkeypatch.setattr(os, "unlink", fake_unlink)
    yield make
    for path in changed:
        path.chmod(0o755)


@pytest.fixture
def files_of() -> Callable[[Path], dict[str, bytes]]:
    """``files_of(folder)``: every file under it with its bytes, to prove nothing changed."""
    def read(folder: Path) -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes()
                for p in sorted(folder.rglob("*")) if p.is_file()}
    return read
