"""Panoptic quality of a model on annotated images, through Panoptix's own inference path.

Each image goes through the same steps as pre-segmentation (the checkpoint's processor
at its input size, the forward pass, :func:`panoptix.inference.assist.postprocess_document`
at the project's thresholds, labels mapped to categories by name) and is scored against
its annotation with :class:`panoptix.core.pq.PQAccumulator` (panopticapi's rules).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from panoptix.core import imageio
from panoptix.core.categories import CategorySet
from panoptix.core.pq import PQAccumulator, PQResult
from panoptix.inference.assist import postprocess_document
from panoptix.inference.engine import Predictor
from panoptix.inference.labels import categories_for_model
from panoptix.inference.loading import LoadedModel
from panoptix.inference.settings import InferenceSettings
from panoptix.training.project_data import AnnotatedImage


def evaluate(loaded: LoadedModel, device: str, images: Sequence[AnnotatedImage],
             categories: CategorySet, settings: InferenceSettings) -> PQResult:
    """PQ of ``loaded`` (in whatever mode it is; eval mode meanwhile) on ``images``."""
    predictor = Predictor()
    predictor.use(loaded, device)
    model_categories = categories_for_model(loaded.model_id, loaded.id2label, categories)
    accumulator = PQAccumulator(categories)
    model = loaded.model
    was_training = model.training
    model.eval()
    try:
        for image in images:
            pixels = imageio.load_image(image.image_path)
            raw = predictor.predict(pixels, "panoptic")
            prediction = postprocess_document(raw, model_categories, settings, pixels).document
            accumulator.add_documents(image.document(categories), prediction)
    finally:
        model.train(was_training)
    return accumulator.result()


def summary(step: int, result: PQResult) -> dict[str, Any]:
    """One evaluation as ``training.json`` and the progress stream record it."""
    return {"step": step, **{k: result.all.to_json()[k] for k in ("pq", "sq", "rq")},
            "things": result.things.to_json(), "stuff": result.stuff.to_json(),
            "images": result.images}
