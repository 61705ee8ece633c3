"""A disk budget for a project's ``raw/`` folder: the least recently viewed outputs go first.

Raw outputs (and Segment Anything embeddings) can be made again from the image (Ctrl+R), so
they are a cache. The project that holds the folder's lock keeps a running total of what
it writes there; when a write takes the folder over its budget, files are deleted, the
least recently used first (the later of when each was written and when it was last
viewed, kept in the image table), until the folder is at 90% of the budget. The file just
written is never deleted. The total is counted once, on the first write, then kept up to
date by the writes themselves, so a save does not scan the folder.

Writers and viewers elsewhere in the process (the window's worker, the proposal tool)
reach the budget through :func:`note_written` and :func:`note_viewed`, by the folder.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

BUDGET_SETTING = "raw_outputs_budget_gb"
"""Project setting: the budget in GB (10^9 bytes); absent means :data:`DEFAULT_BUDGET_GB`."""
DEFAULT_BUDGET_GB = 4.0
KEEP_SHARE = 0.9
"""An eviction frees down to this share of the budget, so it runs once per many writes."""
_KEY = re.compile(r"(?P<key>.+?)(\.sam-[0-9a-f]+)?\.npz")

_log = logging.getLogger(__name__)
_budgets: dict[str, RawBudget] = {}
_registry_lock = threading.Lock()


def budget_bytes(settings: dict) -> int:
    """The budget a project's settings ask for (a bad value: the default)."""
    value = settings.get(BUDGET_SETTING, DEFAULT_BUDGET_GB)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        value = DEFAULT_BUDGET_GB
    return int(value * 1e9)


def key_of(path: str | os.PathLike[str]) -> str | None:
    """The image key a file in ``raw/`` belongs to (raw outputs or an embedding)."""
    match = _KEY.fullmatch(os.path.basename(path))
    return match.group("key") if match else None


class RawBudget:
    def __init__(self, folder: Path, limit: Callable[[], int],
                 viewed: Callable[[], dict[str, float]],
                 note_view: Callable[[str, float], None]) -> None:
        self.folder = folder
        self._limit = limit
        self._viewed = viewed
        self._note_view = note_view
        self._lock = threading.Lock()
        self._sizes: dict[str, int] | None = None
        self.used = 0
        self.evicted = 0
        """Files deleted to stay within the budget since the project was opened."""

    def register(self) -> None:
        with _registry_lock:
            _budgets[_folder_key(self.folder)] = self

    def unregister(self) -> None:
        with _registry_lock:
            if _budgets.get(_folder_key(self.folder)) is self:
                del _budgets[_folder_key(self.folder)]

    def release(self) -> None:
        """Unregister and forget the project's callbacks, which refer to it (a reference
        cycle): once its project is closed the budget keeps its last limit, counts no
        views, and the project is freed as soon as it is dropped."""
        self.unregister()
        limit = self._limit()
        self._limit, self._viewed = (lambda: limit), dict
        self._note_view = lambda key, when: None

    def written(self, path: Path) -> list[Path]:
        """Count a file just written in the folder; evict if over budget. Returns what
        was deleted."""
        with self._lock:
            sizes = self._count()
            try:
                size = os.stat(path).st_size
            except OSError:
                return []
            self.used += size - sizes.get(path.name, 0)
            sizes[path.name] = size
            if self.used <= self._limit():
                return []
            return self._evict(keep=path.name)

    def viewed(self, path: Path) -> None:
        key = key_of(path)
        if key is not None:
            with contextlib.suppress(Exception):  # a read-only project cannot note it
                self._note_view(key, time.time())

    def _count(self) -> dict[str, int]:
        if self._sizes is None:
            self._sizes = {}
            with contextlib.suppress(FileNotFoundError):
                for entry in os.scandir(self.folder):
                    with contextlib.suppress(OSError):
                        if entry.is_file(follow_symlinks=False):
                            self._sizes[entry.name] = entry.stat().st_size
            self.used = sum(self._sizes.values())
        return self._sizes

    def _evict(self, keep: str) -> list[Path]:
        viewed = self._viewed()
        files = []
        for entry in os.scandir(self.folder):
            with contextlib.suppress(OSError):
                if entry.name != keep and entry.is_file(follow_symlinks=False) \
                        and key_of(entry.name) is not None:
                    info = entry.stat()
                    used = max(info.st_mtime, viewed.get(key_of(entry.name) or "", 0.0))
                    files.append((used, entry.name, info.st_size))
        files.sort()
        target = self._limit() * KEEP_SHARE
        deleted = []
        for _used, name, size in files:
            if self.used <= target:
                break
            try:
                os.unlink(self.folder / name)
            except FileNotFoundError:
                pass
            except OSError as exc:
                _log.warning("cannot delete %s to keep raw outputs within budget: %s",
                             name, exc)
                continue
            self.used -= self._sizes.pop(name, size) if self._sizes is not None else size
            deleted.append(self.folder / name)
        self.evicted += len(deleted)
        return deleted


def note_written(path: str | os.PathLike[str]) -> list[Path]:
    """Tell the budget of the folder holding ``path`` (if an open project has one)."""
    budget = _budget_for(path)
    return budget.written(Path(path)) if budget is not None else []


def note_viewed(path: str | os.PathLike[str]) -> None:
    budget = _budget_for(path)
    if budget is not None:
        budget.viewed(Path(path))


def _budget_for(path: str | os.PathLike[str]) -> RawBudget | None:
    with _registry_lock:
        return _budgets.get(_folder_key(Path(path).parent))


def _folder_key(folder: Path) -> str:
    return os.path.normcase(os.path.abspath(folder))
