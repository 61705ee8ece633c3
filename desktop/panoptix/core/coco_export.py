"""COCO panoptic export: ``panoptic_<name>.json`` plus the ``panoptic_<name>/`` PNG folder.

Export gathers what the project stores: each image's panoptic PNG is copied as it is, and
``segments_info`` comes from the areas and boxes saved beside it, so nothing is decoded or
re-encoded except to validate. Everything is written into a hidden folder beside the
target, validated (:mod:`panoptix.core.validate`), then renamed into place; a failure
leaves any earlier export as it was. Only what an earlier export wrote is ever replaced
(:mod:`panoptix.core.export_target`).

Layout: ``images[].file_name`` is the image's path relative to the image root; the
annotation's ``file_name`` is its PNG, named by :func:`panoptix.core.paths.png_names`
(the image's stem, unless two images share one). Image ids are 1..N in project order,
or the ids a dataset had when it was imported (:data:`IMAGE_IDS_SETTING`), or, with a
reference JSON (``ExportNaming.reference``), the ids of its images by file name. With
:class:`~panoptix.core.export_names.ExportNaming` the names are flat and the images can be
placed in ``<out>/<name>/`` too (every format takes the same options).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar

import numpy as np

from panoptix.core import atomic
from panoptix.core.annotation_file import (
    AnnotationError,
    AnnotationRecord,
    DocumentSnapshot,
    read_record,
    to_document,
)
from panoptix.core.export_names import (
    ExportName,
    ExportNaming,
    check_images,
    export_names,
    place_images,
)
from panoptix.core.export_names import image_record as names_record
from panoptix.core.export_stream import StreamedJson, ordered_map
from panoptix.core.export_target import (
    ExportError,
    check_replaceable,
    export_error_line,
    publish,
    staged,
)
from panoptix.core.image_notes import ImageNote, read_notes
from panoptix.core.manifest import IMAGE_IDS_SETTING, ImageEntry, ImageStatus, ProjectError
from panoptix.core.panoptic_png import (
    PanopticPngError,
    read_panoptic_png,
    write_panoptic_png,
)
from panoptix.core.project import Project
from panoptix.core.project_layout import ANNOTATIONS
from panoptix.core.project_reader import ProjectView, read_saved
from panoptix.core.reference_ids import ReferenceImage, ReferenceImages
from panoptix.core.reference_ids import notes as reference_notes
from panoptix.core.validate import ImageChecker, Problem

NAME_PATTERN = re.compile(r"[\w][\w.\-]*")
T = TypeVar("T")
NO_NOTE = ImageNote()
Progress = Callable[[int, int], None]
"""Called with (images done, images in all)."""
Source = Project | ProjectView
"""The window's open project, or one read without its lock (``panoptix export``): every
export reads the saved annotations without the project's locks, so neither waits for the
other (see :mod:`panoptix.core.project_reader`)."""


@dataclass(frozen=True)
class ExportResult:
    paths: list[Path]
    """What the export wrote into the output folder (a JSON and a folder)."""
    images: int
    segments: int
    """Segments written (semantic export: category regions, one per category per image)."""
    skipped: list[str] = field(default_factory=list)
    """Images left out because nothing was annotated yet (relative paths)."""
    notes: list[str] = field(default_factory=list)
    """How the export pairs with a reference JSON's images, where it does not fully."""


@dataclass(frozen=True, slots=True)
class ExportItem:
    """One image to export: its entry, COCO image id and annotated size (what is kept of
    every image while an export runs; its segments are read again as it is written)."""

    entry: ImageEntry
    image_id: int
    width: int
    height: int
    note: ImageNote = NO_NOTE
    """The image's flags and comment (``core.image_notes``), copied into its record."""
    reference: ReferenceImage | None = None
    """The reference JSON's image it takes its id (and file name) from."""


def check_name(name: str) -> str:
    """An export name usable in ``panoptic_<name>.json``: letters, digits, ``_ . -``."""
    if not NAME_PATTERN.fullmatch(name) or name.endswith(".json"):
        raise ExportError(f"export name {name!r} must be letters, digits, '_', '.' or '-' "
                          "(not starting with '.', not ending in .json)")
    return name


def default_name(project: Source) -> str:
    stem = project.folder.name.removesuffix(".panoptix")
    cleaned = re.sub(r"[^\w.\-]+", "_", stem).strip("._-")
    return cleaned or "export"


def image_ids(project: Source, matched: dict[str, ReferenceImage] | None = None,
              first_new: int = 1) -> dict[str, int]:
    """A unique COCO image id per image key. With ``matched`` (reference images by relative
    path), the reference image's, and ``first_new`` on for the others; else an imported
    dataset's own where known, then counting on from the largest."""
    if matched is not None:
        ids = {e.key: matched[e.rel_path].id for e in project.images if e.rel_path in matched}
        next_id = first_new
        for entry in project.images:
            if entry.key not in ids:
                ids[entry.key] = next_id
                next_id += 1
        return ids
    stored = project.settings.get(IMAGE_IDS_SETTING)
    stored = stored if isinstance(stored, dict) else {}
    ids: dict[str, int] = {}
    used: set[int] = set()
    for entry in project.images:
        value = stored.get(entry.key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0 \
                and value not in used:
            ids[entry.key] = value
            used.add(value)
    next_id = max(used, default=0) + 1
    for entry in project.images:
        if entry.key not in ids:
            ids[entry.key] = next_id
            next_id += 1
    return ids


def select_items(project: Source, only_done: bool, reference: ReferenceImages | None = None,
                 workers: int | None = None) -> tuple[list[ExportItem], list[str]]:
    """The images to export, and those skipped for having no annotation."""
    matched = (None if reference is None
               else reference.match([entry.rel_path for entry in project.images]))
    ids = image_ids(project, matched, reference.next_id() if reference is not None else 1)
    notes = read_notes(project.folder)
    entries = [e for e in project.images if not only_done or e.status == ImageStatus.DONE]
    items: list[ExportItem] = []
    skipped: list[str] = []
    for entry, size in zip(entries, ordered_map(lambda e: saved_size(project, e), entries,
                                                workers=workers), strict=True):
        if size is None:
            skipped.append(entry.rel_path)
        else:
            items.append(ExportItem(entry, ids[entry.key], *size,
                                    notes.get(entry.key, NO_NOTE),
                                    (matched or {}).get(entry.rel_path)))
    return items, skipped


def saved_record(project: Source, entry: ImageEntry) -> AnnotationRecord | None:
    """The image's saved record (None: not annotated); a damaged one in one line."""
    try:
        return read_record(project.folder / ANNOTATIONS, entry.key)
    except AnnotationError as exc:
        raise ProjectError(f"the annotation of {entry.rel_path} is damaged: {exc}") from None


def saved_size(project: Source, entry: ImageEntry) -> tuple[int, int] | None:
    record = saved_record(project, entry)
    return None if record is None else (record.width, record.height)


def export_notes(items: Sequence[ExportItem], naming: ExportNaming) -> list[str]:
    """What a reference JSON lacks of the export and the export of it (one line each)."""
    if naming.reference is None:
        return []
    return reference_notes(naming.reference, [(i.entry.rel_path, i.reference) for i in items])


def export_panoptic(project: Source, out_dir: Path, name: str | None = None, *,
                    only_done: bool = False, workers: int | None = None,
                    progress: Progress | None = None,
                    naming: ExportNaming = ExportNaming()) -> ExportResult:  # noqa: B008
    """Write the project as a validated COCO panoptic dataset into ``out_dir``, image by
    image: each PNG is checked as it is written (:class:`ImageChecker`)."""
    name = check_name(name or default_name(project))
    json_name, folder_name = f"panoptic_{name}.json", f"panoptic_{name}"
    check_targets(project, out_dir, name, naming, [json_name, folder_name])
    with staged(out_dir, name) as stage, StreamedJson(stage / json_name) as data:
        png_dir = stage / folder_name
        categories = project.categories.to_coco()
        checker = ImageChecker(categories, png_dir)
        problems: list[Problem] = list(checker.problems)
        segments = 0
        try:
            items, skipped = select_items(project, only_done, naming.reference, workers)
            names = export_names([item.entry.rel_path for item in items], naming)
            png_dir.mkdir()
            images, annotations = data.list(), data.list()

            def write(item: ExportItem, export_name: ExportName) -> tuple:
                image = image_record(item, export_name, naming)
                annotation = gather_png(project, item, png_dir, export_name.png)
                return image, annotation, checker.check(image, annotation)

            for image, annotation, found in ordered_map(write, items, names, workers=workers):
                images.append(image)
                annotations.append(annotation)
                problems += found
                segments += len(annotation["segments_info"])
                if progress is not None:
                    progress(annotations.count, len(items))
            data.write({"info": export_info(project), "licenses": [], "images": images,
                        "annotations": annotations, "categories": categories})
            placed = stage_images(project, stage, out_dir, name, names,
                                  image_records(items, names, naming), naming, workers)
        except (OSError, ProjectError, atomic.StoreError, PanopticPngError) as exc:
            raise ExportError(f"export failed: {export_error_line(exc, out_dir)}") from exc
        if problems:
            raise ExportError(f"export failed validation ({len(problems)} problems), "
                              f"first: {problems[0]}", problems)
        publish(stage, out_dir, [json_name, folder_name, *placed])
    return ExportResult([out_dir / n for n in (json_name, folder_name, *placed)], len(items),
                        segments, skipped, export_notes(items, naming))


def gather_png(project: Source, item: ExportItem, png_dir: Path, png: str) -> dict:
    """Copy one image's PNG to ``png_dir/png``; its COCO annotation from the saved record.

    A record with a repeated stuff category or a stuff crowd (possible when a category
    became stuff after the save) is re-encoded from its document, which joins them.
    """
    target = png_dir / png
    target.parent.mkdir(parents=True, exist_ok=True)

    def copy(record: AnnotationRecord, stored: Path) -> list[dict]:
        if not stuff_is_consistent(project, record):
            return reencode(project, record, read_panoptic_png(stored), target)
        shutil.copyfile(stored, target)
        return [segment_json(s.id, s.segment.category_id, s.area, s.bbox, s.segment.iscrowd)
                for s in record.segments.values() if s.area > 0]

    segments = read_stored(project, item, copy)
    return {"image_id": item.image_id, "file_name": png, "segments_info": segments}


def read_stored(project: Source, item: ExportItem,
                use: Callable[[AnnotationRecord, Path], T]) -> T:
    """``use(record, png)`` on the image's saved record and the PNG it names, read
    together without the project's locks (a save meanwhile is waited out:
    :func:`~panoptix.core.project_reader.read_saved`)."""
    try:
        found = read_saved(project.folder, item.entry.key, use)
    except AnnotationError as exc:
        raise ProjectError(f"the annotation of {item.entry.rel_path} is damaged: {exc}"
                           ) from None
    if found is None:
        raise ProjectError(f"the annotation of {item.entry.rel_path} vanished")
    return found


def read_id_map(project: Source, item: ExportItem) -> tuple[AnnotationRecord, np.ndarray]:
    """An image's saved record and id map, read together."""
    return read_stored(project, item, lambda record, png: (record, read_panoptic_png(png)))


def segment_json(segment_id: int, category_id: int, area: int, bbox: Sequence[int],
                 iscrowd: bool) -> dict:
    return {"id": segment_id, "category_id": category_id, "area": area, "bbox": list(bbox),
            "iscrowd": int(iscrowd)}


def stuff_is_consistent(project: Source, record: AnnotationRecord) -> bool:
    """Whether each stuff category has at most one segment, none of them a crowd."""
    seen: set[int] = set()
    for saved in record.segments.values():
        category_id = saved.segment.category_id
        if saved.area > 0 and not project.categories.is_thing(category_id):
            if category_id in seen or saved.segment.iscrowd:
                return False
            seen.add(category_id)
    return True


def reencode(project: Source, record: AnnotationRecord, id_map: np.ndarray,
             target: Path) -> list[dict]:
    """Write the document's PNG afresh (stuff joined, stuff never a crowd)."""
    snapshot = DocumentSnapshot.of(to_document(record, id_map, project.categories))
    write_panoptic_png(target, snapshot.id_map, sync=False)
    return [segment_json(i, s.category_id, snapshot.stats[i].area,
                         snapshot.stats[i].coco_bbox,
                         s.iscrowd and project.categories.is_thing(s.category_id))
            for i, s in snapshot.segments.items()]


def image_record(item: ExportItem, name: ExportName, naming: ExportNaming) -> dict:
    """An ``images[]`` record, with the image's flags and comment; the reference image's
    file name where there is one and the images are not placed (placed, they keep the
    names they are placed under)."""
    return {**names_record(item.image_id, _reference_named(item, name, naming), item.width,
                           item.height, naming), **item.note.export_fields()}


def image_records(items: Sequence[ExportItem], names: Sequence[ExportName],
                  naming: ExportNaming) -> Iterator[dict]:
    """The ``images[]`` records, made as they are asked for."""
    return (image_record(item, n, naming) for item, n in zip(items, names, strict=True))


def _reference_named(item: ExportItem, name: ExportName, naming: ExportNaming) -> ExportName:
    if item.reference is None or naming.images is not None:
        return name
    return replace(name, file_name=item.reference.file_name)


def check_targets(project: Source, out_dir: Path, name: str, naming: ExportNaming,
                  written: Sequence[str]) -> None:
    """Refuse, before any work, to replace what no export wrote (``written`` and the images
    folder) or to place images over the project's own."""
    if naming.images is not None:
        target = (out_dir / name).resolve()
        root = project.image_root.resolve()
        if target == root or root.is_relative_to(target) or target.is_relative_to(root):
            raise ExportError(f"the images folder {out_dir / name} would overlap the "
                              f"project's images in {project.image_root}: choose another "
                              "folder or name")
    check_replaceable(out_dir, [*written, *([name] if naming.images else [])])


def stage_images(project: Source, stage: Path, out_dir: Path, name: str,
                 names: Sequence[ExportName], records: Iterable[dict], naming: ExportNaming,
                 workers: int | None) -> list[str]:
    """Place the images into ``stage/<name>/`` when asked, checked; what to publish."""
    if naming.images is None:
        return []
    folder = stage / name
    place_images(project.image_root, names, folder, naming.images, workers)
    problems = check_images(folder, records)
    if problems:
        raise ExportError(f"export failed its image check ({len(problems)} problems), "
                          f"first: {problems[0]}", problems)
    return [name]


def export_info(project: Source) -> dict:
    return {"description": f"{project.folder.name}, exported by Panoptix",
            "date_created": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")}
