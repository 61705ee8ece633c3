"""The project's image table: one row per image in ``project.sqlite`` (SQLite, WAL mode).

Saving an image changes its row only, so the cost of a save does not grow with the
project (``project.json`` used to be rewritten whole on every save). One writer (the
process holding the project's folder lock) and any number of readers: WAL lets
``evaluate``, ``train`` and ``export`` read while the window writes, each seeing the last
committed state. Each change is one committed transaction, synced to disk, so a killed
process loses nothing that was saved and never leaves a half-written table.

Rows are not trusted: every one is checked as a manifest entry is (safe key, relative
path inside the image root, known status) before it is used.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from panoptix.core.atomic import TEMP_SUFFIX
from panoptix.core.manifest import (
    ImageEntry,
    ImageStatus,
    ProjectError,
    check_unique,
    entry_from_json,
)
from panoptix.core.messages import one_line

TABLE_NAME = "project.sqlite"
SCHEMA_VERSION = 1
_SIDE_FILES = ("-wal", "-shm", "-journal")
_SCHEMA = """
CREATE TABLE images (
    position INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    width INTEGER,
    height INTEGER,
    uncertainty REAL,
    raw_viewed REAL
);
CREATE INDEX images_status ON images (status, position);
CREATE INDEX images_uncertainty ON images (uncertainty);
"""
_COLUMNS = "key, path, status, width, height, uncertainty"
_UPSERT = (f"INSERT INTO images ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "
           "ON CONFLICT (key) DO UPDATE SET path = excluded.path, status = excluded.status, "
           "width = excluded.width, height = excluded.height, "
           "uncertainty = excluded.uncertainty")


class ImageTable:
    """An open ``project.sqlite``. Not thread-safe by itself: the project serialises
    calls (its manifest lock)."""

    def __init__(self, path: Path, connection: sqlite3.Connection, writable: bool) -> None:
        self.path = path
        self._db = connection
        self.writable = writable
        self.rows_written = 0
        """Rows inserted or changed through this table since it was opened."""

    @classmethod
    def build(cls, path: Path, entries: Iterable[ImageEntry]) -> None:
        """Write a new table holding ``entries`` at ``path``, replacing any there: built
        under a temp name and renamed, so a kill leaves the old file or the new one."""
        temp = path.with_name(f".{path.name}.build{TEMP_SUFFIX}")
        _remove(temp)
        try:
            os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))  # errno
            db = sqlite3.connect(temp, isolation_level=None)
            try:
                db.executescript(_SCHEMA)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                db.execute("BEGIN")
                db.executemany(f"INSERT INTO images ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                               (_row(entry) for entry in entries))
                db.execute("COMMIT")
                db.execute("PRAGMA journal_mode = WAL")
            finally:
                db.close()
            with open(temp, "rb+") as stream:
                os.fsync(stream.fileno())
            for suffix in _SIDE_FILES:  # a stale WAL must never be applied to the new file
                _remove(path.with_name(path.name + suffix))
            os.replace(temp, path)
        except (OSError, sqlite3.Error) as exc:
            _remove(temp)
            raise _error(exc, "write", path) from exc

    @classmethod
    def open(cls, path: Path, writable: bool, *, writer_may_run: bool = True
             ) -> ImageTable:
        """Open for writing (the lock holder) or reading (anyone, no lock). A reader that
        knows no writer can run (a folder that cannot be written) writes nothing at all."""
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            raise ProjectError(f"{path} is missing: the project's image list is in it "
                               "(a copy of an older list may be in project-v1.json.bak)"
                               ) from None
        except OSError as exc:
            raise _error(exc, "read", path) from exc
        if not stat.S_ISREG(info.st_mode):
            raise ProjectError(f"{path} is not a regular file (a link, pipe or folder); "
                               "Panoptix never follows links out of a project")
        try:
            if writable:
                db = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                     timeout=30)
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = FULL")
            else:
                db = _open_read_only(path, writer_may_run)
            version = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error as exc:
            raise _error(exc, "read", path) from exc
        if version > SCHEMA_VERSION:
            db.close()
            raise ProjectError(f"{path}: made by a newer Panoptix (table format {version}; "
                               f"this one reads up to {SCHEMA_VERSION})")
        return cls(path, db, writable)

    def close(self) -> None:
        """Close; the last writer's close folds the WAL back into the file."""
        with contextlib.suppress(sqlite3.Error):
            self._db.close()

    # -- reading --------------------------------------------------------------------------
    def entries(self) -> list[ImageEntry]:
        """Every image in the project's order, each row checked."""
        rows = self._query(f"SELECT {_COLUMNS} FROM images ORDER BY position")
        entries = [_entry(row, index, self.path) for index, row in enumerate(rows)]
        try:
            check_unique(entries)
        except ProjectError as exc:
            raise ProjectError(f"{self.path}: {exc}") from None
        return entries

    def count_by_status(self) -> dict[ImageStatus, int]:
        """How many images have each status (an index lookup, not a scan of the list)."""
        counts = dict.fromkeys(ImageStatus, 0)
        for status, count in self._query(
                "SELECT status, COUNT(*) FROM images GROUP BY status"):
            with contextlib.suppress(ValueError):
                counts[ImageStatus(status)] = count
        return counts

    def keys(self, statuses: Iterable[ImageStatus] | None = None, *,
             least_confident_first: bool = False, limit: int = -1) -> list[str]:
        """Image keys, optionally only those with ``statuses``, in the project's order or
        the most uncertain first (images without an uncertainty last)."""
        where, args = "", []
        if statuses is not None:
            wanted = [ImageStatus(s).value for s in statuses]
            where = f"WHERE status IN ({', '.join('?' * len(wanted))})"
            args = wanted
        order = ("uncertainty IS NULL, uncertainty DESC, position" if least_confident_first
                 else "position")
        return [row[0] for row in self._query(
            f"SELECT key FROM images {where} ORDER BY {order} LIMIT ?", (*args, limit))]

    # -- writing --------------------------------------------------------------------------
    def put(self, entries: Iterable[ImageEntry]) -> None:
        """Insert or update these images' rows in one committed transaction."""
        rows = [_row(entry) for entry in entries]
        if not rows:
            return
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(_UPSERT, rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise _error(exc, "write", self.path) from exc
        self.rows_written += len(rows)

    def viewed_times(self) -> dict[str, float]:
        """When each image's raw outputs were last viewed (seconds since the epoch)."""
        return dict(self._query(
            "SELECT key, raw_viewed FROM images WHERE raw_viewed IS NOT NULL"))

    def note_viewed(self, key: str, when: float) -> None:
        """Record a view of ``key``'s raw outputs (for the disk budget's eviction order)."""
        try:
            self._db.execute("UPDATE images SET raw_viewed = ? WHERE key = ?", (when, key))
        except sqlite3.Error as exc:
            raise _error(exc, "write", self.path) from exc

    def _query(self, sql: str, args: tuple = ()) -> Iterator[tuple]:
        try:
            return iter(self._db.execute(sql, args).fetchall())
        except sqlite3.Error as exc:
            raise _error(exc, "read", self.path) from exc


def _open_read_only(path: Path, writer_may_run: bool) -> sqlite3.Connection:
    """A reader's connection. ``mode=ro`` sees the writer's last commit (it may make the
    WAL index file); the file is read as it is when no writer can run and no WAL is left,
    or when no WAL index can be made (a folder that cannot be written)."""
    uri = path.resolve().as_uri()
    if not writer_may_run and not os.path.lexists(f"{path}-wal"):
        return sqlite3.connect(f"{uri}?immutable=1", uri=True, check_same_thread=False)
    try:
        db = sqlite3.connect(f"{uri}?mode=ro", uri=True, check_same_thread=False)
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError:
        return sqlite3.connect(f"{uri}?immutable=1", uri=True, check_same_thread=False)


def _row(entry: ImageEntry) -> tuple:
    return (entry.key, entry.rel_path, entry.status.value, entry.width, entry.height,
            entry.uncertainty)


def _entry(row: tuple, index: int, path: Path) -> ImageEntry:
    item = dict(zip(("key", "path", "status", "width", "height", "uncertainty"), row,
                    strict=True))
    try:
        return entry_from_json(item, index, where=f"{path.name}: row {index + 1}")
    except ProjectError as exc:
        raise ProjectError(f"{path}: {exc}") from None


def _error(exc: Exception, action: str, path: Path) -> ProjectError:
    code = exc.errno if isinstance(exc, OSError) else (
        errno.EROFS if "readonly" in str(exc) else None)
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in str(exc):
        return ProjectError(f"{path} is damaged: {one_line(exc)}")
    return ProjectError(f"cannot {action} {path}: {one_line(exc)}", code)


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):  # gone, or a folder that cannot be written
        os.unlink(path)
