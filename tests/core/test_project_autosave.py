"""Debounced autosave, driven by a fake clock and timers so no test waits on real time
(one end-to-end test uses the real thread timer)."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pytest

from panoptix.core import edits
from panoptix.core.atomic import StoreError
from panoptix.core.autosave import Autosaver
from panoptix.core.project import ImageStatus, Project


class FakeTimers:
    """Timers that fire only when the test says so, and a clock it moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pending: list[FakeTimers.Timer] = []

    class Timer:
        def __init__(self, owner: FakeTimers, delay: float, callback: Callable[[], None]):
            self.owner, self.at, self.callback = owner, owner.now + delay, callback

        def start(self) -> None:
            self.owner.pending.append(self)

        def cancel(self) -> None:
            self.owner.pending.remove(self)

    def factory(self, delay: float, callback: Callable[[], None]) -> FakeTimers.Timer:
        return FakeTimers.Timer(self, delay, callback)

    def advance(self, seconds: float) -> None:
        self.now += seconds
        while due := [t for t in self.pending if t.at <= self.now]:
            self.pending.remove(due[0])
            due[0].callback()


@pytest.fixture
def timers() -> FakeTimers:
    return FakeTimers()


def autosaver(project: Project, timers: FakeTimers, **kwargs) -> tuple[Autosaver, str]:
    key = project.images[0].key
    doc = project.load_document(key)
    saver = Autosaver(project, key, doc, 2.0, timer_factory=timers.factory,
                      clock=lambda: timers.now, **kwargs)
    return saver, key


def stroke(saver: Autosaver, y: int) -> None:
    edits.add_mask(saver.doc, np.ones((2, 5), bool), 1, offset=(y, 0))


def test_saves_once_the_user_pauses(project: Project, timers: FakeTimers) -> None:
    saver, key = autosaver(project, timers)
    stroke(saver, 0)
    timers.advance(1.5)
    stroke(saver, 4)  # still editing: the save moves out
    timers.advance(1.5)
    assert not project.has_annotation(key) and saver.pending
    timers.advance(0.6)
    assert project.has_annotation(key) and not saver.pending
    np.testing.assert_array_equal(project.load_document(key).id_map, saver.doc.id_map)
    assert project.entry(key).status == ImageStatus.EDITED


def test_live_brush_dabs_count_as_changes(project: Project, timers: FakeTimers) -> None:
    saver, key = autosaver(project, timers)
    brush = edits.BrushStroke(saver.doc, 3, category_id=1)
    brush.dab(10, 10)  # not committed yet: only map_changed fires
    timers.advance(2.1)
    assert project.load_document(key).segments


def test_flush_saves_now_and_only_when_needed(project: Project, timers: FakeTimers) -> None:
    saver, key = autosaver(project, timers)
    assert saver.flush() is False
    stroke(saver, 0)
    assert saver.flush() is True and project.has_annotation(key)
    assert not timers.pending
    assert saver.flush() is False


def test_undo_is_saved_too(project: Project, timers: FakeTimers) -> None:
    saver, key = autosaver(project, timers)
    stroke(saver, 0)
    saver.flush()
    saver.doc.undo()
    timers.advance(2.0)
    assert not project.load_document(key).segments


def test_close_flushes_and_stops_listening(project: Project, timers: FakeTimers) -> None:
    saver, key = autosaver(project, timers)
    stroke(saver, 0)
    saver.close()
    assert project.has_annotation(key)
    stroke(saver, 4)
    assert not timers.pending


def test_a_failed_background_save_is_reported_and_retried(
        project: Project, timers: FakeTimers, monkeypatch: pytest.MonkeyPatch) -> None:
    errors: list[StoreError] = []
    saver, key = autosaver(project, timers, on_error=errors.append)

    def disk_full(*args: object, **kwargs: object) -> bool:
        raise StoreError("cannot write x: the disk is full")

    monkeypatch.setattr(project, "save_document", disk_full)
    stroke(saver, 0)
    timers.advance(2.0)
    assert [str(e) for e in errors] == ["cannot write x: the disk is full"]
    assert saver.pending
    monkeypatch.undo()
    assert saver.flush() is True
    assert project.load_document(key).segments


def test_real_timer_thread_saves_in_the_background(project: Project) -> None:
    key = project.images[0].key
    saver = Autosaver(project, key, project.load_document(key), delay_s=0.05)
    stroke(saver, 0)
    deadline = time.monotonic() + 5
    while saver.pending and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not saver.pending
    np.testing.assert_array_equal(project.load_document(key).id_map, saver.doc.id_map)
