"""COCO instance export: thing segments as compressed RLE, for detection and instance
segmentation training (detectron2's ``load_coco_json``, pycocotools' ``COCO``).

``instances_<name>.json`` holds images, one annotation per thing segment (``id``,
``image_id``, ``category_id``, ``segmentation`` as compressed RLE, ``area``, ``bbox``,
``iscrowd``; no ``score``) and the thing categories only.

The RLE encoder writes what pycocotools' ``mask.encode`` writes, without depending on it:
runs over the mask in column-major order, starting with a run of zeros; each count (minus
the count two before it, from the fourth on) in 5-bit groups, low first, written as
``chr(48 + group)`` with ``0x20`` set when another group follows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from panoptix.core import atomic
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
from panoptix.core.export_names import ExportNaming, export_names
from panoptix.core.export_stream import StreamedJson, ordered_map
from panoptix.core.export_target import ExportError, export_error_line, publish, staged
from panoptix.core.manifest import ProjectError
from panoptix.core.panoptic_png import PanopticPngError
from panoptix.core.stats import Box
from panoptix.core.validate import Problem


def rle_counts(mask: np.ndarray, box: Box | None = None,
               size: tuple[int, int] | None = None) -> np.ndarray:
    """Run lengths of a mask in column-major order, the first run being zeros.

    ``mask`` is the whole image, or only the part inside ``box`` = ``(y0, x0, y1, x1)`` of an
    image of ``size`` = ``(height, width)``: the pixels outside the box count as zeros
    without the full mask ever being built.
    """
    if box is None or size is None:
        box, size = (0, 0, *mask.shape), mask.shape
    y0, x0, y1, x1 = box
    height, width = size
    columns = np.zeros((height, x1 - x0), bool)
    columns[y0:y1] = mask
    flat = columns.ravel(order="F")
    changes = np.flatnonzero(np.diff(flat, prepend=False, append=False))
    bounds = np.concatenate(([0], changes + x0 * height, [height * width]))
    counts = np.diff(bounds)
    if len(counts) > 1 and counts[-1] == 0:
        counts = counts[:-1]
    return counts


def rle_string(counts: np.ndarray) -> str:
    """pycocotools' compressed text of run lengths (``rleToString`` in its maskApi.c)."""
    values = np.asarray(counts, np.int64)
    deltas = values.copy()
    deltas[3:] -= values[1:-2]
    chars: list[str] = []
    for value in deltas.tolist():
        more = True
        while more:
            group = value & 0x1F
            value >>= 5
            more = value != -1 if group & 0x10 else value != 0
            chars.append(chr(48 + (group | 0x20 if more else group)))
    return "".join(chars)


def rle_string_counts(text: str) -> np.ndarray:
    """The run lengths of a compressed RLE text (``rleFrString``), to check an export."""
    counts: list[int] = []
    position = 0
    while position < len(text):
        value = shift = 0
        more = True
        while more:
            group = ord(text[position]) - 48
            value |= (group & 0x1F) << shift
            more = bool(group & 0x20)
            position += 1
            shift += 5
            if not more and group & 0x10:
                value |= -1 << shift
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
    return np.asarray(counts, np.int64)


def encode_rle(mask: np.ndarray, box: Box | None = None,
               size: tuple[int, int] | None = None) -> dict:
    """``{"size": [h, w], "counts": str}``, as pycocotools' ``mask.encode`` gives it with
    ``counts`` decoded to text for JSON. ``box`` and ``size`` as for :func:`rle_counts`."""
    height, width = size if size is not None else mask.shape
    return {"size": [int(height), int(width)], "counts": rle_string(rle_counts(mask, box, size))}


def rle_area_and_bbox(rle: dict) -> tuple[int, list[int]]:
    """Pixel count and COCO ``[x, y, w, h]`` of an RLE, from its runs alone."""
    height, _ = rle["size"]
    counts = rle_string_counts(rle["counts"])
    ends = np.cumsum(counts)
    starts = ends - counts
    starts, ends = starts[1::2], ends[1::2]
    ones = ends > starts
    starts, ends = starts[ones], ends[ones] - 1
    if not len(starts):
        return 0, [0, 0, 0, 0]
    first_col, last_col = starts // height, ends // height
    spans = last_col > first_col
    top = np.where(spans, 0, starts % height).min()
    bottom = np.where(spans, height - 1, ends % height).max()
    x0, x1 = int(first_col.min()), int(last_col.max())
    return int((ends + 1 - starts).sum()), [x0, int(top), x1 - x0 + 1, int(bottom - top) + 1]


def export_instances(project: Source, out_dir: Path, name: str | None = None, *,
                     only_done: bool = False, workers: int | None = None,
                     progress: Progress | None = None,
                     naming: ExportNaming = ExportNaming()) -> ExportResult:  # noqa: B008
    """Write ``instances_<name>.json`` into ``out_dir``, image by image, each RLE checked
    against the segment's area and box as it is written."""
    name = check_name(name or default_name(project))
    json_name = f"instances_{name}.json"
    categories = project.categories
    check_targets(project, out_dir, name, naming, [json_name])
    with staged(out_dir, name) as stage, StreamedJson(stage / json_name) as data:
        problems: list[Problem] = []
        try:
            items, skipped = select_items(project, only_done, naming.reference, workers)
            names = export_names([item.entry.rel_path for item in items], naming)

            def encode(item: ExportItem) -> list[dict]:
                record, id_map = read_id_map(project, item)
                found = []
                for saved in record.segments.values():
                    category = categories.get(saved.segment.category_id)
                    if saved.area == 0 or category is None or not category.isthing:
                        continue
                    x, y, w, h = saved.bbox
                    rle = encode_rle(id_map[y:y + h, x:x + w] == saved.id, (y, x, y + h, x + w),
                                     id_map.shape)
                    found.append({"image_id": item.image_id, "category_id": category.id,
                                  "segmentation": rle, "area": saved.area,
                                  "bbox": list(saved.bbox),
                                  "iscrowd": int(saved.segment.iscrowd)})
                return found

            images, annotations = data.list(), data.list()
            for item, export_name, found in zip(items, names, ordered_map(
                    encode, items, workers=workers), strict=True):
                images.append(image_record(item, export_name, naming))
                for annotation in found:
                    annotation["id"] = annotations.count + 1
                    problems += check_instances([annotation])
                    annotations.append(annotation)
                if progress is not None:
                    progress(images.count, len(items))
            things = [{"id": c.id, "name": c.name, "supercategory": c.supercategory}
                      for c in categories if c.isthing]
            data.write({"images": images, "annotations": annotations, "categories": things})
            placed = stage_images(project, stage, out_dir, name, names,
                                  image_records(items, names, naming), naming, workers)
        except (OSError, ProjectError, atomic.StoreError, PanopticPngError) as exc:
            raise ExportError(f"export failed: {export_error_line(exc, out_dir)}") from exc
        if problems:
            raise ExportError(f"export failed its check ({len(problems)} problems), first: "
                              f"{problems[0]}", problems)
        publish(stage, out_dir, [json_name, *placed])
    return ExportResult([out_dir / n for n in (json_name, *placed)], len(items),
                        annotations.count, skipped, export_notes(items, naming))


def check_instances(annotations: list[dict]) -> list[Problem]:
    """Each RLE, decoded from its text, has the annotation's area and bbox."""
    problems = []
    for annotation in annotations:
        area, bbox = rle_area_and_bbox(annotation["segmentation"])
        if (area, bbox) != (annotation["area"], annotation["bbox"]):
            problems.append(Problem("area", f"annotation {annotation['id']} of image "
                                    f"{annotation['image_id']}", f"RLE has area {area} and "
                                    f"bbox {bbox}, the saved segment {annotation['area']} and "
                                    f"{annotation['bbox']}"))
    return problems
