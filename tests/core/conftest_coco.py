"""Helpers for the COCO tests: tiny panoptic datasets written with plain PIL and numpy, so
the code under test never checks itself."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from panoptix.core.categories import CategorySet
from panoptix.core.document import Document
from panoptix.core.manifest import ImageStatus
from panoptix.core.project import Project
from panoptix.core.segment import Segment

CATEGORIES = [
    {"id": 0, "name": "wall", "supercategory": "structure", "isthing": 0, "color": [120, 120, 120]},
    {"id": 1, "name": "person", "supercategory": "person", "isthing": 1, "color": [220, 20, 60]},
    {"id": 5, "name": "car", "supercategory": "vehicle", "isthing": 1, "color": [0, 0, 142]},
    {"id": 17, "name": "sky", "supercategory": "sky", "isthing": 0, "color": [70, 130, 180]},
]
"""Sparse ids, one of them 0 as in ADE20K."""

MAP_A = np.array([
    [0, 0, 7, 7, 7, 7],
    [3, 3, 7, 7, 7, 7],
    [3, 3, 0, 9, 9, 0],
    [0, 3, 0, 9, 9, 0],
], np.int64)
MAP_B = np.array([
    [2, 2, 2, 2, 2],
    [2, 4, 4, 2, 2],
    [2, 4, 4, 2, 2],
    [0, 0, 0, 0, 0],
    [0, 0, 0, 0, 70000],
], np.int64)
SEGMENTS_A = {7: (17, 0), 3: (1, 0), 9: (5, 1)}
SEGMENTS_B = {2: (0, 0), 4: (1, 0), 70000: (1, 0)}


def ids_to_rgb(id_map: np.ndarray) -> np.ndarray:
    return np.dstack([id_map % 256, id_map // 256 % 256, id_map // 65536]).astype(np.uint8)


def rgb_to_ids(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.int64)
    return rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]


def segments_info(id_map: np.ndarray, segments: dict[int, tuple[int, int]]) -> list[dict]:
    """COCO ``segments_info`` computed the slow, obvious way."""
    info = []
    for segment_id, (category_id, iscrowd) in segments.items():
        ys, xs = np.nonzero(id_map == segment_id)
        bbox = [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1),
                int(ys.max() - ys.min() + 1)]
        info.append({"id": segment_id, "category_id": category_id, "area": int(len(ys)),
                     "bbox": bbox, "iscrowd": iscrowd})
    return info


def write_dataset(folder: Path, name: str = "val") -> Path:
    """A valid two-image COCO panoptic dataset; returns the JSON path."""
    png_dir = folder / f"panoptic_{name}"
    png_dir.mkdir(parents=True)
    images, annotations = [], []
    for image_id, (stem, id_map, segments) in enumerate(
            [("a", MAP_A, SEGMENTS_A), ("b.2024.x", MAP_B, SEGMENTS_B)], start=1):
        height, width = id_map.shape
        images.append({"id": image_id, "file_name": f"{stem}.jpg", "width": width,
                       "height": height})
        Image.fromarray(ids_to_rgb(id_map)).save(png_dir / f"{stem}.png")
        annotations.append({"image_id": image_id, "file_name": f"{stem}.png",
                            "segments_info": segments_info(id_map, segments)})
    path = folder / f"panoptic_{name}.json"
    write_json(path, {"images": images, "annotations": annotations, "categories": CATEGORIES})
    return path


def write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data), encoding="utf-8")


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write_blank_images(folder: Path, images: list[dict]) -> None:
    """Black stand-ins of the listed sizes for the photos a dataset does not ship."""
    for image in images:
        path = folder / image["file_name"]
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (image["width"], image["height"])).save(path)


def coco_categories() -> CategorySet:
    return CategorySet.from_coco(CATEGORIES, name="test")


def make_project(folder: Path, annotated: dict[str, tuple[np.ndarray, dict, ImageStatus]],
                 blank: tuple[str, ...] = (), categories: CategorySet | None = None) -> Project:
    """An open project over black images in ``folder/photos``: each ``annotated`` image saved
    with its map, segments ``{id: (category_id, iscrowd)}`` and status; ``blank`` images
    get no annotation."""
    photos = folder / "photos"
    sizes = {name: id_map.shape for name, (id_map, _, _) in annotated.items()}
    sizes.update({name: (4, 6) for name in blank})
    for name, (height, width) in sizes.items():
        (photos / name).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (width, height)).save(photos / name)
    categories = categories or coco_categories()
    project = Project.create(folder / "photos.panoptix", photos,
                             [photos / name for name in sizes], categories)
    keys = {entry.rel_path: entry.key for entry in project.images}
    for name, (id_map, segments, status) in annotated.items():
        table = {i: Segment(c, bool(crowd)) for i, (c, crowd) in segments.items()}
        project.save_document(keys[name], Document(id_map, table, categories), status=status)
    return project


def key_of(project: Project, rel_path: str) -> str:
    return next(entry.key for entry in project.images if entry.rel_path == rel_path)
