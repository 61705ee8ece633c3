"""Export naming: the project's own relative paths, or flat names every tool can read, and
optionally the images themselves in the dataset folder, so the folder is self-contained.

Without options, ``images[].file_name`` is the image's path relative to the image root and
the PNG is named by :func:`panoptix.core.paths.png_names`. Three options change that:

* ``flat``: one flat, unique name per image with a single dot (``x/b.2024.jpg`` ->
  ``x_b_2024.jpg``, PNG ``x_b_2024.png``), so panopticapi's converters
  (``file_name.rsplit('.')[0]``, no sub-folders made) and detectron2 (``<png stem>.jpg``)
  find what they look for. Names equal but for case get ``-2``, ``-3``, ...; JPEGs keep the
  plain name, as in :mod:`panoptix.core.paths`. Each image record keeps its
  ``original_file_name``.
* ``images``: the images are placed in ``<out>/<name>/`` under their ``file_name``:
  ``copy`` copies the files as they are, ``link`` hard-links them (copying where the
  file system cannot), ``jpeg`` names every image ``<png stem>.jpg`` as detectron2's
  panoptic loader expects, copying JPEGs as they are and converting other images (and JPEGs
  whose EXIF rotates them) to JPEG, quality 95, in the orientation annotated. An image
  that is a symbolic link places the file it points to, never the link.
* ``reference``: image ids, and ``file_name`` where the images are not placed, from a
  reference COCO JSON (:mod:`panoptix.core.reference_ids`), so that tools that pair by
  ``image_id`` (panopticapi, detectron2) pair the export with it correctly.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from PIL import Image

from panoptix.core import atomic
from panoptix.core.imageio import ImageLoadError, image_size, load_image
from panoptix.core.paths import JPEG_SUFFIXES, check_relative_name, png_names
from panoptix.core.reference_ids import ReferenceImages
from panoptix.core.validate import Problem

IMAGE_MODES = ("copy", "link", "jpeg")
JPEG_QUALITY = 95
ORIENTATION_TAG = 0x0112
_NOT_NAME = re.compile(r"[^\w\-]+")


@dataclass(frozen=True)
class ExportNaming:
    flat: bool = False
    """Flat, unique, single-dot names (see the module doc)."""
    images: str | None = None
    """``copy``, ``link`` or ``jpeg``: put the images into the dataset folder; None: don't."""
    reference: ReferenceImages | None = None
    """Where the image ids (and, images not placed, the file names) come from."""

    def __post_init__(self) -> None:
        if self.images is not None and self.images not in IMAGE_MODES:
            raise ValueError(f"images must be one of {', '.join(IMAGE_MODES)}, "
                             f"not {self.images!r}")

    @property
    def renames(self) -> bool:
        """Whether ``images[].file_name`` may differ from the project's relative path."""
        return self.flat or self.images == "jpeg" or self.reference is not None


@dataclass(frozen=True, slots=True)
class ExportName:
    source: str
    """The image's path relative to the project's image root."""
    file_name: str
    """``images[].file_name`` in the export."""
    png: str
    """The annotation PNG's name in the export's PNG folder."""


def export_names(sources: Sequence[str], naming: ExportNaming) -> list[ExportName]:
    """The exported names of images with these relative paths, in the same order."""
    pngs = [f"{s}.png" for s in flat_stems(sources)] if naming.flat else png_names(sources)
    names = []
    for source, png in zip(sources, pngs, strict=True):
        if naming.images == "jpeg":
            file_name = f"{png.removesuffix('.png')}.jpg"
        elif naming.flat:
            file_name = png.removesuffix(".png") + PurePosixPath(source).suffix.lower()
        else:
            file_name = source
        names.append(ExportName(source, file_name, png))
    return names


def flat_stems(sources: Sequence[str]) -> list[str]:
    """A unique (also ignoring case) dot-free stem per relative path; JPEGs first."""
    order = sorted(range(len(sources)),
                   key=lambda i: (PurePosixPath(sources[i]).suffix.lower() not in JPEG_SUFFIXES,
                                  sources[i]))
    used: set[str] = set()
    stems = [""] * len(sources)
    for i in order:
        path = PurePosixPath(sources[i])
        base = _NOT_NAME.sub("_", str(path.with_suffix("")) if path.suffix else str(path))
        base = re.sub("_+", "_", base).strip("_-") or "image"
        candidate, counter = base, 2
        while candidate.casefold() in used:
            candidate, counter = f"{base}-{counter}", counter + 1
        used.add(candidate.casefold())
        stems[i] = candidate
    return stems


def image_record(image_id: int, name: ExportName, width: int, height: int,
                 naming: ExportNaming) -> dict:
    """An ``images[]`` entry; with naming options, the original path is kept beside."""
    record = {"id": image_id, "file_name": name.file_name, "width": width, "height": height}
    if naming.renames or naming.images:
        record["original_file_name"] = name.source
    return record


def place_images(image_root: Path, names: Sequence[ExportName], folder: Path, mode: str,
                 workers: int | None = None) -> None:
    """Copy, link or convert each image into ``folder`` under its exported file name."""
    def place(name: ExportName) -> None:
        source = Path(os.path.realpath(image_root / name.source))  # a link: its file
        target = folder / check_relative_name(name.file_name)
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == "jpeg" and not _plain_jpeg(source):
            _write_jpeg(source, target)
        elif mode == "link":
            try:
                os.link(source, target)
            except OSError:  # another file system, or one without hard links
                shutil.copyfile(source, target)
        else:
            shutil.copyfile(source, target)

    folder.mkdir(exist_ok=True)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(place, names))


def check_images(folder: Path, records: Sequence[dict]) -> list[Problem]:
    """Every placed image is there, readable, and of its record's (displayed) size."""
    problems = []
    for record in records:
        where = f"image {record['id']} ({record['file_name']})"
        try:
            size = image_size(folder / record["file_name"])
        except (ImageLoadError, OSError) as exc:
            problems.append(Problem("image", where, f"placed image unreadable: {exc}"))
            continue
        if size != (record["width"], record["height"]):
            problems.append(Problem("image", where, f"placed image is {size[0]}x{size[1]}, "
                                    f"the record says {record['width']}x{record['height']}"))
    return problems


def _plain_jpeg(path: Path) -> bool:
    """A JPEG file shown as stored (no EXIF rotation), which any loader reads alike."""
    try:
        with Image.open(path) as image:
            return image.format == "JPEG" and \
                image.getexif().get(ORIENTATION_TAG, 1) in (1, None)
    except OSError:
        return False


def _write_jpeg(source: Path, target: Path) -> None:
    """The image as displayed (EXIF rotation applied, transparency on gray), as a JPEG."""
    buffer = io.BytesIO()
    Image.fromarray(load_image(source)).save(buffer, format="JPEG", quality=JPEG_QUALITY)
    atomic.write_bytes(target, buffer.getvalue(), sync=False)
