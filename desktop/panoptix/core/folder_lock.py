"""One writer per project: an OS lock on ``<project>/.lock``.

The operating system drops the lock when its holder dies, even by SIGKILL, so a stale
lock never blocks a restart, and holding it proves no live writer shares the folder; only
then is it safe to delete a killed writer's leftovers. It is per open file, so a second
``Project.open`` of the same folder in the same process is refused too.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from panoptix.core.atomic import StoreError, os_error

LOCK_NAME = ".lock"
_READ_ONLY = {errno.EACCES, errno.EPERM, errno.EROFS}

if os.name == "nt":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


class ProjectLockedError(StoreError):
    """Another window or process has the project open."""


class FolderLock:
    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, folder: Path) -> FolderLock | None:
        """The lock, or None when the folder cannot be written at all (read-only)."""
        if not os.access(folder, os.W_OK):
            return None
        path = folder / LOCK_NAME
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            if exc.errno in _READ_ONLY:
                return None
            raise os_error(exc, "lock", path) from exc
        if not _try_lock(fd):
            os.close(fd)
            raise ProjectLockedError(f"{folder} is open in another Panoptix window or process")
        return cls(fd)

    def __del__(self) -> None:
        self.release()

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock
            self._fd = None
