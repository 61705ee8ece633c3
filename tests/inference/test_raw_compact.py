"""Raw outputs sized for datasets: only the queries that can matter, masks quantised and
cut to where they are on; the file holds exactly what was post-processed, and
post-processing gives today's result within the quantisation."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
from synthetic import COCO_THINGS, Query, ellipse, street_scene, synthetic_raw

from panoptix.inference.postprocess import instance_segmentation, panoptic_segmentation
from panoptix.inference.proposals import ProposalIndex
from panoptix.inference.raw_outputs import (
    FAINT,
    KEEP_FLOOR,
    OFF,
    SATURATED,
    RawOutputs,
    RawOutputsError,
    quantise_mask_logits,
)


def crowded(extra: int = 80) -> RawOutputs:
    """The street scene among many "no object" queries, as a real model makes them."""
    street = street_scene()
    rng = np.random.default_rng(3)
    low = street.mask_logits.shape[1:]
    idle = [Query(None, rng.normal(-4, 3, low).astype(np.float32)) for _ in range(extra)]
    scene_queries = [Query(None, m.astype(np.float32)) for m in street.mask_logits]
    raw = synthetic_raw(scene_queries + idle, street.image_size)
    class_logits = raw.class_logits.copy()
    class_logits[:street.num_queries] = street.class_logits
    return RawOutputs(class_logits, raw.mask_logits, raw.image_size, raw.id2label)


def kept_queries(raw: RawOutputs, floor: float = KEEP_FLOOR) -> np.ndarray:
    probabilities = np.exp(raw.class_logits - raw.class_logits.max(1, keepdims=True))
    probabilities /= probabilities.sum(1, keepdims=True)
    return np.flatnonzero(probabilities[:, :-1].max(1) >= floor)


def test_only_queries_that_can_matter_are_kept_and_the_file_is_small() -> None:
    full = crowded()
    compact = full.compacted()
    keep = kept_queries(full)
    assert 0 < compact.num_queries == keep.size <= 11 and compact.queries_run == 91
    np.testing.assert_array_equal(compact.class_logits, full.class_logits[keep])
    dense, small = len(full.to_bytes()), len(compact.to_bytes())
    assert small * 10 < dense, (small, dense)
    assert full.compacted(threshold=0.0).num_queries == 91  # a run at threshold 0 keeps all
    semantic = RawOutputs(full.class_logits, full.mask_logits, full.image_size,
                          full.id2label, "semantic")
    assert semantic.compacted().num_queries == 91


def test_the_file_holds_exactly_what_was_post_processed() -> None:
    compact = crowded().compacted()
    again = RawOutputs.from_bytes(compact.to_bytes())
    assert again.compact and again.queries_run == compact.queries_run
    np.testing.assert_array_equal(again.class_logits, compact.class_logits)
    np.testing.assert_array_equal(again.mask_logits, compact.mask_logits)
    assert again.compacted() is again


def test_quantised_logits_stay_on_their_side_of_one_half_within_a_sixteenth() -> None:
    logits = np.linspace(-15.9, 15.9, 20001).astype(np.float16)
    logits = logits[logits != 0]  # exactly 0 (probability 0.5, "off") becomes just on
    quantised = quantise_mask_logits(logits)
    assert np.array_equal(quantised > 0, logits > 0) and np.all(quantised != 0)
    assert np.abs(quantised.astype(np.float32) - logits.astype(np.float32)).max() <= 1 / 16
    assert np.array_equal(quantise_mask_logits(quantised), quantised)
    assert quantise_mask_logits(np.array([np.nan, -1e4, 1e4], np.float16)).tolist() == [
        OFF, OFF, 15.9375]


def test_a_mask_is_cut_to_where_it_is_on() -> None:
    low = (68, 120)
    blob = ellipse(low, 20, 30, 5, 8)
    raw = synthetic_raw([Query(0, blob)], (270, 480)).compacted()
    on = np.argwhere(blob > -6)
    (y0, x0), (y1, x1) = on.min(0) - 1, on.max(0) + 2
    inside = np.zeros(low, bool)
    inside[y0:y1, x0:x1] = True
    assert np.all(raw.mask_logits[0][~inside] == OFF)
    held = np.clip(blob, FAINT, SATURATED).astype(np.float16)
    np.testing.assert_array_equal(raw.mask_logits[0][inside],
                                  quantise_mask_logits(held)[inside])


def test_held_logits_decide_as_before_at_every_mask_threshold_the_panel_offers() -> None:
    low = (68, 120)
    blob = ellipse(low, 20, 30, 5, 8, sharpness=16)  # logits from -20 to +16
    kept = synthetic_raw([Query(0, blob)], (270, 480)).compacted().mask_logits[0]
    unheld = quantise_mask_logits(blob.astype(np.float16))
    on = kept != OFF
    assert kept[on].min() >= FAINT - 1 / 16 and kept[on].max() <= SATURATED + 1 / 16
    assert unheld[on].min() < FAINT and unheld[on].max() > SATURATED
    for threshold in np.arange(0.01, 1.0, 0.01):
        logit = np.log(threshold / (1 - threshold))
        assert np.array_equal(kept[on] > logit, unheld[on] > logit), threshold


@pytest.mark.parametrize("threshold", [KEEP_FLOOR, 0.5, 0.8])
def test_post_processing_the_kept_outputs_gives_todays_id_maps(threshold: float) -> None:
    full = crowded()
    kept = RawOutputs.from_bytes(full.compacted().to_bytes())
    keep = kept_queries(full)
    for rule in (panoptic_segmentation, instance_segmentation):
        before = rule(full, COCO_THINGS, threshold=threshold)
        after = rule(kept, COCO_THINGS, threshold=threshold)
        assert [s.label_id for s in after.segments] == [s.label_id for s in before.segments]
        assert [s.score for s in after.segments] == pytest.approx(
            [s.score for s in before.segments], abs=0.01)
        assert [tuple(keep[list(s.query_indices)]) for s in after.segments] == [
            s.query_indices for s in before.segments]
        differ = float((before.id_map != after.id_map).mean())
        assert differ < 0.002, f"{rule.__name__}: {differ:.4%} of pixels differ"


def test_proposals_at_clicks_are_todays() -> None:
    full = crowded()
    kept = RawOutputs.from_bytes(full.compacted().to_bytes())
    keep = kept_queries(full)
    before, after = ProposalIndex(full), ProposalIndex(kept)
    height, width = full.image_size
    for y in range(5, height, 23):
        for x in range(5, width, 31):
            assert [keep[p.query] for p in after.at(x, y)] == [
                p.query for p in before.at(x, y)], (x, y)


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w") as member:
                np.lib.format.write_array(member, array, allow_pickle=False)
    return buffer.getvalue()


def test_a_format_1_file_still_loads() -> None:
    street = street_scene()
    meta = {"version": 1, "image_size": list(street.image_size),
            "id2label": {str(k): v for k, v in street.id2label.items()},
            "task": "panoptic", "model_id": "old"}
    data = _npz({"class_logits": street.class_logits, "mask_logits": street.mask_logits,
                 "meta": np.array(json.dumps(meta))})
    raw = RawOutputs.from_bytes(data)
    assert not raw.compact and raw.queries_run == raw.num_queries == street.num_queries
    np.testing.assert_array_equal(raw.mask_logits, street.mask_logits)


@pytest.mark.parametrize("damage", ["box outside", "cells short", "cells long"])
def test_a_damaged_compact_file_is_refused(damage: str) -> None:
    compact = crowded().compacted()
    with np.load(io.BytesIO(compact.to_bytes())) as npz:
        arrays = {name: npz[name] for name in npz.files}
    if damage == "box outside":
        arrays["boxes"][0] = (0, 0, 999, 5)
    elif damage == "cells short":
        arrays["cells"] = arrays["cells"][:-3]
    else:
        arrays["cells"] = np.concatenate([arrays["cells"], np.zeros(3, np.uint8)])
    with pytest.raises(RawOutputsError, match="not a raw-outputs file"):
        RawOutputs.from_bytes(_npz(arrays))
