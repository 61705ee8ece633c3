"""Training batches: which images each step sees, and turning them into model inputs.

:class:`BatchPlan` decides, from the seed alone, which images every micro-batch of every
step holds (a new shuffle each epoch), and each image's augmentation draws from a
generator seeded by its slot, so step ``s`` gets the same batch whether the run got there
directly or resumed from a checkpoint, and whatever the number of loader threads.

:class:`BatchLoader` prepares the coming micro-batches on a few threads (decode, augment,
renumber, the processor), so the training step does not wait for them; numpy, OpenCV and
torch release the GIL for their heavy parts.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from panoptix.core import imageio
from panoptix.training.augment import Augmentation
from panoptix.training.labels import LabelSpace
from panoptix.training.project_data import AnnotatedImage

if TYPE_CHECKING:
    from panoptix.training.architectures import InputMaker

MAX_SEGMENTS = 255
"""Segments per crop: the Pillow image processor reads id maps as 8-bit images."""


@dataclass(frozen=True)
class BatchPlan:
    images: int
    batch: int
    accumulate: int
    seed: int

    @property
    def per_step(self) -> int:
        return self.batch * self.accumulate

    @property
    def steps_per_epoch(self) -> int:
        return max(1, -(-self.images // self.per_step))

    def micro_batches(self, step: int) -> list[list[tuple[int, int]]]:
        """For optimizer step ``step`` (0-based): ``accumulate`` lists of ``(slot, image
        index)``; slot ``k`` is the ``k``-th image drawn since the start of training."""
        first = step * self.per_step
        slots = range(first, first + self.per_step)
        pairs = [(slot, self.image_at(slot)) for slot in slots]
        return [pairs[i:i + self.batch] for i in range(0, len(pairs), self.batch)]

    def image_at(self, slot: int) -> int:
        epoch, position = divmod(slot, self.images)
        order = np.random.default_rng([self.seed, epoch]).permutation(self.images)
        return int(order[position])


@dataclass(eq=False)
class Batch:
    inputs: dict[str, Any]
    """``pixel_values`` (B, 3, S, S), ``mask_labels`` and ``class_labels`` (lists), and
    OneFormer's ``task_inputs`` and ``text_inputs``."""
    valid: Any
    """(B, S, S) bool tensor: the pixels the loss counts (not unlabeled, crowd or padding)."""

    @property
    def size(self) -> int:
        return int(self.inputs["pixel_values"].shape[0])


class BatchEncoder:
    """Augmented crops of annotated images as model inputs, through the model's processor
    (``make_inputs``: see :mod:`panoptix.training.architectures`)."""

    def __init__(self, images: Sequence[AnnotatedImage], labels: LabelSpace,
                 augmentation: Augmentation, make_inputs: InputMaker, seed: int) -> None:
        self.images = images
        self.augmentation = augmentation
        self.make_inputs = make_inputs
        self.seed = seed
        self._labels = [_segment_labels(image, labels) for image in images]
        thing = np.array([*labels.things, False])  # label -1 (ignored): no object
        self._objects = [np.flatnonzero((table >= 0) & thing[table]) for table in self._labels]

    def encode(self, pairs: Sequence[tuple[int, int]]) -> Batch:
        import torch

        crops, maps, lookups = [], [], []
        for slot, index in pairs:
            rng = np.random.default_rng([self.seed, 1, slot])
            image = imageio.load_image(self.images[index].image_path)
            ids = self.images[index].id_map()
            if ids.shape != image.shape[:2]:
                raise ValueError(f"{self.images[index].rel_path} is now "
                                 f"{image.shape[1]}x{image.shape[0]} but its labels are "
                                 f"{ids.shape[1]}x{ids.shape[0]}")
            crop, crop_ids = self.augmentation.apply(image, ids, rng, self._objects[index])
            numbered, lookup = renumber(crop_ids, self._labels[index])
            crops.append(crop)
            maps.append(numbered)
            lookups.append(lookup)
        inputs = self.make_inputs(crops, maps, lookups, [slot for slot, _ in pairs])
        valid = torch.from_numpy(np.stack(maps) > 0)
        return Batch(inputs, valid)


def _segment_labels(image: AnnotatedImage, labels: LabelSpace) -> np.ndarray:
    """Label of each id (index 0: unlabeled); -1 for crowd and for unknown categories,
    which the loss ignores like unlabeled pixels."""
    table = np.full(len(image.segments) + 1, -1, np.int64)
    for i, segment in enumerate(image.segments, start=1):
        label = labels.label_of(segment.category_id)
        if not segment.iscrowd and label is not None:
            table[i] = label
    return table


def renumber(ids: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, dict[int, int]]:
    """The crop's segments as 1..M (uint8; 0: ignored) and their labels. Past
    :data:`MAX_SEGMENTS` segments, the smallest are ignored."""
    present, counts = np.unique(ids, return_counts=True)
    keep = [(int(n), int(i)) for i, n in zip(present.tolist(), counts.tolist(), strict=True)
            if i != 0 and labels[i] >= 0]
    keep.sort(key=lambda pair: -pair[0])
    keep = keep[:MAX_SEGMENTS]
    table = np.zeros(len(labels), np.uint8)
    lookup = {}
    for new_id, (_count, old_id) in enumerate(sorted(keep, key=lambda p: p[1]), start=1):
        table[old_id] = new_id
        lookup[new_id] = int(labels[old_id])
    return table[ids], lookup


class BatchLoader:
    """Yields the micro-batches of steps ``start`` .. ``stop - 1``, one list of
    ``accumulate`` batches per step, prepared ``ahead`` steps in advance on ``threads``
    threads (0: on the calling thread, when asked)."""

    def __init__(self, encoder: BatchEncoder, plan: BatchPlan, start: int, stop: int,
                 threads: int = 2, ahead: int = 2) -> None:
        self.encoder, self.plan = encoder, plan
        self.start, self.stop = start, stop
        self.threads = threads
        self.ahead = max(1, ahead)

    def steps(self) -> Iterator[list[Batch]]:
        encode, plan = self.encoder.encode, self.plan
        if self.threads <= 0:
            for step in range(self.start, self.stop):
                yield [encode(pairs) for pairs in plan.micro_batches(step)]
            return
        upcoming = iter(range(self.start, self.stop))
        pending: deque[list[Future[Batch]]] = deque()
        with ThreadPoolExecutor(self.threads, "panoptix-train-data") as pool:

            def submit_next() -> None:
                step = next(upcoming, None)
                if step is not None:
                    pending.append([pool.submit(encode, pairs)
                                    for pairs in plan.micro_batches(step)])

            for _ in range(self.ahead):
                submit_next()
            try:
                while pending:
                    group = pending.popleft()
                    submit_next()
                    yield [future.result() for future in group]
            finally:
                for group in pending:
                    for future in group:
                        future.cancel()
