"""Synthetic raw outputs with smooth masks and known segments."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from panoptix.inference.raw_outputs import RawOutputs
from tiny_models import table_labels

COCO_LABELS = table_labels("coco_panoptic")
COCO_THINGS = frozenset(range(80))
"""COCO panoptic's label order puts its 80 things first."""


@dataclass(frozen=True)
class Query:
    label: int | None
    """A label id, or None for a "no object" query."""
    logits: np.ndarray
    confidence: float = 10.0


def ellipse(shape: tuple[int, int], cy: float, cx: float, ry: float, rx: float,
            sharpness: float = 8.0) -> np.ndarray:
    y, x = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float32)
    return np.clip(sharpness * (1.0 - ((y - cy) / ry) ** 2 - ((x - cx) / rx) ** 2), -20, 20)


def band(shape: tuple[int, int], y0: float, y1: float, sharpness: float = 0.4) -> np.ndarray:
    """Logits positive between rows y0 and y1, smooth across both edges."""
    y = np.arange(shape[0], dtype=np.float32)[:, None] * np.ones((1, shape[1]), np.float32)
    return sharpness * np.minimum(y - y0, y1 - y)


def synthetic_raw(queries: list[Query], image_size: tuple[int, int], num_labels: int = 133,
                  task: str = "panoptic") -> RawOutputs:
    class_logits = np.zeros((len(queries), num_labels + 1), np.float32)
    for index, query in enumerate(queries):
        class_logits[index, num_labels if query.label is None else query.label] = query.confidence
    masks = np.stack([q.logits for q in queries]).astype(np.float16)
    return RawOutputs(class_logits, masks, image_size, dict(COCO_LABELS), task, "synthetic")


def street_scene(image_size: tuple[int, int] = (270, 480),
                 low: tuple[int, int] = (68, 120)) -> RawOutputs:
    """Sky, a wall, road split over two queries (fused), three people and a car cut
    out of the stuff, and queries that must be dropped: an unsure dog, a "no object" and a
    car hidden behind a person."""
    h, w = low
    sky, wall, road, person, car, dog = 119, 112, 100, 0, 2, 16
    things = [Query(person, ellipse(low, h * 0.55, w * 0.2, h * 0.2, w * 0.05), 12.0),
              Query(person, ellipse(low, h * 0.6, w * 0.45, h * 0.18, w * 0.04), 11.0),
              Query(person, ellipse(low, h * 0.6, w * 0.53, h * 0.18, w * 0.04), 10.0),
              Query(car, ellipse(low, h * 0.75, w * 0.8, h * 0.1, w * 0.12), 12.0)]
    holes = -np.max([q.logits for q in things], axis=0)
    columns = np.arange(w, dtype=np.float32)
    stuff = [Query(sky, band(low, -50, h * 0.3)),
             Query(wall, band(low, h * 0.3, h * 0.6)),
             Query(road, np.minimum(band(low, h * 0.6, h + 50), 0.4 * (w * 0.5 - columns))),
             Query(road, np.minimum(band(low, h * 0.6, h + 50), 0.4 * (columns - w * 0.5)))]
    dropped = [Query(dog, ellipse(low, h * 0.8, w * 0.1, h * 0.08, w * 0.05), 1.0),
               Query(None, ellipse(low, h * 0.2, w * 0.7, h * 0.1, w * 0.1)),
               Query(car, ellipse(low, h * 0.5, w * 0.2, h * 0.05, w * 0.03, 6.0), 7.0)]
    stuff = [Query(q.label, np.minimum(q.logits, holes), q.confidence) for q in stuff]
    return synthetic_raw(stuff + things + dropped, image_size)
