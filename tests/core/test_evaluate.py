"""``panoptix evaluate``: files and projects in, panopticapi's numbers out (hotcoco is the
independent oracle), one line for what cannot be evaluated."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.pq_cases import perturb, random_image, write_coco
from panoptix.cli import main
from panoptix.core import edits
from panoptix.core.coco_export import export_panoptic
from panoptix.core.coco_import import import_panoptic
from panoptix.core.panoptic_png import read_panoptic_png, write_panoptic_png
from panoptix.core.project import ImageStatus, Project

hotcoco_panoptic = pytest.importorskip("hotcoco.panoptic")

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "panopticapi_sample"


def evaluate_json(capsys, *arguments: str) -> dict:
    capsys.readouterr()  # hotcoco prints its table
    assert main(["evaluate", *arguments, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def assert_same(ours: dict, oracle: dict) -> None:
    for key in ("All", "Things", "Stuff"):
        assert ours[key]["n"] == oracle[key]["n"], key
        for metric in ("pq", "sq", "rq"):
            assert ours[key][metric] == pytest.approx(oracle[key][metric], abs=1e-6), key
    for category_id, expected in oracle["per_class"].items():
        got = ours["per_class"][str(category_id)]
        if expected["pq"] < 0:  # hotcoco's mark for a category that never occurs
            assert got["n"] == 0, category_id
            continue
        for metric in ("pq", "sq", "rq"):
            assert got[metric] == pytest.approx(expected[metric], abs=1e-6), category_id


@pytest.mark.parametrize("seed", range(20))
def test_evaluate_equals_panopticapi_on_random_files_with_crowd_and_void(
        tmp_path: Path, capsys, seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    truths = [random_image(rng, crowd=seed % 2 == 0) for _ in range(3)]
    guesses = [perturb(rng, *truth) for truth in truths]
    gt = write_coco(tmp_path, "gt", truths)
    pred = write_coco(tmp_path, "pred", guesses)
    assert_same(evaluate_json(capsys, str(gt), str(pred)),
                hotcoco_panoptic.pq_compute(str(gt), str(pred)))


def modified_sample(folder: Path) -> Path:
    """The panopticapi sample with two segments relabelled, one removed, one eroded."""
    data = json.loads((SAMPLE / "panoptic_examples.json").read_text())
    pngs = folder / "panoptic_changed"
    shutil.copytree(SAMPLE / "panoptic_examples", pngs)
    first, second = data["annotations"]
    id_map = read_panoptic_png(pngs / first["file_name"])
    things = [s for s in first["segments_info"] if s["category_id"] == 1]
    things[0]["category_id"] = 19  # a person called a horse
    things[1]["category_id"] = 3  # and one a car
    removed = things[2]
    id_map[id_map == removed["id"]] = 0
    first["segments_info"].remove(removed)
    write_panoptic_png(pngs / first["file_name"], id_map)
    id_map = read_panoptic_png(pngs / second["file_name"])
    largest = max(second["segments_info"], key=lambda s: s["area"])
    mask = (id_map == largest["id"]).astype(np.uint8)
    eroded = cv2.erode(mask, np.ones((25, 25), np.uint8)).astype(bool)
    id_map[(mask > 0) & ~eroded] = 0
    largest["area"] = int(eroded.sum())
    write_panoptic_png(pngs / second["file_name"], id_map)
    path = folder / "panoptic_changed.json"
    path.write_text(json.dumps(data))
    return path


def test_evaluate_equals_panopticapi_on_its_sample_against_a_changed_copy(
        tmp_path: Path, capsys) -> None:
    changed = modified_sample(tmp_path)
    truth = SAMPLE / "panoptic_examples.json"
    ours = evaluate_json(capsys, str(truth), str(changed))
    oracle = hotcoco_panoptic.pq_compute(str(truth), str(changed),
                                         gt_folder=str(SAMPLE / "panoptic_examples"))
    assert_same(ours, oracle)
    assert 0.5 < ours["All"]["pq"] < 0.95  # the changes show, and most still matches
    assert ours["per_class"]["19"]["fp"] == 1 and ours["per_class"]["3"]["fp"] == 1


def test_the_table_names_categories_and_the_json_parses(tmp_path: Path, capsys) -> None:
    changed = modified_sample(tmp_path)
    truth = SAMPLE / "panoptic_examples.json"
    capsys.readouterr()
    assert main(["evaluate", str(truth), str(changed)]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert {"All", "Things", "Stuff", "person", "horse", "sky-other-merged"} <= set(rows)
    ours = evaluate_json(capsys, str(truth), str(changed))
    assert rows["All"][1] == f"{100 * ours['All']['pq']:.1f}"
    assert ours["per_class"]["1"]["name"] == "person" and ours["images"] == 2


def annotator_projects(tmp_path: Path) -> tuple[Path, Path, dict]:
    """The same images annotated twice: the second annotator relabelled, removed and
    left out a few things; returns both projects and panopticapi's figures."""
    data = json.loads((SAMPLE / "panoptic_examples.json").read_text())
    images = tmp_path / "images"
    images.mkdir()
    for image in data["images"]:
        cv2.imwrite(str(images / image["file_name"]),
                    np.full((image["height"], image["width"], 3), 90, np.uint8))
    first = import_panoptic(SAMPLE / "panoptic_examples.json", SAMPLE / "panoptic_examples",
                            images, tmp_path / "alice.panoptix", status=ImageStatus.DONE)
    second = import_panoptic(SAMPLE / "panoptic_examples.json", SAMPLE / "panoptic_examples",
                             images, tmp_path / "bob.panoptix", status=ImageStatus.DONE)
    with Project.open(second.project_folder) as bob:
        key = bob.images[0].key
        doc = bob.load_document(key)
        people = [i for i, s in doc.segments.items() if s.category_id == 1]
        edits.relabel(doc, people[:2], 19)
        edits.delete(doc, people[2:3])
        bob.save_document(key, doc, ImageStatus.DONE)
    for project, name in ((first.project_folder, "alice"), (second.project_folder, "bob")):
        with Project.open(project) as opened:
            export_panoptic(opened, tmp_path / "exports", name)
    oracle = hotcoco_panoptic.pq_compute(str(tmp_path / "exports" / "panoptic_alice.json"),
                                         str(tmp_path / "exports" / "panoptic_bob.json"))
    return first.project_folder, second.project_folder, oracle


def test_two_annotators_projects_compare_by_image_path(tmp_path: Path, capsys) -> None:
    alice, bob, oracle = annotator_projects(tmp_path)
    with Project.open(bob):  # open in a window meanwhile: evaluate only reads
        ours = evaluate_json(capsys, str(alice), str(bob))
    assert_same(ours, oracle)
    assert ours["All"]["pq"] < 1.0 and ours["images"] == 2
    assert ours["images_without_prediction"] == []
    assert evaluate_json(capsys, str(alice), str(alice))["All"]["pq"] == pytest.approx(1.0)


def test_a_json_against_a_project_pairs_by_file_name_and_reports_the_missing(
        tmp_path: Path, capsys) -> None:
    alice, _bob, _ = annotator_projects(tmp_path)
    with Project.open(alice) as project:
        project.set_status(project.images[1].key, ImageStatus.EDITED)
    truth = SAMPLE / "panoptic_examples.json"
    ours = evaluate_json(capsys, str(truth), str(alice))
    assert ours["All"]["pq"] == pytest.approx(1.0)  # predictions of any status count
    capsys.readouterr()
    assert main(["evaluate", str(alice), str(truth), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["images"] == 1  # a GT project counts done images only
    assert "not annotated (projects: not done)" in captured.err
    assert evaluate_json(capsys, str(alice), str(truth), "--all-annotated")["images"] == 2


def test_images_without_prediction_score_as_empty_predictions(tmp_path: Path, capsys) -> None:
    rng = np.random.default_rng(7)
    truths = [random_image(rng, crowd=True) for _ in range(3)]
    guesses = [perturb(rng, *truth) for truth in truths]
    gt = write_coco(tmp_path, "gt", truths)
    empty = write_coco(tmp_path, "empty", guesses[:2] + [(np.zeros_like(truths[2][0]), {})])
    partial = write_coco(tmp_path, "partial", guesses)
    data = json.loads(partial.read_text())
    data["annotations"].pop()
    data["images"].pop()
    partial.write_text(json.dumps(data))
    oracle = hotcoco_panoptic.pq_compute(str(gt), str(empty))
    capsys.readouterr()
    assert main(["evaluate", str(gt), str(partial), "--json"]) == 0
    captured = capsys.readouterr()
    assert_same(json.loads(captured.out), oracle)
    assert json.loads(captured.out)["images_without_prediction"] == ["2.jpg"]
    assert "1 image has no prediction: scored as empty (2.jpg)" in captured.err


@pytest.mark.parametrize("case", ["missing-file", "no-pngs", "size", "other-size",
                                  "unknown-category", "no-done-images", "not-a-source"])
def test_what_cannot_be_evaluated_fails_with_one_line(tmp_path: Path, capsys,
                                                      case: str) -> None:
    rng = np.random.default_rng(3)
    truths = [random_image(rng) for _ in range(2)]
    gt = write_coco(tmp_path, "gt", truths)
    pred = write_coco(tmp_path, "pred", truths)
    expected = {"missing-file": "no such file", "no-pngs": "does not exist",
                "size": "PNG is", "other-size": "ground truth is 64x48 but the prediction is 20x10",
                "unknown-category": "is not among the ground truth's categories",
                "no-done-images": "--all-annotated", "not-a-source": "neither"}[case]
    arguments = [str(gt), str(pred)]
    if case == "missing-file":
        arguments[1] = str(tmp_path / "nothing.json")
    elif case == "no-pngs":
        shutil.rmtree(tmp_path / "pred")
    elif case == "size":
        write_panoptic_png(tmp_path / "pred" / "0.png", np.zeros((10, 10), np.int32))
    elif case == "other-size":
        data = json.loads(pred.read_text())
        data["images"][1].update(width=20, height=10)
        data["annotations"][1]["segments_info"] = []
        pred.write_text(json.dumps(data))
        write_panoptic_png(tmp_path / "pred" / "1.png", np.zeros((10, 20), np.int32))
    elif case == "unknown-category":
        data = json.loads(pred.read_text())
        data["annotations"][0]["segments_info"][0]["category_id"] = 999
        pred.write_text(json.dumps(data))
    elif case == "no-done-images":
        images = tmp_path / "images"
        images.mkdir()
        for index in range(2):
            cv2.imwrite(str(images / f"{index}.jpg"), np.zeros((48, 64, 3), np.uint8))
        import_panoptic(gt, tmp_path / "gt", images, tmp_path / "p.panoptix")
        arguments[0] = str(tmp_path / "p.panoptix")
    elif case == "not-a-source":
        (tmp_path / "empty").mkdir()
        arguments[0] = str(tmp_path / "empty")
    capsys.readouterr()
    assert main(["evaluate", *arguments]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], lines
