"""Image ids (and file names) taken from a reference COCO JSON, so that an export pairs
with it by ``image_id``.

panopticapi's ``pq_compute`` and detectron2's ``COCOPanopticEvaluator`` pair ground truth
and prediction by ``image_id``, never by file name, and say nothing when the pairs are
wrong. An export made with a reference (``panoptix export --image-ids-from GT.json``)
gives each image the id of the reference image with its file name: the same relative
path, else the same stem (name without folders and extension) where it is unique on both
sides, as ``panoptix evaluate`` pairs images (:func:`~panoptix.core.paths.pair_by_file_name`).
Images the reference lacks get ids above all of the reference's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from panoptix.core.paths import pair_by_file_name
from panoptix.core.validate import read_json

SHOWN = 5
"""Names shown in a note before ``...``."""


class ReferenceIdsError(ValueError):
    """A reference JSON that gives no usable image ids; one line."""


@dataclass(frozen=True)
class ReferenceImage:
    id: int
    file_name: str


@dataclass(frozen=True)
class ReferenceImages:
    path: Path
    images: tuple[ReferenceImage, ...]

    @classmethod
    def read(cls, path: Path) -> ReferenceImages:
        """The ``images[]`` of a COCO JSON (panoptic, instances or any other)."""
        data, problems = read_json(path)
        if problems:
            raise ReferenceIdsError(str(problems[0]))
        records = data.get("images") if isinstance(data, dict) else None
        if not isinstance(records, list):
            raise ReferenceIdsError(f"{path}: no images[] list: not a COCO JSON")
        images, ids, names = [], set(), set()
        for index, record in enumerate(records):
            image_id = record.get("id") if isinstance(record, dict) else None
            name = record.get("file_name") if isinstance(record, dict) else None
            if not isinstance(image_id, int) or isinstance(image_id, bool) or image_id < 0 \
                    or not isinstance(name, str) or not name:
                raise ReferenceIdsError(f"{path}: images[{index}] needs an id (a whole "
                                        "number, 0 or more) and a file_name")
            if image_id in ids or name in names:
                raise ReferenceIdsError(f"{path}: images[{index}] repeats the "
                                        f"{'id' if image_id in ids else 'file_name'} of an "
                                        "earlier image")
            ids.add(image_id)
            names.add(name)
            images.append(ReferenceImage(image_id, name))
        return cls(path, tuple(images))

    def match(self, sources: Sequence[str]) -> dict[str, ReferenceImage]:
        """The reference image of each relative path that has one (see the module doc)."""
        by_name = {image.file_name: image for image in self.images}
        paired = pair_by_file_name(sources, list(by_name))
        return {source: by_name[name] for source, name in paired.items()}

    def next_id(self) -> int:
        """The first id above all of the reference's."""
        return max((image.id for image in self.images), default=0) + 1


def notes(reference: ReferenceImages,
          exported: Sequence[tuple[str, ReferenceImage | None]]) -> list[str]:
    """One line for the exported images (relative paths, with the reference image each
    took its id from) that the reference lacks, one for the reference's images that the
    export lacks (panopticapi stops at the first of those)."""
    lines = []
    lacking = [source for source, image in exported if image is None]
    if lacking:
        lines.append(f"{_count(lacking)} not in {reference.path.name} (ids from "
                     f"{reference.next_id()} on): {_shown(lacking)}")
    paired = {image.id for _, image in exported if image is not None}
    absent = [image.file_name for image in reference.images if image.id not in paired]
    if absent:
        lines.append(f"{reference.path.name} has {_count(absent)} that the export lacks "
                     f"(panopticapi stops at the first): {_shown(absent)}")
    return lines


def _count(names: Sequence[str]) -> str:
    return f"{len(names)} image{'s' if len(names) != 1 else ''}"


def _shown(names: Sequence[str]) -> str:
    return ", ".join(names[:SHOWN]) + (" ..." if len(names) > SHOWN else "")
