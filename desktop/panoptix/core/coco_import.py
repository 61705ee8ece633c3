"""COCO panoptic import: a dataset's JSON, PNG folder and image folder become a project, so
curators can review and correct an existing dataset.

Every name in the JSON is checked before use (:mod:`panoptix.core.paths`): nothing outside
the PNG and image folders is read. The dataset is validated first. What can be recomputed
is repaired and reported (wrong areas and boxes, segments without pixels, a stuff category
split in several segments or marked crowd, images without annotation, which come in as
new); anything else refuses the import with one line per problem. The project is built in
a hidden folder beside the target and renamed into place only when complete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from panoptix.core import atomic, imageio
from panoptix.core.document import Document, DocumentError
from panoptix.core.manifest import IMAGE_IDS_SETTING, ImageStatus, ProjectError
from panoptix.core.panoptic_png import PanopticPngError, read_panoptic_png
from panoptix.core.paths import UnsafePathError, resolve_inside
from panoptix.core.project import Project
from panoptix.core.segment import Segment
from panoptix.core.validate import (
    Annotation,
    PanopticDataset,
    Problem,
    check_pngs,
    parse_panoptic,
    read_json,
)

REPAIRED_RULES = frozenset({"area", "bbox", "isthing", "json-not-png", "no-annotation"})
"""Problems an import repairs (by recomputing or joining) rather than refuses."""
Progress = Callable[[int, int], None]


class DatasetImportError(Exception):
    """An import that did not happen; one line. ``problems`` lists what was wrong."""

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


@dataclass(frozen=True)
class ImportResult:
    project_folder: Path
    images: int
    annotated: int
    segments: int
    repaired: list[Problem]


def import_panoptic(json_path: Path, png_dir: Path, images_dir: Path, out_folder: Path, *,
                    status: ImageStatus = ImageStatus.EDITED, workers: int | None = None,
                    progress: Progress | None = None) -> ImportResult:
    """Make a new project in ``out_folder`` from a COCO panoptic dataset.

    Annotated images get ``status`` (default EDITED: annotated, not yet reviewed here).
    """
    out_folder = Path(os.path.abspath(out_folder))
    images_dir = Path(os.path.abspath(images_dir))
    if out_folder.is_symlink():
        raise DatasetImportError(f"import refused: {out_folder} is a link; give a folder "
                                 "that is absent or empty")
    if out_folder.exists() and (not out_folder.is_dir() or any(out_folder.iterdir())):
        raise DatasetImportError(f"import refused: {out_folder} exists and is not empty")
    dataset, repaired = checked_dataset(json_path, png_dir)
    image_paths = checked_images(dataset, images_dir)
    try:
        out_folder.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{out_folder.name[:60]}.import-",
                                      dir=out_folder.parent))
    except OSError as exc:
        raise DatasetImportError(
            f"import failed: {atomic.os_error(exc, 'write into', out_folder.parent)}") from exc
    try:
        segments = build_project(stage, dataset, images_dir, image_paths, png_dir, status,
                                 workers, progress)
        if out_folder.exists():
            out_folder.rmdir()
        os.replace(stage, out_folder)
    except (OSError, ProjectError, atomic.StoreError, PanopticPngError, DocumentError) as exc:
        shutil.rmtree(stage, ignore_errors=True)
        detail = atomic.os_error(exc, "write", exc.filename or out_folder) if isinstance(
            exc, OSError) else " ".join(str(exc).split())
        raise DatasetImportError(f"import failed: {detail}") from exc
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return ImportResult(out_folder, len(dataset.images), len(dataset.annotations), segments,
                        repaired)


def checked_dataset(json_path: Path, png_dir: Path) -> tuple[PanopticDataset, list[Problem]]:
    """The parsed dataset and the problems the import will repair; refuses the others."""
    data, problems = read_json(json_path)
    if problems:
        raise DatasetImportError(f"import refused: {problems[0]}", problems)
    dataset, problems = parse_panoptic(data)
    too_large = oversized_images(dataset)
    if too_large:  # before any PNG is decoded: their size is the images'
        raise DatasetImportError(f"import refused: {too_large[0]}{_more(too_large)}",
                                 too_large)
    if not png_dir.is_dir():
        raise DatasetImportError(f"import refused: PNG folder {png_dir} does not exist")
    problems += check_pngs(dataset, png_dir)
    refused = [p for p in problems if p.rule not in REPAIRED_RULES]
    if refused:
        raise DatasetImportError(f"import refused: {refused[0]}{_more(refused)}", refused)
    return dataset, problems


def oversized_images(dataset: PanopticDataset) -> list[Problem]:
    """Images over the pixel limit the rest of Panoptix applies (their PNGs with them)."""
    limit = imageio.DEFAULT_MAX_PIXELS
    return [Problem("image", f"image {image.id} ({image.file_name})",
                    f"{image.width}x{image.height} is {image.width * image.height / 1e6:.0f} "
                    f"MP, over the {limit / 1e6:.0f} MP limit")
            for image in dataset.images if image.width * image.height > limit]


def _more(problems: Sequence[Problem]) -> str:
    return f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""


def checked_images(dataset: PanopticDataset, images_dir: Path) -> list[Path]:
    """Each listed image, found inside ``images_dir`` with the size the JSON gives."""
    problems: list[Problem] = []
    paths: list[Path] = []
    seen: set[str] = set()
    for image in dataset.images:
        where = f"image {image.id} ({image.file_name})"
        try:
            path = resolve_inside(images_dir, image.file_name, "image file_name")
            if not imageio.is_image_file(path):
                raise imageio.ImageLoadError(f"{path.name} is not a supported image type")
            if image.file_name.casefold() in seen:
                raise imageio.ImageLoadError("the same file is listed twice")
            seen.add(image.file_name.casefold())
            size = imageio.image_size(path)
        except (UnsafePathError, imageio.ImageLoadError) as exc:
            problems.append(Problem("image", where, str(exc)))
            continue
        if size != (image.width, image.height):
            problems.append(Problem("image", where, f"the image is {size[0]}x{size[1]}, the "
                                    f"JSON says {image.width}x{image.height}"))
        paths.append(path)
    if problems:
        raise DatasetImportError(f"import refused: {problems[0]}{_more(problems)}", problems)
    return paths


def build_project(folder: Path, dataset: PanopticDataset, images_dir: Path,
                  image_paths: list[Path], png_dir: Path, status: ImageStatus,
                  workers: int | None, progress: Progress | None) -> int:
    """Create the project in ``folder`` and save every annotation; returns the segments."""
    with Project.create(folder, images_dir, image_paths, dataset.categories) as project:
        keys = {entry.rel_path: entry.key for entry in project.images}
        left_out = [image.file_name for image in dataset.images if image.file_name not in keys]
        if left_out:
            raise ProjectError(f"the project did not take {len(left_out)} images, first "
                               f"{left_out[0]!r}")
        project.settings[IMAGE_IDS_SETTING] = {
            keys[image.file_name]: image.id for image in dataset.images}
        project.save_manifest()

        def save(annotation: Annotation) -> int:
            doc = document(annotation, png_dir, project)
            project.save_document(keys[annotation.image.file_name], doc, status=status)
            return len(doc.segments)

        counts: list[int] = []
        with ThreadPoolExecutor(max_workers=workers or os.cpu_count()) as pool:
            for count in pool.map(save, dataset.annotations):
                counts.append(count)
                if progress is not None:
                    progress(len(counts), len(dataset.annotations))
        return sum(counts)


def document(annotation: Annotation, png_dir: Path, project: Project) -> Document:
    """The annotation as a document: stuff is never a crowd, and Document joins a stuff
    category's repeated segments and drops segments without pixels."""
    id_map = read_panoptic_png(resolve_inside(png_dir, annotation.file_name))
    categories = project.categories
    segments = {s.id: Segment(s.category_id, s.iscrowd and categories.is_thing(s.category_id),
                              source="import")
                for s in annotation.segments}
    return Document(id_map, segments, categories)
