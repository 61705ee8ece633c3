"""A COCO panoptic JSON read as a stream, so that ``panoptix evaluate`` on a dataset of any
size does not hold the parsed file.

The file is read a few times with ijson (its C parser): its shape, then its categories,
images and annotations one entry at a time, checked by :class:`PanopticParser` as
:func:`parse_panoptic` checks a whole file (the same problems in the same order). Each
usable annotation's segments go to an unnamed temporary file; memory keeps per image its
:class:`ImageInfo`, its PNG's name and where its segments lie. A file that is not an
object of the three lists, or that ijson cannot read, is read whole instead (the standard
library's messages, with line and column, as before).
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import ijson
import numpy as np

from panoptix.core.categories import CategorySet
from panoptix.core.regular_files import open_regular
from panoptix.core.validate import (
    Annotation,
    ImageInfo,
    PanopticParser,
    Problem,
    SegmentInfo,
    parse_panoptic,
    read_json,
)

KEYS = ("images", "annotations", "categories")
_VALUES = frozenset({"start_map", "start_array", "string", "number", "integer", "double",
                     "boolean", "null"})
_COLUMNS = 4
"""A stored segment: id, category id, area (0: none given), iscrowd."""


class SegmentStore:
    """Annotations' segments as int64 rows in an unnamed temporary file (gone when closed
    or collected); threads may read at once."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - kept open until close()
        self._lock = threading.Lock()

    def append(self, segments: Iterable[SegmentInfo]) -> tuple[int, int]:
        """Where the segments were written: (offset, count)."""
        rows = np.array([(s.id, s.category_id, s.area or 0, s.iscrowd) for s in segments],
                        np.int64).reshape(-1, _COLUMNS)
        with self._lock:
            offset = self._file.seek(0, os.SEEK_END)
            self._file.write(rows.tobytes())
        return offset, len(rows)

    def read(self, offset: int, count: int) -> list[SegmentInfo]:
        with self._lock:
            self._file.seek(offset)
            data = self._file.read(count * _COLUMNS * 8)
        rows = np.frombuffer(data, np.int64).reshape(count, _COLUMNS).tolist()
        return [SegmentInfo(i, category, area or None, None, bool(crowd))
                for i, category, area, crowd in rows]

    def close(self) -> None:
        self._file.close()


@dataclass(frozen=True, slots=True)
class StoredAnnotation:
    image: ImageInfo
    file_name: str
    """Its PNG's name."""
    offset: int
    count: int


@dataclass
class StreamedPanoptic:
    categories: CategorySet
    """The categories checked against: the file's, or those given."""
    named: CategorySet | None
    """The file's own categories where others were given."""
    annotations: list[StoredAnnotation]
    unannotated: list[str]
    """File names of the images without an annotation."""
    store: SegmentStore
    problems: list[Problem]
    """Those not tolerated, in the order :func:`parse_panoptic` reports them."""
    readable: bool = True
    """False: the file could not be read as JSON (the one problem says why)."""


def stream_panoptic(path: Path, categories: CategorySet | None = None,
                    tolerated: frozenset[str] = frozenset()) -> StreamedPanoptic:
    """The usable part of a COCO panoptic JSON and its problems; ``categories`` replaces
    the file's own table. Problems whose rule is ``tolerated`` are left out as they come."""
    try:
        with open_regular(path) as stream:
            shaped = _is_shaped(stream)
        if shaped:
            return _streamed(path, categories, tolerated)
    except (OSError, ValueError, ijson.JSONError):
        pass  # read whole below: the standard library says why, or reads what ijson did not
    return _whole(path, categories, tolerated)


def _is_shaped(stream: object) -> bool:
    """Whether the JSON is an object whose images, annotations and categories are each
    given once, as lists."""
    events = ijson.parse(stream)
    first = next(events, None)
    if first is None or first[1] != "start_map":
        return False
    seen: dict[str, list[str]] = {key: [] for key in KEYS}
    for prefix, event, _ in events:
        if prefix in seen and event in _VALUES:
            seen[prefix].append(event)
    return all(kinds == ["start_array"] for kinds in seen.values())


def _items(path: Path, key: str) -> Iterable[object]:
    with open_regular(path) as stream:
        yield from ijson.items(stream, f"{key}.item", use_float=True)


def _streamed(path: Path, categories: CategorySet | None,
              tolerated: frozenset[str]) -> StreamedPanoptic:
    parser = PanopticParser(tolerated)
    named = None
    if categories is not None:
        named = PanopticParser().categories(list(_items(path, "categories")))
        table = parser.categories(categories.to_coco())
    else:
        table = parser.categories(list(_items(path, "categories")))
    images = parser.images(_items(path, "images"))
    store = SegmentStore()
    kept = []
    for annotation in parser.iter_annotations(_items(path, "annotations"), images, table):
        kept.append(_stored(store, annotation))
    return _result(parser.problems, table, named, images, kept, store, tolerated)


def _whole(path: Path, categories: CategorySet | None,
           tolerated: frozenset[str]) -> StreamedPanoptic:
    data, problems = read_json(path)
    if problems:
        return StreamedPanoptic(CategorySet([]), None, [], [], SegmentStore(), problems, False)
    named = None
    if isinstance(data, dict) and categories is not None:
        if isinstance(data.get("categories"), list):
            named = parse_panoptic({"images": [], "annotations": [],
                                    "categories": data["categories"]})[0].categories
        data = {**data, "categories": categories.to_coco()}
    dataset, problems = parse_panoptic(data)
    store = SegmentStore()
    kept = [_stored(store, annotation) for annotation in dataset.annotations]
    images = {image.id: image for image in dataset.images}
    return _result(problems, dataset.categories, named, images, kept, store, tolerated)


def _stored(store: SegmentStore, annotation: Annotation) -> StoredAnnotation:
    return StoredAnnotation(annotation.image, annotation.file_name,
                            *store.append(annotation.segments))


def _result(problems: list[Problem], table: CategorySet, named: CategorySet | None,
            images: dict[int, ImageInfo], kept: list[StoredAnnotation], store: SegmentStore,
            tolerated: frozenset[str]) -> StreamedPanoptic:
    annotated = {annotation.image.id for annotation in kept}
    unannotated = [image.file_name for image in images.values() if image.id not in annotated]
    return StreamedPanoptic(table, named, kept, unannotated, store,
                            [p for p in problems if p.rule not in tolerated])
