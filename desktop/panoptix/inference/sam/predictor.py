"""One loaded SAM model on a device: an image in, its embedding out; prompts on an embedding
in, mask candidates at the image's full resolution out."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from panoptix.core.stats import Box
from panoptix.inference.device import choose_device
from panoptix.inference.loading import Progress
from panoptix.inference.sam.frame import ModelFrame
from panoptix.inference.sam.loading import LoadedSam, load_sam
from panoptix.inference.sam.masks import MASK_THRESHOLD, upscale
from panoptix.inference.sam.pixels import pixel_values
from panoptix.inference.sam.prompts import Prompts


class SamError(RuntimeError):
    """A request the segmenter cannot answer; the message is one line."""


@dataclass(frozen=True, eq=False)
class SamEmbedding:
    """The image encoder's output for one image: all the mask decoder needs."""

    features: tuple[Any, ...]
    """SAM 2: the three feature levels, finest first; SAM: the single embedding."""
    frame: ModelFrame
    model_id: str

    @property
    def image_size(self) -> tuple[int, int]:
        return self.frame.image_size

    @property
    def nbytes(self) -> int:
        return int(sum(f.numel() * f.element_size() for f in self.features))


class MaskCandidate:
    """One mask the decoder proposed. Its full-resolution pixels are made when first asked
    for: the answer to a click needs only the best candidate's; the others follow on Tab."""

    def __init__(self, iou: float, logits: Any = None, frame: ModelFrame | None = None,
                 placed: tuple[Box, np.ndarray] | None = None) -> None:
        self.iou = iou
        """The model's own estimate of the mask's quality (predicted IoU)."""
        self.logits = logits
        """The (h, w) low-resolution logits; None for a mask given as pixels."""
        self._frame = frame
        self._placed = placed
        self._done = logits is None

    @classmethod
    def of_pixels(cls, box: Box, mask: np.ndarray, iou: float) -> MaskCandidate:
        return cls(iou, placed=(box, mask))

    @property
    def placed(self) -> tuple[Box, np.ndarray] | None:
        """(box, mask) at the image's size; None when it is empty there."""
        if not self._done:
            assert self._frame is not None
            self._placed, self._done = upscale(self.logits, self._frame), True
        return self._placed

    @property
    def box(self) -> Box:
        """(y0, x0, y1, x1) of the mask in the image."""
        return self._require()[0]

    @property
    def mask(self) -> np.ndarray:
        """Boolean, the box's size."""
        return self._require()[1]

    @property
    def area(self) -> int:
        return int(self.mask.sum())

    def same_as(self, other: MaskCandidate) -> bool:
        if self.logits is not None and other.logits is not None:
            return bool(self.logits.shape == other.logits.shape
                        and (self.logits == other.logits).all())
        a, b = self.placed, other.placed
        return a is b or (a is not None and b is not None and a[0] == b[0]
                          and np.array_equal(a[1], b[1]))

    def _require(self) -> tuple[Box, np.ndarray]:
        placed = self.placed
        if placed is None:
            raise SamError("this mask is empty at the image's size")
        return placed


@dataclass(frozen=True, eq=False)
class Prediction:
    prompts: Prompts
    candidates: tuple[MaskCandidate, ...]
    """Best first by predicted IoU; the first is placed, none is empty at low resolution."""
    multimask: bool
    seconds: float
    """Decoder and the first mask's upscaling, as the user waits for them."""


class SamPredictor:
    def __init__(self, loaded: LoadedSam, device: str = "cpu") -> None:
        self.loaded = loaded
        self.device = device
        loaded.model.to(device)

    @classmethod
    def load(cls, spec: str, device: str | None = None, *, allow_pickle: bool = False,
             cache_dir: str | None = None, progress: Progress | None = None) -> SamPredictor:
        target = choose_device(device)
        return cls(load_sam(spec, allow_pickle=allow_pickle, cache_dir=cache_dir,
                            progress=progress), target)

    @property
    def model_id(self) -> str:
        return self.loaded.model_id

    def embed(self, image: np.ndarray) -> SamEmbedding:
        """Run the image encoder on an (H, W, 3) uint8 RGB image (the expensive part)."""
        import torch

        frame = self.loaded.frame(image.shape[:2])
        values = pixel_values(image, frame, self.loaded.normalization, self.device)
        with torch.inference_mode():
            features = self.loaded.model.get_image_embeddings(values)
        if isinstance(features, torch.Tensor):
            features = [features]
        return SamEmbedding(tuple(f.contiguous() for f in features), frame, self.model_id)

    def decode(self, embedding: SamEmbedding, prompts: Prompts,
               multimask: bool | None = None) -> Prediction:
        """Masks for ``prompts`` from the prompt encoder and mask decoder only. ``multimask``
        None: three candidates for a single point, the single-mask output otherwise."""
        import torch

        if prompts.is_empty:
            raise SamError("no prompt: click the object, or drag a box around it")
        if embedding.model_id != self.model_id:
            raise SamError(f"the embedding is from {embedding.model_id}, not {self.model_id}")
        multimask = prompts.ambiguous if multimask is None else multimask
        started = time.perf_counter()
        prompts = prompts.clamped(embedding.image_size)
        inputs = {name: torch.from_numpy(array).to(self.device)
                  for name, array in prompts.model_inputs(embedding.frame).items()}
        features = list(embedding.features) if self.loaded.family == "sam2" \
            else embedding.features[0]
        with torch.inference_mode():
            outputs = self.loaded.model(image_embeddings=features, multimask_output=multimask,
                                        **inputs)
        logits = outputs.pred_masks[0, 0].float().cpu()
        scores = outputs.iou_scores[0, 0].float().cpu().numpy()
        candidates = [MaskCandidate(float(scores[i]), logits[i], embedding.frame)
                      for i in np.argsort(-scores, kind="stable")
                      if bool((logits[i] > MASK_THRESHOLD).any())]
        while candidates and candidates[0].placed is None:
            candidates.pop(0)  # on at low resolution, off at the image's (tiny images)
        return Prediction(prompts, tuple(candidates), multimask,
                          time.perf_counter() - started)
