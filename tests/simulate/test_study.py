"""The study over a dataset: pre-segmented through the real batch path, walked in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from panoptix.core.project import ImageStatus, Project
from panoptix.simulate import StudyConfig, report, run_study
from panoptix.synth import synth_categories
from tiny_models import build_mask2former

SIZE = (160, 240)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    labels = {index: category.name for index, category in enumerate(synth_categories())}
    return build_mask2former(tmp_path_factory.mktemp("tiny") / "model", labels)


def test_study_with_the_stand_in(tmp_path: Path) -> None:
    result = run_study(StudyConfig("harbour", 3, size=SIZE), tmp_path / "study")
    saved = result.to_json()
    assert [list(image["results"]) for image in saved["images"]] == [["manual", "assisted"]] * 3
    assert saved["walk"] == ["assisted"] * 3
    rows = {row.policy: row for row in report.rows(saved, 0.85)}
    assert rows["manual"].time_ratio == 1.0
    assert rows["assisted"].reached == 3 and rows["assisted"].images == 3
    with Project.open(tmp_path / "study" / "project") as project:
        assert {e.status for e in project.images} == {ImageStatus.DONE}


def test_study_with_a_model_through_the_batch_path(tmp_path: Path, tiny_model: Path) -> None:
    """A random tiny Mask2Former: little of its output is right, so the assisted policy
    falls back on the manual tools, and still reaches the target."""
    result = run_study(StudyConfig("street", 2, size=SIZE, model=str(tiny_model)),
                       tmp_path / "study").to_json()
    for image in result["images"]:
        outcome = image["results"]["assisted"]
        assert all(m["reached"] for m in outcome["milestones"])
    assert result["seconds"]["presegment assisted"] > 0
