"""Exports whose image ids pair with a reference COCO JSON by file name
(``panoptix export --image-ids-from``), as panopticapi and detectron2 pair them: by
``image_id`` only. panopticapi's ``pq_compute`` (hotcoco's, the oracle) on a ground-truth
export and a prediction exported with the flag equals ``panoptix evaluate``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.pq_cases import CATEGORIES, perturb, random_image
from core.test_evaluate import assert_same, evaluate_json
from panoptix.cli import main
from panoptix.core.document import Document
from panoptix.core.manifest import ImageStatus
from panoptix.core.project import Project
from panoptix.core.reference_ids import ReferenceIdsError, ReferenceImage, ReferenceImages

hotcoco_panoptic = pytest.importorskip("hotcoco.panoptic")

GENERATED = ("street_01.jpg", "kitchen_01.jpg", "park_01.jpg", "harbour_01.jpg")
"""The ground truth's order (as ``demo-data --project`` numbers its scenes); a project
made from the folder numbers them sorted, so street and harbour swap ids."""


def make_projects(tmp_path: Path) -> tuple[Path, Path]:
    """One folder of photos; a ground-truth project in generation order and a prediction
    project (perturbed) in sorted order."""
    rng = np.random.default_rng(21)
    truths = {name: random_image(rng, crowd=True) for name in GENERATED}
    photos = tmp_path / "photos"
    photos.mkdir()
    for name, (id_map, _) in truths.items():
        Image.new("RGB", id_map.shape[::-1]).save(photos / name)
    folders = []
    for label, order in (("gt", GENERATED), ("pred", sorted(GENERATED))):
        project = Project.create(tmp_path / f"{label}.panoptix", photos,
                                 [photos / name for name in order], CATEGORIES)
        with project:
            for entry in project.images:
                id_map, segments = truths[entry.rel_path]
                if label == "pred":
                    id_map, segments = perturb(rng, id_map, segments)
                project.save_document(entry.key, Document(id_map, segments, CATEGORIES),
                                      ImageStatus.DONE)
        folders.append(project.folder)
    return folders[0], folders[1]


def export(project: Path, out: Path, name: str, *options: str) -> Path:
    assert main(["export", str(project), "--out", str(out), "--name", name, *options]) == 0
    return out / f"panoptic_{name}.json"


def ids_by_name(path: Path) -> dict[str, int]:
    return {image["file_name"]: image["id"] for image in json.loads(path.read_text())["images"]}


def test_panopticapi_on_a_prediction_exported_with_the_gt_ids_equals_evaluate(
        tmp_path: Path, capsys) -> None:
    gt_project, pred_project = make_projects(tmp_path)
    out = tmp_path / "out"
    gt = export(gt_project, out, "gt")
    pred = export(pred_project, out, "pred", "--image-ids-from", str(gt))
    assert ids_by_name(pred) == ids_by_name(gt)
    assert main(["validate", str(pred)]) == 0
    ours = evaluate_json(capsys, str(gt), str(pred))
    assert_same(ours, hotcoco_panoptic.pq_compute(str(gt), str(pred)))
    assert 0.2 < ours["All"]["pq"] < 0.95

    # without the flag the ids pair street with harbour: panopticapi scores other pairs
    plain = export(pred_project, out, "plain")
    assert ids_by_name(plain) != ids_by_name(gt)
    wrong = hotcoco_panoptic.pq_compute(str(gt), str(plain))
    assert wrong["All"]["pq"] != pytest.approx(ours["All"]["pq"], abs=1e-3)


def test_evaluate_says_in_one_line_when_ids_pair_other_images_than_names(
        tmp_path: Path, capsys) -> None:
    gt_project, pred_project = make_projects(tmp_path)
    out = tmp_path / "out"
    gt = export(gt_project, out, "gt")
    plain = export(pred_project, out, "plain")
    fixed = export(pred_project, out, "fixed", "--image-ids-from", str(gt))
    capsys.readouterr()
    assert main(["evaluate", str(gt), str(plain)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "image_id" in line]
    assert len(lines) == 1
    assert "2 of 4 images" in lines[0] and "--image-ids-from" in lines[0]
    assert main(["evaluate", str(gt), str(fixed)]) == 0
    assert "image_id" not in capsys.readouterr().out


def test_ids_come_by_path_name_or_unique_stem_and_the_rest_are_reported(
        tmp_path: Path, capsys) -> None:
    _gt_project, pred_project = make_projects(tmp_path)
    reference = tmp_path / "reference.json"
    reference.write_text(json.dumps({"images": [
        {"id": 900, "file_name": "val/street_01.jpg"},  # by stem, in a folder
        {"id": 17, "file_name": "kitchen_01.png"},  # by stem
        {"id": 5, "file_name": "park_01.jpg"},  # by path
        {"id": 77, "file_name": "lake_01.jpg"},  # not in the project
    ]}))
    out = tmp_path / "out"
    capsys.readouterr()
    exported = export(pred_project, out, "pred", "--image-ids-from", str(reference))
    printed = capsys.readouterr().out
    images = {image["original_file_name"]: image
              for image in json.loads(exported.read_text())["images"]}
    assert images["street_01.jpg"]["id"] == 900
    assert images["street_01.jpg"]["file_name"] == "val/street_01.jpg"
    assert images["kitchen_01.jpg"]["id"] == 17
    assert images["park_01.jpg"]["id"] == 5
    assert images["harbour_01.jpg"]["id"] == 901  # above every reference id
    assert "note: 1 image not in reference.json (ids from 901 on): harbour_01.jpg" in printed
    assert ("note: reference.json has 1 image that the export lacks (panopticapi stops at "
            "the first): lake_01.jpg") in printed
    assert main(["validate", str(exported)]) == 0
    for fmt in ("semantic", "coco-instances"):  # every format takes the same ids
        assert main(["export", str(pred_project), "--out", str(out / fmt), "--name", "p",
                     "--format", fmt, "--image-ids-from", str(reference)]) == 0
        written = out / fmt / f"{'semantic' if fmt == 'semantic' else 'instances'}_p.json"
        assert {image["original_file_name"]: image["id"]
                for image in json.loads(written.read_text())["images"]} == {
            name: image["id"] for name, image in images.items()}


def test_placed_images_keep_their_placed_names_and_take_the_ids(tmp_path: Path) -> None:
    gt_project, pred_project = make_projects(tmp_path)
    gt = export(gt_project, tmp_path / "out", "gt", "--images", "jpeg")
    pred = export(pred_project, tmp_path / "out", "pred", "--images", "copy",
                  "--image-ids-from", str(gt))
    records = json.loads(pred.read_text())["images"]
    assert all((tmp_path / "out" / "pred" / record["file_name"]).is_file()
               for record in records)
    gt_ids = {r["original_file_name"]: r["id"] for r in json.loads(gt.read_text())["images"]}
    assert {r["original_file_name"]: r["id"] for r in records} == gt_ids


def test_a_stem_pairs_only_where_unique_on_both_sides() -> None:
    reference = ReferenceImages(Path("ref.json"), (
        ReferenceImage(1, "a/x.jpg"), ReferenceImage(2, "b/x.jpg"), ReferenceImage(3, "y.png"),
        ReferenceImage(4, "w/z.png")))
    matched = reference.match(["a/x.jpg", "c/x.jpg", "d/x.jpg", "y.jpg", "v/y.tif", "z.jpg"])
    assert {source: image.id for source, image in matched.items()} == {"a/x.jpg": 1, "z.jpg": 4}


@pytest.mark.parametrize(("content", "expected"), [
    ("{not json", "cannot read JSON"),
    ('{"annotations": []}', "no images[] list"),
    ('{"images": [{"id": "1", "file_name": "a.jpg"}]}', "images[0] needs an id"),
    ('{"images": [{"id": 1, "file_name": "a.jpg"}, {"id": 1, "file_name": "b.jpg"}]}',
     "repeats the id"),
])
def test_a_bad_reference_is_one_line_and_nothing_is_written(
        tmp_path: Path, capsys, content: str, expected: str) -> None:
    _gt_project, pred_project = make_projects(tmp_path)
    reference = tmp_path / "reference.json"
    reference.write_text(content)
    capsys.readouterr()
    assert main(["export", str(pred_project), "--out", str(tmp_path / "out"),
                 "--image-ids-from", str(reference)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err and "--image-ids-from" in err
    assert not (tmp_path / "out").exists()
    with pytest.raises(ReferenceIdsError):
        ReferenceImages.read(reference)
