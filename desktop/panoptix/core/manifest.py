"""The project manifest (``project.json``): image root, categories, settings.

Format 2 keeps the image list (statuses, sizes, uncertainty) in ``project.sqlite``
(:mod:`panoptix.core.image_table`), so a save no longer rewrites this file; format 1 held
the list here and is migrated once when a project is opened for writing.

Nothing read from a manifest is trusted: every field is type-checked, image paths must
stay inside the image root and keys must be safe file names, because keys become file
names in the project folder and paths are joined onto the image root.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass, field
from enum import Enum

from panoptix.core.atomic import StoreError
from panoptix.core.categories import CategoryError, CategorySet
from panoptix.core.paths import is_utf8_name, shown_name

FORMAT = "panoptix-project"
VERSION = 2
LIST_IN_FILE_VERSION = 1
"""The last format that kept the image list in ``project.json``."""
MAX_KEY_LENGTH = 120
IMAGE_IDS_SETTING = "coco_image_ids"
"""Setting ``{key: COCO image id}`` kept from an imported dataset, reused on export."""
MAX_IMAGE_ID = 2**63 - 1
"""COCO ids are 64-bit signed integers in every reader (pycocotools, panopticapi)."""
KEY_PATTERN = re.compile(r"[\w\-~][\w.\-~]*")
"""Letters, digits, ``_ - ~ .``, no leading dot; never ``@`` (it separates a key from a
file's revision) nor a path separator."""

_UNSAFE = re.compile(r"[^\w.\-]+")
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}


class ProjectError(StoreError):
    """A project that cannot be opened or an operation it refuses; one clear line."""


class ImageStatus(str, Enum):
    NEW = "new"
    PRESEGMENTED = "presegmented"
    EDITED = "edited"
    DONE = "done"


@dataclass(frozen=True)
class ImageEntry:
    key: str
    rel_path: str
    """POSIX path relative to the image root."""
    status: ImageStatus = ImageStatus.NEW
    width: int | None = None
    height: int | None = None
    """The displayed (EXIF-oriented) size, once known."""
    uncertainty: float | None = None

    def to_json(self) -> dict:
        return {"key": self.key, "path": self.rel_path, "status": self.status.value,
                "width": self.width, "height": self.height, "uncertainty": self.uncertainty}


@dataclass
class Manifest:
    image_root: str
    """As stored: relative to the project folder where possible, else absolute."""
    images: list[ImageEntry]
    categories: CategorySet
    settings: dict = field(default_factory=dict)

    version: int = VERSION
    """As read; a format 1 manifest holds its image list, a format 2 one does not."""

    def to_json(self) -> dict:
        """The format 2 file: everything but the image list, which lives in the table."""
        return {"format": FORMAT, "version": VERSION, "image_root": self.image_root,
                "category_set": self.categories.name,
                "categories": self.categories.to_coco(), "settings": self.settings}

    @classmethod
    def from_json(cls, data: object) -> Manifest:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ProjectError("not a Panoptix project manifest")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise ProjectError("manifest has no valid version")
        if version > VERSION:
            raise ProjectError(f"made by a newer Panoptix (format {version}; this one reads "
                               f"up to {VERSION})")
        root = data.get("image_root")
        if not isinstance(root, str) or not root or "\0" in root:
            raise ProjectError("manifest: image_root must be a non-empty path")
        settings = data.get("settings", {})
        if not isinstance(settings, dict):
            raise ProjectError("manifest: settings must be an object")
        _check_image_ids(settings.get(IMAGE_IDS_SETTING))
        name = data.get("category_set", "custom")
        try:
            categories = CategorySet.from_coco(data.get("categories"),
                                               name=name if isinstance(name, str) else "custom")
        except CategoryError as exc:
            raise ProjectError(f"manifest: {exc}") from exc
        if version > LIST_IN_FILE_VERSION:
            return cls(root, [], categories, settings, version)
        images = data.get("images")
        if not isinstance(images, list):
            raise ProjectError("manifest: images must be a list")
        entries = [entry_from_json(item, index) for index, item in enumerate(images)]
        check_unique(entries)
        return cls(root, entries, categories, settings, version)


def safe_rel_path(text: str) -> str:
    """``text`` if it is a relative path that stays inside the folder it is joined to on
    any OS: no absolute path, drive, ``..``, empty part or NUL, with ``/`` or ``\\``."""
    if not isinstance(text, str) or not text or "\0" in text:
        raise ProjectError(f"not a relative image path: {text!r}")
    if not is_utf8_name(text):
        raise ProjectError(f"image path {shown_name(text)!r} is not valid UTF-8")
    parts = re.split(r"[\\/]", text)
    if (text[0] in "\\/" or ":" in parts[0]
            or any(part in ("", ".", "..") for part in parts)):
        raise ProjectError(f"image path {text!r} is absolute or leaves the image root")
    return text


def make_key(rel_path: str, taken: set[str]) -> str:
    """A short, readable, file-system-safe key for an image, unique among ``taken``
    (compared case-folded, for case-insensitive file systems); adds it to ``taken``.

    ``a.jpg`` and ``a.png`` keep their extension and so differ; ``sub/a.jpg`` becomes
    ``sub__a.jpg``; anything that still collides gets ``~2``, ``~3``...
    """
    text = unicodedata.normalize("NFC", rel_path).replace("/", "__")
    base = _UNSAFE.sub("_", text).lstrip(".") or "image"
    if base.split(".")[0].upper() in _RESERVED:
        base = "_" + base
    if len(base) > MAX_KEY_LENGTH:
        digest = hashlib.sha1(rel_path.encode("utf-8")).hexdigest()[:10]
        base = f"{base[:MAX_KEY_LENGTH - 11]}-{digest}"
    key, counter = base, 1
    while key.casefold() in taken:
        counter += 1
        key = f"{base}~{counter}"
    taken.add(key.casefold())
    return key


def is_valid_key(key: object) -> bool:
    return (isinstance(key, str) and len(key) <= MAX_KEY_LENGTH + 8
            and KEY_PATTERN.fullmatch(key) is not None)


def entry_from_json(item: object, index: int, where: str | None = None) -> ImageEntry:
    """One image entry, every field checked; errors name ``where`` (default: the
    manifest's ``images[index]``)."""
    where = where or f"manifest: images[{index}]"
    if not isinstance(item, dict):
        raise ProjectError(f"{where} must be an object")
    key = item.get("key")
    if not is_valid_key(key):
        raise ProjectError(f"{where}: key {key!r} is not a safe file name")
    try:
        rel_path = safe_rel_path(item.get("path"))  # type: ignore[arg-type]
    except ProjectError as exc:
        raise ProjectError(f"{where}: {exc}") from None
    try:
        status = ImageStatus(item.get("status", "new"))
    except ValueError:
        raise ProjectError(f"{where}: status must be one of "
                           f"{', '.join(s.value for s in ImageStatus)}") from None
    width, height = (_optional_size(item.get(name), f"{where}.{name}")
                     for name in ("width", "height"))
    uncertainty = item.get("uncertainty")
    if uncertainty is not None and (isinstance(uncertainty, bool)
                                    or not isinstance(uncertainty, int | float)
                                    or not math.isfinite(uncertainty)):
        raise ProjectError(f"{where}: uncertainty must be a number or null")
    return ImageEntry(key, rel_path, status, width, height,  # type: ignore[arg-type]
                      None if uncertainty is None else float(uncertainty))


def _check_image_ids(ids: object) -> None:
    """Stored COCO image ids must be usable as they are: checked on open, not when an
    export fails validation."""
    if ids is None:
        return
    where = f"manifest: settings.{IMAGE_IDS_SETTING}"
    if not isinstance(ids, dict):
        raise ProjectError(f"{where} must be an object of image key to id")
    for key, value in ids.items():
        if isinstance(value, bool) or not isinstance(value, int) \
                or not 0 <= value <= MAX_IMAGE_ID:
            raise ProjectError(f"{where}[{key!r}] is {str(value)[:40]!r}, not an integer "
                               "in 0..2^63-1")


def _optional_size(value: object, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ProjectError(f"{where} must be a positive integer or null")
    return value


def check_unique(entries: list[ImageEntry]) -> None:
    keys: set[str] = set()
    paths: set[str] = set()
    for entry in entries:
        if entry.key.casefold() in keys:
            raise ProjectError(f"key {entry.key!r} appears twice")
        if entry.rel_path in paths:
            raise ProjectError(f"image {entry.rel_path!r} appears twice")
        keys.add(entry.key.casefold())
        paths.add(entry.rel_path)
