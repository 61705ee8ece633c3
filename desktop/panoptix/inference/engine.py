"""The predictor the GUI worker and the CLI call: one loaded model, images in, raw outputs out.

Preprocessing (:meth:`Predictor.prepare`) and the forward pass (:meth:`Predictor.forward`)
are separate so a caller can prepare the next batch on another thread while the model runs.
Out of memory, the forward pass retries at a smaller input size, then on the CPU, and says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from panoptix.inference.device import choose_device, is_out_of_memory
from panoptix.inference.loading import LoadedModel, Progress, load_model
from panoptix.inference.raw_outputs import TASKS, RawOutputs, round_mask_logits

MIN_SHORTEST_EDGE = 320
"""Below this an out-of-memory retry moves to the CPU instead of shrinking the input."""
SHRINK_FACTOR = 0.75


class PredictorError(RuntimeError):
    """Used before a model was loaded, or given something that is not an RGB image."""


@dataclass(eq=False)
class Prepared:
    """A preprocessed batch, with what a retry or the raw outputs need."""

    inputs: dict[str, Any]
    images: list[np.ndarray]
    task: str
    shortest_edge: int


class Predictor:
    """A loaded segmentation model on a device.

    ``notify`` receives one-line notices (out-of-memory fallbacks, half precision
    ignored on the CPU); they are also kept in :attr:`notices`.
    """

    def __init__(self, notify: Callable[[str], None] | None = None) -> None:
        self._loaded: LoadedModel | None = None
        self._notify = notify
        self.notices: list[str] = []
        self.device = "cpu"
        self.half = False
        self._requested_edge: int | None = None
        self._shortest_edge: int | None = None
        """The requested edge, or a smaller one after running out of memory."""

    # -- loading ------------------------------------------------------------------
    def load(self, model_spec: str, device: str | None = None, half: bool = False,
             allow_pickle: bool = False, progress: Progress | None = None,
             cache_dir: str | None = None) -> None:
        """Load ``model_spec`` (hub id or folder) onto ``device`` (None/``auto``: the best)."""
        target = choose_device(device)
        loaded = load_model(model_spec, allow_pickle=allow_pickle, cache_dir=cache_dir,
                            progress=progress)
        if half and not target.startswith("cuda"):
            self._tell(f"half precision needs CUDA; running in float32 on {target}")
            half = False
        if progress is not None and target != "cpu":
            progress(f"moving {model_spec} to {target}")
        try:
            loaded.model.to(target)
            if half:
                loaded.model.half()
        except Exception as error:
            if not is_out_of_memory(error):
                raise
            loaded.model.float().to("cpu")
            self._empty_cache(target)
            self._tell(f"{model_spec} does not fit in the memory of {target}; running on the CPU")
            target, half = "cpu", False
        self._loaded, self.device, self.half = loaded, target, half

    def use(self, loaded: LoadedModel, device: str) -> None:
        """Run a model loaded elsewhere (one being trained), already on ``device``."""
        self._loaded, self.device, self.half = loaded, device, False

    def without_model(self) -> Predictor:
        """A copy that only preprocesses: the processor and input size, no weights and no
        callbacks, small enough to send to other processes, whose :meth:`prepare` gives
        what this predictor's would."""
        copy = Predictor()
        copy._loaded = replace(self.loaded, model=None)
        copy._requested_edge, copy._shortest_edge = self._requested_edge, self._shortest_edge
        return copy

    @property
    def is_loaded(self) -> bool:
        return self._loaded is not None

    @property
    def loaded(self) -> LoadedModel:
        if self._loaded is None:
            raise PredictorError("no model loaded")
        return self._loaded

    @property
    def model_id(self) -> str:
        return self.loaded.model_id

    @property
    def model_type(self) -> str:
        return self.loaded.model_type

    @property
    def id2label(self) -> dict[int, str]:
        return self.loaded.id2label

    # -- input size ---------------------------------------------------------------
    @property
    def default_shortest_edge(self) -> int:
        size = self.loaded.image_processor.size
        return int(size.shortest_edge or min(size.height, size.width))

    @property
    def shortest_edge(self) -> int:
        return self._shortest_edge or self.default_shortest_edge

    @shortest_edge.setter
    def shortest_edge(self, value: int | None) -> None:
        """None restores the checkpoint's own setting. Setting the value already requested
        keeps a smaller edge an out-of-memory retry settled on."""
        value = None if value is None else int(value)
        if value != self._requested_edge:
            self._requested_edge = self._shortest_edge = value

    def _size(self, shortest_edge: int) -> dict[str, int] | None:
        if shortest_edge == self.default_shortest_edge:
            return None
        size = self.loaded.image_processor.size
        if size.shortest_edge:
            longest = size.longest_edge or 0
            ratio = longest / size.shortest_edge if longest else 0
            return {"shortest_edge": shortest_edge,
                    **({"longest_edge": round(shortest_edge * ratio)} if ratio else {})}
        scale = shortest_edge / min(size.height, size.width)
        return {"height": round(size.height * scale), "width": round(size.width * scale)}

    # -- inference ----------------------------------------------------------------
    def prepare(self, images: Sequence[np.ndarray], task: str = "panoptic") -> Prepared:
        """Preprocess RGB uint8 images (H, W, 3) with the checkpoint's processor; no model."""
        if task not in TASKS:
            raise PredictorError(f"unknown task {task!r}; use one of {', '.join(TASKS)}")
        images = [check_image(image) for image in images]
        shortest_edge = self.shortest_edge
        kwargs: dict[str, Any] = {"return_tensors": "pt", "input_data_format": "channels_last"}
        size = self._size(shortest_edge)
        if size is not None:
            kwargs["size"] = size
        if self.loaded.model_type == "oneformer":
            kwargs["task_inputs"] = [task] * len(images)
        inputs = dict(self.loaded.processor(images=images, **kwargs))
        return Prepared(inputs, images, task, shortest_edge)

    def forward(self, prepared: Prepared) -> list[RawOutputs]:
        """Run the model; out of memory, retry smaller or on the CPU (see :attr:`notices`)."""
        while True:
            try:
                return self._forward(prepared)
            except Exception as error:
                if not is_out_of_memory(error):
                    raise
                self._recover(prepared.shortest_edge)
                prepared = self.prepare(prepared.images, prepared.task)

    def predict(self, image_rgb: np.ndarray, task: str = "panoptic") -> RawOutputs:
        return self.forward(self.prepare([image_rgb], task))[0]

    def predict_batch(self, images: Sequence[np.ndarray],
                      task: str = "panoptic") -> list[RawOutputs]:
        return self.forward(self.prepare(images, task)) if images else []

    def _forward(self, prepared: Prepared) -> list[RawOutputs]:
        import torch

        model = self.loaded.model
        if model is None:
            raise PredictorError("this predictor only preprocesses (see without_model)")
        dtype = torch.float16 if self.half else torch.float32
        inputs = {name: value.to(self.device) for name, value in prepared.inputs.items()}
        inputs["pixel_values"] = inputs["pixel_values"].to(dtype)
        with torch.inference_mode():
            outputs = model(**inputs)
        class_logits = outputs.class_queries_logits.float().cpu().numpy()
        masks = outputs.masks_queries_logits
        pixel_mask = prepared.inputs["pixel_mask"]
        padded_h, padded_w = pixel_mask.shape[-2:]
        mask_h, mask_w = masks.shape[-2:]
        results = []
        for index, image in enumerate(prepared.images):
            valid_h = int(pixel_mask[index].any(dim=1).sum())
            valid_w = int(pixel_mask[index].any(dim=0).sum())
            crop_h = min(mask_h, math.ceil(valid_h * mask_h / padded_h))
            crop_w = min(mask_w, math.ceil(valid_w * mask_w / padded_w))
            mask_logits = round_mask_logits(
                masks[index, :, :crop_h, :crop_w].to(torch.float16).cpu().numpy())
            results.append(RawOutputs(class_logits[index], mask_logits, image.shape[:2],
                                      dict(self.loaded.id2label), prepared.task,
                                      self.loaded.model_id))
        return results

    def _recover(self, failed_edge: int) -> None:
        """After running out of memory at ``failed_edge``: shrink the input, else go to CPU."""
        self._empty_cache()
        smaller = int(failed_edge * SHRINK_FACTOR) // 32 * 32
        if smaller >= MIN_SHORTEST_EDGE:
            self._shortest_edge = smaller
            self._tell(f"out of memory on {self.device} at shortest edge {failed_edge}; "
                       f"retrying at {smaller}")
            return
        if self.device == "cpu":
            raise PredictorError(f"out of memory on the CPU even at shortest edge {failed_edge}")
        self._tell(f"out of memory on {self.device} even at shortest edge {failed_edge}; "
                   "continuing on the CPU")
        self.loaded.model.float().to("cpu")
        self.device, self.half, self._shortest_edge = "cpu", False, self._requested_edge

    def _empty_cache(self, device: str | None = None) -> None:
        import torch

        device = device or self.device
        if device.startswith("cuda"):
            torch.cuda.empty_cache()
        elif device == "mps":
            torch.mps.empty_cache()

    def _tell(self, message: str) -> None:
        self.notices.append(message)
        if self._notify is not None:
            self._notify(message)


def check_image(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3 \
            or image.dtype != np.uint8 or min(image.shape[:2]) < 1:
        shape = getattr(image, "shape", None)
        raise PredictorError(f"expected an RGB uint8 image (H, W, 3), got {shape}")
    return image
