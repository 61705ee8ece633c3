"""Take the README screenshot of the proposal picker: the real window, the proposal tool
clicked on a car that post-processing left out, its proposals outlined and listed.

    QT_QPA_PLATFORM=offscreen python packaging/screenshots/proposals.py [OUT.png]

Writes (by default) packaging/screenshots/proposals.png.

No model is needed. The bundled street samples are copied to a temporary project with raw
outputs made for them the way Mask2Former lays them out (100 queries, 133 COCO labels +
"no object", mask logits at 1/4 of a 384-pixel input): one query per segment of the
sample's ground truth (``panoptic_samples.json`` of the bundled samples), rival queries on the
same pixels (a truck, a car merged with its neighbour, a motorcycle on half a car), and
"no object" queries. The left car's own query scores 0.78, under the 0.8 threshold, so the
pre-segmentation gives its pixels to the road; a click with the proposal tool offers it back.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QPointF, Qt
from shot import (
    copy_samples,
    inside_point,
    open_window,
    sample_ground_truth,
    save,
    settle,
    show_image,
    use_temporary_settings,
)

from panoptix.core.bundled import bundled

LABELS = {int(k): v for k, v in json.loads(
    bundled("categories", "coco_panoptic.id2label.json").read_text()).items()}
LABEL = {name: label for label, name in LABELS.items()}
NUM_QUERIES = 100
LOW = (96, 128)
"""Mask logits of a 480x640 image: a 384x512 input, masks at 1/4 of it."""


def mask_logits(mask: np.ndarray) -> np.ndarray:
    share = cv2.resize(mask.astype(np.float32), (LOW[1], LOW[0]), interpolation=cv2.INTER_AREA)
    return np.clip(14.0 * (share - 0.5), -12, 12)


def class_row(probabilities: dict[str, float]) -> np.ndarray:
    """Class logits whose softmax gives these label probabilities; the rest is spread over
    the other labels and "no object"."""
    row = np.zeros(len(LABELS) + 1, np.float32)
    rest = (1.0 - sum(probabilities.values())) / (len(LABELS) + 1 - len(probabilities))
    for name, probability in probabilities.items():
        row[LABEL[name]] = np.log(probability / rest)
    return row


def left_car(name: str) -> np.ndarray:
    """The mask of the leftmost car of a sample (by its centre) among the larger ones."""
    cars = [mask for label, mask in sample_ground_truth(name) if label == "car"]
    large = [mask for mask in cars if mask.sum() >= 0.25 * max(m.sum() for m in cars)]
    return min(large, key=lambda mask: np.nonzero(mask)[1].mean())


def street_outputs(name: str, seed: int, image_size: tuple[int, int],  # noqa: ANN201
                   left_car_score: float):
    from panoptix.inference.raw_outputs import RawOutputs

    rng = np.random.default_rng(seed)
    parts = sample_ground_truth(name)
    rows, masks = [], []
    left = left_car(name)
    cars = [left] + [mask for label, mask in parts
                     if label == "car" and not np.array_equal(mask, left)]
    for label, mask in parts:
        if not mask.any():
            continue
        is_left = label == "car" and np.array_equal(mask, left)
        probability = left_car_score if is_left else float(rng.uniform(0.86, 0.99))
        rival = {"car": "truck", "person": "bicycle", "tree-merged": "grass-merged"}.get(
            label, "wall-other-merged")
        rows.append(class_row({label: probability, rival: (1 - probability) * 0.6}))
        masks.append(mask_logits(mask))
    # rivals on the left car: a truck, two cars merged, a motorcycle on its front half
    first, second = cars[0], cars[1]
    front = first.copy()
    columns = np.flatnonzero(first.any(axis=0))
    front[:, (columns[0] + columns[-1]) // 2:] = False
    for probabilities, mask in (({"truck": 0.62, "car": 0.3}, cv2.dilate(
            first.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)),
                                ({"car": 0.55, "truck": 0.2}, first | second),
                                ({"motorcycle": 0.41, "bicycle": 0.3}, front)):
        rows.append(class_row(probabilities))
        masks.append(mask_logits(mask))
    yy, xx = np.mgrid[0:LOW[0], 0:LOW[1]].astype(np.float32)
    while len(rows) < NUM_QUERIES:  # "no object" queries with loose blobs
        row = rng.normal(0, 1, len(LABELS) + 1).astype(np.float32)
        row[-1] = 9.0
        cy, cx, r = rng.uniform(0, LOW[0]), rng.uniform(0, LOW[1]), rng.uniform(5, 30)
        rows.append(row)
        masks.append(np.clip(r - np.hypot(yy - cy, xx - cx), -12, 12))
    return RawOutputs(np.stack(rows), np.stack(masks).astype(np.float16), image_size, LABELS,
                      "panoptic", "facebook/mask2former-swin-large-coco-panoptic")


def presegment(project, key: str, seed: int, left_car_score: float) -> None:  # noqa: ANN001
    from panoptix.core.project import ImageStatus
    from panoptix.core.review import image_uncertainty
    from panoptix.inference.assist import postprocess_document
    from panoptix.inference.labels import categories_for_model
    from panoptix.inference.settings import InferenceSettings

    image = project.load_image(key)
    raw = street_outputs(key, seed, image.shape[:2], left_car_score)
    raw.save(project.raw_outputs_path(key))
    model_categories = categories_for_model(raw.model_id, raw.id2label, project.categories)
    doc = postprocess_document(raw, model_categories, InferenceSettings()).document
    project.save_document(key, doc, ImageStatus.PRESEGMENTED, raw.model_id,
                          uncertainty=image_uncertainty(doc))


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_suffix(".png")
    with tempfile.TemporaryDirectory() as tmp:
        use_temporary_settings(tmp)
        from PySide6.QtTest import QTest

        from panoptix.core.project import Project

        images = copy_samples(Path(tmp), ("street_01.jpg", "street_02.jpg", "park_01.jpg"))
        with Project.open_or_create_for_images(images) as project:
            presegment(project, "street_01.jpg", 1, left_car_score=0.78)
            presegment(project, "street_02.jpg", 7, left_car_score=0.93)
        window = open_window(images, (1500, 900),
                             model="facebook/mask2former-swin-large-coco-panoptic")
        show_image(window, "street_01.jpg")
        window.actions["review_sort"].trigger()
        window.actions["review_images_sort"].trigger()
        window.actions["tool:propose"].trigger()
        canvas = window.canvas
        canvas.fit()
        settle(200)
        x, y = inside_point(left_car("street_01.jpg"))
        QTest.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton,
                         Qt.KeyboardModifier.NoModifier, canvas.mapFromScene(QPointF(x, y)))
        window.status.hover.setText(window.editor.describe(x, y))
        save(window, out)


if __name__ == "__main__":
    main()
