"""Panoptic, semantic and instance segmentation from raw outputs, in numpy and OpenCV.

transformers' post-processing upsamples every kept query to the full image size and takes
an argmax over that stack (seconds and gigabytes for a 12 MP photo). The decision rules
here are the same, applied on a *working grid* no larger than ``working_size`` on its
long side; the resulting integer id map is then resized with nearest neighbour, so
results differ only on boundary pixels. Unlike transformers, nothing found gives an
all-zero int32 map, fused stuff is one segment listing all its queries, and padding was
cropped away before the outputs were stored.

Given a ``guide`` (:func:`panoptix.inference.edges.edge_guide`: the image, grey, at the
working grid's size), the map's boundaries are then snapped to the image's edges on the
working grid (:mod:`panoptix.inference.edges`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace

import cv2
import numpy as np

from panoptix.inference.edges import edge_guide, snap_radius, snap_to_edges
from panoptix.inference.grid import Grid, upsampled_area_at_least, upsampled_argmax
from panoptix.inference.parts import split_detached_parts
from panoptix.inference.raw_outputs import RawOutputs

WORKING_SIZE = 1024
"""Default long side of the working grid: about 3x the mask logits' long side for a
checkpoint at its own input size (1333 / 4), so the grid is finer than the masks."""
CV_MAX_CHANNELS = 128
"""cv2.resize refuses images with more channels than this."""

ThingLabels = Callable[[int], bool] | Collection[int]
"""Which label ids are things: a predicate or a collection of thing label ids."""


@dataclass(frozen=True)
class PredictedSegment:
    id: int
    label_id: int
    score: float
    query_indices: tuple[int, ...]
    """The queries that make up this segment (several for fused stuff)."""


@dataclass(frozen=True, eq=False)
class Segmentation:
    id_map: np.ndarray
    """(H, W) int32; 0 is unlabeled, segment ids are 1..N."""
    segments: list[PredictedSegment]

    def segment(self, segment_id: int) -> PredictedSegment | None:
        return next((s for s in self.segments if s.id == segment_id), None)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits.astype(np.float32) - logits.max(axis=-1, keepdims=True).astype(np.float32)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def _float16_sigmoid_table() -> np.ndarray:
    every_float16 = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16)
    with np.errstate(over="ignore", invalid="ignore"):
        return (1.0 / (1.0 + np.exp(-every_float16.astype(np.float32)))).astype(np.float32)


_SIGMOID_FLOAT16 = _float16_sigmoid_table()
"""Sigmoid of each of the 65536 float16 values: a lookup is twice as fast as computing it."""


def sigmoid(logits: np.ndarray) -> np.ndarray:
    if logits.dtype == np.float16:
        return np.take(_SIGMOID_FLOAT16, logits.view(np.uint16))
    with np.errstate(over="ignore"):  # exp overflows to inf for logits below -88: still 0
        return 1.0 / (1.0 + np.exp(-logits.astype(np.float32)))


def working_shape(image_size: tuple[int, int], working_size: int) -> tuple[int, int]:
    """The (h, w) grid on which decisions are made: the image, shrunk to ``working_size``."""
    height, width = image_size
    scale = min(1.0, working_size / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


def resize_stack(stack: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of (h, w, K) to (shape, K), as torch's ``align_corners=False``."""
    size = (shape[1], shape[0])
    if stack.shape[:2] == shape:
        return stack
    parts = []
    for start in range(0, stack.shape[2], CV_MAX_CHANNELS):
        part = cv2.resize(np.ascontiguousarray(stack[:, :, start:start + CV_MAX_CHANNELS]), size,
                          interpolation=cv2.INTER_LINEAR)
        parts.append(part.reshape(shape[0], shape[1], -1))
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=2)


def working_guide(image: np.ndarray) -> np.ndarray:
    """The image's edge guide on its default working grid (what snapping reads): grey,
    uint8, at ``working_shape(image size, WORKING_SIZE)``."""
    return edge_guide(image, working_shape(image.shape[:2], WORKING_SIZE))


def to_full_size(id_map: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of a working-grid id map to the image size (pixel centres)."""
    if id_map.shape == tuple(image_size):
        return id_map.astype(np.int32, copy=False)
    top = int(id_map.max(initial=0))
    dtype = np.uint8 if top < 256 else np.uint16 if top < 65536 else np.int32
    full = cv2.resize(id_map.astype(dtype), (image_size[1], image_size[0]),
                      interpolation=cv2.INTER_NEAREST_EXACT)
    return full.astype(np.int32)


def finish(grid_map: np.ndarray, segments: list[PredictedSegment], raw: RawOutputs,
           guide: np.ndarray | None,
           split_things: Callable[[int], bool] | None = None) -> Segmentation:
    """The working-grid map, snapped to ``guide``'s edges when given, with the detached
    parts of segments whose label ``split_things`` calls a thing as segments of their own
    (:mod:`panoptix.inference.parts`), at the image's size."""
    if guide is not None and segments:
        grid_map = snap_to_edges(grid_map, guide,
                                 snap_radius(raw.mask_logits.shape[1:], grid_map.shape))
    if split_things is not None and segments:
        by_id = {s.id: s for s in segments}
        things = [s.id for s in segments if split_things(s.label_id)]
        grid_map, made = split_detached_parts(grid_map, things, max(by_id) + 1)
        segments = [*segments, *(replace(by_id[old], id=new) for new, old in made)]
    return Segmentation(to_full_size(grid_map, raw.image_size), segments)


def is_thing_function(things: ThingLabels) -> Callable[[int], bool]:
    if callable(things):
        return things
    thing_set = {int(label) for label in things}
    return thing_set.__contains__


def empty(raw: RawOutputs) -> Segmentation:
    return Segmentation(np.zeros(raw.image_size, np.int32), [])


class SegmentTable:
    """Numbers segments 1..N as queries arrive; all queries of a stuff label share one."""

    def __init__(self, label_isthing: ThingLabels) -> None:
        self._is_thing = is_thing_function(label_isthing)
        self._queries: dict[int, list[int]] = {}
        self._labels: dict[int, int] = {}
        self._scores: dict[int, float] = {}
        self._stuff: dict[int, int] = {}

    def add(self, query: int, label: int, score: float) -> int:
        """The segment id for ``query``; a fused segment keeps its best query's score."""
        segment_id = None if self._is_thing(label) else self._stuff.get(label)
        if segment_id is None:
            segment_id = len(self._queries) + 1
            self._queries[segment_id], self._labels[segment_id] = [], label
            self._scores[segment_id] = score
            if not self._is_thing(label):
                self._stuff[label] = segment_id
        if query not in self._queries[segment_id]:
            self._queries[segment_id].append(query)
        self._scores[segment_id] = max(self._scores[segment_id], score)
        return segment_id

    def segments(self) -> list[PredictedSegment]:
        return [PredictedSegment(i, self._labels[i], self._scores[i], tuple(queries))
                for i, queries in self._queries.items()]


def panoptic_segmentation(raw: RawOutputs, label_isthing: ThingLabels,
                          threshold: float = 0.8, mask_threshold: float = 0.5,
                          overlap_threshold: float = 0.8,
                          working_size: int = WORKING_SIZE,
                          guide: np.ndarray | None = None,
                          split_parts: bool = False) -> Segmentation:
    """transformers' panoptic rule on a working grid.

    Queries whose best class is real and scores above ``threshold`` compete per pixel by
    score-weighted mask probability. A query becomes a segment when it wins some pixels
    and those are more than ``overlap_threshold`` of its own mask (weighted probability
    at least ``mask_threshold``); all queries of one stuff label become one segment.
    """
    probabilities = softmax(raw.class_logits)
    scores, labels = probabilities.max(axis=1), probabilities.argmax(axis=1)
    kept = np.flatnonzero((labels != raw.num_labels) & (scores > threshold))
    if kept.size == 0:
        return empty(raw)
    grid = Grid(raw.mask_logits.shape[1:], working_shape(raw.image_size, working_size))
    weighted = sigmoid(raw.mask_logits[kept]) * scores[kept, None, None]
    winner = upsampled_argmax(grid, weighted)
    won_area = np.bincount(winner.ravel(), minlength=kept.size)
    own_area = upsampled_area_at_least(grid, weighted, mask_threshold)
    table = SegmentTable(label_isthing)
    lookup = np.zeros(kept.size, np.int32)
    for k, query in enumerate(kept.tolist()):
        if own_area[k] > 0 and won_area[k] / own_area[k] > overlap_threshold:
            lookup[k] = table.add(query, int(labels[query]), float(scores[query]))
    segments = table.segments()
    if not segments:
        return empty(raw)
    return finish(lookup[winner], segments, raw, guide,
                  is_thing_function(label_isthing) if split_parts else None)


def semantic_segmentation(raw: RawOutputs, working_size: int = WORKING_SIZE,
                          guide: np.ndarray | None = None) -> Segmentation:
    """transformers' semantic rule: per pixel, the label with the largest sum over queries of
    class probability x mask probability; one segment per label present.

    Label maps are upsampled only for labels that win somewhere on the mask grid, since
    the others can win nowhere but between grid points.
    """
    probabilities = softmax(raw.class_logits)
    num_queries, height, width = raw.mask_logits.shape
    masks = sigmoid(raw.mask_logits).reshape(num_queries, -1)
    label_maps = probabilities[:, :-1].T @ masks
    candidates = np.unique(label_maps.argmax(axis=0))
    shape = working_shape(raw.image_size, working_size)
    stack = label_maps[candidates].T.reshape(height, width, candidates.size)
    fine = resize_stack(np.ascontiguousarray(stack), shape).reshape(-1, candidates.size)
    best = fine.argmax(axis=1)
    best_score = fine[np.arange(best.size), best]
    counts = np.bincount(best, minlength=candidates.size)
    score_sums = np.bincount(best, weights=best_score, minlength=candidates.size)
    query_labels = probabilities[:, :-1].argmax(axis=1)
    is_real = probabilities.argmax(axis=1) != raw.num_labels

    lookup = np.zeros(candidates.size, np.int32)
    segments = []
    for index in np.flatnonzero(counts).tolist():
        label = int(candidates[index])
        lookup[index] = len(segments) + 1
        queries = np.flatnonzero(is_real & (query_labels == label))
        segments.append(PredictedSegment(len(segments) + 1, label,
                                         float(score_sums[index] / counts[index]),
                                         tuple(queries.tolist())))
    return finish(lookup[best].reshape(shape), segments, raw, guide)


def instance_segmentation(raw: RawOutputs, label_isthing: ThingLabels,
                          threshold: float = 0.5, mask_threshold: float = 0.5,
                          overlap_threshold: float = 0.8,
                          working_size: int = WORKING_SIZE,
                          guide: np.ndarray | None = None,
                          split_parts: bool = False) -> Segmentation:
    """transformers' instance scoring, painted into one non-overlapping map.

    The top Q (query, label) pairs by class probability are scored by class probability
    x mean mask probability inside the mask (probability above ``mask_threshold``). Those
    scoring at least ``threshold`` are placed best first; one keeps the pixels not taken
    yet, and is dropped unless they are more than ``overlap_threshold`` of its mask.
    Stuff labels are fused into one segment each.
    """
    probabilities = softmax(raw.class_logits)[:, :-1]
    num_labels = probabilities.shape[1]
    num_queries = raw.queries_run  # as many pairs as the model made queries, kept or not
    flat = probabilities.ravel()
    top = np.argpartition(-flat, num_queries - 1)[:num_queries] if flat.size > num_queries \
        else np.arange(flat.size)
    queries, labels = top // num_labels, top % num_labels
    mask_probs = sigmoid(raw.mask_logits[queries]).reshape(queries.size, -1)
    inside = mask_probs > mask_threshold
    mask_scores = (mask_probs * inside).sum(axis=1) / (inside.sum(axis=1) + 1e-6)
    scores = flat[top] * mask_scores
    order = [i for i in np.argsort(-scores, kind="stable").tolist()
             if scores[i] >= threshold and inside[i].any()]
    if not order:
        return empty(raw)
    shape = working_shape(raw.image_size, working_size)
    probability = min(max(mask_threshold, 1e-6), 1.0 - 1e-6)
    cutoff = float(np.log(probability / (1.0 - probability)))
    logits = resize_stack(np.ascontiguousarray(
        raw.mask_logits[queries[order]].astype(np.float32).transpose(1, 2, 0)), shape)
    logits = logits.reshape(shape[0], shape[1], len(order))
    table = SegmentTable(label_isthing)
    id_map = np.zeros(shape, np.int32)
    for position, index in enumerate(order):
        mask = logits[:, :, position] > cutoff
        own = int(mask.sum())
        visible = mask & (id_map == 0)
        if own > 0 and int(visible.sum()) / own > overlap_threshold:
            id_map[visible] = table.add(int(queries[index]), int(labels[index]),
                                        float(scores[index]))
    return finish(id_map, table.segments(), raw, guide,
                  is_thing_function(label_isthing) if split_parts else None)


def segment(raw: RawOutputs, label_isthing: ThingLabels, threshold: float = 0.8,
            mask_threshold: float = 0.5, overlap_threshold: float = 0.8,
            working_size: int = WORKING_SIZE, image: np.ndarray | None = None,
            split_parts: bool = False) -> Segmentation:
    """The segmentation for ``raw.task`` (semantic ignores the three thresholds and
    ``split_parts``), its boundaries snapped to ``image``'s edges when an image (or its
    guide) is given, the detached parts of objects split off with ``split_parts``."""
    shape = working_shape(raw.image_size, working_size)
    if image is not None and image.shape[:2] not in (tuple(raw.image_size), shape):
        raise ValueError(f"the image is {image.shape[1]}x{image.shape[0]} but the model's "
                         f"outputs are for {raw.image_size[1]}x{raw.image_size[0]}")
    guide = None if image is None else edge_guide(image, shape)
    if raw.task == "semantic":
        return semantic_segmentation(raw, working_size, guide)
    rule = instance_segmentation if raw.task == "instance" else panoptic_segmentation
    return rule(raw, label_isthing, threshold, mask_threshold, overlap_threshold, working_size,
                guide, split_parts)
