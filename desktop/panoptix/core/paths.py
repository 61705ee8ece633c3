"""Safe file names: a name read from a dataset never leads out of its folder, and the PNG
names of an export never collide.

PNG naming (detectron2 and Mask2Former find an image by the PNG's stem): an image's PNG is
its relative path with the last extension replaced by ``.png`` (``x/a.b.jpg`` ->
``x/a.b.png``). When two images would get one PNG name (``a.jpg`` and ``a.png``, or names
equal but for case, which collide on Windows and macOS), a JPEG keeps the plain name, since
detectron2 assumes ``.jpg`` images, and the others get their full name plus ``.png``
(``a.png.png``), then ``-2``, ``-3``, ... if even that is taken. ``images[].file_name``
always names the real image, so each annotation still points at the right one through
``image_id``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath

MAX_NAME_LENGTH = 4096
JPEG_SUFFIXES = frozenset({".jpg", ".jpeg"})


class UnsafePathError(ValueError):
    """A file name that is empty, absolute, or leads outside its folder."""


def is_utf8_name(name: str) -> bool:
    """Whether ``name`` can be written in UTF-8 (JSON, COCO). A file name that is not valid
    UTF-8 on disk (``caf\\xe9.jpg`` in Latin-1) reaches Python with lone surrogates."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown_name(name: str | os.PathLike[str]) -> str:
    """A file name fit for any message: bytes that are not UTF-8 appear as ``\\xe9``."""
    try:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    except UnicodeError:  # a surrogate no file system produced (from a JSON escape)
        return os.fspath(name).encode("utf-8", "backslashreplace").decode("utf-8")


def check_relative_name(name: object, what: str = "file name") -> str:
    """``name`` in POSIX form if it is a relative path that stays inside its folder.

    Refused: non-strings, empty names, NUL bytes, backslashes (a separator on Windows),
    names that are not valid UTF-8, absolute paths, drive letters and any ``..``
    component.
    """
    if not isinstance(name, str):
        raise UnsafePathError(f"{what} must be a string, got {type(name).__name__}")
    shown = repr(name[:200])
    if not name or len(name) > MAX_NAME_LENGTH or "\x00" in name:
        raise UnsafePathError(f"{what} {shown} is empty, too long or contains NUL")
    if "\\" in name:
        raise UnsafePathError(f"{what} {shown} contains a backslash")
    if not is_utf8_name(name):
        raise UnsafePathError(f"{what} {shown} is not valid UTF-8")
    posix = PurePosixPath(name)
    windows = PureWindowsPath(name)
    if posix.is_absolute() or windows.is_absolute() or windows.drive:
        raise UnsafePathError(f"{what} {shown} is absolute")
    if ".." in posix.parts:
        raise UnsafePathError(f"{what} {shown} leads outside its folder")
    if not posix.parts:
        raise UnsafePathError(f"{what} {shown} names no file")
    return posix.as_posix()


def resolve_inside(root: Path, name: object, what: str = "file name") -> Path:
    """``root / name`` after checking ``name``; symbolic links may not lead outside either."""
    path = root / check_relative_name(name, what)
    real_root = root.resolve()
    if not path.resolve().is_relative_to(real_root):
        raise UnsafePathError(f"{what} {str(name)[:200]!r} leads outside {root}")
    return path


def png_names(image_names: Sequence[str]) -> list[str]:
    """A collision-free PNG name for each image name, in the same order (see module doc)."""
    preferred = [_with_png_suffix(name) for name in image_names]
    order = sorted(range(len(image_names)),
                   key=lambda i: (_suffix(image_names[i]) not in JPEG_SUFFIXES, image_names[i]))
    used: set[str] = set()
    result: list[str | None] = [None] * len(image_names)
    for i in order:
        if preferred[i].casefold() not in used:
            used.add(preferred[i].casefold())
            result[i] = preferred[i]
    for i in order:
        if result[i] is not None:
            continue
        candidate, counter = f"{image_names[i]}.png", 2
        while candidate.casefold() in used:
            candidate, counter = f"{image_names[i]}-{counter}.png", counter + 1
        used.add(candidate.casefold())
        result[i] = candidate
    return [name for name in result if name is not None]


def _suffix(name: str) -> str:
    return PurePosixPath(name).suffix.lower()


def _with_png_suffix(name: str) -> str:
    path = PurePosixPath(name)
    return str(path.with_suffix(".png")) if path.suffix else f"{name}.png"


def pair_by_file_name(left: Sequence[str], right: Sequence[str]) -> dict[str, str]:
    """Names of ``left`` paired with names of ``right``: the same name, else the same stem
    (the name without folders and extension, ``a/b.jpg`` -> ``b``) where that stem is
    unique among the names left unpaired on both sides. How ``panoptix evaluate`` pairs
    images, and how an export takes ids from a reference JSON."""
    names = set(right)
    paired = {name: name for name in left if name in names}
    taken = set(paired.values())
    left_stems = _unique_stems(name for name in left if name not in paired)
    right_stems = _unique_stems(name for name in right if name not in taken)
    paired.update({name: right_stems[stem] for stem, name in left_stems.items()
                   if stem in right_stems})
    return paired


def _unique_stems(names: Iterable[str]) -> dict[str, str]:
    seen: dict[str, list[str]] = {}
    for name in dict.fromkeys(names):
        seen.setdefault(PurePosixPath(name).stem, []).append(name)
    return {stem: found[0] for stem, found in seen.items() if len(found) == 1}
