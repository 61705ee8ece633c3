"""The validator: the sample and our datasets pass; each rule has a case that breaks it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest_coco import MAP_A, ids_to_rgb, read_json, write_dataset, write_json
from PIL import Image

from panoptix.core.stats import region_stats
from panoptix.core.validate import RULES, Problem, validate_panoptic

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "panopticapi_sample"
SAMPLE_JSON = SAMPLE / "panoptic_examples.json"

Mutation = Callable[[dict, Path], None]


def _segment(data: dict, image: int, index: int) -> dict:
    return data["annotations"][image]["segments_info"][index]


def _set(path: tuple, value: object) -> Mutation:
    def mutate(data: dict, _: Path) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


def _png(image_id_map: np.ndarray, mode: str = "RGB") -> Mutation:
    def mutate(_: dict, png_dir: Path) -> None:
        Image.fromarray(ids_to_rgb(image_id_map)).convert(mode).save(png_dir / "a.png")
    return mutate


def _drop_segment(data: dict, _: Path) -> None:
    data["annotations"][0]["segments_info"].pop(1)


def _add_segment(data: dict, _: Path) -> None:
    data["annotations"][0]["segments_info"].append(
        {"id": 42, "category_id": 1, "area": 1, "bbox": [0, 0, 1, 1], "iscrowd": 0})


def _second_stuff(data: dict, _: Path) -> None:
    _segment(data, 0, 1)["category_id"] = 17  # segment 3 becomes a second "sky"


def _crowd_stuff(data: dict, _: Path) -> None:
    _segment(data, 0, 0)["iscrowd"] = 1  # segment 7 is sky


def _repeat_segment(data: dict, _: Path) -> None:
    segments = data["annotations"][0]["segments_info"]
    segments.append(dict(segments[0]))


def _repeat_image(data: dict, _: Path) -> None:
    data["images"].append(dict(data["images"][0]))


def _unannotated_image(data: dict, _: Path) -> None:
    data["images"].append({"id": 3, "file_name": "c.jpg", "width": 2, "height": 2})


def _second_annotation(data: dict, _: Path) -> None:
    data["annotations"].append(dict(data["annotations"][0], file_name="other.png"))


def _same_png_twice(data: dict, _: Path) -> None:
    data["annotations"][1]["file_name"] = "A.png"


def _delete_png(_: dict, png_dir: Path) -> None:
    (png_dir / "a.png").unlink()


def _not_a_png(_: dict, png_dir: Path) -> None:
    (png_dir / "a.png").write_bytes(b"not an image at all")


def _sixteen_bit(_: dict, png_dir: Path) -> None:
    cv2.imwrite(str(png_dir / "a.png"), ids_to_rgb(MAP_A).astype(np.uint16))


def _bigger_map() -> np.ndarray:
    return np.pad(MAP_A, ((0, 1), (0, 0)))


def _repeat_category(data: dict, _: Path) -> None:
    data["categories"].append(dict(data["categories"][1]))


CASES: dict[str, tuple[str, Mutation]] = {
    "image width is a string": ("field", _set(("images", 0, "width"), "6")),
    "image height is huge": ("field", _set(("images", 0, "height"), 10**30)),
    "iscrowd is 2": ("field", _set(("annotations", 0, "segments_info", 1, "iscrowd"), 2)),
    "segments_info is an object": ("field", _set(("annotations", 0, "segments_info"), {})),
    "category without name": ("field", _set(("categories", 1, "name"), None)),
    "image name climbs out": ("path", _set(("images", 0, "file_name"), "../../etc/x.jpg")),
    "PNG name is absolute": ("path", _set(("annotations", 0, "file_name"), "/etc/passwd")),
    "PNG name has a drive": ("path", _set(("annotations", 0, "file_name"), "C:\\a.png")),
    "image id repeated": ("duplicate", _repeat_image),
    "category id repeated": ("duplicate", _repeat_category),
    "two annotations share a PNG": ("duplicate", _same_png_twice),
    "image with two annotations": ("image-ref", _second_annotation),
    "image without annotation": ("no-annotation", _unannotated_image),
    "segment id repeated": ("segment-id", _repeat_segment),
    "unknown category": ("unknown-category",
                         _set(("annotations", 0, "segments_info", 1, "category_id"), 99)),
    "stuff twice in one image": ("isthing", _second_stuff),
    "stuff marked crowd": ("isthing", _crowd_stuff),
    "PNG missing": ("png-missing", _delete_png),
    "PNG unreadable": ("png-missing", _not_a_png),
    "PNG is grayscale": ("png-mode", _png(MAP_A, "L")),
    "PNG has alpha": ("png-mode", _png(MAP_A, "RGBA")),
    "PNG is 16-bit": ("png-mode", _sixteen_bit),
    "PNG of another size": ("png-size", _png(_bigger_map())),
    "segment in PNG, not JSON": ("png-not-json", _drop_segment),
    "segment in JSON, not PNG": ("json-not-png", _add_segment),
    "area off by one": ("area", _set(("annotations", 0, "segments_info", 1, "area"), 6)),
    "area is a float": ("area", _set(("annotations", 0, "segments_info", 1, "area"), 5.0)),
    "bbox w = xmax - xmin": ("bbox",
                             _set(("annotations", 0, "segments_info", 1, "bbox"), [0, 1, 1, 2])),
    "bbox not tight": ("bbox", _set(("annotations", 0, "segments_info", 1, "bbox"), [0, 0, 2, 4])),
    "bbox of three numbers": ("bbox", _set(("annotations", 0, "segments_info", 1, "bbox"),
                                           [0, 1, 2])),
}


CASCADES: dict[str, tuple[set[str], Mutation]] = {
    "image id is a bool": ({"field", "image-ref"}, _set(("images", 0, "id"), True)),
    "annotation of no image": ({"image-ref", "no-annotation"},
                               _set(("annotations", 0, "image_id"), 99)),
    "segment id 0 in JSON": ({"segment-id", "png-not-json"},
                             _set(("annotations", 0, "segments_info", 1, "id"), 0)),
    "segment id too big": ({"segment-id", "png-not-json"},
                           _set(("annotations", 0, "segments_info", 1, "id"), 2**24)),
}
"""Breaks that are rightly reported twice: the PNG's pixels then have no valid segment."""


def _broken(tmp_path: Path, mutate: Mutation) -> list[Problem]:
    json_path = write_dataset(tmp_path)
    data = read_json(json_path)
    mutate(data, tmp_path / "panoptic_val")
    write_json(json_path, data)
    return validate_panoptic(json_path)


def test_the_panopticapi_sample_is_valid():
    assert validate_panoptic(SAMPLE_JSON) == []


def test_a_valid_dataset_is_valid(tmp_path):
    assert validate_panoptic(write_dataset(tmp_path)) == []


def test_every_rule_has_a_case():
    covered = {rule for rule, _ in CASES.values()}
    assert covered | set().union(*(r for r, _ in CASCADES.values())) == set(RULES) - {"json"}
    assert "segment-id" in covered


@pytest.mark.parametrize("case", list(CASES))
def test_each_broken_rule_is_reported_alone(tmp_path, case):
    rule, mutate = CASES[case]
    problems = _broken(tmp_path, mutate)
    assert problems, f"{case} went unnoticed"
    assert {p.rule for p in problems} == {rule}, [str(p) for p in problems]
    assert all("\n" not in str(p) for p in problems)


@pytest.mark.parametrize("case", list(CASCADES))
def test_broken_ids_are_reported_with_their_consequence(tmp_path, case):
    rules, mutate = CASCADES[case]
    assert {p.rule for p in _broken(tmp_path, mutate)} == rules


def test_pq_compute_messages_name_image_and_segment(tmp_path):
    (problem,) = _broken(tmp_path, _drop_segment)
    assert "image 1 (a.jpg)" in str(problem) and "3" in problem.message


@pytest.mark.parametrize("content", [
    "{", "[]", '{"images": 1, "annotations": [], "categories": []}',
    "[" * 100_000 + "]" * 100_000, '{"images": [], "annotations": [], "categories": NaN}',
    "\xff\xfe",
])
def test_unreadable_or_misshapen_json_is_one_problem(tmp_path, content):
    path = tmp_path / "panoptic.json"
    path.write_bytes(content.encode("utf-8", "surrogateescape") if content != "\xff\xfe"
                     else b"\xff\xfe\x00")
    problems = validate_panoptic(path)
    assert [p.rule for p in problems] == ["json"]


def test_missing_json_file(tmp_path):
    assert [p.rule for p in validate_panoptic(tmp_path / "nope.json")] == ["json"]


HOSTILE = [None, "x", -1, 10**30, 1e308, 1.5, True, [], {}, "../../x", [1, 2, 3, 4]]


def _leaves(data: object, path: tuple = ()) -> list[tuple]:
    found = [path] if path else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _leaves(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _leaves(value, (*path, index))
    return found


def test_any_field_replaced_by_garbage_is_reported_not_raised(tmp_path):
    json_path = write_dataset(tmp_path)
    original = read_json(json_path)
    for path in _leaves(original):
        for value in HOSTILE:
            data = json.loads(json.dumps(original))
            _set(path, value)(data, tmp_path)
            write_json(json_path, data)
            problems = validate_panoptic(json_path)
            assert all(isinstance(p, Problem) and "\n" not in str(p) for p in problems)


def test_region_stats_match_the_obvious_computation():
    rng = np.random.default_rng(1)
    id_map = rng.integers(0, 5, size=(37, 53)).astype(np.uint32) * 70001
    ids, areas, boxes = region_stats(id_map)
    assert ids.tolist() == sorted(set(id_map.ravel().tolist()))
    for segment_id, area, box in zip(ids, areas, boxes, strict=True):
        ys, xs = np.nonzero(id_map == segment_id)
        assert area == len(ys)
        assert box.tolist() == [ys.min(), xs.min(), ys.max() + 1, xs.max() + 1]
