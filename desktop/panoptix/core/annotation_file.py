"""One image's saved annotation: a COCO panoptic PNG plus a small JSON, kept consistent.

``<key>.json`` names its PNG, ``<key>@<revision>.png``. A save writes the *new* PNG under
a new name, then replaces the JSON (atomically), then deletes the old PNG. A process
killed at any point leaves a JSON that names a complete PNG of the same revision: either
the old pair or the new one. Stray PNGs are removed by :func:`remove_orphans`.

The JSON also carries each segment's area and COCO bbox, so an export can gather files
without decoding PNGs, and a load can check that the PNG and the JSON belong together.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from panoptix.core import atomic
from panoptix.core.categories import CategorySet
from panoptix.core.document import Document, DocumentError
from panoptix.core.manifest import ImageStatus, ProjectError, is_valid_key
from panoptix.core.panoptic_png import write_panoptic_png
from panoptix.core.regular_files import NOT_REGULAR, NotRegularFileError, read_regular
from panoptix.core.segment import MAX_SEGMENT_ID, Segment
from panoptix.core.stats import Box, SegmentStats, union_box

FORMAT = "panoptix-annotation"
VERSION = 1
_PNG_NAME = re.compile(r"(.+)@([0-9]+)\.png")


class AnnotationError(ProjectError):
    """A saved annotation that is damaged or does not match its PNG."""


@dataclass(frozen=True)
class DocumentSnapshot:
    """A document's state copied for saving: the map, the table, exact areas and boxes."""

    id_map: np.ndarray
    segments: dict[int, Segment]
    stats: dict[int, SegmentStats]

    @property
    def shape(self) -> tuple[int, int]:
        return self.id_map.shape  # type: ignore[return-value]

    @classmethod
    def of(cls, doc: Document) -> DocumentSnapshot:
        """Copy ``doc``; call it on the thread that edits ``doc`` (it tightens boxes)."""
        present = [i for i in doc.segments if doc.area(i) > 0]
        stats = {i: SegmentStats(doc.area(i), doc.box(i)) for i in present}
        return cls(doc.id_map.copy(), {i: doc.segments[i] for i in present}, stats)


@dataclass(frozen=True)
class SavedSegment:
    id: int
    segment: Segment
    area: int
    bbox: tuple[int, int, int, int]
    """COCO ``[x, y, w, h]``."""

    def to_json(self) -> dict:
        score = self.segment.score
        return {"id": self.id, "category_id": self.segment.category_id,
                "iscrowd": int(self.segment.iscrowd), "area": self.area,
                "bbox": list(self.bbox),
                "score": score if score is not None and math.isfinite(score) else None,
                "source": self.segment.source,
                **({"locked": True} if self.segment.locked else {})}


@dataclass(frozen=True)
class AnnotationRecord:
    """The JSON half of a saved annotation, validated."""

    key: str
    image: str
    png: str
    """File name of the PNG, next to the JSON."""
    width: int
    height: int
    status: ImageStatus
    model: str | None
    segments: dict[int, SavedSegment]

    @property
    def revision(self) -> int:
        return int(self.png.rsplit("@", 1)[1][:-len(".png")])

    def to_json(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "key": self.key, "image": self.image,
                "png": self.png, "width": self.width, "height": self.height,
                "status": self.status.value, "model": self.model,
                "segments_info": [s.to_json() for s in self.segments.values()]}


def json_name(key: str) -> str:
    return f"{key}.json"


def png_name(key: str, revision: int) -> str:
    return f"{key}@{revision}.png"


def read_record(folder: Path, key: str) -> AnnotationRecord | None:
    """The saved record of ``key``, or None if it has none.

    Raises :class:`AnnotationError` for a damaged JSON, ``StoreError`` if unreadable.
    """
    path = folder / json_name(key)
    try:
        raw = read_regular(path)
    except FileNotFoundError:
        return None
    except NotRegularFileError:
        raise AnnotationError(f"{path.name} is {NOT_REGULAR}") from None
    except OSError as exc:
        raise atomic.os_error(exc, "read", path) from exc
    try:
        return parse_record(json.loads(raw.decode("utf-8")), key)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise AnnotationError(f"not valid JSON ({' '.join(str(exc).split())})") from exc


def parse_record(data: object, key: str) -> AnnotationRecord:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise AnnotationError("not a Panoptix annotation")
    if not _is_int(data.get("version")) or data["version"] > VERSION:
        raise AnnotationError("unknown annotation format version")
    png = data.get("png")
    match = _PNG_NAME.fullmatch(png) if isinstance(png, str) else None
    if not (match and match[1] == key):
        raise AnnotationError(f"png must be named {key}@<revision>.png, got {png!r}")
    width, height = data.get("width"), data.get("height")
    if not (_is_int(width) and _is_int(height) and width > 0 and height > 0):
        raise AnnotationError("width and height must be positive integers")
    try:
        status = ImageStatus(data.get("status"))
    except ValueError:
        raise AnnotationError(f"unknown status {data.get('status')!r}") from None
    model = data.get("model")
    if model is not None and not isinstance(model, str):
        raise AnnotationError("model must be a string or null")
    items = data.get("segments_info")
    if not isinstance(items, list):
        raise AnnotationError("segments_info must be a list")
    segments: dict[int, SavedSegment] = {}
    for item in items:
        saved = _parse_segment(item)
        if saved.id in segments:
            raise AnnotationError(f"segment id {saved.id} appears twice")
        segments[saved.id] = saved
    image = data.get("image")
    return AnnotationRecord(key, image if isinstance(image, str) else "", png, width, height,
                            status, model, segments)


def write_annotation(folder: Path, key: str, image: str, snapshot: DocumentSnapshot,
                     status: ImageStatus, model: str | None,
                     previous: AnnotationRecord | None) -> AnnotationRecord:
    """Save ``snapshot`` as the next revision of ``key`` (PNG, then JSON, then cleanup)."""
    revision = previous.revision + 1 if previous is not None else 1
    height, width = snapshot.shape
    segments = {i: SavedSegment(i, snapshot.segments[i], stat.area, tuple(stat.coco_bbox))
                for i, stat in sorted(snapshot.stats.items())}
    record = AnnotationRecord(key, image, png_name(key, revision), width, height, status,
                              model, segments)  # type: ignore[arg-type]
    write_panoptic_png(folder / record.png, snapshot.id_map)
    atomic.write_json(folder / json_name(key), record.to_json())
    if previous is not None and previous.png != record.png:
        _remove_quietly(folder / previous.png)
    return record


def rewrite_record(folder: Path, record: AnnotationRecord) -> None:
    """Replace the JSON only (a status change): the PNG stays as it is."""
    atomic.write_json(folder / json_name(record.key), record.to_json())


def to_document(record: AnnotationRecord, id_map: np.ndarray,
                categories: CategorySet) -> Document:
    """The document of a saved PNG and its record, after checking that they match."""
    if id_map.shape != (record.height, record.width):
        raise AnnotationError(f"PNG is {id_map.shape[1]}x{id_map.shape[0]}, JSON says "
                              f"{record.width}x{record.height}")
    try:
        doc = Document(id_map, {i: s.segment for i, s in record.segments.items()}, categories)
    except DocumentError as exc:
        raise AnnotationError(str(exc)) from exc
    # Document joins repeated stuff segments (a category may have become stuff since the
    # save), so group the saved areas and boxes the same way before comparing.
    areas: Counter[int] = Counter()
    boxes: dict[int, Box | None] = {}
    first_of_stuff: dict[int, int] = {}
    for segment_id in sorted(record.segments):
        saved = record.segments[segment_id]
        category = categories.get(saved.segment.category_id)
        target = segment_id
        if category is not None and not category.isthing:
            target = first_of_stuff.setdefault(category.id, segment_id)
        x, y, w, h = saved.bbox
        areas[target] += saved.area
        boxes[target] = union_box(boxes.get(target), (y, x, y + h, x + w) if saved.area else None)
    expected = {i: (a, boxes[i]) for i, a in areas.items() if a}
    if expected != {i: (doc.area(i), doc.box(i)) for i in doc.segments}:
        raise AnnotationError("PNG and JSON disagree on segment areas or boxes")
    return doc


def remove_orphans(folder: Path) -> int:
    """Delete PNGs that no JSON names (left by a save that was killed); returns how many.

    Needs the project lock: a live writer's new PNG is an orphan until its JSON lands.
    """
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return 0
    pngs: defaultdict[str, list[str]] = defaultdict(list)
    for name in names:
        match = _PNG_NAME.fullmatch(name)
        if match and is_valid_key(match[1]):
            pngs[match[1]].append(name)
    removed = 0
    for key, files in pngs.items():
        if json_name(key) in names and len(files) == 1:
            continue  # the usual case: one PNG, named by the JSON that was written after it
        try:
            record = read_record(folder, key)
        except atomic.StoreError:
            continue  # damaged or unreadable: leave everything for load to report
        keep = record.png if record is not None else None
        for name in files:
            if name != keep:
                removed += _remove_quietly(folder / name)
    return removed


def quarantine(folder: Path, key: str, quarantine_root: Path) -> Path:
    """Move every file of ``key`` into a new ``quarantine_root/<time>-<key>/`` folder."""
    base = f"{time.strftime('%Y%m%d-%H%M%S')}-{key}"
    target, suffix = quarantine_root / base, 1
    while target.exists():
        suffix += 1
        target = quarantine_root / f"{base}~{suffix}"
    try:
        target.mkdir(parents=True)
        for name in os.listdir(folder):
            if name == json_name(key) or (name.startswith(f"{key}@") and name.endswith(".png")):
                os.replace(folder / name, target / name)
    except OSError as exc:
        raise atomic.os_error(exc, "move to quarantine", folder / json_name(key)) from exc
    return target


def _parse_segment(item: object) -> SavedSegment:
    if not isinstance(item, dict):
        raise AnnotationError("each segments_info entry must be an object")
    segment_id, category_id, area = item.get("id"), item.get("category_id"), item.get("area")
    if not (_is_int(segment_id) and 0 < segment_id <= MAX_SEGMENT_ID):
        raise AnnotationError(f"segment id must be 1..2^24-1, got {segment_id!r}")
    if not (_is_int(category_id) and _is_int(area) and area >= 0):
        raise AnnotationError(f"segment {segment_id}: bad category_id or area")
    bbox = item.get("bbox")
    if not (isinstance(bbox, list) and len(bbox) == 4 and all(_is_int(v) for v in bbox)):
        raise AnnotationError(f"segment {segment_id}: bbox must be four integers")
    score = item.get("score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, int | float)):
        raise AnnotationError(f"segment {segment_id}: score must be a number or null")
    source = item.get("source", "manual")
    iscrowd = item.get("iscrowd", 0)
    locked = item.get("locked", False)
    if not isinstance(source, str) or iscrowd not in (0, 1) or not isinstance(locked, bool):
        raise AnnotationError(f"segment {segment_id}: bad source, iscrowd or locked")
    segment = Segment(category_id, bool(iscrowd), None if score is None else float(score),
                      source, locked)
    return SavedSegment(segment_id, segment, area, tuple(bbox))  # type: ignore[arg-type]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _remove_quietly(path: Path) -> int:
    try:
        os.unlink(path)
        return 1
    except OSError:
        return 0  # a leftover is harmless: the next open removes it
