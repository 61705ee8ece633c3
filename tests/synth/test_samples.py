"""The bundled samples are generated scenes and ship with their exact ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from panoptix.core.bundled import SAMPLES as SAMPLES_FOLDER
from panoptix.core.bundled import bundled_path
from panoptix.core.imageio import find_images, image_size
from panoptix.core.panoptic_png import read_panoptic_png
from panoptix.core.project import Project
from panoptix.core.validate import validate_panoptic
from panoptix.synth import generate
from panoptix.synth.samples import SAMPLE_SIZE, SAMPLES

SAMPLES_DIR = bundled_path(SAMPLES_FOLDER)
GROUND_TRUTH = SAMPLES_DIR / "panoptic_samples.json"


def test_every_sample_has_valid_ground_truth_and_every_kind_is_there() -> None:
    assert validate_panoptic(GROUND_TRUTH) == []
    data = json.loads(GROUND_TRUTH.read_text())
    photos = sorted(p.name for p in SAMPLES_DIR.glob("*.jpg"))
    assert sorted(image["file_name"] for image in data["images"]) == photos
    assert {spec.kind for spec in SAMPLES} == {"street", "park", "harbour", "kitchen"}
    for photo in photos:
        assert image_size(SAMPLES_DIR / photo) == (SAMPLE_SIZE[1], SAMPLE_SIZE[0])


def test_the_ground_truth_is_what_the_generator_makes_of_each_sample() -> None:
    """Fails when the generator changed and the samples were not made again:
    ``PYTHONPATH=desktop python packaging/make_samples.py``."""
    for spec in SAMPLES:
        shipped = read_panoptic_png(SAMPLES_DIR / "panoptic_samples" / f"{spec.stem}.png")
        assert np.array_equal(shipped, generate(spec.kind, spec.seed, SAMPLE_SIZE).id_map), (
            f"{spec.stem}: run packaging/make_samples.py")


def test_opening_the_samples_folder_takes_only_the_photos(tmp_path: Path) -> None:
    assert sorted(p.name for p in find_images(SAMPLES_DIR, recursive=True)) == sorted(
        f"{spec.stem}.jpg" for spec in SAMPLES)


def test_the_samples_import_as_a_project_with_their_labels(tmp_path: Path) -> None:
    from panoptix.core.coco_import import import_panoptic

    result = import_panoptic(GROUND_TRUTH, SAMPLES_DIR / "panoptic_samples", SAMPLES_DIR,
                             tmp_path / "samples.panoptix")
    assert result.images == result.annotated == len(SAMPLES) and not result.repaired
    with Project.open(result.project_folder) as project:
        assert all(project.has_annotation(entry.key) for entry in project.images)
