"""Where a training run keeps its state, and how the finished model is written.

``PROJECT/models/<name>.partial/`` holds a run in progress or interrupted:

* ``run.json``: the run's settings, labels, data split and base (what ``--resume`` needs)
* ``data.json``: the labels read at the start (id maps as PNGs), so a resumed run trains
  and validates on exactly what the first part did
* ``config.json`` and the processor config: the architecture being trained
* ``checkpoint.pt``: model, optimizer, scheduler, step, RNG state and history, replaced
  atomically every N steps (a kill leaves the previous one; a full disk too)
* ``best.safetensors``: the weights with the best validation PQ so far
* ``.lock``: the OS lock (:mod:`panoptix.core.folder_lock`) of the process training the
  run; a second one is refused, and the holder may remove the temporary files of writes a
  kill interrupted

The finished model is assembled in ``models/.<name>.writing`` and renamed to
``models/<name>`` in one step, then the partial folder is removed: a model folder is
either complete or absent.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from panoptix.core import atomic
from panoptix.core.atomic import StoreError
from panoptix.core.folder_lock import FolderLock, ProjectLockedError
from panoptix.core.messages import one_line
from panoptix.core.project_layout import MODELS, check_own_folder
from panoptix.core.regular_files import check_regular, read_text
from panoptix.core.segment import Segment
from panoptix.training.project_data import AnnotatedImage
from panoptix.training.run_checks import check_images, check_run

PARTIAL_SUFFIX = ".partial"
CHECKPOINT = "checkpoint.pt"
BEST = "best.safetensors"
RUN = "run.json"
DATA = "data.json"


class RunFolderError(Exception):
    """A name that is taken, a run that cannot be resumed; one line."""


def check_name(name: str) -> str:
    cleaned = name.strip()
    if (not cleaned or cleaned.startswith(".") or any(c in cleaned for c in '/\\:*?"<>|\0')
            or cleaned.endswith(PARTIAL_SUFFIX)):
        raise RunFolderError(f"{name!r} cannot name a model folder: use letters, digits, "
                             "'-', '_' or '.' (not first)")
    return cleaned


@dataclass(frozen=True)
class RunFolder:
    project: Path
    name: str

    @property
    def models(self) -> Path:
        return self.project / MODELS

    @property
    def final(self) -> Path:
        return self.models / self.name

    @property
    def partial(self) -> Path:
        return self.models / f"{self.name}{PARTIAL_SUFFIX}"

    @property
    def staging(self) -> Path:
        """Where the finished model is assembled before it is renamed into place."""
        return self.models / f".{self.name}.writing"

    def check_folders(self) -> None:
        """Refuse (ProjectError, one line) when ``models/`` or one of this run's folders is
        a link or a file: a run writes and deletes there, never outside the project."""
        for path in (self.models, self.partial, self.staging, self.final):
            check_own_folder(path)

    @property
    def checkpoint(self) -> Path:
        return self.partial / CHECKPOINT

    @property
    def best(self) -> Path:
        return self.partial / BEST

    def check_new(self) -> None:
        """Refuse a name already used by a model or an interrupted run."""
        self.check_folders()
        if self.final.exists():
            raise RunFolderError(f"a model named {self.name!r} exists in {self.models}: "
                                 "choose another --name")
        if self.partial.exists():
            raise RunFolderError(f"an interrupted run named {self.name!r} is in "
                                 f"{self.models}: --resume continues it, or choose another "
                                 "--name")

    def create(self, run: dict, images: list[AnnotatedImage], model: Any,
               processor: Any) -> FolderLock | None:
        """Make the partial folder with what a resumed run needs; its lock (:meth:`lock`),
        to hold while training."""
        try:
            self.partial.mkdir(parents=True)
        except FileExistsError:
            raise RunFolderError(f"{self.partial} appeared meanwhile; choose another --name"
                                 ) from None
        except OSError as exc:
            raise atomic.os_error(exc, "create", self.partial) from exc
        held = self.lock()
        try:
            model.config.save_pretrained(self.partial)
            processor.save_pretrained(self.partial)
        except OSError as exc:
            raise atomic.os_error(exc, "write", self.partial) from exc
        atomic.write_json(self.partial / DATA, [_image_to_json(i) for i in images])
        atomic.write_json(self.partial / RUN, run, indent=1)
        return held

    def lock(self) -> FolderLock | None:
        """The OS lock on the run folder (as a project's), held while a process trains
        it: a second ``train --resume`` of the run is refused. None where it is read-only."""
        try:
            return FolderLock.acquire(self.partial)
        except ProjectLockedError:
            raise RunFolderError(f"{self.partial} is being trained by another panoptix "
                                 "train (or the window): wait for it or stop it") from None

    def clean(self) -> None:
        """Remove the temporary files a killed write left in the run folder (call it
        holding :meth:`lock`: no live writer then)."""
        atomic.remove_temp_files(self.partial)

    def read_run(self) -> tuple[dict, list[AnnotatedImage]]:
        """``run.json`` and ``data.json``, checked (:mod:`panoptix.training.run_checks`);
        a damaged one is a RunFolderError naming it, and nothing is deleted."""
        self.check_folders()
        if not (self.partial / RUN).is_file():
            raise RunFolderError(f"no interrupted run named {self.name!r} in {self.models} "
                                 "to resume")
        path = self.partial / RUN
        try:
            run = check_run(json.loads(read_text(path)))
            path = self.partial / DATA
            data = json.loads(read_text(path))
            images = [_image_from_json(item) for item in data]
            check_images(run, images)
        except (OSError, ValueError, KeyError, TypeError, AttributeError,
                RecursionError) as exc:
            raise RunFolderError(f"{path} is damaged ({one_line(exc)}); nothing was "
                                 "deleted: start again under another --name") from exc
        return run, images

    # -- checkpoints ----------------------------------------------------------------------
    def save_checkpoint(self, state: dict) -> None:
        """Replace ``checkpoint.pt`` atomically; raises StoreError (the old one intact)."""
        import torch

        buffer = io.BytesIO()
        torch.save(state, buffer)
        atomic.write_bytes(self.checkpoint, buffer.getbuffer())

    def load_checkpoint(self) -> dict | None:
        """The last checkpoint (tensors and plain data only: no code runs), or None."""
        import torch

        if not self.checkpoint.is_file():
            return None
        try:
            check_regular(self.checkpoint)  # a pipe would block the load forever
            return torch.load(self.checkpoint, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - any unreadable checkpoint: one line
            raise RunFolderError(f"cannot read {self.checkpoint}: "
                                 f"{' '.join(str(exc).split())[:200]}") from exc

    def save_best(self, model: Any) -> None:
        from safetensors.torch import save

        tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        atomic.write_bytes(self.best, save(tensors))

    def load_best(self) -> dict | None:
        from safetensors.torch import load_file

        return load_file(self.best) if self.best.is_file() else None

    # -- the finished model ---------------------------------------------------------------
    def finish(self, model: Any, processor: Any, record: dict) -> Path:
        """Write the model folder whole (or not at all); :meth:`drop_partial` then, once
        the run folder's lock is released (Windows cannot delete a folder with a file open
        in it)."""
        self.check_folders()
        if self.final.exists():
            raise RunFolderError(f"a model named {self.name!r} appeared in {self.models} "
                                 f"meanwhile; the run is kept in {self.partial}")
        staging = self.staging
        shutil.rmtree(staging, ignore_errors=True)
        try:
            model.save_pretrained(staging, safe_serialization=True)
            processor.save_pretrained(staging)
            atomic.write_json(staging / "training.json", record, indent=1)
            os.rename(staging, self.final)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise atomic.os_error(exc, "write the model to", self.final) from exc
        except StoreError:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return self.final

    def drop_partial(self) -> None:
        """Remove the run folder of a finished run."""
        check_own_folder(self.partial)
        shutil.rmtree(self.partial, ignore_errors=True)


def latest_partial(project: Path) -> str | None:
    """The name of the most recently touched interrupted run, if any."""
    folder = project / MODELS
    check_own_folder(folder)
    try:
        runs = [p for p in folder.iterdir()
                if p.name.endswith(PARTIAL_SUFFIX) and (p / RUN).is_file()]
    except OSError:
        return None
    if not runs:
        return None
    newest = max(runs, key=lambda p: max((f.stat().st_mtime for f in p.iterdir()), default=0))
    return newest.name[:-len(PARTIAL_SUFFIX)]


def _image_to_json(image: AnnotatedImage) -> dict:
    return {"key": image.key, "path": image.rel_path, "image": str(image.image_path),
            "ids_png": base64.b64encode(image.ids_png).decode("ascii"),
            "segments": [s.to_json() for s in image.segments]}


def _image_from_json(item: dict) -> AnnotatedImage:
    return AnnotatedImage(str(item["key"]), str(item["path"]), Path(item["image"]),
                          base64.b64decode(item["ids_png"]),
                          tuple(Segment.from_json(s) for s in item["segments"]))
