"""Snapping segment boundaries to the image's edges (``panoptix.inference.edges``) and the
switch that turns it on in post-processing."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from synthetic import COCO_THINGS, Query, ellipse, synthetic_raw

from panoptix.core.categories import load_table
from panoptix.inference.assist import AssistContext
from panoptix.inference.edges import edge_guide, snap_radius, snap_to_edges
from panoptix.inference.labels import categories_for_model
from panoptix.inference.postprocess import segment
from panoptix.inference.proposals import ProposalIndex
from panoptix.inference.settings import InferenceSettings, SettingsError


def _disc_image(shape: tuple[int, int], centre: tuple[int, int], radius: int) -> np.ndarray:
    """A grey-blue background with a bright disc, as RGB uint8."""
    image = np.full((*shape, 3), (60, 70, 90), np.uint8)
    cv2.circle(image, (centre[1], centre[0]), radius, (230, 200, 40), -1)
    return image


def _whole_image_filter(id_map: np.ndarray, guide: np.ndarray, radius: int) -> np.ndarray:
    """The guided filter of every segment over the whole image (no boxes), for reference."""
    image = guide.astype(np.float32) / 255.0
    size = (2 * radius + 1, 2 * radius + 1)

    def mean(values: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(values, -1, size, borderType=cv2.BORDER_REFLECT)

    ids = np.unique(id_map)
    scores = []
    for segment_id in ids:
        p = (id_map == segment_id).astype(np.float32)
        mi, mp = mean(image), mean(p)
        a = (mean(image * p) - mi * mp) / (mean(image * image) - mi * mi + 1e-3)
        b = mp - a * mi
        scores.append(mean(a) * image + mean(b))
    return ids[np.argmax(np.stack(scores), axis=0)]


def test_a_boundary_a_few_pixels_off_moves_onto_the_edge() -> None:
    shape, centre, true_radius = (120, 160), (60, 80), 30
    image = _disc_image(shape, centre, true_radius)
    truth = np.zeros(shape, np.uint8)
    cv2.circle(truth, (centre[1], centre[0]), true_radius, 1, -1)
    for offset in (-2, 1, 3):  # the disc drawn too small or too large
        coarse = np.ones(shape, np.int32)  # background 1, the disc 2
        drawn = np.zeros(shape, np.uint8)
        cv2.circle(drawn, (centre[1], centre[0]), true_radius + offset, 1, -1)
        coarse[drawn > 0] = 2

        snapped = snap_to_edges(coarse, edge_guide(image, shape), radius=8)

        wrong_before = int(((coarse == 2) != (truth > 0)).sum())
        wrong_after = int(((snapped == 2) != (truth > 0)).sum())
        assert wrong_before > 150 * abs(offset)
        assert wrong_after < wrong_before / 10


def test_pixels_far_from_any_boundary_never_change() -> None:
    rng = np.random.default_rng(0)
    shape = (90, 120)
    image = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)  # edges everywhere
    id_map = np.ones(shape, np.int32)
    id_map[20:70, 30:90] = 2
    radius = 4
    snapped = snap_to_edges(id_map, edge_guide(image, shape), radius)
    far = np.ones(shape, bool)
    far[20 - 2 * radius:70 + 2 * radius, 30 - 2 * radius:90 + 2 * radius] = False
    far[20 + 2 * radius:70 - 2 * radius, 30 + 2 * radius:90 - 2 * radius] = True
    assert np.array_equal(snapped[far], id_map[far])
    assert not np.array_equal(snapped, id_map)  # near the boundary, the noise moved it


def test_a_small_segment_is_moved_or_kept_never_deleted() -> None:
    shape = (80, 80)
    image = np.full((*shape, 3), 100, np.uint8)
    cv2.circle(image, (40, 40), 4, (200, 200, 200), -1)  # a small bright object
    id_map = np.ones(shape, np.int32)
    id_map[34:43, 34:43] = 2  # the model's square, roughly on it
    id_map[10:14, 60:64] = 3  # a speck where the image shows nothing
    snapped = snap_to_edges(id_map, edge_guide(image, shape), radius=8)
    truth = np.zeros(shape, np.uint8)
    cv2.circle(truth, (40, 40), 4, 1, -1)
    assert ((snapped == 2) != (truth > 0)).sum() < ((id_map == 2) != (truth > 0)).sum()
    assert np.array_equal(snapped == 3, id_map == 3)  # it would vanish: kept as it was


def test_filtering_in_boxes_gives_the_whole_image_result() -> None:
    rng = np.random.default_rng(3)
    shape = (100, 140)
    image = cv2.GaussianBlur(rng.integers(0, 256, shape, dtype=np.uint8), (7, 7), 2)
    id_map = np.zeros(shape, np.int32)
    id_map[10:40, 10:50] = 1
    id_map[50:95, 20:60] = 2
    id_map[30:80, 70:130] = 3
    for radius in (2, 5):
        assert np.array_equal(snap_to_edges(id_map, image, radius),
                              _whole_image_filter(id_map, image, radius))


def test_a_single_segment_or_a_mismatched_guide() -> None:
    id_map = np.full((20, 30), 4, np.int32)
    guide = np.zeros((20, 30), np.uint8)
    assert snap_to_edges(id_map, guide, 3) is id_map
    with pytest.raises(ValueError, match="differ in size"):
        snap_to_edges(id_map, np.zeros((10, 30), np.uint8), 3)


def test_the_radius_follows_the_mask_grid() -> None:
    assert snap_radius((96, 128), (480, 640)) == 8  # 5 image pixels a cell: 1.5 cells
    assert snap_radius((256, 256), (256, 256)) == 2
    assert snap_radius((300, 400), (30, 40)) == 1


def _disc_outputs(image_size: tuple[int, int], low: tuple[int, int]):
    """A car query whose mask is a disc 1.5 cells too wide, and a road query around it."""
    h, w = low
    car = ellipse(low, h / 2, w / 2, h * 0.3, h * 0.3, sharpness=6.0)
    return synthetic_raw([Query(2, car, 12.0), Query(100, -car, 12.0)], image_size)


def test_segment_snaps_only_when_given_the_image() -> None:
    image_size, low = (160, 160), (40, 40)
    raw = _disc_outputs(image_size, low)
    image = _disc_image(image_size, (80, 80), 46)  # the model's disc: radius 48, 1.5 px off
    truth = np.zeros(image_size, np.uint8)
    cv2.circle(truth, (80, 80), 46, 1, -1)

    plain = segment(raw, COCO_THINGS)
    snapped = segment(raw, COCO_THINGS, image=image)

    def car_error(result) -> int:
        car = next(s.id for s in result.segments if s.label_id == 2)
        return int(((result.id_map == car) != (truth > 0)).sum())

    assert car_error(plain) > 500
    assert car_error(snapped) < car_error(plain) / 2
    with pytest.raises(ValueError, match="outputs are for 160x160"):
        segment(raw, COCO_THINGS, image=np.zeros((100, 160, 3), np.uint8))


def test_the_switch_is_a_stored_setting() -> None:
    settings = InferenceSettings(snap_edges=True)
    assert InferenceSettings.from_stored(settings.stored()).snap_edges is True
    unset = InferenceSettings.from_stored({})  # the hub COCO model, which advises nothing
    assert unset.snap_edges is None and unset.resolved_snap_edges is False
    with pytest.raises(SettingsError, match="snap edges"):
        InferenceSettings(snap_edges="yes")  # type: ignore[arg-type]


def test_proposals_snap_when_given_the_image() -> None:
    image_size, low = (160, 160), (40, 40)
    raw = _disc_outputs(image_size, low)
    image = _disc_image(image_size, (80, 80), 46)
    truth = np.zeros(image_size, bool)
    cv2.circle(truth.view(np.uint8), (80, 80), 46, 1, -1)

    def error(index: ProposalIndex) -> int:
        (y0, x0, y1, x1), mask = index.mask(0)
        placed = np.zeros(image_size, bool)
        placed[y0:y1, x0:x1] = mask
        return int((placed != truth).sum())

    plain = ProposalIndex(raw)
    snapped = ProposalIndex(raw, guide=edge_guide(image, image_size))
    assert error(plain) > 500 and error(snapped) < error(plain) / 2
    with pytest.raises(ValueError, match="guide is 160x100"):
        ProposalIndex(raw, guide=np.zeros((100, 160), np.uint8))
    model_categories = categories_for_model(raw.model_id, raw.id2label,
                                            load_table("coco_panoptic"))
    assert AssistContext(raw, model_categories, image).index.guide is not None
    assert AssistContext(raw, model_categories, image[:100]).index.guide is None  # not its image


def test_a_large_image_snaps_proposals_on_the_working_grid() -> None:
    image_size = (1600, 1600)  # working grid 1024x1024
    raw = _disc_outputs(image_size, (40, 40))
    centre, radius = (800, 800), 460  # the model's disc: radius 480
    image = _disc_image(image_size, centre, radius)
    truth = np.zeros(image_size, bool)
    cv2.circle(truth.view(np.uint8), (centre[1], centre[0]), radius, 1, -1)
    context = AssistContext(raw, categories_for_model(raw.model_id, raw.id2label,
                                                      load_table("coco_panoptic")), image)
    assert context.index.guide.shape == (1024, 1024)
    (y0, x0, y1, x1), mask = context.index.mask(0)
    assert mask.shape == (y1 - y0, x1 - x0) and 0 <= y0 < y1 <= 1600 and 0 <= x0 < x1 <= 1600
    placed = np.zeros(image_size, bool)
    placed[y0:y1, x0:x1] = mask
    plain = ProposalIndex(raw).mask(0)
    unsnapped = np.zeros(image_size, bool)
    unsnapped[plain[0][0]:plain[0][2], plain[0][1]:plain[0][3]] = plain[1]
    assert (placed != truth).sum() < 0.6 * (unsnapped != truth).sum()
