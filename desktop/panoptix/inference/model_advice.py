"""What a model advises for its own post-processing, read from its ``config.json``.

A checkpoint may carry ``"panoptix_postprocess": {"snap_edges": true, "split_parts": true}``
in its configuration: the post-processing switches measured to help that model's masks.
The bundled demo model does (its coarse masks gain 3-7 points of things PQ with both on,
``resources/models/demo/README.md``), and a model fine-tuned from it inherits the advice,
as transformers keeps unknown configuration keys through loading and saving. A project's
switch left unset (None) follows the advice; one the user set wins. Only booleans under
the two known names count: a configuration from elsewhere can switch these two
post-processing steps and nothing else.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from panoptix.inference.demo_model import demo_folder, is_demo_spec
from panoptix.inference.hub import CONFIG, cached_snapshot, is_local_spec

ADVICE_KEY = "panoptix_postprocess"
SWITCHES = ("snap_edges", "split_parts")
"""The settings a model may advise, each a boolean."""


def advised_switches(model: str) -> dict[str, bool]:
    """The switches ``model`` (a spec as settings hold it) advises; ``{}`` when it advises
    none, or its configuration cannot be found here without the network, or is unreadable."""
    config = _config_path(model.strip())
    if config is None:
        return {}
    try:
        stamp = config.stat().st_mtime_ns
    except OSError:
        return {}
    return dict(_read_advice(str(config), stamp))


def with_advice(config: dict, switches: dict[str, bool]) -> dict:
    """``config`` (a parsed ``config.json``) advising ``switches``."""
    unknown = set(switches) - set(SWITCHES)
    if unknown:
        raise ValueError(f"not a post-processing switch: {', '.join(sorted(unknown))}")
    return {**config, ADVICE_KEY: dict(switches)}


def _config_path(model: str) -> Path | None:
    if is_demo_spec(model):
        return demo_folder() / CONFIG
    if is_local_spec(model):
        return Path(model).expanduser() / CONFIG
    snapshot = cached_snapshot(model, None)
    return None if snapshot is None else snapshot / CONFIG


@lru_cache(maxsize=32)
def _read_advice(path: str, _stamp: int) -> tuple[tuple[str, bool], ...]:
    """The advice in the configuration at ``path`` as it was at ``_stamp`` (its mtime: a
    training run that rewrites the folder is read again)."""
    try:
        advice = json.loads(Path(path).read_text(encoding="utf-8")).get(ADVICE_KEY)
    except (OSError, ValueError, AttributeError):
        return ()
    if not isinstance(advice, dict):
        return ()
    return tuple((name, advice[name]) for name in SWITCHES
                 if isinstance(advice.get(name), bool))
