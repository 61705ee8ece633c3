"""Reading a project for training (without its lock), the split, augmentation, batches."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from scenes import BALL, BOX, CATEGORIES, GRASS, SKY, make_project

from panoptix.core.manifest import ImageStatus
from panoptix.core.project import Project
from panoptix.training.augment import Augmentation
from panoptix.training.batches import BatchEncoder, BatchPlan, renumber
from panoptix.training.labels import LabelSpace
from panoptix.training.project_data import ProjectReader, split_keys
from panoptix.training.setup import collect


def test_the_project_is_read_while_the_window_holds_it_open(scenes_project: Path) -> None:
    with Project.open(scenes_project) as project:  # holds the lock, as the window does
        reader = ProjectReader(scenes_project)
        data = collect(reader, [ImageStatus.DONE], 0.25, seed=0)
        key = project.images[0].key
        expected = project.load_document(key)
    assert len(data.train) + len(data.validation) == 8
    read = next(i for i in data.train + data.validation if i.key == key)
    document = read.document(CATEGORIES)
    # the same segmentation, renumbered 1..N in id order
    for segment_id in expected.segments:
        mask = expected.id_map == segment_id
        assert len(np.unique(document.id_map[mask])) == 1
        new_id = int(document.id_map[mask][0])
        assert document.segments[new_id] == expected.segments[segment_id]
    assert (document.id_map == 0).sum() == (expected.id_map == 0).sum()


def test_only_done_images_unless_edited_ones_are_asked_for(tmp_path: Path) -> None:
    folder = make_project(tmp_path, 6, done=3)
    with Project.open(folder) as project:
        project.set_status(project.images[3].key, ImageStatus.EDITED)
    reader = ProjectReader(folder)
    assert len(reader.select([ImageStatus.DONE])) == 3
    assert len(reader.select([ImageStatus.DONE, ImageStatus.EDITED])) == 4


def test_the_split_is_fixed_by_the_seed_and_holds_out_at_least_one_of_five() -> None:
    keys = [f"image_{i}" for i in range(20)]
    train, validation = split_keys(keys, 0.15, seed=0)
    assert len(validation) == 3 and sorted(train + validation) == sorted(keys)
    assert split_keys(list(reversed(keys)), 0.15, seed=0)[1] == \
        [k for k in reversed(keys) if k in validation]
    assert split_keys(keys, 0.15, seed=1)[1] != validation
    assert len(split_keys(keys[:5], 0.15, 0)[1]) == 1
    assert split_keys(keys[:4], 0.15, 0)[1] == []
    assert split_keys(keys[:5], 0.0, 0)[1] == []
    # a new image moves at most one other out of the validation set
    _more_train, more_validation = split_keys([*keys, "image_new"], 0.15, seed=0)
    assert len(set(validation) - set(more_validation)) <= 1


def test_augmentation_moves_image_and_labels_together() -> None:
    rng = np.random.default_rng(3)
    ids = np.zeros((90, 120), np.uint8)
    ids[:, :60] = 1
    ids[20:50, 70:110] = 2
    image = np.zeros((90, 120, 3), np.uint8)
    colors = {0: (0, 0, 0), 1: (250, 0, 0), 2: (0, 0, 250)}
    for value, color in colors.items():
        image[ids == value] = color
    augmentation = Augmentation(64, jitter=0.0)
    flipped = False
    for _ in range(12):
        crop, crop_ids = augmentation.apply(image, ids, rng)
        assert crop.shape == (64, 64, 3) and crop_ids.shape == (64, 64)
        for value in (1, 2):
            inside = crop_ids == value
            # away from label borders, every pixel of id v has v's colour
            eroded = inside & np.roll(inside, 1, 0) & np.roll(inside, -1, 0) \
                & np.roll(inside, 1, 1) & np.roll(inside, -1, 1)
            if eroded.any():
                assert np.abs(crop[eroded].astype(int) - colors[value]).max() <= 2
        columns_of_1 = np.flatnonzero((crop_ids == 1).any(axis=0))
        columns_of_2 = np.flatnonzero((crop_ids == 2).any(axis=0))
        if columns_of_1.size and columns_of_2.size:
            flipped |= columns_of_1.mean() > columns_of_2.mean()
    assert flipped, "twelve draws without a horizontal flip"


def test_padding_outside_the_image_is_ignored() -> None:
    ids = np.ones((40, 40), np.uint8)
    image = np.full((40, 40, 3), 200, np.uint8)
    augmentation = Augmentation(128, min_scale=0.5, max_scale=0.5, jitter=0.0)
    _crop, crop_ids = augmentation.apply(image, ids, np.random.default_rng(0))
    assert (crop_ids == 0).mean() == pytest.approx(0.75, abs=0.02)  # 64x64 of 128x128


def _one_small_object() -> tuple[np.ndarray, np.ndarray]:
    """A 640x480 image of stuff (id 1) with one 40x30 object (id 2) in a corner."""
    ids = np.ones((480, 640), np.int32)
    ids[430:460, 585:625] = 2
    image = np.full((480, 640, 3), 90, np.uint8)
    image[ids == 2] = 230
    return image, ids


def _whole_inside(crop_ids: np.ndarray, value: int) -> bool:
    border = np.concatenate([crop_ids[0], crop_ids[-1], crop_ids[:, 0], crop_ids[:, -1]])
    return bool((crop_ids == value).any()) and not (border == value).any()


def test_object_crops_hold_the_object_whole() -> None:
    image, ids = _one_small_object()
    centred = Augmentation(128, jitter=0.0, object_crops=1.0)
    anywhere = Augmentation(128, jitter=0.0)
    held = [_whole_inside(centred.apply(image, ids, np.random.default_rng(seed), [2])[1], 2)
            for seed in range(40)]
    assert all(held)
    by_chance = [_whole_inside(anywhere.apply(image, ids, np.random.default_rng(seed), [2])[1],
                               2) for seed in range(40)]
    assert sum(by_chance) < 20  # the test image makes a difference
    # an object larger than the crop: the crop lies inside it
    big = np.ones((480, 640), np.int32)
    big[100:400, 100:400] = 2
    for seed in range(10):
        crop_ids = Augmentation(64, min_scale=2.0, max_scale=2.0, object_crops=1.0).apply(
            image, big, np.random.default_rng(seed), [2])[1]
        assert (crop_ids == 2).all()


def test_without_object_crops_the_draws_are_those_of_before() -> None:
    """Resumed runs and every seeded test rely on it: the id crops and the generator's
    state after six draws, as they were before object crops existed."""
    image = np.random.default_rng(5).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    ids = np.zeros((120, 160), np.int32)
    ids[10:30, 100:140] = 1
    ids[60:, :] = 2
    for objects in ((), (1,)):
        digest = hashlib.sha256()
        for seed in range(6):
            rng = np.random.default_rng(seed)
            _crop, crop_ids = Augmentation(64).apply(image, ids, rng, objects)
            digest.update(crop_ids.tobytes())
            digest.update(rng.bytes(8))
        assert digest.hexdigest()[:16] == "ea7c22545a279900"


def test_batches_place_object_crops_around_things_only(tmp_path: Path) -> None:
    folder = make_project(tmp_path, 4, height=192, width=256)
    data = collect(ProjectReader(folder), [ImageStatus.DONE], 0.0, seed=0)
    labels = LabelSpace.of(CATEGORIES)
    things = {labels.label_of(BALL), labels.label_of(BOX)}

    def make_inputs(crops, maps, lookups, slots):  # noqa: ANN001, ANN202, ARG001
        import torch
        return {"pixel_values": torch.zeros(len(crops), 3, 1, 1), "lookups": lookups}

    encoder = BatchEncoder(data.train, labels, Augmentation(64, min_scale=2.0, max_scale=2.0,
                                                            object_crops=1.0),
                           make_inputs, seed=0)
    batch = encoder.encode([(slot, slot % len(data.train)) for slot in range(16)])
    for lookup in batch.inputs["lookups"]:
        assert things & set(lookup.values())


def test_renumbering_drops_crowd_and_keeps_at_most_255_segments() -> None:
    ids = np.arange(300 * 4, dtype=np.uint16).reshape(40, 30) % 300 + 1
    ids[0, 0] = 0
    labels = np.full(301, 2, np.int64)
    labels[0] = -1
    labels[5] = -1  # crowd
    numbered, lookup = renumber(ids, labels)
    assert numbered.dtype == np.uint8 and numbered.max() == 255 and len(lookup) == 255
    assert (numbered[ids == 5] == 0).all() and numbered[0, 0] == 0
    assert set(lookup.values()) == {2}


def test_a_resumed_plan_gives_the_same_batches() -> None:
    plan = BatchPlan(images=7, batch=2, accumulate=2, seed=4)
    first = [plan.micro_batches(step) for step in range(10)]
    again = BatchPlan(images=7, batch=2, accumulate=2, seed=4)
    assert [again.micro_batches(step) for step in range(5, 10)] == first[5:]
    # every image once per epoch
    slots = [index for step in first for batch in step for _slot, index in batch]
    assert sorted(slots[:7]) == list(range(7)) and sorted(slots[7:14]) == list(range(7))
    halved = BatchPlan(images=7, batch=1, accumulate=4, seed=4)
    assert [p for b in halved.micro_batches(3) for p in b] == \
        [p for b in first[3] for p in b]  # an out-of-memory retry sees the same images


def test_labels_follow_the_project_order_and_names() -> None:
    labels = LabelSpace.of(CATEGORIES)
    assert labels.id2label == {0: "sky", 1: "grass", 2: "ball", 3: "box", 4: "flag"}
    assert labels.label_of(GRASS) == 1 and labels.label_of(BALL) == 2
    assert labels.label_of(SKY) == 0 and labels.label_of(99) is None
