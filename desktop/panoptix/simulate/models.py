"""The model side of the study: pre-segmenting a project's images and fine-tuning on the
images the annotator finished, both the way users run them.

Pre-segmentation is ``inference.batch.BatchPresegmenter`` (what ``panoptix presegment``
and the window's background run use), keeping raw outputs so proposals and guesses work;
fine-tuning is ``panoptix train`` in its own process, at a lower priority.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from panoptix.core.document import Document
from panoptix.core.project import ImageStatus, Project
from panoptix.inference.assist import AssistContext
from panoptix.inference.batch import BatchPresegmenter
from panoptix.inference.labels import categories_for_model
from panoptix.inference.settings import InferenceSettings
from panoptix.simulate import standin
from panoptix.training.progress import read_event, train_command

STANDIN = "standin"
"""The model name that selects :mod:`panoptix.simulate.standin` (development only)."""
Say = Callable[[str], None]


class StudyError(RuntimeError):
    """Pre-segmentation or training failed; the message says why."""


def presegment(project: Project, keys: Sequence[str], model: str,
               truths: dict[str, Document] | None = None, seed: int = 0,
               level: str = "default", settings: InferenceSettings | None = None) -> None:
    """Pre-segment ``keys`` with ``model`` (a folder or hub id; ``standin`` needs the
    ``truths`` and makes the mistakes of ``level``, :data:`standin.LEVELS`), replacing
    earlier pre-segmentations but never an image marked done; ``settings``' switches
    (default: the defaults) post-process."""
    settings = (settings or InferenceSettings()).with_changes(model=model, device="cpu")
    if model == STANDIN:
        assert truths is not None, "the stand-in needs the ground truth"
        by_pixels = {standin.StandinPredictor.key(project.load_image(k)): truths[k]
                     for k in keys}
        predictor = standin.StandinPredictor(by_pixels, project.categories, seed,
                                             standin.LEVELS[level])
        id2label = predictor.id2label
    else:
        from panoptix.inference.engine import Predictor

        predictor = Predictor()
        predictor.load(model, "cpu")
        id2label = predictor.id2label
    model_categories = categories_for_model(model, id2label, project.categories)
    report = BatchPresegmenter(project, predictor, settings, model_categories,  # type: ignore[arg-type]
                               overwrite=frozenset({ImageStatus.NEW, ImageStatus.PRESEGMENTED})
                               ).run(list(keys))
    if report.failed:
        path, error = next(iter(report.failed.items()))
        raise StudyError(f"pre-segmenting {path} failed: {error}")


def assisted_start(project: Project, key: str, snap_edges: bool = False,
                   split_parts: bool = False) -> tuple[Document, AssistContext]:
    """The pre-segmented document and the assist context the window would build for it
    (its proposals snapped to the image's edges with ``snap_edges``, cut to the detached
    part under the click with ``split_parts``)."""
    image = project.load_image(key) if snap_edges else None
    return (project.load_document(key),
            AssistContext.load(project.raw_outputs_path(key), project.categories, image,
                               split_parts))


@dataclass(frozen=True)
class Training:
    model: str
    """The trained model's folder."""
    seconds: float
    images: int
    steps: int
    record: dict

    def to_json(self) -> dict:
        return {"model": self.model, "seconds": round(self.seconds, 1), "images": self.images,
                "steps": self.steps, "record": self.record}


def fine_tune(project_folder: Path, base: str, name: str, images: int, steps: int, *,
              batch: int = 2, size: int | None = None, lr: float | None = None,
              seed: int = 0, niceness: int = 10,
              say: Say | None = None) -> Training:
    """``panoptix train`` on the project's images marked done, from ``base``, all of them
    for training (``--val 0``: the study measures on the images that follow); in its own
    process at ``niceness``."""
    options = [str(project_folder), "--base", base, "--name", name, "--steps", str(steps),
               "--batch", str(batch), "--val", "0", "--seed", str(seed), "--device", "cpu",
               "--progress", "json"]
    if size is not None:
        options += ["--size", str(size)]
    if lr is not None:
        options += ["--lr", str(lr)]
    program, arguments = train_command(options)
    started = time.perf_counter()
    finished: dict | None = None
    errors: list[str] = []
    with subprocess.Popen([program, *arguments], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True,
                          stdin=subprocess.DEVNULL,
                          preexec_fn=(lambda: os.nice(niceness))
                          if niceness and hasattr(os, "nice") else None) as process:
        assert process.stdout is not None
        for line in process.stdout:
            event = read_event(line)
            if event is None:
                continue
            if event["event"] == "done":
                finished = event
            elif event.get("event") == "error":
                errors.append(str(event.get("message", "")))
            elif say is not None and event.get("event") == "step" and event.get("step", 0) \
                    % max(1, steps // 10) == 0:
                say(f"training {name}: step {event['step']} of {steps}, "
                    f"loss {event.get('loss')}")
        stderr = process.stderr.read() if process.stderr is not None else ""
    if process.returncode != 0 or finished is None:
        reason = errors[-1] if errors else (stderr.strip().splitlines() or ["no output"])[-1]
        raise StudyError(f"panoptix train failed ({process.returncode}): {reason}")
    folder = Path(finished.get("model") or project_folder / "models" / name)
    record_path = folder / "training.json"
    record = json.loads(record_path.read_text(encoding="utf-8")) if record_path.is_file() \
        else {}
    return Training(str(folder), time.perf_counter() - started, images, steps, record)
