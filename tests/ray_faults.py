"""Worker deaths on demand for the Ray tests: installed in every Ray worker process of the
test session (``runtime_env``'s ``worker_process_setup_hook``).

:envvar:`PANOPTIX_RAY_FAULTS` names a JSON file ``{"once": [h, ...], "always": [h, ...]}``
of image heights: a forward pass on an image of such a height kills its process (as a
segfault or the OOM killer would), for "once" only the first time. Each death is logged
as a line with the height in ``<file>.deaths``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

FAULTS = "PANOPTIX_RAY_FAULTS"


def install() -> None:
    from panoptix.inference.engine import Predictor

    real_forward = Predictor.forward

    def forward(self, prepared):
        path = Path(os.environ.get(FAULTS, ""))
        if path.is_file():
            faults = json.loads(path.read_text(encoding="utf-8"))
            for image in prepared.images:
                height = image.shape[0]
                if height in faults["always"]:
                    die(path, height)
                if height in faults["once"]:
                    faults["once"].remove(height)
                    _write(path, faults)
                    die(path, height)
        return real_forward(self, prepared)

    Predictor.forward = forward


def die(path: Path, height: int) -> None:
    with open(deaths_path(path), "a", encoding="utf-8") as log:
        log.write(f"{height}\n")
    os._exit(1)


def deaths(path: Path) -> list[int]:
    """Heights of the images that killed a worker, once per death."""
    log = deaths_path(path)
    return sorted(int(line) for line in log.read_text().split()) if log.is_file() else []


def deaths_path(path: Path) -> Path:
    return path.with_name(path.name + ".deaths")


def set_faults(path: Path, once: list[int], always: list[int]) -> None:
    """What kills a worker from now on; the log of deaths starts empty."""
    _write(path, {"once": once, "always": always})
    deaths_path(path).unlink(missing_ok=True)


def _write(path: Path, faults: dict[str, list[int]]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(faults), encoding="utf-8")
    os.replace(temporary, path)
