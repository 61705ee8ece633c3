"""Which weight files a model folder is loaded from, and whether they can be read.

One rule for local folders, cached hub snapshots and hub file lists: ``model.safetensors``,
else ``model.safetensors.index.json`` and its shards; pickle weights (``pytorch_model.bin``
or its index and shards) only when the user allowed them for this run. These are the
names transformers reads from a folder, so what is checked here is what gets loaded.

Safetensors headers are checked before transformers sees them (:func:`check_weights`):
a truncated, empty, random, huge-header or bad-offset file is one line naming it, not a
traceback from deep inside the loader.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from panoptix.core.regular_files import NOT_REGULAR, read_text

SAFE_WEIGHTS = "model.safetensors"
SAFE_INDEX = "model.safetensors.index.json"
PICKLE_WEIGHTS = "pytorch_model.bin"
PICKLE_INDEX = "pytorch_model.bin.index.json"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack", ".onnx")
"""Weight files of any format: never fetched unless chosen (a repo may hold several)."""


class ModelLoadError(RuntimeError):
    """A model that cannot be loaded; the message is one line saying what to do."""


class ModelUnavailableError(ModelLoadError):
    """Neither in the local cache nor reachable on the Hugging Face Hub."""


class PickleWeightsRefused(ModelLoadError):
    """Only pickle weights are available and the user has not allowed them."""


@dataclass(frozen=True)
class WeightChoice:
    entry: str
    """The file transformers starts from: a weights file or a shard index."""

    @property
    def is_pickle(self) -> bool:
        return self.entry in (PICKLE_WEIGHTS, PICKLE_INDEX)

    @property
    def is_sharded(self) -> bool:
        return self.entry.endswith(".index.json")


def choose_weights(names: Collection[str], allow_pickle: bool, spec: str) -> WeightChoice:
    """The weights to load among a folder's or a repository's top-level file ``names``."""
    for entry in (SAFE_WEIGHTS, SAFE_INDEX):
        if entry in names:
            return WeightChoice(entry)
    pickles = [entry for entry in (PICKLE_WEIGHTS, PICKLE_INDEX) if entry in names]
    if not pickles:
        raise ModelLoadError(f"{spec} holds no model weights ({SAFE_WEIGHTS}): save the model "
                             "there with save_pretrained")
    if not allow_pickle:
        raise PickleWeightsRefused(pickle_message(spec))
    return WeightChoice(pickles[0])


def pickle_message(spec: str) -> str:
    return (f"{spec} has only pickle weights ({PICKLE_WEIGHTS}), which can run code when "
            "loaded: convert them to safetensors, or allow pickle weights (--allow-pickle) "
            "if you trust their source")


def shard_names(index: Path) -> list[str]:
    """The shard files a weight index names, in order, each a plain file name."""
    try:
        weight_map = json.loads(read_text(index))["weight_map"]
        shards = list(dict.fromkeys(weight_map.values()))
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else \
            type(error).__name__
        raise ModelLoadError(f"{index} is not a readable weight index ({reason}): "
                             "download or save the model again") from error
    bad = [s for s in shards if not isinstance(s, str) or not s or "/" in s or "\\" in s
           or s.startswith(".")]
    if bad or not shards:
        raise ModelLoadError(f"{index} names no shards or names one outside its folder "
                             f"({bad[0] if bad else 'none'!r})")
    return shards


def weight_files(folder: Path, choice: WeightChoice) -> list[Path]:
    """Every file of ``choice`` in ``folder``; raises if one is missing."""
    entry = folder / choice.entry
    if not entry.is_file():
        raise ModelLoadError(f"{entry} is missing")
    if not choice.is_sharded:
        return [entry]
    files = [folder / name for name in shard_names(entry)]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise ModelLoadError(f"{folder} lacks {len(missing)} of the {len(files)} weight shards "
                             f"its index names (first: {missing[0]}): download it again")
    return files


def folder_weights(folder: Path, allow_pickle: bool, spec: str | None = None) -> list[Path]:
    """The weight files a local folder is loaded from, all present."""
    names = {path.name for path in folder.iterdir() if path.is_file()}
    return weight_files(folder, choose_weights(names, allow_pickle, spec or str(folder)))


def check_local_folder(folder: Path, allow_pickle: bool) -> None:
    """Refuse a folder that does not exist, holds no weights, or only pickles (unless allowed)."""
    if not folder.is_dir():
        raise ModelLoadError(f"no model folder at {folder}: check the path")
    for path in folder.iterdir():
        if path.exists() and not path.is_dir() and not path.is_file():  # a pipe: it would hang
            raise ModelLoadError(f"{path} is {NOT_REGULAR}: remove it from the model folder")
    folder_weights(folder, allow_pickle)


def check_weights(files: list[Path]) -> None:
    """Read every safetensors header (a few kB each, no tensor data): a damaged file is one
    line naming it. Pickle files cannot be checked without unpickling them; their errors are
    explained by :func:`unreadable_pickle`."""
    from safetensors import SafetensorError, safe_open

    for path in files:
        if path.suffix != ".safetensors":
            continue
        try:
            with safe_open(str(path), framework="pt") as opened:
                opened.keys()
        except (SafetensorError, OSError) as error:
            reason = str(error).split("deserializing header:")[-1].strip() or \
                type(error).__name__
            raise ModelLoadError(f"{path} is damaged ({reason}): download it again, or save "
                                 "the model again with save_pretrained") from error


PICKLE_NOISE = ("weights only load failed", "please file an issue", "check the documentation")


def unreadable_pickle(files: list[Path], error: BaseException) -> ModelLoadError:
    """A pickle that torch's weights-only unpickler refused or could not read, as one line."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    details = [line for line in lines if not line.lower().startswith(PICKLE_NOISE)]
    detail = (details or lines or [type(error).__name__])[0].split(". ")[0]
    named = str(files[0]) if len(files) == 1 else f"the pickle weights in {files[0].parent}"
    return ModelLoadError(f"{named} is damaged or holds more than tensors ({detail}): "
                          "download it again, or convert the model to safetensors")
