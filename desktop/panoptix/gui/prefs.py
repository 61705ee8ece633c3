"""Preferences, recent projects and window layout, kept in QSettings.

A preference of the wrong type or out of range (a hand-edited ``Panoptix.conf``) is read as
its default, and said once on stderr, never an error at start."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "Panoptix"
APPLICATION = "Panoptix"
MAX_RECENT = 10
DEFAULTS: dict[str, object] = {
    "view/opacity": 55,
    "view/overlay": True,
    "view/boundaries": True,
    "view/unlabeled": False,
    "view/instances": False,
    "edit/brush_size": 15,
    "edit/protect_labeled": False,
    "edit/split_min_area": 5,
    "edit/protect_labeled_segment_anything": True,
    "review/segments_least_confident_first": False,
    "review/images_least_confident_first": False,
}
INT_RANGES: dict[str, tuple[int, int]] = {
    "view/opacity": (0, 100),
    "edit/brush_size": (1, 400),
    "edit/split_min_area": (0, 1_000_000),
}
_BOOLS = {True: True, "true": True, "1": True, False: False, "false": False, "0": False}
"""How a flag may be stored (the keys True and False also stand for 1 and 0)."""


class Prefs:
    """Typed access to the few things the app remembers between runs."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self.settings = settings or QSettings(ORGANIZATION, APPLICATION)
        self._said: set[str] = set()

    def get_int(self, key: str) -> int:
        value = self.settings.value(key, DEFAULTS[key])
        low, high = INT_RANGES.get(key, (-sys.maxsize, sys.maxsize))
        try:
            number = int(value)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            number = None
        if number is None or isinstance(value, bool) or not low <= number <= high:
            return self._default(key, value, f"a whole number in {low}..{high}")
        return number

    def get_bool(self, key: str) -> bool:
        value = self.settings.value(key, DEFAULTS[key])
        try:
            return _BOOLS[value]
        except (KeyError, TypeError):  # TypeError: a list, which cannot be hashed
            return self._default(key, value, "true or false")

    def _default(self, key: str, value: object, wanted: str) -> object:
        """``key``'s default, said once: what was stored is not ``wanted``."""
        if key not in self._said:
            self._said.add(key)
            print(f"panoptix: preference {key}={value!r} is not {wanted}; using the default, "
                  f"{DEFAULTS[key]!r}", file=sys.stderr)
        return DEFAULTS[key]

    def set(self, key: str, value: object) -> None:
        self.settings.setValue(key, value)

    # -- recent projects ----------------------------------------------------------------
    def recent(self) -> list[str]:
        """Most recent first, as stored: a folder gone since is listed (the window says so
        when it is chosen, then drops it), so a drive not mounted yet keeps its entries."""
        value = self.settings.value("recent", [])
        return [value] if isinstance(value, str) else [str(p) for p in value or []]

    def add_recent(self, path: str | Path) -> None:
        path = str(Path(path).resolve())
        kept = (p for p in self.recent() if p != path and Path(p).exists())
        self.settings.setValue("recent", [path, *kept][:MAX_RECENT])
        self.settings.sync()

    def remove_recent(self, path: str | Path) -> None:
        self.settings.setValue("recent", [p for p in self.recent() if p != str(path)])
        self.settings.sync()

    # -- window layout --------------------------------------------------------------------
    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        return (geometry if isinstance(geometry, QByteArray) else None,
                state if isinstance(state, QByteArray) else None)

    def save_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        self.settings.setValue("window/geometry", geometry)
        self.settings.setValue("window/state", state)
        self.settings.sync()
