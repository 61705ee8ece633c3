"""Where an export writes: a hidden stage inside the output folder, then each file and folder
renamed into place, replacing only what an earlier export wrote.

Every folder an export publishes holds an empty :data:`EXPORT_MARKER` file, and every file
has one beside it, ``.<file name>.panoptix-export``. A target that exists without its mark
(an image folder, a project, a JSON of one's own) or that is a link is never replaced: the
export stops with one line naming it, before anything is written.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from panoptix.core import atomic
from panoptix.core.atomic import StoreError
from panoptix.core.folder_lock import FolderLock
from panoptix.core.messages import one_line
from panoptix.core.validate import Problem

STAGE_PREFIX = ".panoptix-export-"
EXPORT_MARKER = ".panoptix-export"
"""Inside a folder an export wrote; beside a file as ``.<name>.panoptix-export``."""
FOLDER_MARKERS = (EXPORT_MARKER, ".panoptix-images")
"""``.panoptix-images``: the mark of image folders placed by earlier versions."""


class ExportError(Exception):
    """An export that did not happen; one line. ``problems`` lists a failed validation."""

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


def file_mark(name: str) -> str:
    """The name of the mark beside a file an export wrote."""
    return f".{name}{EXPORT_MARKER}"


def written_by_export(path: Path) -> bool:
    """Whether ``path`` (which exists) is a folder or file an export wrote: not a link, and
    carrying its mark."""
    if path.is_symlink():
        return False
    if path.name.startswith(".") and path.name.endswith(EXPORT_MARKER):
        return path.is_file()  # a mark itself
    if path.is_dir():
        return any((path / marker).is_file() and not (path / marker).is_symlink()
                   for marker in FOLDER_MARKERS)
    mark = path.with_name(file_mark(path.name))
    return path.is_file() and mark.is_file() and not mark.is_symlink()


def check_replaceable(out_dir: Path, names: Sequence[str]) -> None:
    """Refuse, naming it, a target among ``names`` that exists and no export wrote."""
    for name in names:
        target = out_dir / name
        if (target.exists() or target.is_symlink()) and not written_by_export(target):
            raise ExportError(f"{target} exists and was not written by a Panoptix export: "
                              "choose another folder or name, or move it away")


def mark_written(stage: Path, names: Sequence[str]) -> list[str]:
    """Mark each of ``names`` in ``stage`` as written by an export; what to publish, the
    files' marks before the files."""
    marks = []
    for name in names:
        path = stage / name
        if path.is_dir():
            (path / EXPORT_MARKER).write_bytes(b"")
        else:
            (stage / file_mark(name)).write_bytes(b"")
            marks.append(file_mark(name))
    return [*marks, *names]


@contextmanager
def staged(out_dir: Path, name: str) -> Iterator[Path]:
    """A hidden folder inside ``out_dir`` to build an export in; removed afterwards.

    The stage holds an OS lock while in use, so the stages of exports that were killed
    (their lock died with them) are recognised and removed by the next export."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        remove_abandoned_stages(out_dir)
        stage = Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{name}-", dir=out_dir))
        lock = FolderLock.acquire(stage)
    except (OSError, StoreError) as exc:
        error = atomic.os_error(exc, "write into", out_dir) if isinstance(exc, OSError) else exc
        raise ExportError(f"export failed: {error}") from exc
    try:
        yield stage
    finally:
        if lock is not None:
            lock.release()
        shutil.rmtree(stage, ignore_errors=True)


def remove_abandoned_stages(out_dir: Path) -> None:
    """Delete the staging folders in ``out_dir`` that no live export holds."""
    for stage in out_dir.glob(f"{STAGE_PREFIX}*"):
        if not stage.is_dir() or stage.is_symlink():
            continue
        try:
            lock = FolderLock.acquire(stage)
        except StoreError:  # a live export's (ProjectLockedError) or unreadable: leave it
            continue
        if lock is not None:
            lock.release()
            shutil.rmtree(stage, ignore_errors=True)


def publish(stage: Path, out_dir: Path, names: Sequence[str]) -> None:
    """Mark ``names`` in ``stage`` and move them into ``out_dir``, replacing what an earlier
    export wrote there (and nothing else); if a move fails, the earlier files are put back."""
    try:
        names = mark_written(stage, names)
    except OSError as exc:
        raise ExportError(f"export failed: {export_error_line(exc, out_dir)}") from exc
    check_replaceable(out_dir, names)
    previous = stage / ".previous"
    moved_aside: list[str] = []
    placed: list[str] = []
    try:
        previous.mkdir()
        for name in names:
            target = out_dir / name
            if target.exists() or target.is_symlink():
                check_replaceable(out_dir, [name])  # still an export's, just before the move
                os.replace(target, previous / name)
                moved_aside.append(name)
            os.replace(stage / name, target)
            placed.append(name)
    except (OSError, ExportError) as exc:
        undo = [(out_dir / n, stage / n) for n in reversed(placed)] + [
            (previous / n, out_dir / n) for n in reversed(moved_aside)]
        for source, target in undo:
            with suppress(OSError):
                os.replace(source, target)
        if isinstance(exc, ExportError):
            raise
        raise ExportError(f"export failed: {export_error_line(exc, out_dir)}") from exc


_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def export_error_line(exc: BaseException, out_dir: Path) -> str:
    """An error as one line; an OS error names its file and whether reading or writing it
    failed. The files inside ``out_dir`` are the ones written, named where they were
    going (not in the hidden stage); a copy's error carries both files (``shutil`` sets
    ``filename`` to the source and ``filename2`` to the target), and a full disk is always
    the written file's fault."""
    if not isinstance(exc, OSError) or not (exc.filename or exc.filename2):
        return one_line(exc)
    out_dir = Path(os.path.abspath(out_dir))
    paths = [Path(os.path.abspath(os.fsdecode(name)))
             for name in (exc.filename, exc.filename2) if name]
    written = [path for path in paths if path.is_relative_to(out_dir)]
    if written or exc.errno in _DISK_FULL:
        return str(atomic.os_error(exc, "write", _published_path((written or paths)[-1],
                                                                 out_dir)))
    return str(atomic.os_error(exc, "read", paths[0]))


def _published_path(path: Path, out_dir: Path) -> Path:
    """Where a file of the stage will be once the export is published."""
    if not path.is_relative_to(out_dir):
        return path
    parts = path.relative_to(out_dir).parts
    if parts and parts[0].startswith(STAGE_PREFIX):
        parts = parts[1:]
    return out_dir.joinpath(*parts)
