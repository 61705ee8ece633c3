"""Checks a COCO panoptic dataset (JSON + PNG folder) and reports every problem found.

It enforces each rule panopticapi's ``pq_compute`` raises on (a segment in the PNG but not
in the JSON, one in the JSON but not in the PNG, an unknown category) and the ones the
format takes for granted; :data:`RULES` lists them. Problems are one line each.
"""

from __future__ import annotations

import io
import json
import os
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from panoptix.core.categories import Category, CategorySet, default_color
from panoptix.core.panoptic_png import PanopticPngError, decode_panoptic_png
from panoptix.core.paths import UnsafePathError, check_relative_name, resolve_inside
from panoptix.core.regular_files import read_regular
from panoptix.core.segment import MAX_SEGMENT_ID
from panoptix.core.stats import region_stats

RULES: dict[str, str] = {
    "json": "the file is readable JSON: an object with images, annotations, categories lists",
    "field": "each entry has its keys with COCO's types and ranges",
    "path": "file names are relative and stay inside their folder",
    "duplicate": "image ids, category ids and PNG names are unique",
    "image-ref": "each annotation names a listed image, and no image has two annotations",
    "no-annotation": "each image has an annotation",
    "segment-id": "segment ids are 1..2^24-1 (0 is unlabeled) and unique within an image",
    "unknown-category": "each segment's category is listed in categories",
    "isthing": "a stuff category has at most one segment per image and is never a crowd",
    "png-missing": "the annotation's PNG exists and can be read as a PNG",
    "png-mode": "the PNG is 8-bit RGB",
    "png-size": "the PNG has the width and height of its image",
    "png-not-json": "each id in the PNG (other than 0) has a segment in the JSON",
    "json-not-png": "each segment in the JSON has pixels in the PNG",
    "area": "area is an integer: the segment's pixel count",
    "bbox": "bbox is [x, y, w, h] of integers with w = xmax - xmin + 1, tight around the pixels",
}
MAX_INT = 2**63 - 1
MAX_SIDE = 2**31 - 1
PNG_DEPTH_OFFSET = 24
"""Where a PNG's bit depth lies: 8 signature bytes, the IHDR chunk's length, type, size."""
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Problem:
    rule: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message} [{self.rule}]".replace("\n", " ")


@dataclass(frozen=True)
class SegmentInfo:
    id: int
    category_id: int
    area: int | None
    bbox: Box | None
    """``(x, y, w, h)``; None (like ``area``) when the JSON's value was unusable."""
    iscrowd: bool


@dataclass(frozen=True)
class ImageInfo:
    id: int
    file_name: str
    width: int
    height: int


@dataclass(frozen=True)
class Annotation:
    image: ImageInfo
    file_name: str
    segments: tuple[SegmentInfo, ...]
    unusable_ids: frozenset[int] = frozenset()
    """Ids of segments left out for bad fields: not reported again as missing from JSON."""


@dataclass
class PanopticDataset:
    """The usable part of a COCO panoptic JSON."""

    categories: CategorySet
    images: list[ImageInfo] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)


def read_json(path: Path) -> tuple[Any, list[Problem]]:
    """A JSON file's content; NaN, Infinity and unreadable files are problems."""
    def refuse_constant(name: str) -> None:
        raise ValueError(f"{name} is not allowed")

    try:
        text = read_regular(path).decode("utf-8")
        return json.loads(text, parse_constant=refuse_constant), []
    except FileNotFoundError:
        return None, [Problem("json", str(path), "no such file")]
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else _reason(exc)
        return None, [Problem("json", str(path), f"cannot read JSON: {reason}")]


def validate_panoptic(json_path: Path, png_dir: Path | None = None,
                      workers: int | None = None) -> list[Problem]:
    """Every problem of the dataset; ``png_dir`` defaults to the JSON's path without
    ``.json`` (``panoptic_val.json`` -> ``panoptic_val/``)."""
    data, problems = read_json(json_path)
    if problems:
        return problems
    dataset, problems = parse_panoptic(data)
    folder = png_dir if png_dir is not None else json_path.with_suffix("")
    return problems + check_pngs(dataset, folder, workers)


class ImageChecker:
    """:func:`validate_panoptic`'s rules one image at a time, for a dataset being written
    image by image: :attr:`problems` has the categories', :meth:`check` an image's (its
    record, annotation and PNG), image ids and PNG names unique across calls. Threads may
    call :meth:`check` at once."""

    def __init__(self, categories: list, png_dir: Path) -> None:
        parser = PanopticParser()
        self.categories = parser.categories(categories)
        self.problems = parser.problems
        self._unusable = frozenset(parser.unusable_categories)
        self._png_dir = png_dir
        self._ids: set[int] = set()
        self._pngs: set[str] = set()
        self._lock = threading.Lock()

    def check(self, image: dict, annotation: dict) -> list[Problem]:
        parser = PanopticParser()
        parser.unusable_categories = set(self._unusable)
        images = parser.images([image])
        name = annotation.get("file_name")
        with self._lock:
            for image_id in list(images):
                if image_id in self._ids:
                    parser.add("duplicate", f"image {image_id}", "image id appears twice")
                    del images[image_id]
                self._ids.add(image_id)
            if isinstance(name, str) and images:
                if name.casefold() in self._pngs:
                    parser.add("duplicate", f"annotation {name!r}", "PNG is used by two "
                               "annotations")
                    images.clear()
                self._pngs.add(name.casefold())
        annotations = parser.annotations([annotation], images, self.categories)
        return parser.problems + [p for a in annotations for p in check_png(a, self._png_dir)]


def parse_panoptic(data: object) -> tuple[PanopticDataset, list[Problem]]:
    """The usable entries of a COCO panoptic JSON and the problems of the others."""
    parser = PanopticParser()
    if not isinstance(data, dict):
        parser.add("json", "file", "the top level must be a JSON object")
        return PanopticDataset(CategorySet([])), parser.problems
    lists = {}
    for key in ("images", "annotations", "categories"):
        lists[key] = data.get(key)
        if not isinstance(lists[key], list):
            parser.add("json", "file", f"{key!r} must be a list")
            lists[key] = []
    categories = parser.categories(lists["categories"])
    images = parser.images(lists["images"])
    annotations = parser.annotations(lists["annotations"], images, categories)
    return PanopticDataset(categories, list(images.values()), annotations), parser.problems


def _integer(value: object, low: int = 0, high: int = MAX_INT) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    return None


class PanopticParser:
    """Parses entry by entry; an entry with a usable id but bad fields is remembered, so the
    entries that refer to it are not reported a second time."""

    def __init__(self, tolerated: frozenset[str] = frozenset()) -> None:
        self.problems: list[Problem] = []
        """Those whose rule is not ``tolerated`` (a caller that reads past those)."""
        self.tolerated = tolerated
        self.unusable_images: set[int] = set()
        self.unusable_categories: set[int] = set()

    def add(self, rule: str, where: str, message: str) -> None:
        if rule not in self.tolerated:
            self.problems.append(Problem(rule, where, message))

    def categories(self, items: list) -> CategorySet:
        kept: dict[int, Category] = {}
        for index, item in enumerate(items):
            where = f"categories[{index}]"
            if not isinstance(item, dict):
                self.add("field", where, "must be an object")
                continue
            category_id = _integer(item.get("id"), 0, MAX_SEGMENT_ID)
            name, isthing = item.get("name"), item.get("isthing")
            color = item.get("color", default_color(category_id or 0))
            if category_id is None:
                self.add("field", where, f"id {str(item.get('id'))[:40]!r} is not an integer "
                         f"in 0..{MAX_SEGMENT_ID}")
                continue
            self.unusable_categories.add(category_id)
            if not isinstance(name, str) or not name.strip():
                self.add("field", f"category {category_id}", "name must be a non-empty string")
            elif isthing not in (0, 1):
                self.add("field", f"category {category_id}", "isthing must be 0 or 1")
            elif not (isinstance(color, list | tuple) and len(color) == 3
                      and all(_integer(c, 0, 255) is not None for c in color)):
                self.add("field", f"category {category_id}", "color must be three 0..255 ints")
            elif not isinstance(item.get("supercategory", ""), str):
                self.add("field", f"category {category_id}", "supercategory must be a string")
            elif category_id in kept:
                self.add("duplicate", f"category {category_id}", "category id appears twice")
            else:
                self.unusable_categories.discard(category_id)
                kept[category_id] = Category(category_id, name, bool(isthing), tuple(color),
                                             item.get("supercategory") or "")
        return CategorySet(kept.values(), name="dataset")

    def images(self, items: list) -> dict[int, ImageInfo]:
        kept: dict[int, ImageInfo] = {}
        for index, item in enumerate(items):
            where = f"images[{index}]"
            if not isinstance(item, dict):
                self.add("field", where, "must be an object")
                continue
            image_id = _integer(item.get("id"))
            width = _integer(item.get("width"), 1, MAX_SIDE)
            height = _integer(item.get("height"), 1, MAX_SIDE)
            if image_id is None:
                self.add("field", where, "id must be an integer in 0..2^63-1")
                continue
            where = f"image {image_id}"
            file_name = self.path(item.get("file_name"), where, "file_name")
            if width is None or height is None:
                self.add("field", where, f"width and height must be integers in 1..{MAX_SIDE}")
            if file_name is None or width is None or height is None:
                self.unusable_images.add(image_id)
                continue
            if image_id in kept:
                self.add("duplicate", where, "image id appears twice")
                continue
            kept[image_id] = ImageInfo(image_id, file_name, width, height)
        return kept

    def path(self, name: object, where: str, what: str) -> str | None:
        try:
            return check_relative_name(name, what)
        except UnsafePathError as exc:
            self.add("path", where, str(exc))
            return None

    def annotations(self, items: list, images: dict[int, ImageInfo],
                    categories: CategorySet) -> list[Annotation]:
        return list(self.iter_annotations(items, images, categories))

    def iter_annotations(self, items: Iterable, images: dict[int, ImageInfo],
                         categories: CategorySet) -> Iterator[Annotation]:
        """Each usable annotation as soon as it is parsed (a stream's items may be read one
        at a time); the images without one are reported once ``items`` is exhausted."""
        claimed: set[int] = set()
        png_names: set[str] = set()
        for index, item in enumerate(items):
            where = f"annotations[{index}]"
            if not isinstance(item, dict):
                self.add("field", where, "must be an object")
                continue
            image_id = _integer(item.get("image_id"))
            if image_id in self.unusable_images:
                continue
            if image_id is None or image_id not in images:
                self.add("image-ref", where,
                         f"image_id {str(item.get('image_id'))[:40]} is not a listed image")
                continue
            image = images[image_id]
            where = f"image {image_id} ({image.file_name})"
            if image_id in claimed:
                self.add("image-ref", where, "the image has two annotations")
                continue
            claimed.add(image_id)
            file_name = self.path(item.get("file_name"), where, "annotation file_name")
            segments_info = item.get("segments_info")
            if not isinstance(segments_info, list):
                self.add("field", where, "segments_info must be a list")
            elif file_name is not None and file_name.casefold() in png_names:
                self.add("duplicate", where, f"PNG {file_name!r} is used by two annotations")
            elif file_name is not None:
                png_names.add(file_name.casefold())
                yield self.annotation(image, file_name, segments_info, categories, where)
        for image_id, image in images.items():
            if image_id not in claimed:
                self.add("no-annotation", f"image {image_id} ({image.file_name})",
                         "has no annotation")

    def annotation(self, image: ImageInfo, file_name: str, items: list,
                   categories: CategorySet, where: str) -> Annotation:
        segments: dict[int, SegmentInfo] = {}
        unusable: set[int] = set()
        stuff_seen: set[int] = set()
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                self.add("field", where, f"segments_info[{index}] must be an object")
                continue
            segment_id = _integer(item.get("id"), 1, MAX_SEGMENT_ID)
            if segment_id is None:
                self.add("segment-id", where, f"segment id {str(item.get('id'))[:40]} is not "
                         f"in 1..{MAX_SEGMENT_ID} (0 means unlabeled)")
                continue
            if segment_id in segments or segment_id in unusable:
                self.add("segment-id", where, f"segment id {segment_id} appears twice")
                continue
            segment = self.segment(item, segment_id, categories, f"{where} segment {segment_id}")
            if segment is None:
                unusable.add(segment_id)
                continue
            category = categories[segment.category_id]
            if not category.isthing:
                if segment.category_id in stuff_seen or segment.iscrowd:
                    self.add("isthing", f"{where} segment {segment_id}",
                             f"stuff category {category.id} ({category.name}) is a crowd or "
                             "has a second segment")
                stuff_seen.add(segment.category_id)
            segments[segment_id] = segment
        return Annotation(image, file_name, tuple(segments.values()), frozenset(unusable))

    def segment(self, item: dict, segment_id: int, categories: CategorySet,
                where: str) -> SegmentInfo | None:
        raw_category = item.get("category_id")
        category_id = _integer(raw_category, 0, MAX_SEGMENT_ID)
        if category_id in self.unusable_categories:
            return None
        if category_id is None or category_id not in categories:
            self.add("unknown-category", where, f"category_id {str(raw_category)[:40]} is not "
                     "in categories")
            return None
        if item.get("iscrowd") not in (0, 1):
            self.add("field", where, "iscrowd must be 0 or 1")
            return None
        area = _integer(item.get("area"), 1)
        if area is None:
            self.add("area", where, f"area {str(item.get('area'))[:40]} is not a positive int")
        bbox = item.get("bbox")
        if not (isinstance(bbox, list) and len(bbox) == 4
                and all(_integer(v) is not None for v in bbox)):
            self.add("bbox", where, f"bbox {str(bbox)[:60]} is not four non-negative ints")
            bbox = None
        return SegmentInfo(segment_id, category_id, area,
                           None if bbox is None else (bbox[0], bbox[1], bbox[2], bbox[3]),
                           bool(item["iscrowd"]))


def check_pngs(dataset: PanopticDataset, png_dir: Path,
               workers: int | None = None) -> list[Problem]:
    """The PNG rules for every annotation, read in a thread pool."""
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count()) as pool:
        results = pool.map(lambda a: check_png(a, png_dir), dataset.annotations)
        return [problem for found in results for problem in found]


def check_png(annotation: Annotation, png_dir: Path) -> list[Problem]:
    image = annotation.image
    where = f"image {image.id} ({image.file_name})"
    try:
        id_map = read_png(resolve_inside(png_dir, annotation.file_name), image)
    except (UnsafePathError, PngError) as exc:
        rule = exc.rule if isinstance(exc, PngError) else "path"
        return [Problem(rule, where, str(exc))]
    ids, areas, boxes = region_stats(id_map)
    found = {int(i): (int(a), _coco_box(b)) for i, a, b in zip(ids, areas, boxes, strict=True)}
    problems = []
    listed = {s.id for s in annotation.segments} | annotation.unusable_ids
    extra = sorted(set(found) - listed - {0})
    if extra:
        problems.append(Problem("png-not-json", where, f"segment ids {_few(extra)} are in the "
                                "PNG but not in the JSON"))
    for segment in annotation.segments:
        if segment.id not in found:
            problems.append(Problem("json-not-png", where,
                                    f"segment {segment.id} is in the JSON but not in the PNG"))
            continue
        area, bbox = found[segment.id]
        if segment.area is not None and segment.area != area:
            problems.append(Problem("area", f"{where} segment {segment.id}",
                                    f"area is {segment.area}, the PNG has {area} pixels"))
        if segment.bbox is not None and list(segment.bbox) != bbox:
            problems.append(Problem("bbox", f"{where} segment {segment.id}",
                                    f"bbox is {list(segment.bbox)}, the pixels span {bbox}"))
    return problems


class PngError(ValueError):
    """A PNG that is missing, unreadable, or of the wrong mode or size."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


def read_png(path: Path, image: ImageInfo) -> np.ndarray:
    """A panoptic PNG's id map, after checking its mode and size from the header."""
    try:
        data = read_regular(path)
        depth = data[PNG_DEPTH_OFFSET:PNG_DEPTH_OFFSET + 1]
        with Image.open(io.BytesIO(data)) as header:
            kind, mode, size = header.format, header.mode, header.size
    except FileNotFoundError:
        raise PngError("png-missing", f"PNG {path.name!r} is missing") from None
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise PngError("png-missing", f"cannot read PNG {path.name!r}: {_reason(exc)}"
                       ) from None
    if kind != "PNG" or mode != "RGB" or depth != b"\x08":
        bits = f"{depth[0]}-bit " if kind == "PNG" and depth else ""
        raise PngError("png-mode", f"{path.name!r} is {bits}{kind} mode {mode}, "
                       "not an 8-bit RGB PNG")
    if size != (image.width, image.height):
        raise PngError("png-size", f"PNG is {size[0]}x{size[1]}, the image "
                       f"{image.width}x{image.height}")
    try:
        return decode_panoptic_png(data, path)
    except PanopticPngError as exc:
        raise PngError("png-missing", str(exc)) from None


def _reason(exc: BaseException) -> str:
    """An error's reason without Python's ``[Errno N]`` prefix and file name."""
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return " ".join(text.split())[:200]


def _coco_box(box: Iterable[int]) -> list[int]:
    y0, x0, y1, x1 = (int(v) for v in box)
    return [x0, y0, x1 - x0, y1 - y0]


def _few(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:10])
    return shown + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")

