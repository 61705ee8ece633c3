"""Atomic file writes: a temp file in the target's folder, fsync, then ``os.replace``.

A reader (or a process started after a crash) sees either the old file or the new one,
never a mix. A failed write removes its temp file; a killed process leaves at most a
hidden ``.<name>.<token>.panoptix-tmp`` that :func:`remove_temp_files` clears on the next
open. Every failure becomes a one-line :class:`StoreError` that names the file and why.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
from pathlib import Path

import cv2
import numpy as np

TEMP_SUFFIX = ".panoptix-tmp"

_REASONS = {
    getattr(errno, name): reason for name, reason in [
        ("ENOSPC", "the disk is full"),
        ("EDQUOT", "the disk quota is exceeded"),
        ("EROFS", "the file system is read-only"),
        ("EACCES", "permission denied"),
        ("EPERM", "permission denied"),
        ("ENOENT", "the file or its folder does not exist"),
        ("ENOTDIR", "a folder on its path is a file"),
        ("ENAMETOOLONG", "the file name is too long"),
        ("EIO", "an input/output error (failing disk or lost network drive?)"),
    ] if hasattr(errno, name)
}

# Fast, still small for id maps: the "up" filter suits their long runs of equal rows and
# is three times faster than libpng's adaptive choice (measured at 3000x4000).
_PNG_PARAMS = [cv2.IMWRITE_PNG_COMPRESSION, 1]
if hasattr(cv2, "IMWRITE_PNG_FILTER"):
    _PNG_PARAMS += [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP]


class StoreError(Exception):
    """A file could not be written or read; the message is one line fit for a status bar."""

    def __init__(self, message: str, errno_code: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno_code


def os_error(exc: OSError, action: str, path: str | os.PathLike[str]) -> StoreError:
    """A :class:`StoreError` saying that ``action`` (e.g. ``"write"``) failed on ``path``."""
    reason = _REASONS.get(exc.errno or 0) or exc.strerror or str(exc) or type(exc).__name__
    return StoreError(f"cannot {action} {os.fspath(path)}: {reason}", exc.errno)


def write_bytes(path: str | os.PathLike[str], data: bytes | bytearray | memoryview, *,
                sync: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically. ``sync=False`` skips the fsyncs (for
    exports a crash may simply redo), keeping atomicity."""
    path = Path(path)
    temp = path.with_name(f".{path.name[:120]}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    except OSError as exc:
        raise os_error(exc, "write", path) from exc
    try:
        try:
            _write_all(fd, data)
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except OSError as exc:
        _unlink_quietly(temp)
        raise os_error(exc, "write", path) from exc
    except BaseException:
        _unlink_quietly(temp)
        raise
    if sync:
        _fsync_folder(path.parent)


def write_text(path: str | os.PathLike[str], text: str, *, sync: bool = True) -> None:
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a name that was not UTF-8 on disk
        raise StoreError(f"cannot write {os.fspath(path)}: text that is not valid UTF-8 "
                         f"({exc.reason} at character {exc.start})") from exc
    write_bytes(path, data, sync=sync)


def write_json(path: str | os.PathLike[str], data: object, *, indent: int | None = None,
               sync: bool = True) -> None:
    """Serialise first (so bad data never touches the disk), then write atomically."""
    try:
        text = json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"cannot write {os.fspath(path)}: not valid JSON data ({exc})") from exc
    write_text(path, text + "\n", sync=sync)


def write_png(path: str | os.PathLike[str], image: np.ndarray, *, bgr: bool = False,
              sync: bool = True) -> None:
    """Write an 8-bit gray (HxW), RGB (HxWx3) or RGBA (HxWx4) image as PNG, atomically.

    ``bgr=True`` says the channels are already in OpenCV's order, saving a conversion.
    """
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or (
            image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise ValueError(f"write_png wants uint8 HxW, HxWx3 or HxWx4, got {image.dtype} "
                         f"{image.shape}")
    if image.ndim == 3 and not bgr:
        code = cv2.COLOR_RGB2BGR if image.shape[2] == 3 else cv2.COLOR_RGBA2BGRA
        image = cv2.cvtColor(np.ascontiguousarray(image), code)
    ok, encoded = cv2.imencode(".png", image, _PNG_PARAMS)
    if not ok:
        raise StoreError(f"cannot write {os.fspath(path)}: PNG encoding failed")
    write_bytes(path, encoded.data, sync=sync)


def remove_temp_files(folder: str | os.PathLike[str]) -> int:
    """Delete temp files that a killed writer left in ``folder``; returns how many.

    Only safe when no other writer works in ``folder`` (the project holds a lock for that).
    """
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    for entry in entries:
        if entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX):
            try:
                os.unlink(entry.path)
                removed += 1
            except OSError:
                pass  # read-only or gone: a leftover temp file is harmless
    return removed


def _write_all(fd: int, data: bytes | bytearray | memoryview) -> None:
    view = memoryview(data).cast("B")
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); folders cannot be opened so on Windows."""
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on folders; the data itself is synced
    finally:
        os.close(fd)
