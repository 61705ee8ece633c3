"""A stand-in "model" for developing and testing the simulation without a trained model.

It writes raw outputs (``RawOutputs``: class logits and low-resolution mask logits) from a
scene's ground truth with the kinds of mistakes a segmentation model makes, seeded: masks
with soft, shifted edges; some segments missed (a confident-enough mask but a score under
the threshold, so still a proposal), some mislabelled, some merged with a neighbour, a few
false objects, and "no object" queries. It plugs into the real pipeline as a predictor
(``prepare``/``forward``), so pre-segmentation, proposals and guesses run the code the
window runs. Figures reported in the README never come from it (the bench says which
model it measured).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from panoptix.core.categories import CategorySet
from panoptix.core.document import Document
from panoptix.inference.raw_outputs import RawOutputs, round_mask_logits

MASK_SCALE = 4
"""Mask logits at a quarter of the image size, as Mask2Former's."""
NAME = "standin"


@dataclass(frozen=True)
class Mistakes:
    missed: float = 0.12
    missed_logit: float = 1.0
    """Class logit of a missed segment (the others have 9): 1 scores under 0.1 among the
    synth labels, 4 about 0.65 (found again at a lower threshold)."""
    mislabelled: float = 0.1
    merged: float = 0.1
    false_objects: int = 1
    edge_shift: float = 1.5
    """Pixels (at image size) the mask edges wander by."""


LEVELS = {
    "weak": Mistakes(missed=0.2, mislabelled=0.15, merged=0.15, false_objects=2,
                     edge_shift=2.0),
    "default": Mistakes(),
    "strong": Mistakes(missed=0.06, mislabelled=0.06, merged=0.04, false_objects=1,
                       edge_shift=1.0),
    "near-perfect": Mistakes(missed=0.01, mislabelled=0.01, merged=0.0, false_objects=0,
                             edge_shift=0.5),
}
"""Graded mistake levels (``bench_effort.py --standin-level``): on four 480x640 harbour
and four street scenes (seed 7) "near-perfect" starts at mean PQ 0.92 and 0.86, "strong"
at 0.68 and 0.79."""


def id2label(categories: CategorySet) -> dict[int, str]:
    return {index: category.name for index, category in enumerate(categories)}


def raw_outputs(truth: Document, seed: int, mistakes: Mistakes = Mistakes(),
                categories: CategorySet | None = None) -> RawOutputs:
    """The stand-in's outputs for an image whose ground truth is ``truth``."""
    categories = categories or truth.categories
    labels = [c.id for c in categories]
    things = [i for i, c in enumerate(categories) if c.isthing]
    rng = np.random.default_rng(seed)
    height, width = truth.shape
    low = (max(1, height // MASK_SCALE), max(1, width // MASK_SCALE))
    masks, classes = [], []
    ids = sorted(truth.segments)
    merged_away: set[int] = set()
    for segment_id in ids:
        if segment_id in merged_away:
            continue
        mask = truth.full_mask(segment_id)
        category = truth.segments[segment_id].category_id
        label = labels.index(category)
        confidence = 9.0
        roll = rng.random()
        if truth.categories.is_thing(category) and roll < mistakes.merged:
            neighbour = _neighbour(truth, segment_id, mask, merged_away)
            if neighbour is not None:
                mask = mask | truth.full_mask(neighbour)
                merged_away.add(neighbour)
        elif roll < mistakes.merged + mistakes.missed:
            confidence = mistakes.missed_logit
        elif roll < mistakes.merged + mistakes.missed + mistakes.mislabelled:
            pool = things if truth.categories.is_thing(category) else [
                i for i in range(len(labels)) if i not in things]
            label = int(rng.choice([i for i in pool if i != label] or [label]))
        masks.append(_logits(mask, low, rng, mistakes.edge_shift))
        classes.append(_class_row(len(labels), label, confidence))
    for _ in range(mistakes.false_objects):
        masks.append(_blob(low, rng))
        classes.append(_class_row(len(labels), int(rng.choice(things)), 8.0))
    for _ in range(3):
        masks.append(_blob(low, rng))
        classes.append(_class_row(len(labels), None, 8.0))
    mask_logits = round_mask_logits(np.stack(masks).astype(np.float32))
    return RawOutputs(np.stack(classes), mask_logits, (height, width), id2label(categories),
                      "panoptic", NAME)


def _class_row(num_labels: int, label: int | None, confidence: float) -> np.ndarray:
    row = np.zeros(num_labels + 1, np.float32)
    row[num_labels if label is None else label] = confidence
    return row


def _neighbour(truth: Document, segment_id: int, mask: np.ndarray,
               taken: set[int]) -> int | None:
    grown = cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    category = truth.segments[segment_id].category_id
    near = np.unique(truth.id_map[grown & ~mask])
    for other in near.tolist():
        if other and other != segment_id and other not in taken and \
                truth.segments[other].category_id == category:
            return int(other)
    return None


def _logits(mask: np.ndarray, low: tuple[int, int], rng: np.random.Generator,
            shift: float) -> np.ndarray:
    """Logits from the mask's signed distance to its edge (pixels), at low resolution,
    with the edge wandering by about ``shift`` pixels."""
    inside = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
    outside = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 3)
    signed = cv2.resize(inside - outside, (low[1], low[0]), interpolation=cv2.INTER_AREA)
    noise = cv2.GaussianBlur(rng.normal(0, 1, low).astype(np.float32), (0, 0), 2.0)
    noise /= max(float(noise.std()), 1e-6)
    return np.clip(1.5 * (signed + shift * noise), -20, 20)


def _blob(low: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    h, w = low
    cy, cx = rng.uniform(0.2, 0.8) * h, rng.uniform(0.2, 0.8) * w
    ry, rx = rng.uniform(0.03, 0.08) * h, rng.uniform(0.03, 0.08) * w
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return 8.0 * (1.0 - ((y - cy) / ry) ** 2 - ((x - cx) / rx) ** 2)


class StandinPredictor:
    """Answers ``Predictor.prepare``/``forward`` for the images it was given ground truth
    for (recognised by their pixels), so ``BatchPresegmenter`` runs it like a model."""

    device = "cpu"

    def __init__(self, truths: Mapping[bytes, Document], categories: CategorySet,
                 seed: int = 0, mistakes: Mistakes = Mistakes()) -> None:
        self.truths = dict(truths)
        self.categories = categories
        self.seed = seed
        self.mistakes = mistakes
        self.id2label = id2label(categories)

    @staticmethod
    def key(image: np.ndarray) -> bytes:
        return hashlib.sha1(np.ascontiguousarray(image).tobytes()).digest()

    def prepare(self, images: Sequence[np.ndarray], task: str = "panoptic") -> list[bytes]:
        return [self.key(image) for image in images]

    def forward(self, prepared: list[bytes]) -> list[RawOutputs]:
        outputs = []
        for key in prepared:
            truth = self.truths[key]
            seed = self.seed * 1_000_003 + int.from_bytes(key[:4], "little")
            outputs.append(raw_outputs(truth, seed, self.mistakes, self.categories))
        return outputs
