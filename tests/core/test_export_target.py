"""An export replaces only what an earlier export wrote: never an image folder, a project, a
link or any other file or folder it did not make (issue 20, item 1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest_coco import MAP_A, SEGMENTS_A, make_project

from panoptix.core.coco_export import ExportError, export_panoptic
from panoptix.core.instances_export import export_instances
from panoptix.core.manifest import ImageStatus
from panoptix.core.project import Project
from panoptix.core.semantic_export import export_semantic

EXPORTERS = {"coco-panoptic": (export_panoptic, "panoptic_val.json", "panoptic_val"),
             "semantic": (export_semantic, "semantic_val.json", "semantic_val"),
             "coco-instances": (export_instances, "instances_val.json", None)}


def files_under(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    code = "import sys; from panoptix.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                          text=True, env=env, timeout=120)


def test_export_never_replaces_the_image_folder_it_is_named_like(tmp_path):
    """The issue's case: images in e1/panoptic_val/, the project beside them, exported
    into e1 as 'val'. Before, exit 0 and the JPEGs were gone."""
    e1 = tmp_path / "e1"
    project = make_project(tmp_path, {"a.jpg": (MAP_A, SEGMENTS_A, ImageStatus.DONE)})
    project.close()
    images = e1 / "panoptic_val"
    e1.mkdir()
    (tmp_path / "photos").rename(images)
    (tmp_path / "photos.panoptix").rename(e1 / "panoptic_val.panoptix")
    manifest = e1 / "panoptic_val.panoptix" / "project.json"
    data = json.loads(manifest.read_text())
    data["image_root"] = "../panoptic_val"
    manifest.write_text(json.dumps(data))
    before = files_under(images)
    done = cli("export", str(e1 / "panoptic_val.panoptix"), "--out", str(e1), "--name", "val")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(images) in lines[0] and "not written by" in lines[0]
    assert files_under(images) == before
    assert not (e1 / "panoptic_val.json").exists()


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_export_never_replaces_a_project(tmp_path, fmt):
    exporter, json_name, folder_name = EXPORTERS[fmt]
    project = make_project(tmp_path, {"a.jpg": (MAP_A, SEGMENTS_A, ImageStatus.DONE)})
    victim = tmp_path / "e2" / (folder_name or json_name)
    Project.create(victim, tmp_path / "photos", [], project.categories).close()
    before = files_under(victim)
    with pytest.raises(ExportError, match="not written by a Panoptix export") as refused:
        exporter(project, tmp_path / "e2", "val")
    assert str(victim) in str(refused.value) and "\n" not in str(refused.value)
    assert files_under(victim) == before


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_export_never_replaces_a_foreign_json_or_a_link(tmp_path, fmt):
    exporter, json_name, _ = EXPORTERS[fmt]
    project = make_project(tmp_path, {"a.jpg": (MAP_A, SEGMENTS_A, ImageStatus.DONE)})
    out = tmp_path / "out"
    out.mkdir()
    (out / json_name).write_text('{"mine": true}')
    with pytest.raises(ExportError, match="not written by a Panoptix export"):
        exporter(project, out, "val")
    assert (out / json_name).read_text() == '{"mine": true}'
    (out / json_name).unlink()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / json_name).symlink_to(elsewhere)
    with pytest.raises(ExportError, match="not written by a Panoptix export"):
        exporter(project, out, "val")
    assert (out / json_name).is_symlink() and elsewhere.is_dir()


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_an_export_replaces_what_an_earlier_export_wrote(tmp_path, fmt):
    exporter, json_name, folder_name = EXPORTERS[fmt]
    project = make_project(tmp_path, {"a.jpg": (MAP_A, SEGMENTS_A, ImageStatus.DONE)})
    out = tmp_path / "out"
    exporter(project, out, "val")
    first = files_under(out)
    project.set_status(project.images[0].key, ImageStatus.EDITED)
    result = exporter(project, out, "val", only_done=True)
    assert result.images == 0
    assert files_under(out) != first
    if folder_name is not None:
        assert not any(p.suffix == ".png" for p in (out / folder_name).iterdir())


@pytest.mark.parametrize("kind", ["link to a folder", "dangling link", "folder with a file"])
def test_demo_data_writes_only_into_an_absent_or_empty_folder(tmp_path, kind):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "keep.txt").write_text("keep")
    out = tmp_path / "out"
    if kind == "folder with a file":
        out = target
    else:
        out.symlink_to(target if kind == "link to a folder" else tmp_path / "nowhere")
    before = sorted(p.name for p in tmp_path.iterdir())
    done = cli("demo-data", str(out), "--count", "1", "--size", "64x48")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and str(out) in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert files_under(target) == {"keep.txt": b"keep"}
