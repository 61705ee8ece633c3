"""Reading photos: any common format and pixel mode to RGB uint8, as a viewer shows it.

* EXIF orientation is applied, so an annotation (and its id map) has the *displayed*
  size; :func:`image_size` returns that same oriented size without decoding pixels.
* Transparent pixels are composited onto neutral gray (:data:`BACKGROUND`), not dropped:
  the colour under alpha 0 is often junk that a model would segment, and gray is neither
  a dark nor a bright object.
* 16-bit gray is scaled (``v * 255 / 65535``), never clipped; 32-bit int (``I``) is scaled
  the same way when it fits 16 bits and stretched min..max otherwise; float (``F``) in
  0..1 is scaled by 255, other ranges are stretched min..max.
* The pixel limit is checked from the header, before decoding. Pillow's own bomb guard
  is moved up to our limit (``Image.MAX_IMAGE_PIXELS``, raised, never lowered) and its
  error becomes the same clear refusal.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from panoptix.core.messages import one_line
from panoptix.core.paths import is_utf8_name, shown_name
from panoptix.core.regular_files import (
    NOT_REGULAR,
    NotRegularFileError,
    check_regular,
    read_regular,
)

DEFAULT_MAX_PIXELS = 120_000_000
SUPPORTED_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".bmp", ".tif",
                                  ".tiff", ".webp", ".gif", ".ppm", ".pgm", ".pnm"})
PROJECT_SUFFIX = ".panoptix"
"""Folders named ``*.panoptix`` are projects; :func:`find_images` never looks inside."""
PROJECT_MANIFEST = "project.json"
PROJECT_FORMAT_MARK = b'"panoptix-project"'
"""How a project's manifest starts (``{"format": "panoptix-project", ...``)."""
BACKGROUND = (128, 128, 128)
PANOPTIC_PREFIX = "panoptic_"
"""``panoptic_<name>/`` holds the label PNGs of ``panoptic_<name>.json``, not photos."""

_ORIENTATION_TAG = 0x0112
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class ImageLoadError(Exception):
    """An image that cannot be used; the message is one line naming the file and why."""


def load_image(path: str | os.PathLike[str], max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """The image at ``path`` as an ``HxWx3`` uint8 RGB array in displayed orientation."""
    path = Path(path)
    with _open(path, max_pixels) as image:
        width, height = image.size
        if width * height > max_pixels:
            raise _error(path, f"{width}x{height} is {width * height / 1e6:.0f} MP, over the "
                               f"{max_pixels / 1e6:.0f} MP limit")
        try:
            image.load()
            orientation = _orientation(image)
            rgb = _to_rgb(image)
        except MemoryError:
            raise _error(path, f"not enough memory to decode {width}x{height}") from None
        except Exception as exc:  # decoders raise many types on damaged data
            raise _error(path, f"damaged or truncated ({one_line(exc)})") from exc
    if orientation in _TRANSPOSE:
        rgb = rgb.transpose(_TRANSPOSE[orientation])
    return np.asarray(rgb)


def image_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """``(width, height)`` as displayed (EXIF orientation applied), from the header only."""
    path = Path(path)
    with _open(path, None) as image:
        width, height = image.size
        if _orientation(image) in (5, 6, 7, 8):
            return height, width
        return width, height


def is_image_file(path: str | os.PathLike[str]) -> bool:
    return os.path.splitext(os.fspath(path))[1].lower() in SUPPORTED_EXTENSIONS


def find_images(folder: str | os.PathLike[str], recursive: bool = False,
                exclude: Iterable[str | os.PathLike[str]] = (),
                skipped: list[str] | None = None) -> list[Path]:
    """Image files under ``folder``, in natural order (``img2`` before ``img10``).

    Hidden files and folders, project folders (``*.panoptix`` and any other folder holding
    a Panoptix ``project.json``), the label PNG folders of COCO panoptic datasets
    (``panoptic_<name>/`` beside ``panoptic_<name>.json``) and the ``exclude`` folders are
    skipped; folder links are not followed (no cycles); only regular files are listed
    (never a pipe). Files and folders whose names are not valid UTF-8 cannot be stored in
    a project: they are left out, and one line per name is appended to ``skipped`` when
    given.
    """
    root = Path(folder)
    if not root.is_dir():
        raise NotADirectoryError(f"not a folder: {root}")
    excluded = {os.path.normcase(os.path.abspath(p)) for p in exclude}
    found: list[Path] = []

    def keep(current: str, name: str, is_dir: bool, files: Collection[str] = ()) -> bool:
        full = os.path.join(current, name)
        if name.startswith("."):
            return False
        if not is_utf8_name(name):
            if skipped is not None:
                shown = shown_name(os.path.relpath(full, root)) + ("/" if is_dir else "")
                skipped.append(f"{shown}: the name is not valid UTF-8; rename it")
            return False
        if is_dir:
            return not (name.endswith(PROJECT_SUFFIX) or is_project_folder(full)
                        or (name.startswith(PANOPTIC_PREFIX) and f"{name}.json" in files)
                        or os.path.normcase(os.path.abspath(full)) in excluded)
        return is_image_file(name) and os.path.isfile(full)

    for current, dirnames, filenames in os.walk(root):
        files = set(filenames)
        dirnames[:] = ([d for d in dirnames if keep(current, d, True, files)] if recursive
                       else [])
        found += [Path(current, name) for name in filenames if keep(current, name, False)]
    return sorted(found, key=lambda p: _natural_key(p.relative_to(root)))


def is_project_folder(folder: str | os.PathLike[str]) -> bool:
    """Whether ``folder`` holds a Panoptix project (its files are never images to add)."""
    try:
        return PROJECT_FORMAT_MARK in read_regular(os.path.join(folder, PROJECT_MANIFEST), 4096)
    except OSError:
        return False


def _open(path: Path, max_pixels: int | None) -> Image.Image:
    try:
        size = check_regular(path).st_size
    except NotRegularFileError:
        raise _error(path, NOT_REGULAR) from None
    except OSError as exc:
        reason = "file not found" if isinstance(exc, FileNotFoundError) else one_line(exc)
        raise _error(path, reason) from exc
    if size == 0:
        raise _error(path, "the file is empty (0 bytes)")
    limit = max_pixels or DEFAULT_MAX_PIXELS
    if Image.MAX_IMAGE_PIXELS is not None and limit > Image.MAX_IMAGE_PIXELS:
        Image.MAX_IMAGE_PIXELS = limit
    try:
        return Image.open(path)
    except Image.DecompressionBombError as exc:
        raise _error(path, f"over the {limit / 1e6:.0f} MP limit ({one_line(exc)})") from exc
    except UnidentifiedImageError as exc:
        raise _error(path, "not an image in a supported format (or badly damaged)") from exc
    except Exception as exc:
        raise _error(path, f"cannot read ({one_line(exc)})") from exc


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(_ORIENTATION_TAG, 1)
    except Exception:  # a broken EXIF block must not make the image unreadable
        return 1
    return value if isinstance(value, int) else 1


def _to_rgb(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode.startswith("I;16"):
        return _gray(_scale(np.asarray(image), 65535.0))
    if mode == "I":
        values = np.asarray(image)
        if values.size and values.min() >= 0 and values.max() <= 65535:
            return _gray(_scale(values, 65535.0))
        return _gray(_stretch(values))
    if mode == "F":
        values = np.nan_to_num(np.asarray(image), nan=0.0, posinf=0.0, neginf=0.0)
        if values.size and values.min() >= 0.0 and values.max() <= 1.0:
            return _gray(_scale(values, 1.0))
        return _gray(_stretch(values))
    if "A" in mode or "a" in mode or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*BACKGROUND, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image if mode == "RGB" else image.convert("RGB")


def _scale(values: np.ndarray, full: float) -> np.ndarray:
    return np.rint(values.astype(np.float32) * np.float32(255.0 / full)).astype(np.uint8)


def _stretch(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    if high <= low:
        return np.zeros(values.shape, np.uint8)
    scaled = (values.astype(np.float64) - low) * (255.0 / (high - low))
    return np.rint(scaled).astype(np.uint8)


def _gray(values: np.ndarray) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(values), "L").convert("RGB")


def _natural_key(path: Path) -> tuple:
    return tuple(tuple(int(t) if t.isdigit() else t.casefold()
                       for t in re.split(r"(\d+)", part)) for part in path.parts)


def _error(path: Path, reason: str) -> ImageLoadError:
    return ImageLoadError(f"cannot load {path}: {reason}")
