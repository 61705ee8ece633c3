"""``panoptix --list-models``: the registry as a table, with each checkpoint's weight format."""

from __future__ import annotations

from panoptix.inference.demo_model import DEMO_SCOPE, DEMO_SPEC, DEMO_TITLE
from panoptix.inference.registry import DEFAULT_MODEL_ID, MODELS, ModelInfo

HEADER = ("MODEL", "TASK", "CATEGORIES", "WEIGHTS")


def model_rows() -> list[tuple[str, str, str, str]]:
    return [(info.model_id + (" *" if info.model_id == DEFAULT_MODEL_ID else ""), _task(info),
             info.table, _weights(info)) for info in MODELS]


def format_models() -> str:
    rows = [HEADER, *model_rows()]
    widths = [max(len(row[column]) for row in rows) for column in range(len(HEADER) - 1)]
    lines = ["  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)),
                        row[-1]]).rstrip() for row in rows]
    return "\n".join([
        *lines, "",
        "* the default model. Any other Mask2Former or OneFormer checkpoint loads too:",
        "--model HUB_ID or FOLDER. Pickle weights can run code when loaded: they load only",
        "when allowed for the run (--allow-pickle, or Allow pickle in the window's model",
        "settings). OneFormer checkpoints with a DiNAT backbone also need the natten package.",
        "", f"--model {DEMO_SPEC}: the {DEMO_TITLE}, bundled (no network needed): {DEMO_SCOPE}."])


def _task(info: ModelInfo) -> str:
    return "any" if len(info.tasks) > 1 else info.task


def _weights(info: ModelInfo) -> str:
    return "pickle (needs --allow-pickle)" if info.needs_pickle else info.weights
