"""One writer per project: an OS lock on ``<project>/.lock`` and on the folder itself.

The operating system drops the lock when its holder dies, even by SIGKILL, so a stale
lock never blocks a restart, and holding it proves no live writer shares the folder; only
then is it safe to delete a killed writer's leftovers. It is per open file, so a second
``Project.open`` of the same folder in the same process is refused too.

Deleting ``.lock`` does not break it: on POSIX the folder itself is locked too (``flock``
on the folder's descriptor), and a new ``.lock`` file gets nowhere while the folder is
held. Where folders cannot be locked (Windows, some network file systems) the file lock
alone remains; Windows does not let an open file be deleted. ``.lock`` is opened without
following links, so a planted link never makes Panoptix create or lock a file elsewhere.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from panoptix.core.atomic import StoreError, os_error
from panoptix.core.manifest import ProjectError

LOCK_NAME = ".lock"
_READ_ONLY = {errno.EACCES, errno.EPERM, errno.EROFS}
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

if os.name == "nt":
    import msvcrt

    def _try_lock(fd: int, optional: bool = False) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
else:
    import fcntl

    def _try_lock(fd: int, optional: bool = False) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError as exc:  # a file system that cannot lock folders (some NFS)
            if optional and exc.errno in (errno.EBADF, errno.EINVAL, errno.ENOLCK,
                                          errno.EOPNOTSUPP):
                return True
            raise
        return True


class ProjectLockedError(StoreError):
    """Another window or process has the project open."""


class LockLinkError(ProjectError):
    """``.lock`` is a symbolic link: someone wants the lock taken elsewhere."""


class FolderLock:
    def __init__(self, fds: list[int]) -> None:
        self._fds = fds

    @classmethod
    def acquire(cls, folder: Path) -> FolderLock | None:
        """The lock, or None when the folder cannot be written at all (read-only)."""
        if not os.access(folder, os.W_OK):
            return None
        path = folder / LOCK_NAME
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o666)
        except OSError as exc:
            if exc.errno in _READ_ONLY:
                return None
            if exc.errno == errno.ELOOP or os.path.islink(path):
                raise LockLinkError(f"{path} is a link; remove it (a project's lock is a "
                                    "plain file)") from exc
            raise os_error(exc, "lock", path) from exc
        fds = [fd]
        try:
            locked = _try_lock(fd)
            folder_fd = _open_folder(folder) if locked else None
            if folder_fd is not None:
                fds.append(folder_fd)
                locked = _try_lock(folder_fd, optional=True)
        except OSError as exc:
            for held in fds:
                os.close(held)
            raise os_error(exc, "lock", path) from exc
        if not locked:
            for held in fds:
                os.close(held)
            raise ProjectLockedError(f"{folder} is open in another Panoptix window or process")
        return cls(fds)

    def __del__(self) -> None:
        self.release()

    def release(self) -> None:
        fds, self._fds = self._fds, []
        for fd in fds:
            os.close(fd)  # closing drops the lock


def _open_folder(folder: Path) -> int | None:
    """A descriptor of the folder to lock, or None where folders cannot be opened."""
    if os.name == "nt":
        return None
    try:
        return os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return None
