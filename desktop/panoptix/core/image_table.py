"""The project's image table: one row per image in ``project.sqlite`` (SQLite, WAL mode).

Saving an image changes its row only, so the cost of a save does not grow with the
project (``project.json`` used to be rewritten whole on every save). One writer (the
process holding the project's folder lock) and any number of readers: WAL lets
``evaluate``, ``train`` and ``export`` read while the window writes, each seeing the last
committed state. Each change is one committed transaction, synced to disk, so a killed
process loses nothing that was saved and never leaves a half-written table.

Rows are not trusted: every one is checked as a manifest entry is (safe key, relative
path inside the image root, known status) before it is used.

Lists of 100,000 images query it rather than hold it: :class:`RowQuery` gives, in one
query, the positions of the images a filter keeps in its order (project order, or least
confident first), and the rows are read by position as they are shown.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sqlite3
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

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
_FIGURE = "(CASE WHEN status = 'done' THEN NULL ELSE uncertainty END)"
"""What the least-confident order sorts by, highest first: a done image (vouched for) has
no figure, and those without one come last (SQLite's NULL is the smallest value)."""
_UNSURE_INDEX = f"IF NOT EXISTS images_unsure ON images ({_FIGURE} DESC, position)"
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
""" + "CREATE INDEX " + _UNSURE_INDEX + ";"
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
        self.rows_read = 0
        """Rows read for a list (:meth:`rows_at`, :meth:`rows_for`) since it was opened."""

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
            if writable and version <= SCHEMA_VERSION:
                db.execute(f"CREATE INDEX {_UNSURE_INDEX}")  # tables made before it
        except sqlite3.Error as exc:
            raise _error(exc, "read", path) from exc
        if version > SCHEMA_VERSION:
            db.close()
            raise ProjectError(f"{path}: made by a newer Panoptix (table format {version}; "
                               f"this one reads up to {SCHEMA_VERSION})")
        return cls(path, db, writable)

    @classmethod
    def in_memory(cls, entries: Iterable[ImageEntry]) -> ImageTable:
        """A table of ``entries`` held in memory only (a read-only format 1 project, whose
        list is in ``project.json``), to query as a file's."""
        db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        db.executescript(_SCHEMA)
        db.executemany(f"INSERT INTO images ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                       (_row(entry) for entry in entries))
        return cls(Path(":memory:"), db, writable=False)

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

    def ordered(self, query: RowQuery) -> np.ndarray:
        """The positions (row ids) of the images ``query`` keeps, in its order: one query,
        the rows themselves are read only when shown (:meth:`rows_at`)."""
        sql, args = query.sql()
        # one text of numbers: a third of the time of a row each. group_concat keeps the
        # order of the rows it is given (SQLite does; 3.44 adds ORDER BY inside it to
        # say so; tests check the orders)
        try:
            text = self._db.execute(f"SELECT group_concat(position, ' ') FROM ({sql})",
                                    args).fetchone()[0]
            return np.fromstring(text or "", dtype=np.int64, sep=" ")
        except sqlite3.Error as exc:
            raise _error(exc, "read", self.path) from exc

    def rows_at(self, positions: Sequence[int]) -> dict[int, ImageEntry]:
        """The images at these positions (row ids), each row checked."""
        return self._rows("position", [int(p) for p in positions])

    def rows_for(self, keys: Iterable[str]) -> dict[int, ImageEntry]:
        """The images with these keys, by position, each row checked."""
        return self._rows("key", list(keys))

    def _rows(self, column: str, values: list) -> dict[int, ImageEntry]:
        rows = self._query(f"SELECT position, {_COLUMNS} FROM images WHERE {column} IN "
                           "(SELECT value FROM json_each(?))", (json.dumps(values),))
        found = {row[0]: _entry(row[1:], row[0], self.path) for row in rows}
        self.rows_read += len(found)
        return found

    def position_of(self, key: str) -> int | None:
        """The row id of ``key`` (None: no such image)."""
        row = next(self._query("SELECT position FROM images WHERE key = ?", (key,)), None)
        return None if row is None else row[0]

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


@dataclass(frozen=True)
class RowQuery:
    """Which images a list shows and in what order (:meth:`ImageTable.ordered`).

    ``statuses``: only these (None: any). ``keys``: only these keys, or with ``without``
    every key but these (the image notes' filters: notes are not in the table). ``shown``:
    (status, figure to sort by or None) of images whose row is not written yet, or which
    sort as they did (the image in view keeps its place): used instead of their rows'.
    """

    statuses: frozenset[ImageStatus] | None = None
    keys: frozenset[str] | None = None
    without: bool = False
    least_confident_first: bool = False
    shown: Mapping[str, tuple[ImageStatus, float | None]] = field(default_factory=dict)

    def sql(self) -> tuple[str, tuple]:
        source, args = "images", []
        if self.shown:  # the rows without a stand-in, and the stand-ins
            source = ("(WITH o (key, status, figure) AS (SELECT value ->> 0, value ->> 1, "
                      "value ->> 2 FROM json_each(?)) SELECT position, key, status, "
                      f"uncertainty, {_FIGURE} AS figure FROM images WHERE key NOT IN "
                      "(SELECT key FROM o) UNION ALL SELECT i.position, i.key, o.status, "
                      "NULL, o.figure FROM o JOIN images i ON i.key = o.key)")
            args.append(json.dumps([[key, ImageStatus(status).value, figure]
                                    for key, (status, figure) in self.shown.items()]))
        where = []
        if self.statuses is not None:
            where.append("status IN (SELECT value FROM json_each(?))")
            args.append(json.dumps(sorted(ImageStatus(s).value for s in self.statuses)))
        if self.keys is not None:
            where.append(f"key {'NOT ' if self.without else ''}IN "
                         "(SELECT value FROM json_each(?))")
            args.append(json.dumps(sorted(self.keys)))
        figure = "figure" if self.shown else _FIGURE
        order = f"{figure} DESC, position" if self.least_confident_first else "position"
        return (f"SELECT position FROM {source} {'WHERE ' + ' AND '.join(where) if where else ''}"
                f" ORDER BY {order}", tuple(args))


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
