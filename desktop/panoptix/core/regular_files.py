"""Reading only regular files.

A named pipe (FIFO) named like a PNG or a JSON would make a plain ``open()`` wait for a
writer that never comes, ignoring Ctrl+C; a device could be read forever. Files are
therefore opened without blocking and checked on the open descriptor (no race between a
check and the open) before a byte is read. Every file a project names (its JSON files,
notes, category tables, training records, weight indexes, caches) is read through here.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

NOT_REGULAR = "not a regular file (a pipe, device or folder)"
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
"""Opening a FIFO with it returns at once (POSIX); Windows has no FIFOs in the file system."""


class NotRegularFileError(OSError):
    """A path that names a pipe, device, socket or folder where a file was expected."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(errno.EINVAL, NOT_REGULAR, os.fspath(path))


def read_regular(path: str | os.PathLike[str], limit: int = -1) -> bytes:
    """The bytes of ``path`` (the first ``limit`` if given); :class:`NotRegularFileError`
    unless it is a regular file (a link to one is fine). Other failures raise the usual
    ``OSError``."""
    with open_regular(path) as stream:
        return stream.read(limit)


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """``path`` opened for reading in binary, for a reader that streams it; raises like
    :func:`read_regular`."""
    fd = os.open(path, os.O_RDONLY | _NONBLOCK | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFileError(path)
        if _NONBLOCK:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_text(path: str | os.PathLike[str]) -> str:
    """The UTF-8 text of a regular file (:func:`read_regular`): how every JSON a project
    names is read. ``UnicodeDecodeError`` (a ``ValueError``) for other bytes."""
    return read_regular(path).decode("utf-8")


def check_regular(path: str | os.PathLike[str]) -> os.stat_result:
    """``os.stat(path)`` of a regular file, for readers that must open the path themselves
    (Pillow); raises :class:`NotRegularFileError` for anything else."""
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise NotRegularFileError(path)
    return info
