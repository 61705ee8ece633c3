"""Loading a Segment Anything checkpoint (SAM 2 / SAM 2.1 or SAM) with transformers.

The panoptic model's rules hold, through the same functions: a hub id or a local folder is
resolved to a local folder with its weights (:func:`resolve_model_folder`: the cache first,
safetensors only unless the user allows pickles), transformers reads only that folder and
never remote code, and what cannot be had is one :class:`ModelLoadError` line. The processor's
settings are read from its saved config as plain values (mean, std, rescale factor, input
size) and applied by :mod:`.pixels`; the processor class itself is never built, since
transformers' SAM 2 image processor needs torchvision.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from panoptix.inference.loading import (
    ModelLoadError,
    Progress,
    folder_weights,
    read_pretrained,
    read_weights,
    resolve_model_folder,
)
from panoptix.inference.sam.frame import ModelFrame, Size
from panoptix.inference.sam.models import SAM2_TYPES, SAM_TYPES
from panoptix.inference.sam.pixels import IMAGENET_MEAN, IMAGENET_STD, Normalization

BILINEAR = 2
"""PIL's and transformers' code for bilinear resampling, what SAM's processors use."""
log = logging.getLogger(__name__)


@dataclass(eq=False)
class LoadedSam:
    model: Any
    """A ``Sam2Model`` or ``SamModel`` in eval mode, on the CPU."""
    family: str
    """``sam2`` or ``sam``."""
    model_id: str
    input_size: int
    normalization: Normalization

    def frame(self, image_size: Size) -> ModelFrame:
        """How an image of ``image_size`` (H, W) sits in this model's input."""
        return ModelFrame((int(image_size[0]), int(image_size[1])), self.input_size,
                          keep_aspect=self.family == "sam")


def load_sam(spec: str, *, allow_pickle: bool = False, cache_dir: str | None = None,
             progress: Progress | None = None) -> LoadedSam:
    """The SAM model for a hub id or a local folder; raises :class:`ModelLoadError`."""
    from transformers import AutoConfig, AutoModelForMaskGeneration

    report = progress or (lambda message: None)
    spec = spec.strip()
    if not spec:
        raise ModelLoadError("no Segment Anything model given")
    folder = resolve_model_folder(spec, allow_pickle, cache_dir, report)
    weights = folder_weights(folder, allow_pickle, spec)
    report(f"reading the configuration of {spec}")
    config = read_pretrained(spec, AutoConfig.from_pretrained, folder)
    model_type = getattr(config, "model_type", "") or "unknown"
    if model_type not in (*SAM2_TYPES, *SAM_TYPES):
        raise ModelLoadError(f"{spec} is a {model_type} model, not Segment Anything: use a "
                             "SAM 2 or SAM checkpoint such as facebook/sam2.1-hiera-tiny")
    family = "sam" if model_type in SAM_TYPES else "sam2"
    input_size = int(config.prompt_encoder_config.image_size)
    normalization = _normalization(spec, family, input_size, folder)
    report(f"loading the weights of {spec}")
    model = read_weights(spec, AutoModelForMaskGeneration.from_pretrained, folder, weights,
                         config=config)
    model.eval()
    return LoadedSam(model, family, spec, input_size, normalization)


def _normalization(spec: str, family: str, input_size: int, folder: Path) -> Normalization:
    """The saved processor's normalisation; its class defaults when none is saved."""
    settings = processor_settings(spec, folder)
    size = settings.get("size") or {}
    side = size.get("longest_edge") if family == "sam" else size.get("height")
    if side is not None and int(side) != input_size:
        raise ModelLoadError(f"{spec}: its processor resizes to {side} px but the model "
                             f"takes {input_size} px; the checkpoint is inconsistent")
    if settings.get("resample", BILINEAR) != BILINEAR:
        log.info("%s asks for resample %s; Panoptix resizes bilinearly as SAM does", spec,
                 settings.get("resample"))
    mean, std = IMAGENET_MEAN, IMAGENET_STD
    if settings.get("do_normalize", True):
        mean = _triple(settings.get("image_mean", mean))
        std = _triple(settings.get("image_std", std))
    else:
        mean, std = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)
    rescale = float(settings.get("rescale_factor", 1 / 255)) \
        if settings.get("do_rescale", True) else 1.0
    return Normalization(mean, std, rescale)


def processor_settings(spec: str, folder: Path) -> dict[str, Any]:
    """The checkpoint's saved image-processor values (``preprocessor_config.json``, or the
    ``image_processor`` part of ``processor_config.json``); empty when it has none."""
    from transformers.image_processing_base import ImageProcessingMixin

    try:
        settings, _unused = read_pretrained(
            spec, ImageProcessingMixin.get_image_processor_dict, folder)
    except ModelLoadError as error:
        if "can't load image processor" not in str(error).lower():
            raise
        return {}
    return dict(settings)


def _triple(value: Any) -> tuple[float, float, float]:
    values = [float(v) for v in (value if isinstance(value, (list, tuple)) else [value] * 3)]
    if len(values) != 3:
        raise ModelLoadError(f"expected three channel values, got {value!r}")
    return values[0], values[1], values[2]
