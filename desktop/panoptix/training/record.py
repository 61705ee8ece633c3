"""``training.json``: how a model in ``PROJECT/models/<name>/`` was made.

Plain JSON, no torch, so the window can say where its model came from without loading
anything heavy. The schema (``format`` ``panoptix-training``, ``version`` 1)::

    name, panoptix_version, project, created (ISO time, UTC)
    base          {"kind": "checkpoint", "model": hub id or folder} or
                  {"kind": "scratch", "model": "tiny" | "small"}
    head          {"kept": {label: base label name}, "fresh": [label names], "rebuilt"}
                  (OneFormer: and "text_branch", "kept" or "new")
    labels        the model's id2label in order (= project category names)
    images        {"statuses": [...], "train": [image keys], "validation": [image keys]}
    settings      every option of the run (steps, batch, accumulate, size, lr, ...)
    seed, device, precision
    steps         {"done": N, "planned": N}
    losses        [{"step", "loss", "lr", "loss_cross_entropy", "loss_mask", "loss_dice"}]
                  (OneFormer: and "loss_contrastive"; each the mean over the steps since
                  the previous entry)
    validation    [{"step", "pq", "sq", "rq", "things": {...}, "stuff": {...}}]
    best          {"step", "pq"} of the weights saved (null without validation images)
    weights       "best" (highest validation PQ) or "last"
    seconds       {"total", "training", "validation"}
    notices       one-line messages of the run (out-of-memory retries, skipped images)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from panoptix.core.regular_files import read_text

FORMAT = "panoptix-training"
VERSION = 1
FILE_NAME = "training.json"


@dataclass(frozen=True)
class ModelOrigin:
    """Where a model spec comes from, in words for the window."""

    kind: str
    """``hub``, ``local`` or ``trained``."""
    text: str
    """Short, for the status bar."""
    details: str
    """Longer, for a tooltip."""


def read_record(folder: str | Path) -> dict | None:
    """The folder's ``training.json``, or None when it has none (or an unreadable one)."""
    path = Path(folder) / FILE_NAME
    try:
        data = json.loads(read_text(path))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def describe(spec: str, is_local: bool) -> ModelOrigin:
    """A hub id, a local folder, or a model trained by Panoptix (with its validation PQ)."""
    if not is_local:
        return ModelOrigin("hub", f"{spec} (hub)", f"{spec} from the Hugging Face Hub")
    folder = Path(spec).expanduser()
    record = read_record(folder)
    if record is None:
        return ModelOrigin("local", f"{folder.name} (local folder)", f"local folder {folder}")
    best = record.get("best") or {}
    pq = best.get("pq") if isinstance(best, dict) else None
    quality = f"validation PQ {100 * pq:.1f}" if isinstance(pq, int | float) else \
        "no validation images"
    base = record.get("base") or {}
    made_from = (f"from scratch ({base.get('model')})" if base.get("kind") == "scratch"
                 else f"from {base.get('model', 'an unknown base')}")
    steps = (record.get("steps") or {}).get("done", "?")
    images = record.get("images") or {}
    details = (f"trained here {made_from}, {steps} steps on {len(images.get('train', []))} "
               f"images; {quality}; {folder}")
    return ModelOrigin("trained", f"{record.get('name', folder.name)} (trained here, {quality})",
                       details)
