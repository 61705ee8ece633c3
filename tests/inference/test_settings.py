"""Inference settings as stored in a manifest, and raw outputs on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from panoptix.inference.raw_outputs import RawOutputs, RawOutputsError, round_mask_logits
from panoptix.inference.registry import DEFAULT_MODEL_ID
from panoptix.inference.settings import InferenceSettings, SettingsError


def test_settings_round_trip_and_ignore_unknown_keys() -> None:
    settings = InferenceSettings(device="cpu", task="semantic", threshold=0.5,
                                 shortest_edge=512)
    data = settings.to_dict()
    assert InferenceSettings.from_dict(data) == settings
    assert InferenceSettings.from_dict({**data, "from_the_future": 1}) == settings
    assert InferenceSettings().model == DEFAULT_MODEL_ID
    assert InferenceSettings().resolved_task == "panoptic"
    assert InferenceSettings(model="facebook/mask2former-swin-tiny-ade-semantic"
                             ).resolved_task == "semantic"


@pytest.mark.parametrize("changes", [{"threshold": 1.5}, {"task": "depth"},
                                     {"device": "tpu"}, {"shortest_edge": 8}, {"model": " "}])
def test_settings_refuse_values_out_of_range(changes: dict) -> None:
    with pytest.raises(SettingsError):
        InferenceSettings().with_changes(**changes)


def test_raw_outputs_round_trip_compact_and_atomic(scene: RawOutputs, tmp_path: Path) -> None:
    path = tmp_path / "raw" / "image.npz"
    scene.save(path)
    assert [p.name for p in path.parent.iterdir()] == ["image.npz"]  # no temp file left
    loaded = RawOutputs.load(path)
    assert np.array_equal(loaded.class_logits, scene.class_logits)
    assert loaded.mask_logits.dtype == np.float16
    assert np.allclose(loaded.mask_logits, scene.mask_logits, rtol=1 / 128, atol=0)
    assert np.array_equal(loaded.mask_logits, round_mask_logits(loaded.mask_logits))
    assert (loaded.image_size, loaded.id2label, loaded.task, loaded.model_id) == (
        scene.image_size, scene.id2label, scene.task, scene.model_id)
    assert path.stat().st_size < scene.nbytes / 3


def test_truncated_raw_outputs_are_refused(scene: RawOutputs, tmp_path: Path) -> None:
    path = tmp_path / "image.npz"
    path.write_bytes(scene.to_bytes()[:200])
    with pytest.raises(RawOutputsError):
        RawOutputs.load(path)
    with pytest.raises(RawOutputsError):
        RawOutputs.load(tmp_path / "missing.npz")


def test_raw_outputs_check_their_shapes() -> None:
    with pytest.raises(RawOutputsError):
        RawOutputs(np.zeros((3, 5)), np.zeros((4, 8, 8), np.float16), (10, 10))
