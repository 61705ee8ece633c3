"""Which categories the overlay draws: hide / show one, solo some, show all.

A view setting, not an edit: nothing here touches a document or its history. Solo works
as on a mixing desk: while any category is soloed only the soloed ones show, whatever is
hidden; un-soloing the last brings the hidden set back as it was. The state is kept per
project (``Project.settings["view"]``) by :func:`save_to` / :func:`load_from`.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping

from PySide6.QtCore import QObject, Signal

SETTINGS_KEY = "view"


class CategoryVisibility(QObject):
    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._hidden: set[int] = set()
        self._solo: set[int] = set()

    # -- reading -----------------------------------------------------------------------
    @property
    def hidden(self) -> frozenset[int]:
        return frozenset(self._hidden)

    @property
    def soloed(self) -> frozenset[int]:
        return frozenset(self._solo)

    @property
    def is_default(self) -> bool:
        """Every category shows."""
        return not self._hidden and not self._solo

    def is_visible(self, category_id: int) -> bool:
        if self._solo:
            return category_id in self._solo
        return category_id not in self._hidden

    def not_drawn(self, category_ids: Iterable[int]) -> frozenset[int]:
        """Of ``category_ids``, those the overlay leaves out."""
        return frozenset(i for i in category_ids if not self.is_visible(i))

    def describe(self, name_of: dict[int, str]) -> str:
        """A short line for the status bar, e.g. "showing only person, car"."""
        if self._solo:
            return "showing only " + ", ".join(sorted(name_of.get(i, str(i)) for i in self._solo))
        if self._hidden:
            return "hidden: " + ", ".join(sorted(name_of.get(i, str(i)) for i in self._hidden))
        return "showing every category"

    # -- changing ----------------------------------------------------------------------
    def set_visible(self, category_id: int, visible: bool) -> None:
        """Show or hide one category. Showing a category while others are soloed adds it
        to the solo; hiding a soloed one takes it out."""
        if self._solo:
            if visible:
                self._solo.add(category_id)
            else:
                self._solo.discard(category_id)
        elif visible:
            self._hidden.discard(category_id)
        else:
            self._hidden.add(category_id)
        self.changed.emit()

    def toggle(self, category_id: int) -> None:
        self.set_visible(category_id, not self.is_visible(category_id))

    def solo(self, category_id: int, add: bool = False) -> None:
        """Show only this category (``add``: this one too). Soloing the only soloed
        category again ends the solo."""
        if add:
            self._solo ^= {category_id}
        elif self._solo == {category_id}:
            self._solo.clear()
        else:
            self._solo = {category_id}
        self.changed.emit()

    def show_all(self) -> None:
        if not self.is_default:
            self._hidden.clear()
            self._solo.clear()
            self.changed.emit()

    def restore(self, hidden: Iterable[int], soloed: Iterable[int]) -> None:
        self._hidden = {int(i) for i in hidden}
        self._solo = {int(i) for i in soloed}
        self.changed.emit()


def save_to(settings: MutableMapping, visibility: CategoryVisibility) -> None:
    view = dict(settings.get(SETTINGS_KEY) or {})
    view["hidden_categories"] = sorted(visibility.hidden)
    view["solo_categories"] = sorted(visibility.soloed)
    settings[SETTINGS_KEY] = view


def load_from(settings: MutableMapping, visibility: CategoryVisibility,
              known: Iterable[int]) -> None:
    """Restore the state kept in a project's settings, for categories it still has; a
    malformed entry shows everything."""
    view = settings.get(SETTINGS_KEY)
    known_ids = set(known)
    try:
        hidden = [int(i) for i in view.get("hidden_categories", [])] if view else []
        soloed = [int(i) for i in view.get("solo_categories", [])] if view else []
    except (AttributeError, TypeError, ValueError):
        hidden, soloed = [], []
    visibility.restore((i for i in hidden if i in known_ids),
                       (i for i in soloed if i in known_ids))
