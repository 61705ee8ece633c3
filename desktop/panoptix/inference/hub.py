"""From a model spec (a hub id or a folder) to a local folder holding the checkpoint.

Panoptix resolves the weight files itself and hands transformers only a local folder, so
transformers never falls back to its safetensors auto-conversion service (which opens a
pull request on the model's repository and loads the bot's unreviewed ``refs/pr/N``
weights), and a repository with only pickle weights gets the same ``--allow-pickle``
message whatever the transformers version.

For a hub id: the local Hugging Face cache first (a complete snapshot of ``main`` loads
offline, with no network call), then, unless offline mode is on or the hub's host does not
answer, the repository's file list; the configuration, processor and tokenizer files are
downloaded first and the chosen weights (:mod:`panoptix.inference.model_files`) last, so a
snapshot with its weights is complete. Everything goes through ``huggingface_hub`` into
its usual cache, shared with every other Hugging Face tool.

:func:`resolve_model_folder` is the entry point for every model Panoptix loads.
"""

from __future__ import annotations

import glob
import logging
import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from panoptix.inference.demo_model import demo_folder, is_demo_spec
from panoptix.inference.model_files import (
    PICKLE_INDEX,
    SAFE_INDEX,
    WEIGHT_SUFFIXES,
    ModelLoadError,
    ModelUnavailableError,
    PickleWeightsRefused,
    WeightChoice,
    check_local_folder,
    choose_weights,
    folder_weights,
    shard_names,
    weight_files,
)

Progress = Callable[[str], None]
CONFIG = "config.json"
SIDE_SUFFIXES = (".json", ".txt", ".model", ".tiktoken")
"""Configuration, processor and tokenizer files: small, fetched with any checkpoint."""
log = logging.getLogger(__name__)


def is_local_spec(spec: str) -> bool:
    """A folder path rather than a hub id (``name`` or ``owner/name``)."""
    return (Path(spec).expanduser().is_dir() or spec.startswith((".", "/", "~", "\\"))
            or "\\" in spec or spec.count("/") > 1 or ":" in spec)


def resolve_model_folder(spec: str, allow_pickle: bool = False, cache_dir: str | None = None,
                         progress: Progress | None = None) -> Path:
    """The local folder to load ``spec`` from, with its weights present and allowed.

    ``demo`` is the bundled demo model's folder. Raises :class:`ModelLoadError` (one
    line): :class:`PickleWeightsRefused` when only pickle weights exist and
    ``allow_pickle`` is off, :class:`ModelUnavailableError` when a hub model is neither
    cached nor reachable.
    """
    spec = spec.strip()
    if is_demo_spec(spec):
        spec = str(demo_folder())
    if is_local_spec(spec):
        folder = Path(spec).expanduser()
        check_local_folder(folder, allow_pickle)
        return folder
    report = progress or (lambda message: None)
    refused: PickleWeightsRefused | None = None
    cached = cached_snapshot(spec, cache_dir)
    if cached is not None:
        try:
            folder_weights(cached, allow_pickle, spec)
            return cached
        except PickleWeightsRefused as error:  # perhaps the hub has safetensors by now
            refused = error
        except ModelLoadError as error:
            log.info("the cached snapshot of %s is incomplete (%s)", spec, error)
    return _download(spec, allow_pickle, cache_dir, report, refused)


def cached_snapshot(repo_id: str, cache_dir: str | None) -> Path | None:
    """The cached snapshot of the repository's ``main`` with a configuration, if any."""
    from huggingface_hub import try_to_load_from_cache

    try:
        found = try_to_load_from_cache(repo_id, CONFIG, cache_dir=cache_dir)
    except ValueError:  # not a valid repository id
        return None
    return Path(found).parent if isinstance(found, str) else None


def _download(spec: str, allow_pickle: bool, cache_dir: str | None, report: Progress,
              refused: PickleWeightsRefused | None) -> Path:
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        raise refused or ModelUnavailableError(unavailable_message(spec, offline=True))
    if not hub_reachable(constants.ENDPOINT):
        raise refused or ModelUnavailableError(unavailable_message(spec, offline=False))
    report(f"looking up the files of {spec} on the Hugging Face Hub")
    sizes = _with_hub_errors(spec, lambda: repo_files(spec))
    choice = choose_weights(sizes, allow_pickle, spec)
    side = [name for name in sizes if name.endswith(SIDE_SUFFIXES)
            and not name.endswith(WEIGHT_SUFFIXES) and name not in (SAFE_INDEX, PICKLE_INDEX)]
    if CONFIG not in side:
        raise ModelLoadError(f"{spec} has no {CONFIG}: it is not a transformers checkpoint")
    folder = _fetch(spec, [*side, choice.entry] if choice.is_sharded else side, cache_dir)
    weights = shard_names(folder / choice.entry) if choice.is_sharded else [choice.entry]
    megabytes = sum(sizes.get(name) or 0 for name in weights) / 1e6
    report(f"downloading the weights of {spec} ({megabytes:.0f} MB)")
    folder = _fetch(spec, weights, cache_dir)
    return _complete(folder, choice, spec)


def repo_files(repo_id: str) -> dict[str, int | None]:
    """The repository's top-level files on ``main`` with their sizes in bytes."""
    from huggingface_hub import HfApi

    info = HfApi().model_info(repo_id, files_metadata=True)
    return {s.rfilename: s.size for s in info.siblings or [] if "/" not in s.rfilename}


def _fetch(repo_id: str, names: list[str], cache_dir: str | None) -> Path:
    """Download ``names`` from ``main`` into the cache; the snapshot folder."""
    from huggingface_hub import snapshot_download

    patterns = [glob.escape(name) for name in names]  # file names, not patterns
    return Path(_with_hub_errors(repo_id, lambda: snapshot_download(
        repo_id, allow_patterns=patterns, cache_dir=cache_dir)))


def _complete(folder: Path, choice: WeightChoice, spec: str) -> Path:
    try:
        weight_files(folder, choice)
    except ModelLoadError as error:  # main moved between the listing and the download
        raise ModelLoadError(f"{spec} changed on the hub during the download ({error}): "
                             "try again") from error
    return folder


def _with_hub_errors(spec: str, call: Callable):  # noqa: ANN202 - returns what call returns
    """Run a hub call; whatever it raises becomes one line saying what to do."""
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    try:
        return call()
    except GatedRepoError as error:
        raise ModelLoadError(f"{spec} is gated on the Hugging Face Hub: accept its terms on "
                             "its page and log in (hf auth login), or give a local folder"
                             ) from error
    except (RepositoryNotFoundError, RevisionNotFoundError) as error:
        raise ModelLoadError(f"no model {spec!r} on the Hugging Face Hub: check the id, "
                             "or give a local folder") from error
    except HfHubHTTPError as error:
        raise ModelLoadError(f"the Hugging Face Hub refused {spec}: {first_line(error)}"
                             ) from error
    except ModelLoadError:
        raise
    except Exception as error:  # noqa: BLE001 - connection errors come from the HTTP library
        raise ModelUnavailableError(f"downloading {spec} failed ({first_line(error)}): "
                                    "check the connection and try again, or give a local "
                                    "folder with the model") from error


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


def unavailable_message(spec: str, offline: bool) -> str:
    reason = "offline mode is on (HF_HUB_OFFLINE)" if offline else \
        "the Hugging Face Hub cannot be reached"
    return (f"model {spec} is not in the local cache and {reason}: connect to the internet "
            "once to download it, or give a local folder with the model")


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
