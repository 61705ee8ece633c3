"""Every export format's files, byte for byte, for one small project: pinned so that how an
export is produced (streamed image by image) can change while what it writes cannot."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from conftest_coco import MAP_A, MAP_B, SEGMENTS_A, SEGMENTS_B, key_of, make_project

from panoptix.core.coco_export import export_panoptic
from panoptix.core.export_names import ExportNaming
from panoptix.core.image_notes import ImageNote, ImageNotes
from panoptix.core.instances_export import export_instances
from panoptix.core.manifest import ImageStatus
from panoptix.core.semantic_export import export_semantic

DONE, EDITED = ImageStatus.DONE, ImageStatus.EDITED
DATE = re.compile(rb'"date_created": "[^"]*"')

GOLDEN = {
    "named": {".instances_val.json.panoptix-export": "e3b0c44298fc1c14",
              ".panoptic_val.json.panoptix-export": "e3b0c44298fc1c14",
              ".semantic_val.json.panoptix-export": "e3b0c44298fc1c14",
              ".semantic_val_classes.json.panoptix-export": "e3b0c44298fc1c14",
              "instances_val.json": "53cb13d66776e002",
              "panoptic_val.json": "f40763fbaa3d705f",
              "panoptic_val/.panoptix-export": "e3b0c44298fc1c14",
              "panoptic_val/a.png": "f11fd51c464da002",
              "panoptic_val/d.png": "1b397f3abd9f2ed0",
              "panoptic_val/sub_b_2024_x.png": "88bcc2661f4a8e98",
              "semantic_val.json": "a641d67c966a2831",
              "semantic_val/.panoptix-export": "e3b0c44298fc1c14",
              "semantic_val/a.png": "a7377c7319874123",
              "semantic_val/d.png": "b451fe6038b8e7a6",
              "semantic_val/sub_b_2024_x.png": "8d7c589a6c5b6803",
              "semantic_val_classes.json": "9103055296f94abb",
              "val/.panoptix-export": "e3b0c44298fc1c14",
              "val/a.png": "86123077ea69f226",
              "val/d.jpg": "93ef214483d995b1",
              "val/sub_b_2024_x.jpg": "dace7c23dcd8463e"},
    "plain": {".instances_val.json.panoptix-export": "e3b0c44298fc1c14",
              ".panoptic_val.json.panoptix-export": "e3b0c44298fc1c14",
              ".semantic_val.json.panoptix-export": "e3b0c44298fc1c14",
              ".semantic_val_classes.json.panoptix-export": "e3b0c44298fc1c14",
              "instances_val.json": "5768f574acdb1712",
              "panoptic_val.json": "1c3c5e4aa3e0f751",
              "panoptic_val/.panoptix-export": "e3b0c44298fc1c14",
              "panoptic_val/a.png": "88bcc2661f4a8e98",
              "panoptic_val/a.png.png": "f11fd51c464da002",
              "panoptic_val/d.png": "1b397f3abd9f2ed0",
              "panoptic_val/sub/b.2024.x.png": "88bcc2661f4a8e98",
              "semantic_val.json": "2276af1331d204cf",
              "semantic_val/.panoptix-export": "e3b0c44298fc1c14",
              "semantic_val/a.png": "8d7c589a6c5b6803",
              "semantic_val/a.png.png": "a7377c7319874123",
              "semantic_val/d.png": "b451fe6038b8e7a6",
              "semantic_val/sub/b.2024.x.png": "8d7c589a6c5b6803",
              "semantic_val_classes.json": "9103055296f94abb"},
    "turned": {".instances_val.json.panoptix-export": "e3b0c44298fc1c14",
               ".panoptic_val.json.panoptix-export": "e3b0c44298fc1c14",
               ".semantic_val.json.panoptix-export": "e3b0c44298fc1c14",
               ".semantic_val_classes.json.panoptix-export": "e3b0c44298fc1c14",
               "instances_val.json": "840e238c2beeaf6e",
               "panoptic_val.json": "456175c8d5c6b9d2",
               "panoptic_val/.panoptix-export": "e3b0c44298fc1c14",
               "panoptic_val/a.png": "88bcc2661f4a8e98",
               "panoptic_val/a.png.png": "b0d4f7a39083806b",
               "panoptic_val/d.png": "1b397f3abd9f2ed0",
               "panoptic_val/sub/b.2024.x.png": "88bcc2661f4a8e98",
               "semantic_val.json": "97f639b9a0ac813a",
               "semantic_val/.panoptix-export": "e3b0c44298fc1c14",
               "semantic_val/a.png": "8d7c589a6c5b6803",
               "semantic_val/a.png.png": "a7377c7319874123",
               "semantic_val/d.png": "b451fe6038b8e7a6",
               "semantic_val/sub/b.2024.x.png": "8d7c589a6c5b6803",
               "semantic_val_classes.json": "ec3c5eeab63b8e72"},
}
"""The first 16 hex digits of each written file's sha256 (``date_created`` blanked), as the
export before streaming wrote them."""


def digests(folder: Path) -> dict[str, str]:
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            data = DATE.sub(b'"date_created": ""', path.read_bytes())
            found[path.relative_to(folder).as_posix()] = hashlib.sha256(data).hexdigest()[:16]
    return found


def export_all(tmp_path: Path) -> dict[str, dict[str, str]]:
    """a.jpg and a.png share a stem; sub/b.2024.x.jpg has dots; c.jpg is not annotated;
    d.jpg has two segments of one stuff category (re-encoded by the panoptic export);
    a.jpg has flags and a comment. Then person turns stuff: the panoptic export joins each
    image's people by re-encoding its PNG."""
    stuff_twice = {2: (0, 0), 4: (0, 0), 70000: (1, 0)}
    with make_project(tmp_path, {
        "a.jpg": (MAP_A, SEGMENTS_A, EDITED),
        "a.png": (MAP_B, SEGMENTS_B, DONE),
        "sub/b.2024.x.jpg": (MAP_A, SEGMENTS_A, DONE),
        "d.jpg": (MAP_B, stuff_twice, DONE),
    }, blank=("c.jpg",)) as project:
        ImageNotes(project.folder).set(key_of(project, "a.jpg"), ImageNote(
            ("ambiguous",), "two people överlap"))
        plain, named = tmp_path / "plain", tmp_path / "named"
        for export in (export_panoptic, export_semantic, export_instances):
            export(project, plain, "val")
        naming = ExportNaming(flat=True, images="copy")
        export_panoptic(project, named, "val", naming=naming, only_done=True)
        export_instances(project, named, "val", naming=naming, only_done=True)
        export_semantic(project, named, "val", naming=naming, only_done=True)
        project.categories.update(1, isthing=False)  # saved people re-encoded, joined
        turned = tmp_path / "turned"
        for export in (export_panoptic, export_semantic, export_instances):
            export(project, turned, "val")
    return {"plain": digests(plain), "named": digests(named), "turned": digests(turned)}


def test_every_format_writes_the_same_bytes_as_before(tmp_path):
    found = export_all(tmp_path)
    assert found == GOLDEN, found

