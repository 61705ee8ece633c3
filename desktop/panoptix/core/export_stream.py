"""Exports in bounded memory, whatever the number of images: the images are worked on a few
at a time, in order (:func:`ordered_map`), and the JSON's long lists are written item by
item to files beside it (:class:`StreamedJson`), then joined into the JSON, byte for byte
what :func:`panoptix.core.atomic.write_json` writes for the same data held whole.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TypeVar

from panoptix.core.atomic import StoreError

T = TypeVar("T")
AHEAD = 4
"""Images worked on ahead of the one being written, per thread."""
COPY_BUFFER = 1 << 16
"""Bytes of a part copied at a time (``shutil``'s default is 1 MiB)."""


def ordered_map(function: Callable[..., T], *iterables: Iterable,
                workers: int | None = None) -> Iterator[T]:
    """``function`` over the items, in threads, results in order; unlike
    ``Executor.map``, only a few are submitted ahead, so results never pile up."""
    count = workers or min(8, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=count) as pool:
        pending: deque[Future[T]] = deque()
        for args in zip(*iterables, strict=True):
            pending.append(pool.submit(function, *args))
            if len(pending) >= AHEAD * count:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def dumps(value: object, path: Path) -> bytes:
    """``value`` as ``write_json`` serialises it; a ``StoreError`` naming ``path`` if it
    cannot be."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"cannot write {path}: not valid JSON data ({exc})") from exc
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a name that was not UTF-8 on disk
        raise StoreError(f"cannot write {path}: text that is not valid UTF-8 "
                         f"({exc.reason} at character {exc.start})") from exc


class JsonList:
    """A list of the JSON, its items written to a file as they come."""

    def __init__(self, part: Path, target: Path) -> None:
        self.part, self.target = part, target
        self.count = 0
        self._file: BinaryIO | None = None

    def append(self, item: object) -> None:
        data = dumps(item, self.target)
        with _naming(self.target):
            if self._file is None:
                self._file = open(self.part, "wb")  # noqa: SIM115 - closed by close()
            self._file.write(b", " + data if self.count else data)
        self.count += 1

    def copy_to(self, out: BinaryIO) -> None:
        self.close()
        if self.count:
            with _naming(self.target), open(self.part, "rb") as source:
                shutil.copyfileobj(source, out, COPY_BUFFER)

    def close(self) -> None:
        if self._file is not None:
            with _naming(self.target):
                self._file.close()


class StreamedJson:
    """A JSON object some of whose lists (:meth:`list`) are filled item by item; then
    :meth:`write` puts the object in place, its parts removed. Use it as a context manager:
    the parts are removed on failure too."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._parts: list[JsonList] = []

    def list(self) -> JsonList:
        part = JsonList(self.path.with_name(f".{self.path.name}.part{len(self._parts)}"),
                        self.path)
        self._parts.append(part)
        return part

    def write(self, data: dict[str, object]) -> None:
        """Write ``data`` (whose values may be this object's lists) as ``write_json``
        would, via a temporary file renamed into place."""
        temp = self.path.with_name(f".{self.path.name}.writing")
        with _naming(self.path):
            with open(temp, "wb") as out:
                out.write(b"{")
                for index, (key, value) in enumerate(data.items()):
                    out.write((b", " if index else b"") + dumps(key, self.path) + b": ")
                    if isinstance(value, JsonList):
                        out.write(b"[")
                        value.copy_to(out)
                        out.write(b"]")
                    else:
                        out.write(dumps(value, self.path))
                out.write(b"}\n")
            os.replace(temp, self.path)

    def __enter__(self) -> StreamedJson:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for part in self._parts:
            part.close()
            part.part.unlink(missing_ok=True)
        self.path.with_name(f".{self.path.name}.writing").unlink(missing_ok=True)


@contextmanager
def _naming(target: Path) -> Iterator[None]:
    """Turns an ``OSError`` on a part into one naming the JSON being written."""
    try:
        yield
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(target)) from exc
