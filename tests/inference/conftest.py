"""Tiny models built once per session, and a synthetic scene."""

from __future__ import annotations

from pathlib import Path

import pytest
from synthetic import COCO_LABELS, street_scene

from panoptix.inference.raw_outputs import RawOutputs
from tiny_models import build_mask2former, build_oneformer, table_labels


@pytest.fixture(scope="session")
def mask2former_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_mask2former(tmp_path_factory.mktemp("m2f") / "model", COCO_LABELS)


@pytest.fixture(scope="session")
def oneformer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_oneformer(tmp_path_factory.mktemp("oneformer") / "model",
                           table_labels("ade20k_panoptic"),
                           class_info_file="ade20k_panoptic.json")


@pytest.fixture(scope="session")
def mask2former(mask2former_dir: Path):
    from panoptix.inference.engine import Predictor

    predictor = Predictor()
    predictor.load(str(mask2former_dir), device="cpu")
    return predictor


@pytest.fixture
def scene() -> RawOutputs:
    return street_scene()
