"""File names from datasets stay in their folder; exported PNG names never collide."""

from __future__ import annotations

import os

import pytest

from panoptix.core.paths import UnsafePathError, check_relative_name, png_names, resolve_inside


@pytest.mark.parametrize("name", [
    "../a.png", "a/../../b.png", "x/..", "/etc/passwd", "//server/share/a.png", "C:\\a.png",
    "C:a.png", "a\\..\\..\\b.png", "", "a\x00.png", 7, None, ["a.png"], "a" * 5000,
])
def test_names_that_leave_their_folder_are_refused(name):
    with pytest.raises(UnsafePathError):
        check_relative_name(name)


@pytest.mark.parametrize("name,expected", [
    ("a.png", "a.png"), ("sub/dir/a.b.c.jpg", "sub/dir/a.b.c.jpg"), ("./a.png", "a.png"),
    ("a..b.png", "a..b.png"), (".hidden.jpg", ".hidden.jpg"),
])
def test_ordinary_names_pass_in_posix_form(name, expected):
    assert check_relative_name(name) == expected


def test_a_symbolic_link_out_of_the_folder_is_refused(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret.png").write_bytes(b"x")
    os.symlink(tmp_path / "secret.png", root / "link.png")
    with pytest.raises(UnsafePathError, match="outside"):
        resolve_inside(root, "link.png")
    assert resolve_inside(root, "sub/ok.png") == root / "sub" / "ok.png"


def test_png_name_is_the_image_stem_with_several_dots_kept():
    assert png_names(["a.jpg", "x/b.2024.01.jpeg", "noext", ".hidden"]) == [
        "a.png", "x/b.2024.01.png", "noext.png", ".hidden.png"]


def test_images_sharing_a_stem_get_distinct_pngs_and_the_jpeg_keeps_the_stem():
    names = png_names(["a.png", "a.jpg", "a.webp", "b/a.png"])
    assert names[1] == "a.png"
    assert names[3] == "b/a.png"
    assert len({n.casefold() for n in names}) == 4
    assert names[0] == "a.png.png" and names[2] == "a.webp.png"


def test_fallback_names_that_are_taken_get_a_counter():
    names = png_names(["a.png", "a.jpg", "a.png.jpg"])
    assert names == ["a.png-2.png", "a.png", "a.png.png"]


def test_names_differing_only_in_case_do_not_collide():
    names = png_names(["A.jpg", "a.jpg"])
    assert len({n.casefold() for n in names}) == 2
    assert names[0] == "A.png"


def test_png_names_do_not_depend_on_input_order():
    images = ["a.png", "a.jpg", "c.tif", "c.jpeg", "c.png"]
    forward = dict(zip(images, png_names(images), strict=True))
    backward = dict(zip(images[::-1], png_names(images[::-1]), strict=True))
    assert forward == backward
