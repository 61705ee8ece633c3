"""Atomic writes: the old file or the new one, never a mix, and no temp file left behind."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panoptix.core import atomic
from panoptix.core.atomic import StoreError


def test_write_replaces_content_and_leaves_only_the_file(tmp_path: Path) -> None:
    target = tmp_path / "data.bin"
    target.write_bytes(b"old")
    atomic.write_bytes(target, b"new content")
    assert target.read_bytes() == b"new content"
    assert os.listdir(tmp_path) == ["data.bin"]


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_new_files_get_normal_permissions_not_private_temp_ones(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    atomic.write_text(tmp_path / "note.txt", "hi")
    assert (tmp_path / "note.txt").stat().st_mode & 0o777 == 0o666 & ~umask


def test_full_disk_mid_write_keeps_the_old_file_and_no_temp(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "data.bin"
    target.write_bytes(b"precious")
    real_write = os.write
    calls = []

    def write_then_fill_disk(fd: int, data: bytes) -> int:
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(fd, bytes(data)[:1000])  # a partial write, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", write_then_fill_disk)
    with pytest.raises(StoreError, match="disk is full") as info:
        atomic.write_bytes(target, b"x" * 5000)
    monkeypatch.undo()
    assert str(target) in str(info.value) and "\n" not in str(info.value)
    assert info.value.errno == errno.ENOSPC
    assert target.read_bytes() == b"precious"
    assert os.listdir(tmp_path) == ["data.bin"]


def test_interrupt_mid_write_removes_the_temp(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(fd: int, data: bytes) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_bytes(tmp_path / "data.bin", b"abc")
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []


def test_read_only_folder_gives_one_clear_line(tmp_path: Path, make_read_only,
                                               files_of) -> None:
    (tmp_path / "data.json").write_text("{}")
    make_read_only(tmp_path)
    with pytest.raises(StoreError, match="permission denied|read-only") as info:
        atomic.write_json(tmp_path / "data.json", {"a": 1})
    assert str(tmp_path / "data.json") in str(info.value)
    assert files_of(tmp_path) == {"data.json": b"{}"}


def test_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        atomic.write_text(tmp_path / "nowhere" / "a.txt", "x")


@pytest.mark.parametrize("bad", [{"x": {1, 2}}, {"score": float("nan")}])
def test_bad_json_data_never_touches_the_file(tmp_path: Path, bad: dict) -> None:
    target = tmp_path / "data.json"
    target.write_text('{"kept": true}')
    with pytest.raises(StoreError, match="not valid JSON"):
        atomic.write_json(target, bad)
    assert target.read_text() == '{"kept": true}'
    assert os.listdir(tmp_path) == ["data.json"]


def test_write_png_keeps_rgb_order_and_gray(tmp_path: Path) -> None:
    rgb = np.zeros((5, 7, 3), np.uint8)
    rgb[..., 0], rgb[1, 2] = 200, (1, 2, 3)
    atomic.write_png(tmp_path / "c.png", rgb)
    gray = np.arange(35, dtype=np.uint8).reshape(5, 7)
    atomic.write_png(tmp_path / "g.png", gray)
    with Image.open(tmp_path / "c.png") as image:
        assert image.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(image), rgb)
    with Image.open(tmp_path / "g.png") as image:
        np.testing.assert_array_equal(np.asarray(image), gray)


def test_remove_temp_files_takes_only_ours(tmp_path: Path) -> None:
    ours = tmp_path / f".a.json.1234abcd{atomic.TEMP_SUFFIX}"
    others = [tmp_path / ".DS_Store", tmp_path / "a.json", tmp_path / "notes.tmp"]
    for path in [ours, *others]:
        path.write_text("x")
    assert atomic.remove_temp_files(tmp_path) == 1
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in others)
