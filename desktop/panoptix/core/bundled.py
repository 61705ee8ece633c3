"""The files Panoptix ships inside its package, ``panoptix/resources/``: the category
tables, the sample images, the demo model and the icons.

Everything reads them through :mod:`importlib.resources`, so they are found wherever the
package is (a source checkout, a wheel's install, a frozen build), never by a path worked
out from ``__file__``. :func:`bundled` gives a :class:`~importlib.resources.abc.Traversable`
to read; :func:`bundled_path` a real filesystem path, for the callers that need one (the
demo model's folder, which transformers opens by path), kept for the life of the process.
"""

from __future__ import annotations

import atexit
import functools
from contextlib import ExitStack
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

PACKAGE = "panoptix"
FOLDER = "resources"
CATEGORIES = "categories"
SAMPLES = "samples"
DEMO_MODEL = ("models", "demo")
ICON = ("icons", "panoptix.svg")

_extracted = ExitStack()
atexit.register(_extracted.close)


def bundled(*parts: str) -> Traversable:
    """A bundled file or folder, ``bundled("categories", "coco_panoptic.json")``."""
    return files(PACKAGE).joinpath(FOLDER, *parts)


@functools.cache
def bundled_path(*parts: str) -> Path:
    """A bundled file or folder as a filesystem path, valid until the process ends: the
    file itself where the package is unpacked, else a copy extracted for the purpose."""
    return _extracted.enter_context(as_file(bundled(*parts)))
