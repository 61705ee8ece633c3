"""The study over a dataset: pre-segmented through the real batch path, walked in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from panoptix.core.project import ImageStatus, Project
from panoptix.simulate import StudyConfig, report, run_study, study
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
    assert sum(report.route_summary(saved)["assisted"].values()) == 3
    counts = report.counts_table(saved, 0.85).splitlines()
    assert [line.split()[1] for line in counts[1:]] == ["manual", "assisted"]
    manual_vertices = sum(i["results"]["manual"]["milestones"][0]["vertices"]
                          for i in saved["images"]) / 3
    assert float(counts[1].split()[4]) == pytest.approx(manual_vertices, abs=0.05)
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


def test_fine_tuning_with_panoptix_train(tmp_path: Path, tiny_model: Path) -> None:
    """After the first image, ``panoptix train`` (its own process) fine-tunes the base on
    it; the second image is pre-segmented again with the new model and annotated from
    that, reaching the target like the others."""
    config = StudyConfig("harbour", 2, size=SIZE, model=str(tiny_model), fine_tune_at=(1,),
                         train_steps=2, train_batch=1, niceness=0)
    result = run_study(config, tmp_path / "study").to_json()
    assert result["walk"] == ["assisted", "after 1"]
    [training] = result["trainings"]
    assert (training["after"], training["images"], training["steps"]) == (1, 1, 2)
    model = Path(training["model"])
    assert (model / "model.safetensors").is_file()
    assert training["record"]["base"]["model"] == str(tiny_model)
    assert training["record"]["images"]["train"] == ["harbour_00000.jpg"]
    second = result["images"][1]["results"]
    assert set(second) == {"manual", "assisted", "after 1"}
    assert all(m["reached"] for m in second["after 1"]["milestones"])
    rows = {row.policy: row for row in report.rows(result, 0.85)}
    assert rows["after 1"].images == 1 and rows["assisted"].images == 2
    assert report.walk_seconds(result, 0.85)[1] == \
        second["after 1"]["milestones"][0]["seconds"]


def test_the_post_processing_switches_reach_the_study(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list = []
    for name in ("presegment", "assisted_start"):
        real = getattr(study, name)
        monkeypatch.setattr(study, name, lambda *a, real=real, **k: seen.append(a) or real(*a, **k))
    config = StudyConfig("street", 1, size=SIZE, snap_edges=True, split_parts=True)
    saved = run_study(config, tmp_path / "on").to_json()
    assert saved["config"]["snap_edges"] is True and saved["config"]["split_parts"] is True
    settings, snap = seen[0][-1], seen[1][-1]
    assert (settings.snap_edges, settings.split_parts, snap) == (True, True, True)
