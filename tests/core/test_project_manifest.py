"""Manifests are not trusted: damaged or hostile ones are refused with a clear message, and
keys are always safe file names."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from panoptix.core.manifest import MAX_KEY_LENGTH, ProjectError, make_key
from panoptix.core.project import Project


@pytest.fixture
def manifest(project: Project) -> tuple[Path, dict]:
    """The project's manifest path and content in format 1 (the image list inside, as
    before project.sqlite; such a file is migrated when opened), the project closed."""
    project.close()
    path = project.folder / "project.json"
    data = json.loads(path.read_text())
    data.update(version=1, images=[entry.to_json() for entry in project.images])
    return path, data


def first_image(change: Callable[[dict], None]) -> Callable[[dict], None]:
    return lambda data: change(data["images"][0])


HOSTILE: dict[str, tuple[Callable[[dict], None], str]] = {
    "absolute path": (first_image(lambda e: e.update(path="/etc/passwd")), "absolute"),
    "parent path": (first_image(lambda e: e.update(path="../secret.jpg")), "leaves"),
    "nested parent": (first_image(lambda e: e.update(path="sub/../../x.jpg")), "leaves"),
    "windows drive": (first_image(lambda e: e.update(path="C:\\x.jpg")), "absolute"),
    "backslash parent": (first_image(lambda e: e.update(path="..\\x.jpg")), "leaves"),
    "key escapes": (first_image(lambda e: e.update(key="../../evil")), "safe file name"),
    "key hidden": (first_image(lambda e: e.update(key=".lock")), "safe file name"),
    "key with revision mark": (first_image(lambda e: e.update(key="a@1")), "safe file name"),
    "key not a string": (first_image(lambda e: e.update(key=7)), "safe file name"),
    "bad status": (first_image(lambda e: e.update(status="finished")), "status must be"),
    "width as text": (first_image(lambda e: e.update(width="64")), "width"),
    "width as bool": (first_image(lambda e: e.update(height=True)), "height"),
    "uncertainty text": (first_image(lambda e: e.update(uncertainty="high")), "uncertainty"),
    "entry not object": (lambda d: d["images"].append(["a.jpg"]), "must be an object"),
    "duplicate key": (lambda d: d["images"].append(dict(d["images"][0], path="z.jpg")),
                      "appears twice"),
    "duplicate path": (lambda d: d["images"].append(dict(d["images"][0], key="other")),
                       "appears twice"),
    "images not list": (lambda d: d.update(images={"a": 1}), "images must be a list"),
    "categories not list": (lambda d: d.update(categories="coco"), "categories"),
    "category bad color": (lambda d: d["categories"][0].update(color=[1, 2]), "color"),
    "settings not object": (lambda d: d.update(settings=[1]), "settings"),
    "no image root": (lambda d: d.update(image_root=""), "image_root"),
    "other format": (lambda d: d.update(format="labelme"), "not a Panoptix project"),
    "newer version": (lambda d: d.update(version=99), "newer Panoptix"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_manifest_is_refused(manifest: tuple[Path, dict], case: str) -> None:
    path, data = manifest
    change, message = HOSTILE[case]
    change(data)
    path.write_text(json.dumps(data))
    with pytest.raises(ProjectError, match=message) as info:
        Project.open(path.parent)
    assert "\n" not in str(info.value) and "project.json" in str(info.value)


@pytest.mark.parametrize("content", [b"", b"{\"format\": ", b"\xff\xfe garbage", b"[]",
                                     b"[" * 100000])
def test_damaged_manifest_is_refused(manifest: tuple[Path, dict], content: bytes) -> None:
    path, _ = manifest
    path.write_bytes(content)
    with pytest.raises(ProjectError, match="project.json"):
        Project.open(path.parent)


def test_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match=r"no Panoptix project in .*\(project.json is missing\)"):
        Project.open(tmp_path)


def test_creating_over_an_existing_project_is_refused(project: Project, photos: Path,
                                                      categories) -> None:
    with pytest.raises(ProjectError, match="already holds a project"):
        Project.create(project.folder, photos, [], categories)


@pytest.mark.parametrize(("paths", "keys"), [
    (["a.jpg", "a.png"], ["a.jpg", "a.png"]),
    (["sub/a.jpg", "a.jpg", "sub__a.jpg"], ["sub__a.jpg", "a.jpg", "sub__a.jpg~2"]),
    (["x.tar.gz.png", "x.tar.gz.jpg"], ["x.tar.gz.png", "x.tar.gz.jpg"]),
    (["a b.jpg", "a_b.jpg", "A_B.JPG"], ["a_b.jpg", "a_b.jpg~2", "A_B.JPG~3"]),
    (["con.jpg", ".hidden.png", "été/ça.jpg"], ["_con.jpg", "hidden.png", "été__ça.jpg"]),
])
def test_keys_are_unique_readable_and_safe(paths: list[str], keys: list[str]) -> None:
    taken: set[str] = set()
    assert [make_key(p, taken) for p in paths] == keys


def test_long_names_get_short_distinct_keys() -> None:
    taken: set[str] = set()
    first = make_key("d/" + "x" * 300 + "1.jpg", taken)
    second = make_key("d/" + "x" * 300 + "2.jpg", taken)
    assert first != second and max(len(first), len(second)) <= MAX_KEY_LENGTH
