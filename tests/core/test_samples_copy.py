"""The window's writable copy of the bundled samples: one per version, old copies kept."""

from __future__ import annotations

import shutil
from pathlib import Path

from panoptix.core import samples
from panoptix.core.bundled import SAMPLES, bundled_path
from panoptix.core.samples import bundled_files, bundled_samples, copy_samples, samples_version


def _bundle(tmp_path: Path) -> Path:
    source = tmp_path / "bundle"
    shutil.copytree(bundled_path(SAMPLES), source)
    return source


def test_the_copy_holds_the_photos_and_their_ground_truth(tmp_path: Path) -> None:
    copy = copy_samples(tmp_path / "data")
    assert copy.name == f"samples-{samples_version()}"
    names = {p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file()}
    assert {"street_01.jpg", "park_01.jpg", "kitchen_01.jpg", "harbour_01.jpg",
            "panoptic_samples.json", "panoptic_samples/street_01.png"} <= names
    assert names == {p.as_posix() for p in bundled_files()}
    assert (copy / "street_01.jpg").read_bytes() == (
        bundled_samples() / "street_01.jpg").read_bytes()


def test_new_samples_get_a_new_copy_and_the_old_copy_keeps_its_work(tmp_path: Path) -> None:
    source, data = _bundle(tmp_path), tmp_path / "data"
    old = copy_samples(data, source)
    (old / "samples.panoptix").mkdir()  # the project the window made, with the user's work
    (old / "samples.panoptix" / "project.json").write_text("{}")
    assert copy_samples(data, source) == old  # same samples: the same copy, untouched

    (source / "street_01.jpg").write_bytes((source / "park_01.jpg").read_bytes())
    new = copy_samples(data, source)
    assert new != old and new.parent == data
    assert (new / "street_01.jpg").read_bytes() == (source / "street_01.jpg").read_bytes()
    assert not (new / "samples.panoptix").exists()
    assert (old / "samples.panoptix" / "project.json").read_text() == "{}"
    assert (old / "street_01.jpg").read_bytes() != (new / "street_01.jpg").read_bytes()


def test_a_copy_is_complete_or_absent(tmp_path: Path, monkeypatch) -> None:
    source, data = _bundle(tmp_path), tmp_path / "data"
    copied = []

    real_copy = samples.copy_file

    def failing_copy(src, dst):  # noqa: ANN001, ANN202
        if len(copied) == 3:
            raise OSError(28, "No space left on device")
        copied.append(src)
        return real_copy(src, dst)

    monkeypatch.setattr(samples, "copy_file", failing_copy)
    try:
        copy_samples(data, source)
    except OSError:
        pass
    else:
        raise AssertionError("the copy should have failed")
    assert list(data.iterdir()) == []  # neither a half copy nor a stage left behind
    monkeypatch.undo()
    assert sorted(p.name for p in copy_samples(data, source).glob("*.jpg")) == sorted(
        p.name for p in source.glob("*.jpg"))
