"""Categories in COCO's own format, the bundled category tables, and name matching.

A model's labels are contiguous (0..N-1) while a dataset's category ids may be sparse
(COCO panoptic: 1..200) or start at 0 (ADE20K). Labels are therefore mapped to categories
by *name*, never by position; see :func:`match_labels`.
"""

from __future__ import annotations

import colorsys
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from panoptix.core.bundled import CATEGORIES, bundled
from panoptix.core.regular_files import read_text

Color = tuple[int, int, int]


class CategoryError(ValueError):
    """A category table or a category edit is not acceptable."""


@dataclass(frozen=True)
class Category:
    id: int
    name: str
    isthing: bool
    color: Color
    supercategory: str = ""

    def to_coco(self) -> dict:
        data = asdict(self)
        data["isthing"] = int(self.isthing)
        data["color"] = list(self.color)
        return data

    @classmethod
    def from_coco(cls, data: Mapping) -> Category:
        try:
            color = tuple(int(c) for c in data.get("color") or default_color(int(data["id"])))
            if len(color) != 3 or not all(0 <= c <= 255 for c in color):
                raise CategoryError(f"category {data.get('id')}: color must be three 0..255 values")
            return cls(
                id=int(data["id"]),
                name=str(data["name"]),
                isthing=bool(int(data.get("isthing", 1))),
                color=color,  # type: ignore[arg-type]
                supercategory=str(data.get("supercategory", "") or ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, CategoryError):
                raise
            raise CategoryError(f"not a COCO category: {str(data)[:120]!r} ({exc})") from exc

    @property
    def synonyms(self) -> tuple[str, ...]:
        """The normalised names this category answers to (ADE20K: ``'road, route'``)."""
        return tuple(normalize_name(part) for part in self.name.split(",") if part.strip())

    @property
    def short_name(self) -> str:
        return self.name.split(",")[0].strip() or self.name


def normalize_name(name: str) -> str:
    """Trimmed, case-folded, with runs of whitespace, ``_`` and ``-`` made one space."""
    cleaned = name.replace("_", " ").replace("-", " ").casefold()
    return " ".join(cleaned.split())


def default_color(category_id: int) -> Color:
    """A stable, well-spread colour for a category that brings none (golden-ratio hues)."""
    hue = (category_id * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.65, 0.95)
    return (round(r * 255), round(g * 255), round(b * 255))


class CategorySet:
    """An ordered set of categories with unique ids and names, editable by the user."""

    def __init__(self, categories: Iterable[Category], name: str = "custom") -> None:
        self.name = name
        self._by_id: dict[int, Category] = {}
        for category in categories:
            if category.id in self._by_id:
                raise CategoryError(f"category id {category.id} appears twice in {name}")
            self._by_id[category.id] = category

    # -- access -------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Category]:
        return iter(self._by_id.values())

    def __contains__(self, category_id: object) -> bool:
        return category_id in self._by_id

    def __getitem__(self, category_id: int) -> Category:
        try:
            return self._by_id[category_id]
        except KeyError:
            raise CategoryError(f"unknown category id {category_id} in {self.name}") from None

    def get(self, category_id: int) -> Category | None:
        return self._by_id.get(category_id)

    @property
    def ids(self) -> list[int]:
        return list(self._by_id)

    def is_thing(self, category_id: int) -> bool:
        return self[category_id].isthing

    def find(self, name: str) -> Category | None:
        """The one category called ``name``; None when none or several match.

        Matching goes by precedence: the full name, then a category's first synonym, then
        any synonym. ADE20K has both ``stool`` and ``toilet, ..., stool, throne``: the
        exact name must win, and a tie within one level is ambiguous, not a guess.
        """
        wanted = normalize_name(name)
        levels: tuple[Callable[[Category], bool], ...] = (
            lambda c: normalize_name(c.name) == wanted,
            lambda c: c.synonyms[:1] == (wanted,),
            lambda c: wanted in c.synonyms,
        )
        for matches in levels:
            found = [c for c in self._by_id.values() if matches(c)]
            if found:
                return found[0] if len(found) == 1 else None
        return None

    # -- edits ----------------------------------------------------------------------
    def add(self, name: str, isthing: bool, color: Color | None = None,
            supercategory: str = "") -> Category:
        if not name.strip():
            raise CategoryError("a category needs a name")
        if self.find(name) is not None:
            raise CategoryError(f"a category named {name!r} exists already")
        new_id = max(self._by_id, default=0) + 1
        category = Category(new_id, name.strip(), isthing, color or default_color(new_id),
                            supercategory)
        self._by_id[new_id] = category
        return category

    def update(self, category_id: int, **changes) -> Category:
        """Rename, recolour or change ``isthing``/``supercategory`` of one category."""
        current = self[category_id]
        if "id" in changes:
            raise CategoryError("a category's id cannot change: segments refer to it")
        if "name" in changes:
            name = str(changes["name"]).strip()
            other = self.find(name) if name else None
            if not name or (other is not None and other.id != category_id):
                raise CategoryError(f"cannot rename to {name!r}: empty or taken")
            changes["name"] = name
        updated = replace(current, **changes)
        self._by_id[category_id] = updated
        return updated

    # -- serialisation --------------------------------------------------------------
    def to_coco(self) -> list[dict]:
        return [category.to_coco() for category in self._by_id.values()]

    @classmethod
    def from_coco(cls, data: object, name: str = "custom") -> CategorySet:
        if not isinstance(data, list):
            raise CategoryError(f"{name}: categories must be a JSON list")
        return cls((Category.from_coco(item) for item in data), name=name)

    @classmethod
    def from_labels(cls, id2label: Mapping[int, str],
                    thing_names: Iterable[str] = ()) -> CategorySet:
        """Categories for a model without a table: ids are the model's labels + 1.

        Every label is a thing unless ``thing_names`` is given, then only those are; the
        user edits ``isthing`` afterwards.
        """
        things = {normalize_name(n) for n in thing_names}
        return cls(
            (Category(int(label) + 1, str(text).strip(),
                      not things or normalize_name(str(text)) in things,
                      default_color(int(label) + 1))
             for label, text in sorted(id2label.items(), key=lambda kv: int(kv[0]))),
            name="model labels",
        )


def available_tables() -> list[str]:
    """Names of the bundled category tables (``coco_panoptic``, ``ade20k_panoptic``, ...)."""
    return sorted(entry.name.removesuffix(".json") for entry in bundled(CATEGORIES).iterdir()
                  if entry.name.endswith(".json") and ".id2label" not in entry.name)


def load_table(name: str) -> CategorySet:
    """A bundled category table by name, or a COCO categories JSON file by path."""
    path = Path(name)
    source = path
    if not path.suffix:
        source = bundled(CATEGORIES, f"{name}.json")
        if not source.is_file():
            raise CategoryError(
                f"no category table {name!r}; bundled: {', '.join(available_tables())}")
    try:
        # a file of the user's through the regular-file check; a bundled one as shipped
        text = read_text(path) if source is path else source.read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CategoryError(f"cannot read category table {source}: {exc}") from exc
    if isinstance(data, dict) and "categories" in data:
        data = data["categories"]
    return CategorySet.from_coco(data, name=path.stem)


@dataclass(frozen=True)
class LabelMatch:
    """How a model's contiguous labels map onto a category set."""

    label_to_category: dict[int, int]
    unknown: dict[int, str]

    def category_for(self, label_id: int) -> int | None:
        return self.label_to_category.get(label_id)


def match_labels(id2label: Mapping[int, str], categories: CategorySet) -> LabelMatch:
    """Map model label ids to category ids by name; unknown names are reported, not guessed.

    Names are compared trimmed and case-folded. A label matches a category when the label's
    name equals the category's full name or any of its comma-separated synonyms, or when the
    label itself lists synonyms and its first one matches.
    """
    mapping: dict[int, int] = {}
    unknown: dict[int, str] = {}
    for raw_label, text in id2label.items():
        label = int(raw_label)
        category = categories.find(str(text))
        if category is None and "," in str(text):
            category = categories.find(str(text).split(",")[0])
        if category is None:
            unknown[label] = str(text)
        else:
            mapping[label] = category.id
    return LabelMatch(mapping, unknown)
