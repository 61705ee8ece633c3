"""Per-image flags and comments: kept in the project (atomic, surviving reopen, a damaged
file moved aside), and carried into every export's image records, which the validator,
a panopticapi-compatible PQ and pycocotools still read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest_coco import MAP_A, MAP_B, SEGMENTS_A, SEGMENTS_B, key_of, make_project, read_json
from hotcoco.panoptic import pq_compute
from pycocotools.coco import COCO

from panoptix.core.coco_export import export_panoptic
from panoptix.core.image_notes import NOTES_NAME, ImageNote, ImageNotes, NotesError, clean_flag
from panoptix.core.instances_export import export_instances
from panoptix.core.manifest import ImageStatus
from panoptix.core.semantic_export import export_semantic
from panoptix.core.validate import validate_panoptic


def test_notes_survive_reopen_and_are_written_whole(tmp_path: Path):
    notes = ImageNotes(tmp_path)
    notes.set("a.jpg", ImageNote().with_flag("  Bad   Image ").with_comment(" blurry \n"))
    notes.set("b.jpg", ImageNote().with_flag("ambiguous"))
    assert not list(tmp_path.glob("*.tmp*"))
    again = ImageNotes(tmp_path)
    assert again.problem is None
    assert again.get("a.jpg") == ImageNote(("bad image",), "blurry")
    assert again.flags_in_use() == ["ambiguous", "bad image"]
    again.set("b.jpg", again.get("b.jpg").with_flag("ambiguous", on=False))
    assert "b.jpg" not in json.loads((tmp_path / NOTES_NAME).read_text())["images"]


def test_bad_flags_are_refused_in_one_line():
    assert clean_flag("Needs\tReview") == "needs review"
    for bad in ("", "   ", "x" * 41, "a\x00b"):
        with pytest.raises(NotesError):
            clean_flag(bad)


def test_a_damaged_notes_file_is_moved_aside_not_lost(tmp_path: Path):
    (tmp_path / NOTES_NAME).write_text("{not json")
    notes = ImageNotes(tmp_path)
    assert notes.problem is not None and "moved to notes.json.damaged-" in notes.problem
    kept = list(tmp_path.glob("notes.json.damaged-*"))
    assert len(kept) == 1 and kept[0].read_text() == "{not json"
    notes.set("a.jpg", ImageNote(("ambiguous",)))
    assert ImageNotes(tmp_path).get("a.jpg").flags == ("ambiguous",)


def test_exports_carry_flags_and_comments_and_stay_readable(tmp_path: Path):
    with make_project(tmp_path, {"a.jpg": (MAP_A, SEGMENTS_A, ImageStatus.DONE),
                                 "b.jpg": (MAP_B, SEGMENTS_B, ImageStatus.EDITED)}) as project:
        ImageNotes(project.folder).set(key_of(project, "a.jpg"), ImageNote(
            ("ambiguous", "bad image"), "two people overlap"))
        out = tmp_path / "out"
        export_panoptic(project, out, "val")
        export_instances(project, out, "val")
        export_semantic(project, out, "val")
    images = {i["file_name"]: i for i in read_json(out / "panoptic_val.json")["images"]}
    assert images["a.jpg"]["flags"] == ["ambiguous", "bad image"]
    assert images["a.jpg"]["comment"] == "two people overlap"
    assert "flags" not in images["b.jpg"] and "comment" not in images["b.jpg"]
    assert validate_panoptic(out / "panoptic_val.json") == []
    results = pq_compute(str(out / "panoptic_val.json"), str(out / "panoptic_val.json"))
    assert results["All"]["pq"] == pytest.approx(1.0)
    coco = COCO(str(next(out.glob("instances_val.json"))))
    assert {i["file_name"]: i.get("flags") for i in coco.dataset["images"]}["a.jpg"] == [
        "ambiguous", "bad image"]
    semantic = next(p for p in out.glob("*.json") if "semantic" in p.name)
    assert read_json(semantic)["images"][0]["comment"] == "two people overlap"
