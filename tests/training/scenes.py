"""A small project of generated scenes with exact labels, for the training tests.

Each scene: sky above a wavy horizon, grass below (two stuff categories), a few red
balls and blue boxes on top (two thing categories) that may occlude each other, with
pixel noise. Some scenes get a crowd region and a strip left unlabeled, which training
must ignore. Everything is drawn from a seeded generator.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from panoptix.core.categories import Category, CategorySet
from panoptix.core.document import Document
from panoptix.core.project import ImageStatus, Project
from panoptix.core.segment import Segment

SKY, GRASS, BALL, BOX, FLAG = 1, 2, 3, 4, 5
CATEGORIES = CategorySet([
    Category(SKY, "sky", False, (120, 180, 250)),
    Category(GRASS, "grass", False, (60, 160, 60)),
    Category(BALL, "ball", True, (220, 40, 40)),
    Category(BOX, "box", True, (40, 40, 200)),
    Category(FLAG, "flag", True, (240, 200, 0)),  # never drawn: a label no image uses
], name="scenes")
COLORS = {SKY: (150, 200, 245), GRASS: (70, 150, 60), BALL: (210, 40, 40), BOX: (40, 50, 190)}


def scene(rng: np.random.Generator, height: int = 96, width: int = 128,
          crowd: bool = False, unlabeled: bool = False
          ) -> tuple[np.ndarray, np.ndarray, dict[int, Segment]]:
    """``(RGB image, id map, segments)``."""
    ids = np.zeros((height, width), np.int32)
    columns = np.arange(width)
    horizon = (height * rng.uniform(0.35, 0.6)
               + height * 0.08 * np.sin(columns / width * rng.uniform(2, 6) + rng.uniform(0, 6)))
    rows = np.arange(height)[:, None]
    ids[rows < horizon[None, :]] = 1
    ids[rows >= horizon[None, :]] = 2
    segments = {1: Segment(SKY), 2: Segment(GRASS)}
    for _ in range(int(rng.integers(1, 4))):
        kind = BALL if rng.random() < 0.5 else BOX
        new_id = max(segments) + 1
        mask = np.zeros((height, width), np.uint8)
        cx, cy = int(rng.integers(10, width - 10)), int(rng.integers(15, height - 10))
        r = int(rng.integers(10, 20))
        if kind == BALL:
            cv2.circle(mask, (cx, cy), r, 1, -1)
        else:
            cv2.rectangle(mask, (cx - r, cy - r * 2 // 3), (cx + r, cy + r * 2 // 3), 1, -1)
        ids[mask > 0] = new_id
        segments[new_id] = Segment(kind)
    if crowd:
        new_id = max(segments) + 1
        ids[height - 14:height - 4, 4:40] = new_id
        segments[new_id] = Segment(BALL, iscrowd=True)
    if unlabeled:
        ids[:, width - 12:] = 0
    segments = {i: s for i, s in segments.items() if (ids == i).any()}
    image = np.zeros((height, width, 3), np.float32)
    for segment_id, segment in segments.items():
        image[ids == segment_id] = COLORS[segment.category_id]
    image[ids == 0] = (128, 128, 128)
    image += rng.normal(0, 12, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8), ids, segments


def make_project(folder: Path, count: int = 8, seed: int = 0, done: int | None = None,
                 height: int = 96, width: int = 128) -> Path:
    """A project in ``folder/scenes.panoptix`` whose first ``done`` images (default: all)
    are marked done, the rest only pre-segmented; returns the project folder."""
    rng = np.random.default_rng(seed)
    images = folder / "scenes"
    images.mkdir(parents=True)
    documents = []
    for index in range(count):
        image, ids, segments = scene(rng, height, width, crowd=index % 4 == 1,
                                     unlabeled=index % 4 == 2)
        cv2.imwrite(str(images / f"scene_{index:02d}.png"), image[:, :, ::-1])
        documents.append(Document(ids, segments, CATEGORIES))
    project_folder = folder / "scenes.panoptix"
    paths = sorted(images.iterdir())
    with Project.create(project_folder, images, paths, CATEGORIES) as project:
        for index, (entry, document) in enumerate(zip(project.images, documents, strict=True)):
            status = ImageStatus.DONE if done is None or index < done else \
                ImageStatus.PRESEGMENTED
            project.save_document(entry.key, document, status)
    return project_folder
