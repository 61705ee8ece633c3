"""Loading a Mask2Former or OneFormer checkpoint and its processor with transformers.

:func:`panoptix.inference.hub.resolve_model_folder` turns a hub id or a folder into a local
folder first (the cache, else a download of exactly the files needed); transformers then
only ever reads that folder. Weights must be safetensors unless the user allows pickles for
this run; remote code is never trusted; damaged weight files are one line naming the file.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from panoptix.inference.demo_model import with_demo_offer
from panoptix.inference.hub import (
    Progress,
    first_line,
    hub_reachable,
    is_local_spec,
    resolve_model_folder,
)
from panoptix.inference.model_files import (
    ModelLoadError,
    ModelUnavailableError,
    PickleWeightsRefused,
    check_local_folder,
    check_weights,
    folder_weights,
    unreadable_pickle,
)

SUPPORTED_TYPES = ("mask2former", "oneformer")
WEIGHT_ERRORS = (OSError, ValueError, RuntimeError, EOFError, pickle.UnpicklingError)
"""What torch and transformers raise on weights they cannot read."""

__all__ = ["LoadedModel", "ModelLoadError", "ModelUnavailableError", "PickleWeightsRefused",
           "Progress", "check_local_folder", "folder_weights", "hub_reachable", "is_local_spec",
           "load_model", "load_processor", "read_pretrained", "read_weights",
           "resolve_model_folder"]


class _WorkingBackboneNotice(logging.Filter):
    """Drops transformers' warning that a ResNet backbone "may not be compatible with
    Mask2Former": the bundled demo model has one, and its tests show it works; the warning
    printed on every load would only alarm users."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Backbone resnet is not a supported model")


logging.getLogger("transformers.models.mask2former.configuration_mask2former").addFilter(
    _WorkingBackboneNotice())


@dataclass(eq=False)
class LoadedModel:
    model: Any
    """A ``*ForUniversalSegmentation`` torch module, in eval mode, on the CPU."""
    processor: Any
    """The image processor (Mask2Former) or the processor with its tokenizer (OneFormer)."""
    model_type: str
    model_id: str
    id2label: dict[int, str]

    @property
    def image_processor(self) -> Any:
        return getattr(self.processor, "image_processor", self.processor)


def import_libraries() -> None:
    """Import what loading a model needs (torch, transformers and its auto classes): most
    of a first load's time, which the window's worker spends while the window is built."""
    import transformers

    from panoptix.inference import engine, pipeline  # noqa: F401 - imported to have it

    for name in ("AutoConfig", "AutoImageProcessor", "AutoModelForUniversalSegmentation",
                 "AutoProcessor"):
        getattr(transformers, name)  # a lazy module: the attribute imports its module


def load_model(spec: str, *, allow_pickle: bool = False, cache_dir: str | None = None,
               progress: Progress | None = None, for_training: bool = False) -> LoadedModel:
    """The model and processor for a hub id or a local folder; raises :class:`ModelLoadError`.
    ``for_training``: a OneFormer with the text branch its weights hold, which only training
    uses."""
    from transformers import AutoConfig, AutoModelForUniversalSegmentation

    report = progress or (lambda message: None)
    spec = spec.strip()
    try:
        folder = resolve_model_folder(spec, allow_pickle, cache_dir, report)
    except ModelUnavailableError as error:  # a panoptic model: the demo model can stand in
        raise ModelUnavailableError(with_demo_offer(str(error))) from error
    weights = folder_weights(folder, allow_pickle, spec)

    report(f"reading the configuration of {spec}")
    config = read_pretrained(spec, AutoConfig.from_pretrained, folder)
    model_type = getattr(config, "model_type", "")
    if model_type not in SUPPORTED_TYPES:
        raise ModelLoadError(f"{spec} is a {model_type or 'unknown'} model; Panoptix runs "
                             f"{' and '.join(SUPPORTED_TYPES)} checkpoints")
    check_backbone(spec, config)
    if for_training and model_type == "oneformer":
        config.is_training = holds_text_branch(weights)  # else training adds a new one
    report(f"loading the processor of {spec}")
    processor = load_processor(spec, folder, model_type)
    report(f"loading the weights of {spec}")
    model_class = (AutoModelForUniversalSegmentation
                   if model_type != "oneformer" or for_training else inference_oneformer())
    model = read_weights(spec, model_class.from_pretrained, folder, weights, config=config)
    model.eval()
    id2label = {int(k): str(v) for k, v in config.id2label.items()}
    return LoadedModel(model, processor, model_type, spec, id2label)


def holds_text_branch(weights: list[Path]) -> bool:
    """Whether OneFormer's weights hold its text branch (``model.text_mapper``), from the
    safetensors headers; pickles are assumed to."""
    from safetensors import safe_open

    check_weights(weights)
    for path in weights:
        if path.suffix != ".safetensors":
            return True
        with safe_open(str(path), framework="pt") as opened:
            if any(".text_mapper." in key for key in opened.keys()):  # noqa: SIM118
                return True
    return False


@functools.cache
def inference_oneformer() -> Any:
    """OneFormer without its text branch (``is_training`` false), whose weights a model
    trained by Panoptix keeps for later fine-tuning: not reported as unexpected."""
    from transformers import OneFormerForUniversalSegmentation

    class OneFormerForInference(OneFormerForUniversalSegmentation):
        _keys_to_ignore_on_load_unexpected = [r"\.text_mapper\."]

    return OneFormerForInference


def load_processor(spec: str, folder: Path, model_type: str) -> Any:
    """The image processor, or for OneFormer the processor with its tokenizer."""
    from transformers import AutoImageProcessor, AutoProcessor

    if model_type == "oneformer":
        # The processor's class_info_file is only needed by transformers' training inputs
        # (Panoptix's training makes its own) and would be fetched from another repository.
        return read_pretrained(spec, AutoProcessor.from_pretrained, folder,
                               class_info_file=None)
    return read_pretrained(spec, AutoImageProcessor.from_pretrained, folder)


def check_backbone(spec: str, config: Any) -> None:
    """Refuse, in one line, a backbone that needs a package Panoptix does not install."""
    backbone = getattr(config, "backbone_config", None)
    if getattr(backbone, "model_type", None) == "dinat" and not natten_usable():
        raise ModelLoadError(f"{spec} has a DiNAT backbone, which needs the natten package "
                             "(with natten.functional.natten2dqkrpb, as transformers' DiNAT "
                             "imports it): install it, or choose a Swin checkpoint")


def natten_usable() -> bool:
    if importlib.util.find_spec("natten") is None:
        return False
    try:
        from natten import functional
    except Exception:  # noqa: BLE001 - a broken natten build is as good as none
        return False
    return hasattr(functional, "natten2dqkrpb") and hasattr(functional, "natten2dav")


def read_pretrained(spec: str, loader: Any, folder: Path, **kwargs: Any) -> Any:
    """``loader`` (a transformers ``from_pretrained``) on the resolved ``folder`` only,
    never remote code; a failure is one :class:`ModelLoadError` line."""
    try:
        return loader(folder, local_files_only=True, trust_remote_code=False, **kwargs)
    except (OSError, ValueError) as error:
        raise ModelLoadError(f"cannot load {spec}: {first_line(error)}") from error


def read_weights(spec: str, loader: Any, folder: Path, weights: list[Path],
                 **kwargs: Any) -> Any:
    """A model from the resolved ``folder`` and its ``weights`` (:func:`folder_weights`):
    safetensors headers checked first, pickles only when those are the weights chosen (the
    user allowed them); damaged files are one line naming them."""
    pickled = weights[0].suffix != ".safetensors"
    check_weights(weights)
    try:
        return loader(folder, local_files_only=True, trust_remote_code=False,
                      use_safetensors=not pickled, **kwargs)
    except WEIGHT_ERRORS as error:
        if pickled:
            raise unreadable_pickle(weights, error) from error
        raise ModelLoadError(f"cannot load the weights of {spec} ({folder}): "
                             f"{first_line(error)}") from error
