"""Datasets of generated scenes: a COCO panoptic folder, or a Panoptix project made from it.

Layout of :func:`write_dataset`'s folder::

    images/<kind>_<nnnnn>.jpg      the photos (JPEG, quality 92)
    panoptic_<name>/<stem>.png     COCO panoptic PNGs (exact ground truth)
    panoptic_<name>.json           images, annotations, categories (the synth table)

Scene ``n`` of kind ``K`` in a dataset of seed ``s`` is ``generate(K, s * 1_000_000 + n)``:
kinds take turns in the order given, and each kind counts its own scenes, so leaving a
kind out changes nothing in the others. The folder is built hidden beside the target,
validated with :func:`panoptix.core.validate.validate_panoptic`, then renamed into place.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2

from panoptix import __version__
from panoptix.core.coco_export import ExportError, check_name, segment_json
from panoptix.core.coco_import import DatasetImportError, import_panoptic
from panoptix.core.manifest import ImageStatus
from panoptix.core.panoptic_png import write_panoptic_png
from panoptix.core.project import default_project_folder
from panoptix.synth.categories import synth_categories
from panoptix.synth.generator import Scene
from panoptix.synth.scenes import SCENE_KINDS, SceneError, check_kind, check_size, generate

SEED_STRIDE = 1_000_000
"""Scene seeds of a dataset: ``seed * SEED_STRIDE + n``; so at most this many per kind."""
JPEG_QUALITY = 92
Progress = Callable[[int, int], None]


class DatasetError(Exception):
    """A dataset that was not written; one line, nothing left behind."""


@dataclass(frozen=True)
class DatasetPaths:
    folder: Path
    images: Path
    json: Path
    png_dir: Path
    count: int


@dataclass(frozen=True)
class SceneSpec:
    kind: str
    seed: int
    stem: str


def plan_scenes(kinds: Sequence[str], count: int, seed: int) -> list[SceneSpec]:
    """Which scenes a dataset holds (see the module docstring)."""
    kinds = [check_kind(kind) for kind in kinds]
    if not kinds:
        raise SceneError("no scene kinds given")
    if len(set(kinds)) != len(kinds):
        raise SceneError(f"scene kinds repeat: {', '.join(kinds)}")
    if count < 1:
        raise SceneError(f"a dataset needs at least one scene, not {count}")
    if seed < 0:
        raise SceneError(f"a seed is a whole number >= 0, not {seed}")
    made = dict.fromkeys(kinds, 0)
    specs = []
    for index in range(count):
        kind = kinds[index % len(kinds)]
        number = made[kind]
        if number >= SEED_STRIDE:
            raise SceneError(f"at most {SEED_STRIDE} scenes of one kind")
        specs.append(SceneSpec(kind, seed * SEED_STRIDE + number, f"{kind}_{number:05d}"))
        made[kind] += 1
    return specs


def write_dataset(folder: str | os.PathLike[str], kinds: Sequence[str] = SCENE_KINDS,
                  count: int = 100, seed: int = 0, size: tuple[int, int] = (480, 640), *,
                  name: str = "demo", blur: float | None = None, workers: int | None = None,
                  progress: Progress | None = None) -> DatasetPaths:
    """Write ``count`` scenes as a COCO panoptic dataset into ``folder`` (absent or empty)."""
    info = {"kinds": list(kinds), "seed": seed}
    return write_scenes(folder, plan_scenes(kinds, count, seed), size, name=name, blur=blur,
                        workers=workers, progress=progress, info=info)


def write_scenes(folder: str | os.PathLike[str], specs: Sequence[SceneSpec],
                 size: tuple[int, int], *, name: str, images: str = "images",
                 blur: float | None = None, workers: int | None = None,
                 progress: Progress | None = None, info: dict | None = None) -> DatasetPaths:
    """Write the scenes ``specs`` into ``folder`` (absent or empty): photos in ``images``
    (a subfolder name, or ``"."`` for the folder itself) and their ground truth."""
    folder = Path(os.path.abspath(folder))
    size = check_size(size)
    try:
        check_name(name)
    except ExportError as exc:
        raise DatasetError(str(exc)) from None
    if folder.is_symlink():
        raise DatasetError(f"{folder} is a link; nothing written (give a folder that is "
                           "absent or empty)")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise DatasetError(f"{folder} exists and is not empty; nothing written")
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{folder.name[:60]}.synth-", dir=folder.parent))
    except OSError as exc:
        raise DatasetError(f"cannot write into {folder.parent}: {exc.strerror or exc}") from exc
    try:
        _write(stage, list(specs), size, name, images, blur, workers, progress, info or {})
        if folder.exists():
            folder.rmdir()
        os.replace(stage, folder)
    except OSError as exc:
        shutil.rmtree(stage, ignore_errors=True)
        raise DatasetError(f"cannot write the dataset: {exc.strerror or exc} "
                           f"({exc.filename or folder})") from exc
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    json_path = folder / f"panoptic_{name}.json"
    return DatasetPaths(folder, (folder / images).resolve(), json_path,
                        json_path.with_suffix(""), len(specs))


def make_project(folder: str | os.PathLike[str], kinds: Sequence[str] = ("street", "park"),
                 count: int = 20, seed: int = 1, size: tuple[int, int] = (480, 640), *,
                 name: str = "demo", blur: float | None = None,
                 progress: Progress | None = None) -> Path:
    """A Panoptix project whose images are generated scenes, every one marked done with
    its exact ground truth as the document. Returns the project folder.

    ``folder`` (absent or empty) receives the dataset of :func:`write_dataset` and the
    project beside its images, ``folder/images.panoptix`` (so opening ``folder/images``
    in the window finds it); the COCO JSON stays there too, for ``panoptix evaluate``.
    """
    paths = write_dataset(folder, kinds, count, seed, size, name=name, blur=blur,
                          progress=progress)
    try:
        result = import_panoptic(paths.json, paths.png_dir, paths.images,
                                 default_project_folder(paths.images), status=ImageStatus.DONE)
    except DatasetImportError as exc:
        raise DatasetError(f"the project was not made: {exc}") from exc
    return result.project_folder


def annotation_json(scene: Scene, image_id: int, stem: str) -> dict:
    doc = scene.document
    infos = [segment_json(segment_id, segment.category_id, stats.area, stats.coco_bbox, False)
             for segment_id, segment, stats in ((i, doc.segments[i], s)
                                                for i, s in doc.stats().items())]
    return {"image_id": image_id, "file_name": f"{stem}.png", "segments_info": infos}


def _write(stage: Path, specs: list[SceneSpec], size: tuple[int, int], name: str,
           images: str, blur: float | None, workers: int | None, progress: Progress | None,
           info: dict) -> None:
    from panoptix.core.validate import validate_panoptic

    images_dir, png_dir = stage / images, stage / f"panoptic_{name}"
    images_dir.mkdir(exist_ok=True)
    png_dir.mkdir()

    def make(numbered: tuple[int, SceneSpec]) -> tuple[dict, dict]:
        image_id, spec = numbered
        scene = generate(spec.kind, spec.seed, size, blur=blur)
        image_name = f"{spec.stem}.jpg"
        if not cv2.imwrite(str(images_dir / image_name), cv2.cvtColor(scene.image,
                                                                      cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]):
            raise OSError(f"cannot write {images_dir / image_name}")
        write_panoptic_png(png_dir / f"{spec.stem}.png", scene.id_map, sync=False)
        height, width = scene.image.shape[:2]
        return ({"id": image_id, "file_name": image_name, "width": width, "height": height,
                 "scene": {"kind": spec.kind, "seed": spec.seed}},
                annotation_json(scene, image_id, spec.stem))

    images, annotations = [], []
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        for image, annotation in pool.map(make, enumerate(specs, start=1)):
            images.append(image)
            annotations.append(annotation)
            if progress is not None:
                progress(len(images), len(specs))
    data = {"info": {"description": "scenes generated by panoptix.synth",
                     "version": __version__, **info,
                     "size": {"height": size[0], "width": size[1]}},
            "images": images, "annotations": annotations,
            "categories": synth_categories().to_coco()}
    json_path = stage / f"panoptic_{name}.json"
    json_path.write_text(json.dumps(data), encoding="utf-8")
    problems = validate_panoptic(json_path, png_dir)
    if problems:  # the generator's own guarantee failed: a bug, never published
        raise RuntimeError(f"generated dataset is invalid: {problems[0]}")
