"""The disk budget of raw/: over it, the least recently viewed outputs are deleted, never
the one just written, and a write does not scan the folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from panoptix.core import raw_budget
from panoptix.core.atomic import write_bytes
from panoptix.core.project import Project
from panoptix.core.raw_budget import BUDGET_SETTING, key_of

SIZE = 3000


def write(project: Project, key: str, when: float | None = None) -> Path:
    path = project.raw_outputs_path(key)
    write_bytes(path, b"x" * SIZE)
    if when is not None:
        os.utime(path, (when, when))
    raw_budget.note_written(path)
    return path


@pytest.fixture
def small(project: Project) -> Project:
    project.settings[BUDGET_SETTING] = 10_000 / 1e9  # room for three files of 3,000 bytes
    project.save_manifest()
    return project


def test_over_budget_the_least_recently_viewed_go_first(small: Project) -> None:
    a, b, c, d = (entry.key for entry in small.images)
    paths = {key: write(small, key, when) for key, when in ((a, 100), (b, 200), (c, 300))}
    raw_budget.note_viewed(paths[a])  # viewed now: a is the most recent of the three
    paths[d] = write(small, d)  # 12,000 bytes: over, down to 9,000 (90%)
    assert [key for key, path in paths.items() if path.exists()] == [a, c, d]
    assert small.raw_budget.evicted == 1 and small.raw_budget.used == 9000


def test_views_are_remembered_across_sessions(small: Project) -> None:
    a, b, c, d = (entry.key for entry in small.images)
    paths = {key: write(small, key, when) for key, when in ((a, 100), (b, 200), (c, 300))}
    raw_budget.note_viewed(paths[a])
    small.close()
    with Project.open(small.folder) as again:
        write(again, d)
        assert not paths[b].exists() and paths[a].exists()


def test_the_file_just_written_is_kept_even_alone_over_budget(small: Project) -> None:
    small.settings[BUDGET_SETTING] = 1000 / 1e9
    key = small.images[0].key
    assert write(small, key).exists()


def test_a_write_under_budget_does_not_scan_the_folder(
        small: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    small.settings[BUDGET_SETTING] = 1.0
    scans = []
    real = os.scandir
    monkeypatch.setattr(os, "scandir", lambda *a: scans.append(a) or real(*a))
    for entry in small.images:
        write(small, entry.key)
    assert len(scans) == 1  # the first write counts what is there, once
    assert small.raw_budget.used == SIZE * len(small.images)


def test_a_closed_project_keeps_no_budget(project: Project) -> None:
    path = project.raw_outputs_path(project.images[0].key)
    project.close()
    write_bytes(path, b"x")
    assert raw_budget.note_written(path) == []


def test_embeddings_belong_to_their_image() -> None:
    assert key_of("a.jpg.npz") == "a.jpg"
    assert key_of("sub__a.v2.jpg.sam-0123abcd.npz") == "sub__a.v2.jpg"
    assert key_of(".a.jpg.npz.x.panoptix-tmp") is None
