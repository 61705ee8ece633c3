"""Loading a Mask2Former or OneFormer checkpoint and its processor with transformers.

Hub ids and local folders take the same path. Weights must be safetensors unless the user
allows pickles; remote code is never trusted. The local cache is tried first, so a cached
model loads offline without waiting on the network.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SUPPORTED_TYPES = ("mask2former", "oneformer")
PICKLE_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json")

Progress = Callable[[str], None]
log = logging.getLogger(__name__)


class ModelLoadError(RuntimeError):
    """A model that cannot be loaded; the message is one line saying what to do."""


class ModelUnavailableError(ModelLoadError):
    """Neither in the local cache nor reachable on the Hugging Face Hub."""


class PickleWeightsRefused(ModelLoadError):
    """Only pickle weights are available and the user has not allowed them."""


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


def is_local_spec(spec: str) -> bool:
    """A folder path rather than a hub id (``name`` or ``owner/name``)."""
    return (Path(spec).expanduser().is_dir() or spec.startswith((".", "/", "~", "\\"))
            or "\\" in spec or spec.count("/") > 1 or ":" in spec)


def load_model(spec: str, *, allow_pickle: bool = False, cache_dir: str | None = None,
               progress: Progress | None = None) -> LoadedModel:
    """The model and processor for a hub id or a local folder; raises :class:`ModelLoadError`."""
    from transformers import (
        AutoConfig,
        AutoImageProcessor,
        AutoModelForUniversalSegmentation,
        AutoProcessor,
    )

    report = progress or (lambda message: None)
    spec = spec.strip()
    local = is_local_spec(spec)
    source = str(Path(spec).expanduser()) if local else spec
    if local:
        check_local_folder(Path(source), allow_pickle)
    fetch = _local_fetch if local else _hub_fetch

    report(f"reading the configuration of {spec}")
    config = fetch(spec, AutoConfig.from_pretrained, source, cache_dir=cache_dir,
                   trust_remote_code=False)
    model_type = getattr(config, "model_type", "")
    if model_type not in SUPPORTED_TYPES:
        raise ModelLoadError(f"{spec} is a {model_type or 'unknown'} model; Panoptix runs "
                             f"{' and '.join(SUPPORTED_TYPES)} checkpoints")
    report(f"loading the processor of {spec}")
    if model_type == "oneformer":
        # The processor's class_info_file is only needed for training and would be fetched
        # from another hub repository.
        processor = fetch(spec, AutoProcessor.from_pretrained, source, cache_dir=cache_dir,
                          trust_remote_code=False, class_info_file=None)
    else:
        processor = fetch(spec, AutoImageProcessor.from_pretrained, source,
                          cache_dir=cache_dir, trust_remote_code=False)
    report(f"loading the weights of {spec}")
    try:
        model = fetch(spec, AutoModelForUniversalSegmentation.from_pretrained, source,
                      config=config, cache_dir=cache_dir, trust_remote_code=False,
                      use_safetensors=None if allow_pickle else True)
    except ModelLoadError as error:
        if not allow_pickle and type(error) is ModelLoadError \
                and "does not appear to have a file named" in str(error.__cause__):
            raise PickleWeightsRefused(_pickle_message(spec)) from error
        raise
    model.eval()
    id2label = {int(k): str(v) for k, v in config.id2label.items()}
    return LoadedModel(model, processor, model_type, spec, id2label)


def check_local_folder(folder: Path, allow_pickle: bool) -> None:
    """Refuse a folder that does not exist, holds no weights, or only pickles (unless allowed)."""
    if not folder.is_dir():
        raise ModelLoadError(f"no model folder at {folder}: check the path")
    if any(folder.glob("*.safetensors")) or any(folder.glob("*.safetensors.index.json")):
        return
    pickles = [name for name in PICKLE_WEIGHTS if (folder / name).is_file()]
    if not pickles:
        raise ModelLoadError(f"{folder} holds no model weights (model.safetensors): "
                             "save the model there with save_pretrained")
    if not allow_pickle:
        raise PickleWeightsRefused(_pickle_message(str(folder)))


def _pickle_message(spec: str) -> str:
    return (f"{spec} has only pickle weights (pytorch_model.bin), which can run code when "
            "loaded: convert them to safetensors, or allow pickle weights (--allow-pickle) "
            "if you trust their source")


def _local_fetch(spec: str, loader: Callable[..., Any], source: str, **kwargs: Any) -> Any:
    try:
        return loader(source, **kwargs)
    except (OSError, ValueError) as error:
        raise ModelLoadError(f"cannot load {spec}: {_first_line(error)}") from error


def _hub_fetch(spec: str, loader: Callable[..., Any], source: str, **kwargs: Any) -> Any:
    """From the local cache if there, else from the hub; errors say what to do in one line."""
    from huggingface_hub import constants

    try:
        return loader(source, local_files_only=True, **kwargs)
    except OSError as error:
        if constants.HF_HUB_OFFLINE:
            raise ModelUnavailableError(_unavailable_message(spec, offline=True)) from error
        log.info("%s is not fully cached (%s); trying the hub", spec, _first_line(error))
    if not hub_reachable(constants.ENDPOINT):
        raise ModelUnavailableError(_unavailable_message(spec, offline=False))
    try:
        return loader(source, **kwargs)
    except OSError as error:
        text = str(error).lower()
        if "connect" in text or "offline" in text or ("resolve" in text and "host" in text):
            raise ModelUnavailableError(_unavailable_message(spec, offline=False)) from error
        if "not a valid model identifier" in text or "repository not found" in text \
                or "401" in text or "404" in text:
            raise ModelLoadError(f"no model {spec!r} on the Hugging Face Hub: check the id, "
                                 "or give a local folder") from error
        raise ModelLoadError(f"cannot load {spec}: {_first_line(error)}") from error
    except ValueError as error:
        raise ModelLoadError(f"cannot load {spec}: {_first_line(error)}") from error


def hub_reachable(endpoint: str, timeout_s: float = 3.0) -> bool:
    """Whether the hub's host answers at all. huggingface_hub retries a dead connection with
    back-off for about 25 s; a user without network should hear so at once."""
    url = urlsplit(endpoint)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "", port), timeout=timeout_s):
            return True
    except OSError:
        return False


def _unavailable_message(spec: str, offline: bool) -> str:
    reason = "offline mode is on (HF_HUB_OFFLINE)" if offline else \
        "the Hugging Face Hub cannot be reached"
    return (f"model {spec} is not in the local cache and {reason}: connect to the internet "
            "once to download it, or give a local folder with the model")


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def from_pretrained(spec: str, loader: Callable[..., Any], **kwargs: Any) -> Any:
    """``loader`` (a transformers ``from_pretrained``) on a hub id or a local folder, under
    :func:`load_model`'s rules: the local cache first, remote code never trusted, failures
    one :class:`ModelLoadError` line. Other models (Segment Anything) load through this."""
    spec = spec.strip()
    local = is_local_spec(spec)
    source = str(Path(spec).expanduser()) if local else spec
    fetch = _local_fetch if local else _hub_fetch
    return fetch(spec, loader, source, trust_remote_code=False, **kwargs)


def weights_from_pretrained(spec: str, loader: Callable[..., Any], *, allow_pickle: bool,
                            **kwargs: Any) -> Any:
    """:func:`from_pretrained` for a model's weights: safetensors only unless
    ``allow_pickle``; a checkpoint with only pickles raises :class:`PickleWeightsRefused`."""
    try:
        return from_pretrained(spec, loader, use_safetensors=None if allow_pickle else True,
                               **kwargs)
    except ModelLoadError as error:
        if not allow_pickle and type(error) is ModelLoadError \
                and "does not appear to have a file named" in str(error.__cause__):
            raise PickleWeightsRefused(_pickle_message(spec.strip())) from error
        raise
