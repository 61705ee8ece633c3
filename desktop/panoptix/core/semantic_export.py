"""Semantic export: one PNG per image whose pixels say each pixel's category.

Pixel values (``ids``): ``train`` (the default) numbers the categories 0..N-1 in the
category table's order, as detectron2's ``load_sem_seg``, Mask2Former's semantic configs
(its ``prepare_coco_semantic_annos_from_panoptic_annos.py`` numbers COCO the same way) and
MMSegmentation expect; ``category`` writes the categories' own ids (COCO's are sparse, up to
200). Unlabeled pixels get 255 in an 8-bit PNG when every value is below 255, else 65535 in
a 16-bit PNG: ADE20K's category ids start at 0, so 0 cannot mean unlabeled.

Beside the ``semantic_<name>/`` folder: ``semantic_<name>.json`` (the ids, the unlabeled
value, the PNG type, the categories and which PNG belongs to which image) and
``semantic_<name>_classes.json``, the table from pixel value to category, in value order,
for a trainer's class list. PNG names follow the panoptic export's.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import cv2
import numpy as np

from panoptix.core import atomic
from panoptix.core.categories import CategorySet
from panoptix.core.coco_export import (
    ExportItem,
    ExportResult,
    Progress,
    Source,
    check_name,
    check_targets,
    default_name,
    export_notes,
    image_record,
    image_records,
    read_id_map,
    select_items,
    stage_images,
)
from panoptix.core.export_names import ExportName, ExportNaming, export_names
from panoptix.core.export_stream import StreamedJson, ordered_map
from panoptix.core.export_target import ExportError, export_error_line, publish, staged
from panoptix.core.manifest import ProjectError
from panoptix.core.panoptic_png import PanopticPngError
from panoptix.core.validate import Problem

IDS = ("train", "category")
DEFAULT_IDS = "train"


def pixel_values(categories: CategorySet, ids: str = DEFAULT_IDS) -> dict[int, int]:
    """``{category id: pixel value}``: 0..N-1 in table order (``train``) or the ids."""
    if ids == "train":
        return {category.id: value for value, category in enumerate(categories)}
    if ids == "category":
        return {category_id: category_id for category_id in categories.ids}
    raise ExportError(f"unknown ids {ids!r}: use {' or '.join(IDS)}")


def pixel_type(categories: CategorySet, ids: str = "category") -> tuple[np.dtype, int]:
    """``(dtype, unlabeled value)``: uint8 with 255 if every value is below 255, else uint16
    with 65535."""
    top = max(pixel_values(categories, ids).values(), default=0)
    if top < 255:
        return np.dtype(np.uint8), 255
    if top < 65535:
        return np.dtype(np.uint16), 65535
    raise ExportError(f"semantic export needs category ids below 65535; {top} is not")


def class_table(categories: CategorySet, values: dict[int, int]) -> list[dict]:
    """Pixel value to category, in value order."""
    return sorted(({"value": values[c.id], "category_id": c.id, "name": c.name,
                    "supercategory": c.supercategory, "isthing": int(c.isthing),
                    "color": list(c.color)} for c in categories), key=lambda row: row["value"])


def semantic_map(id_map: np.ndarray, categories_of: dict[int, int], dtype: np.dtype,
                 unlabeled: int) -> np.ndarray:
    """Each pixel's category id (``unlabeled`` where no segment is), through a lookup table
    over segment ids."""
    top = max(int(id_map.max(initial=0)), max(categories_of, default=0))
    lookup = np.full(top + 1, unlabeled, dtype)
    for segment_id, category_id in categories_of.items():
        lookup[segment_id] = category_id
    return lookup[id_map]


def export_semantic(project: Source, out_dir: Path, name: str | None = None, *,
                    only_done: bool = False, workers: int | None = None,
                    progress: Progress | None = None, ids: str = DEFAULT_IDS,
                    naming: ExportNaming = ExportNaming()) -> ExportResult:  # noqa: B008
    """Write ``semantic_<name>.json``, ``semantic_<name>_classes.json`` and
    ``semantic_<name>/`` into ``out_dir``, image by image, each PNG checked as written."""
    name = check_name(name or default_name(project))
    json_name, folder_name = f"semantic_{name}.json", f"semantic_{name}"
    classes_name = f"semantic_{name}_classes.json"
    values = pixel_values(project.categories, ids)
    dtype, unlabeled = pixel_type(project.categories, ids)
    check_targets(project, out_dir, name, naming, [json_name, classes_name, folder_name])
    with staged(out_dir, name) as stage, StreamedJson(stage / json_name) as data:
        problems: list[Problem] = []
        regions = 0
        try:
            items, skipped = select_items(project, only_done, naming.reference, workers)
            names = export_names([item.entry.rel_path for item in items], naming)
            folder = stage / folder_name
            folder.mkdir()

            def write(item: ExportItem, export_name: ExportName) -> tuple:
                record, id_map = read_id_map(project, item)
                values_of = {i: values.get(s.segment.category_id, unlabeled)
                             for i, s in record.segments.items()}
                pixels = semantic_map(id_map, values_of, dtype, unlabeled)
                png = export_name.png
                (folder / png).parent.mkdir(parents=True, exist_ok=True)
                write_gray_png(folder / png, pixels)
                expected: Counter[int] = Counter()
                for saved in record.segments.values():
                    if saved.area > 0:
                        expected[values.get(saved.segment.category_id, unlabeled)] += saved.area
                image = dict(image_record(item, export_name, naming), semantic_file_name=png)
                return image, len(expected), check_semantic(
                    folder, image, dict(expected), set(values.values()), dtype, unlabeled)

            images = data.list()
            for image, found, wrong in ordered_map(write, items, names, workers=workers):
                images.append(image)
                regions += found
                problems += wrong
                if progress is not None:
                    progress(images.count, len(items))
            classes = class_table(project.categories, values)
            data.write({"format": "semantic", "ids": ids, "dtype": dtype.name,
                        "unlabeled": unlabeled, "classes": classes,
                        "categories": project.categories.to_coco(), "images": images})
            atomic.write_json(stage / classes_name, {"ids": ids, "unlabeled": unlabeled,
                                                     "classes": classes}, sync=False)
            records = (dict(r, semantic_file_name=n.png) for r, n in
                       zip(image_records(items, names, naming), names, strict=True))
            placed = stage_images(project, stage, out_dir, name, names, records, naming,
                                  workers)
        except (OSError, ProjectError, atomic.StoreError, PanopticPngError) as exc:
            raise ExportError(f"export failed: {export_error_line(exc, out_dir)}") from exc
        if problems:
            raise ExportError(f"export failed its check ({len(problems)} problems), first: "
                              f"{problems[0]}", problems)
        written = [json_name, classes_name, folder_name, *placed]
        publish(stage, out_dir, written)
    return ExportResult([out_dir / n for n in written], len(items), regions, skipped,
                        export_notes(items, naming))


def write_gray_png(path: Path, pixels: np.ndarray) -> None:
    ok, encoded = cv2.imencode(".png", pixels, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise atomic.StoreError(f"cannot write {path}: PNG encoding failed")
    atomic.write_bytes(path, encoded.data, sync=False)


def pixel_counts(pixels: np.ndarray, unlabeled: int) -> dict[int, int]:
    """Pixels per category id, unlabeled left out."""
    counts = np.bincount(pixels.ravel(), minlength=unlabeled + 1)
    present = np.flatnonzero(counts[:unlabeled])
    return dict(zip(present.tolist(), counts[present].tolist(), strict=True))


def check_semantic(folder: Path, image: dict, expected: dict[int, int], values: set[int],
                   dtype: np.dtype, unlabeled: int) -> list[Problem]:
    """Read a written PNG back: its type and size, and its pixels per value must equal the
    areas the project saved, with no value that is neither a category's nor unlabeled."""
    where = f"image {image['id']} ({image['file_name']})"
    pixels = cv2.imread(str(folder / image["semantic_file_name"]), cv2.IMREAD_UNCHANGED)
    if pixels is None or pixels.dtype != dtype or pixels.shape != (image["height"],
                                                                    image["width"]):
        return [Problem("png-mode", where, "semantic PNG unreadable or of the wrong type or "
                        "size")]
    found = pixel_counts(pixels, unlabeled)
    unknown = sorted(set(found) - values)
    if unknown:
        return [Problem("unknown-category", where, f"values {unknown[:10]} are neither "
                        "categories nor unlabeled")]
    if found != expected:
        return [Problem("area", where, "pixels per category differ from the saved segment "
                        "areas")]
    return []
