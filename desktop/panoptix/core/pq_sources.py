"""Ground truth and predictions for ``panoptix evaluate``, read from COCO panoptic files
or from Panoptix projects, paired image by image and scored with :mod:`panoptix.core.pq`.

A source is a COCO panoptic JSON (its PNG folder beside it, named like the JSON without
``.json``, or given) or a project folder (or the image folder whose project sits beside
it). Projects are only read, so one may be open in the window meanwhile.

Which images count: every annotated image of the ground truth; of a ground-truth project
only the images marked done unless ``all_annotated``. Of a prediction, every annotated
image.

Pairing: by file name: ``images[].file_name`` of a JSON, the path below the image folder
of a project. Images left over on both sides then pair by stem (the name without folders
and extension, ``a/b.jpg`` -> ``b``) where that stem is unique on both sides, so a JSON
and the project made from its images still pair. A ground-truth image without a
prediction counts as an empty prediction (its segments are false negatives); predictions
of images outside the ground truth are left out. Both are reported, and so are pairs of
two JSONs whose ``image_id`` differ: panopticapi and detectron2 pair by id alone.

Categories are the ground truth's; a prediction's category ids must be among them (with
the same names, where the prediction names its categories). Ground-truth areas come
from the JSON, as panopticapi takes them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from panoptix.core.annotation_file import AnnotationError, read_record
from panoptix.core.atomic import StoreError
from panoptix.core.categories import CategorySet
from panoptix.core.coco_stream import SegmentStore, StoredAnnotation, stream_panoptic
from panoptix.core.export_stream import ordered_map
from panoptix.core.manifest import ImageStatus, ProjectError
from panoptix.core.panoptic_png import PanopticPngError
from panoptix.core.paths import UnsafePathError, pair_by_file_name, resolve_inside
from panoptix.core.pq import PQAccumulator, PQError, PQResult
from panoptix.core.project import ANNOTATIONS, MANIFEST_NAME, default_project_folder
from panoptix.core.project_layout import project_folder
from panoptix.core.project_reader import read_manifest, read_saved_document
from panoptix.core.segment import Segment
from panoptix.core.validate import PngError, read_png

TOLERATED = frozenset({"no-annotation", "area", "bbox", "isthing"})
"""JSON problems that do not stop an evaluation (panopticapi reads past them too)."""


class EvaluationError(Exception):
    """An evaluation that cannot be made; one line naming the file or image and why."""


@dataclass(frozen=True)
class Labels:
    id_map: np.ndarray
    segments: dict[int, Segment]
    areas: dict[int, int] | None = None
    """Segment areas as a JSON gives them (ground truth), else None: counted in the map."""


@dataclass(frozen=True)
class SourceImage:
    name: str
    read: Callable[[], Labels]
    image_id: int | None = None
    """A JSON's ``image_id`` (None in a project)."""


@dataclass
class Source:
    path: Path
    categories: CategorySet
    images: list[SourceImage]
    left_out: list[str] = field(default_factory=list)
    """Images of the source that do not count (not annotated, or not done)."""


@dataclass(frozen=True)
class Evaluation:
    result: PQResult
    categories: CategorySet
    ground_truth: Source
    prediction: Source
    missing: list[str]
    """Ground-truth images without a prediction (scored as empty predictions)."""
    extra: list[str]
    """Predicted images that are not in the ground truth (left out)."""
    other_ids: list[tuple[str, int, int]] = field(default_factory=list)
    """Pairs whose ground truth and prediction have different image ids: (name, ground
    truth's id, prediction's id)."""


def open_source(path: Path, png_dir: Path | None = None, *, ground_truth: bool,
                all_annotated: bool = False,
                categories: CategorySet | None = None) -> Source:
    """A COCO panoptic JSON or a project; ``categories`` replaces a JSON's own table (the
    ground truth's, for a prediction)."""
    path = Path(os.path.abspath(path))
    if path.is_dir():
        if png_dir is not None:
            raise EvaluationError(f"{path} is a project: a PNG folder is only for a JSON")
        folder = path if (path / MANIFEST_NAME).is_file() else default_project_folder(path)
        if not (folder / MANIFEST_NAME).is_file():
            raise EvaluationError(f"{path} is neither a COCO panoptic JSON nor a Panoptix "
                                  "project (nor a folder of images with one beside it)")
        return _project_source(project_folder(folder), ground_truth and not all_annotated)
    if not path.is_file():
        raise EvaluationError(f"{path}: no such file or folder")
    return _coco_source(path, png_dir if png_dir is not None else path.with_suffix(""),
                        ground_truth, categories)


def evaluate_sources(gt_path: Path, pred_path: Path, *, gt_png_dir: Path | None = None,
                     pred_png_dir: Path | None = None, all_annotated: bool = False,
                     workers: int | None = None,
                     progress: Callable[[int, int], None] | None = None) -> Evaluation:
    """PQ of the prediction against the ground truth, image by image: a few pairs are read
    ahead, each is added to the counts and dropped, so memory does not grow with the
    images' number. ``progress(done, total)`` after each pair."""
    gt = open_source(gt_path, gt_png_dir, ground_truth=True, all_annotated=all_annotated)
    if not gt.images:
        raise EvaluationError(f"{gt.path}: no ground-truth images to evaluate on"
                              + (" (none marked done; --all-annotated takes every annotated "
                                 "image)" if gt.left_out and not all_annotated else ""))
    pred = open_source(pred_path, pred_png_dir, ground_truth=False, categories=gt.categories)
    _check_names(gt.categories, pred.categories, pred.path)
    pairs, extra = pair_images(gt.images, pred.images)
    accumulator = PQAccumulator(gt.categories)
    missing = []
    for done, (truth, labels, predicted) in enumerate(
            ordered_map(_read_pair, pairs, workers=workers), start=1):
        if predicted is None:
            missing.append(truth.name)
            predicted = Labels(np.zeros_like(labels.id_map), {})
        try:
            accumulator.add(labels.id_map, labels.segments, predicted.id_map,
                            predicted.segments, gt_areas=labels.areas)
        except PQError as exc:
            raise EvaluationError(f"image {truth.name}: {exc}") from None
        if progress is not None:
            progress(done, len(pairs))
    other_ids = [(truth.name, truth.image_id, guess.image_id) for truth, guess in pairs
                 if guess is not None and None not in (truth.image_id, guess.image_id)
                 and truth.image_id != guess.image_id]
    return Evaluation(accumulator.result(), gt.categories, gt, pred, missing, extra,
                      other_ids)


def pair_images(truths: list[SourceImage], guesses: list[SourceImage]
                ) -> tuple[list[tuple[SourceImage, SourceImage | None]], list[str]]:
    """Ground-truth images with their prediction (None: none); and the predictions left
    out. See the module docstring for the rule (:func:`pair_by_file_name`)."""
    by_name = {image.name: image for image in guesses}
    paired = pair_by_file_name([truth.name for truth in truths], list(by_name))
    pairs = [(truth, by_name.get(paired.get(truth.name))) for truth in truths]
    return pairs, sorted(set(by_name) - set(paired.values()))


# -- COCO panoptic ------------------------------------------------------------------------
def _coco_source(json_path: Path, png_dir: Path, ground_truth: bool,
                 categories: CategorySet | None) -> Source:
    dataset = stream_panoptic(json_path, categories, TOLERATED)
    if not dataset.readable:
        raise EvaluationError(str(dataset.problems[0]))
    refused = dataset.problems
    if refused:
        more = f" (and {len(refused) - 1} more problems)" if len(refused) > 1 else ""
        first = str(refused[0])
        if categories is not None:  # checked against the ground truth's table
            first = first.replace("is not in categories", "is not among the ground truth's "
                                  "categories")
        raise EvaluationError(f"{json_path}: {first}{more}")
    if not png_dir.is_dir():
        raise EvaluationError(f"{json_path}: its PNG folder {png_dir} does not exist")
    images = [SourceImage(a.image.file_name, _PngReader(a, dataset.store, png_dir,
                                                        ground_truth), a.image.id)
              for a in dataset.annotations]
    return Source(json_path, dataset.named if dataset.named is not None
                  else dataset.categories, images, dataset.unannotated)


class _PngReader:
    """Reads one image of a COCO panoptic source: its PNG, its segments from the store."""

    __slots__ = ("annotation", "store", "png_dir", "ground_truth")

    def __init__(self, annotation: StoredAnnotation, store: SegmentStore, png_dir: Path,
                 ground_truth: bool) -> None:
        self.annotation, self.store = annotation, store
        self.png_dir, self.ground_truth = png_dir, ground_truth

    def __call__(self) -> Labels:
        image = self.annotation.image
        try:
            id_map = read_png(resolve_inside(self.png_dir, self.annotation.file_name), image)
        except (UnsafePathError, PngError) as exc:
            raise EvaluationError(f"image {image.file_name}: {exc}") from None
        stored = self.store.read(self.annotation.offset, self.annotation.count)
        segments = {s.id: Segment(s.category_id, s.iscrowd) for s in stored}
        if not self.ground_truth:
            return Labels(id_map, segments)
        present, counts = np.unique(id_map, return_counts=True)
        unknown = sorted(set(present.tolist()) - set(segments) - {0})
        if unknown:
            raise EvaluationError(f"image {image.file_name}: ground-truth ids "
                                  f"{unknown[:5]} are in its PNG but not in the JSON")
        areas = dict(zip(present.tolist(), counts.tolist(), strict=True))
        areas.update({s.id: s.area for s in stored if s.area is not None})
        return Labels(id_map, segments, areas)


# -- projects -----------------------------------------------------------------------------
def _project_source(folder: Path, only_done: bool) -> Source:
    try:
        manifest = read_manifest(folder)
    except ProjectError as exc:
        raise EvaluationError(f"cannot read project {exc}") from None
    annotations = folder / ANNOTATIONS
    images, left_out = [], []
    for entry in manifest.images:
        try:
            record = read_record(annotations, entry.key)
        except (AnnotationError, StoreError) as exc:
            raise EvaluationError(f"project {folder}, image {entry.rel_path}: {exc}") from None
        if record is None or (only_done and record.status != ImageStatus.DONE):
            left_out.append(entry.rel_path)
            continue
        images.append(SourceImage(entry.rel_path, _document_reader(
            folder, entry.key, entry.rel_path, manifest.categories)))
    return Source(folder, manifest.categories, images, left_out)


def _document_reader(folder: Path, key: str, name: str,
                     categories: CategorySet) -> Callable[[], Labels]:
    def read() -> Labels:
        try:  # the window may save a newer revision meanwhile: read_saved_document retries
            doc = read_saved_document(folder, key, categories)
        except (StoreError, PanopticPngError) as exc:
            raise EvaluationError(f"image {name}: {exc}") from None
        if doc is None:
            raise EvaluationError(f"image {name}: its annotation is gone")
        return Labels(doc.id_map, dict(doc.segments))

    return read


# -- helpers ------------------------------------------------------------------------------
def _check_names(truth: CategorySet, guess: CategorySet, where: Path) -> None:
    for category in guess:
        known = truth.get(category.id)
        if known is not None and known.name != category.name:
            raise EvaluationError(f"{where}: category {category.id} is {category.name!r} "
                                  f"there but {known.name!r} in the ground truth")


def _read_pair(pair: tuple[SourceImage, SourceImage | None]
               ) -> tuple[SourceImage, Labels, Labels | None]:
    truth, guess = pair
    return truth, truth.read(), None if guess is None else guess.read()
