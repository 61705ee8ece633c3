"""Preferences, recent projects and window layout, kept in QSettings."""

from __future__ import annotations

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


class Prefs:
    """Typed access to the few things the app remembers between runs."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self.settings = settings or QSettings(ORGANIZATION, APPLICATION)

    def get_int(self, key: str) -> int:
        return int(self.settings.value(key, DEFAULTS[key]))  # type: ignore[arg-type]

    def get_bool(self, key: str) -> bool:
        value = self.settings.value(key, DEFAULTS[key])
        return value in (True, "true", "1", 1)

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
