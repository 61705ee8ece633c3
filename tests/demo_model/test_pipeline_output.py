"""The demo model through the whole pipeline, on fresh scenes: ``panoptix presegment``
reaches a stated panoptic quality against the exact ground truth, and exporting the
project then running ``panoptix evaluate`` gives the very PQ of the documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from panoptix.cli import main
from panoptix.core.pq import PQAccumulator
from panoptix.core.pq_sources import evaluate_sources
from panoptix.core.project import Project

SWITCHES_ON = ["--snap-edges", "--split-parts"]
"""The post-processing switches (off by default) that the demo model's figures are
measured with: its rough masks gain from both."""
PQ_MEASURED = 0.6007
"""PQ of the pre-segmentation on the 9 fresh scenes, measured with the shipped model (three
training stages, the last at 384 px) with both switches on: boundaries snapped to the
image's edges, detached parts of objects split (snapped alone 0.5809, things 0.1816; at the
defaults, the model's own masks, 0.5543, things 0.1745, stuff 0.8391). On its own masks,
the model of the first two stages alone reached 0.5029 here (things 0.1054), the first
stage alone 0.5175 (things 0.1304): on 9 scenes a few objects move the figure, so the
model's own evaluation of 30 scenes per kind is the better measure of the stages. The
model before any, which hardly segmented objects, reached 0.3065, things 0.0051."""
PQ_STUFF_MEASURED = 0.8804
PQ_THINGS_MEASURED = 0.2278
PQ_MARGIN = 0.03


@pytest.fixture(scope="module")
def presegmented(fresh_dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pred") / "images.panoptix"
    code = main(["presegment", str(fresh_dataset.images), "--out", str(out), "--model",
                 "demo", "--device", "cpu", *SWITCHES_ON])
    assert code == 0
    return out


def test_presegmentation_reaches_the_stated_pq(fresh_dataset, presegmented: Path) -> None:
    evaluation = evaluate_sources(fresh_dataset.json, presegmented)
    result = evaluation.result
    assert result.images == fresh_dataset.count and not evaluation.missing
    print(f"MEASURED demo PQ: {result.all.pq:.4f} things {result.things.pq:.4f} "
          f"stuff {result.stuff.pq:.4f}")
    assert result.all.pq >= PQ_MEASURED - PQ_MARGIN
    assert result.stuff.pq >= PQ_STUFF_MEASURED - PQ_MARGIN
    assert result.things.pq >= PQ_THINGS_MEASURED - PQ_MARGIN  # it segments objects


def test_export_then_evaluate_gives_the_pq_of_the_documents(
        fresh_dataset, fresh_scenes, categories, presegmented: Path, tmp_path: Path) -> None:
    on_documents = PQAccumulator(categories)
    with Project.open(presegmented) as project:
        assert len(project.images) == len(fresh_scenes)
        for entry in project.images:
            scene = fresh_scenes[Path(entry.rel_path).stem]
            on_documents.add_documents(scene.document, project.load_document(entry.key))
    expected = on_documents.result()

    assert main(["export", str(presegmented), "--out", str(tmp_path), "--name", "pred"]) == 0
    evaluation = evaluate_sources(fresh_dataset.json, tmp_path / "panoptic_pred.json")
    assert evaluation.result.images == expected.images == fresh_dataset.count
    assert evaluation.result.all.pq == pytest.approx(expected.all.pq, abs=1e-12)
    assert evaluation.result.all.pq > 0
    for category_id, quality in expected.per_category.items():
        got = evaluation.result.per_category[category_id]
        assert (got.pq, got.n) == (pytest.approx(quality.pq, abs=1e-12), quality.n)
