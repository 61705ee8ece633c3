"""The annotated images of a project, read without taking the project's lock.

The window may have the project open (it holds the lock) and keep saving while a training
process reads it; :mod:`panoptix.core.project_reader` reads safely without the lock.
Nothing here writes into the project; a damaged annotation is skipped and reported.

Each image is read once, at the start, into an :class:`AnnotatedImage` held in memory (a
compact PNG of its id map and its segment table), so every step and every evaluation of
one run sees the same labels even if the annotators carry on meanwhile.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from panoptix.core import annotation_file as files
from panoptix.core.atomic import StoreError
from panoptix.core.categories import CategorySet
from panoptix.core.document import Document
from panoptix.core.imageio import DEFAULT_MAX_PIXELS
from panoptix.core.manifest import ImageEntry, ImageStatus, ProjectError
from panoptix.core.messages import one_line
from panoptix.core.panoptic_png import PanopticPngError, png_header
from panoptix.core.project_layout import ANNOTATIONS, project_folder
from panoptix.core.project_reader import read_manifest, read_saved_document
from panoptix.core.segment import Segment

PNG_GRAY = 0
"""The PNG color type of one-channel labels."""


class TrainingDataError(Exception):
    """The project cannot give training data; the message is one line."""


@dataclass(frozen=True, eq=False)
class AnnotatedImage:
    key: str
    rel_path: str
    image_path: Path
    ids_png: bytes
    """The id map as a one-channel PNG (uint8, or uint16 beyond 255 segments): 0 is
    unlabeled, ``i`` is ``segments[i - 1]``."""
    segments: tuple[Segment, ...]

    def label_size(self) -> tuple[int, int]:
        """``(width, height)`` of the labels from their PNG header, checked before a pixel
        is decoded: a one-channel 8- or 16-bit PNG within the image pixel limit."""
        header = png_header(self.ids_png)
        if header is None or header[2] not in (8, 16) or header[3] != PNG_GRAY:
            raise TrainingDataError(f"{self.rel_path}: its labels are not a one-channel PNG")
        width, height = header[:2]
        if not 0 < width * height <= DEFAULT_MAX_PIXELS:
            raise TrainingDataError(f"{self.rel_path}: its labels are {width}x{height}, "
                                    f"over the {DEFAULT_MAX_PIXELS / 1e6:.0f} MP limit")
        return width, height

    def id_map(self) -> np.ndarray:
        width, height = self.label_size()
        ids = cv2.imdecode(np.frombuffer(self.ids_png, np.uint8), cv2.IMREAD_UNCHANGED)
        if ids is None or ids.shape != (height, width):
            raise TrainingDataError(f"{self.rel_path}: its labels could not be decoded")
        return ids

    def document(self, categories: CategorySet) -> Document:
        """The ground truth as a document (for PQ)."""
        table = {i + 1: segment for i, segment in enumerate(self.segments)}
        return Document(self.id_map().astype(np.int32), table, categories)

    def category_ids(self) -> set[int]:
        """Categories of the segments that are not crowd."""
        return {s.category_id for s in self.segments if not s.iscrowd}


def compact(document: Document) -> tuple[bytes, tuple[Segment, ...]]:
    """The document's ids renumbered 1..N in id order, as a PNG, and the N segments."""
    ids = np.asarray(document.id_map)
    present, inverse = np.unique(ids, return_inverse=True)
    numbered = inverse.reshape(ids.shape) + (0 if present.size and present[0] == 0 else 1)
    segment_ids = [int(i) for i in present.tolist() if i != 0]
    dtype = np.uint8 if len(segment_ids) < 256 else np.uint16
    if len(segment_ids) >= 65536:
        raise TrainingDataError(f"{len(segment_ids)} segments in one image is too many")
    ok, encoded = cv2.imencode(".png", numbered.astype(dtype))
    if not ok:
        raise TrainingDataError("could not encode an id map")
    return encoded.tobytes(), tuple(document.segments[i] for i in segment_ids)


class ProjectReader:
    """A project folder, read-only and lock-free."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = project_folder(folder)
        try:
            self.manifest = read_manifest(self.folder)
        except ProjectError as exc:
            raise TrainingDataError(str(exc)) from None
        self.image_root = Path(os.path.normpath(self.folder / self.manifest.image_root))
        self.skipped: dict[str, str] = {}
        """Relative path -> why an annotation could not be read."""

    @property
    def categories(self) -> CategorySet:
        return self.manifest.categories

    @property
    def settings(self) -> dict:
        return self.manifest.settings

    @property
    def entries(self) -> list[ImageEntry]:
        return list(self.manifest.images)

    def status(self, entry: ImageEntry) -> ImageStatus | None:
        """The status saved with the annotation (written first, so it wins after a crash);
        None without an annotation."""
        try:
            record = files.read_record(self.folder / ANNOTATIONS, entry.key)
        except StoreError as exc:
            self.skipped[entry.rel_path] = one_line(exc)
            return None
        return record.status if record is not None else None

    def select(self, statuses: Iterable[ImageStatus]) -> list[ImageEntry]:
        """Images whose saved annotation has one of ``statuses``, in project order."""
        wanted = set(statuses)
        return [entry for entry in self.entries if self.status(entry) in wanted]

    def read(self, entry: ImageEntry) -> AnnotatedImage | None:
        """The image's annotation, or None (reason in :attr:`skipped`) when it is damaged."""
        try:
            document = read_saved_document(self.folder, entry.key, self.categories)
        except (StoreError, PanopticPngError) as exc:
            self.skipped[entry.rel_path] = one_line(exc)
            return None
        if document is None:
            self.skipped[entry.rel_path] = "its annotation was removed"
            return None
        ids_png, segments = compact(document)
        return AnnotatedImage(entry.key, entry.rel_path, self.image_root / entry.rel_path,
                              ids_png, segments)


VALIDATION_SHARE = 0.15
"""The share of the images held out for validation unless told (``--val``)."""


def split_keys(keys: Iterable[str], fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """``(train, validation)``: a fixed share of the keys, chosen by a seeded hash of each
    key, so the split is the same on every run and barely moves when images are added.
    At least one validation image when there are five or more (and ``fraction`` > 0);
    none below five, where every image is needed for training."""
    ordered = list(dict.fromkeys(keys))
    count = max(1, round(fraction * len(ordered))) if fraction > 0 and len(ordered) >= 5 else 0
    rank = sorted(ordered, key=lambda key: hashlib.sha256(f"{seed}:{key}".encode()).digest())
    validation = set(rank[:count])
    return ([k for k in ordered if k not in validation], [k for k in ordered if k in validation])
