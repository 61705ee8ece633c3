"""Loading photos: every mode to RGB as a viewer shows it, clear refusals for bad files."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from panoptix.core.imageio import (
    BACKGROUND,
    ImageLoadError,
    find_images,
    image_size,
    load_image,
)


def one_line_error(path: Path, **kwargs) -> str:
    with pytest.raises(ImageLoadError) as info:
        load_image(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` but holds almost no pixel data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


# -- unusable files -------------------------------------------------------------------------
def test_zero_byte_file(tmp_path: Path) -> None:
    (tmp_path / "empty.jpg").write_bytes(b"")
    assert "empty" in one_line_error(tmp_path / "empty.jpg")


def test_missing_file(tmp_path: Path) -> None:
    assert "not found" in one_line_error(tmp_path / "gone.jpg")


def test_text_file_named_png(tmp_path: Path) -> None:
    (tmp_path / "notes.png").write_text("shopping list\n")
    assert "not an image" in one_line_error(tmp_path / "notes.png")


def test_truncated_jpeg(tmp_path: Path) -> None:
    noise = np.random.default_rng(0).integers(0, 255, (200, 300, 3), np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, "JPEG", quality=95)
    (tmp_path / "cut.jpg").write_bytes(buffer.getvalue()[:len(buffer.getvalue()) // 2])
    assert "truncated" in one_line_error(tmp_path / "cut.jpg")


def test_pixel_limit_is_checked_before_decoding(tmp_path: Path) -> None:
    # The file holds no real pixel data: a decode would fail as truncated, so a refusal
    # that speaks of the limit proves nothing was decoded.
    (tmp_path / "big.png").write_bytes(png_header_only(5000, 4000))
    message = one_line_error(tmp_path / "big.png", max_pixels=10_000_000)
    assert "20 MP, over the 10 MP limit" in message


def test_decompression_bomb_is_a_clear_refusal_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "bomb.png").write_bytes(png_header_only(40000, 40000))
    assert "limit" in one_line_error(tmp_path / "bomb.png")


def test_image_size_reads_only_the_header(tmp_path: Path) -> None:
    (tmp_path / "big.png").write_bytes(png_header_only(5000, 4000))
    assert image_size(tmp_path / "big.png") == (5000, 4000)


# -- modes ----------------------------------------------------------------------------------
def test_16_bit_gray_is_scaled_not_clipped(tmp_path: Path) -> None:
    values = np.array([[0, 1000, 32768, 65535]], np.uint16)
    Image.fromarray(values).save(tmp_path / "deep.png")
    with Image.open(tmp_path / "deep.png") as check:
        assert check.mode.startswith("I;16")
    rgb = load_image(tmp_path / "deep.png")
    assert rgb.dtype == np.uint8 and rgb.shape == (1, 4, 3)
    assert rgb[0, :, 0].tolist() == [0, 4, 128, 255]
    assert (rgb == rgb[..., :1]).all()


def test_grayscale_becomes_three_equal_channels(tmp_path: Path) -> None:
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    Image.fromarray(gray, "L").save(tmp_path / "g.png")
    rgb = load_image(tmp_path / "g.png")
    np.testing.assert_array_equal(rgb, np.repeat(gray[..., None], 3, axis=2))


def test_rgba_is_composited_on_neutral_gray(tmp_path: Path) -> None:
    rgba = np.array([[[255, 0, 0, 255], [0, 255, 0, 0], [0, 0, 255, 128]]], np.uint8)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "t.png")
    rgb = load_image(tmp_path / "t.png").astype(int)
    assert rgb[0, 0].tolist() == [255, 0, 0]
    assert rgb[0, 1].tolist() == list(BACKGROUND)  # junk colour under alpha 0 is gone
    np.testing.assert_allclose(rgb[0, 2], [64, 64, 191], atol=2)


def test_gray_with_alpha(tmp_path: Path) -> None:
    Image.fromarray(np.array([[[200, 255], [10, 0]]], np.uint8), "LA").save(tmp_path / "la.png")
    assert load_image(tmp_path / "la.png").tolist() == [[[200] * 3, list(BACKGROUND)]]


def test_palette_and_palette_transparency(tmp_path: Path) -> None:
    image = Image.new("P", (2, 1))
    image.putpalette([0, 0, 0, 10, 200, 30] + [0] * 762)
    image.putdata([1, 0])
    image.save(tmp_path / "p.png")
    assert load_image(tmp_path / "p.png").tolist() == [[[10, 200, 30], [0, 0, 0]]]
    image.save(tmp_path / "pt.png", transparency=0)
    assert load_image(tmp_path / "pt.png").tolist() == [[[10, 200, 30], list(BACKGROUND)]]


def test_cmyk_jpeg(tmp_path: Path) -> None:
    Image.new("CMYK", (16, 16), (255, 0, 0, 0)).save(tmp_path / "c.jpg", quality=100)
    rgb = load_image(tmp_path / "c.jpg").astype(int)
    np.testing.assert_allclose(rgb[8, 8], [0, 255, 255], atol=6)  # cyan


def test_32_bit_int_in_16_bit_range_is_scaled(tmp_path: Path) -> None:
    Image.fromarray(np.array([[0, 65535]], np.int32), "I").save(tmp_path / "i.tif")
    assert load_image(tmp_path / "i.tif")[0, :, 0].tolist() == [0, 255]


def test_32_bit_int_beyond_16_bits_is_stretched(tmp_path: Path) -> None:
    Image.fromarray(np.array([[-100000, 0, 100000]], np.int32), "I").save(tmp_path / "i.tif")
    assert load_image(tmp_path / "i.tif")[0, :, 0].tolist() == [0, 128, 255]


@pytest.mark.parametrize(("values", "expected"), [
    ([0.0, 0.5, 1.0], [0, 128, 255]),
    ([-2.0, 0.0, 2.0], [0, 128, 255]),
])
def test_float_images(tmp_path: Path, values: list[float], expected: list[int]) -> None:
    Image.fromarray(np.array([values], np.float32), "F").save(tmp_path / "f.tif")
    assert load_image(tmp_path / "f.tif")[0, :, 0].tolist() == expected


# -- orientation ----------------------------------------------------------------------------
@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pillow_and_image_size(tmp_path: Path,
                                                        orientation: int) -> None:
    stored = np.zeros((20, 40, 3), np.uint8)
    stored[:4, :8] = (255, 0, 0)  # a red mark in the stored top-left corner
    stored[-4:, :8] = (0, 255, 0)
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"o{orientation}.png"
    Image.fromarray(stored).save(path, exif=exif)
    with Image.open(path) as image:
        expected = np.asarray(ImageOps.exif_transpose(image))
    loaded = load_image(path)
    np.testing.assert_array_equal(loaded, expected)
    assert image_size(path) == (loaded.shape[1], loaded.shape[0])


def test_orientation_6_jpeg_is_shown_upright_with_swapped_size(tmp_path: Path) -> None:
    stored = Image.new("RGB", (40, 20), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 8, 4))
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned clockwise: display rotated 90° clockwise
    stored.save(tmp_path / "phone.jpg", exif=exif, quality=95)
    rgb = load_image(tmp_path / "phone.jpg")
    assert rgb.shape == (40, 20, 3)
    assert image_size(tmp_path / "phone.jpg") == (20, 40)
    assert rgb[1, -2, 0] > 200 and rgb[1, 1, 0] < 50  # the mark moved to the top right


# -- finding images -------------------------------------------------------------------------
def test_find_images_natural_order_hidden_and_projects_skipped(tmp_path: Path) -> None:
    names = ["img10.jpg", "img2.JPG", "img1.png", "notes.txt", ".hidden.jpg",
             "sub/b.png", "sub/deeper/c.tif", ".cache/d.jpg", "old.panoptix/annotations/e.png",
             "mine/f.png"]
    for name in names:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    found = find_images(tmp_path, recursive=True, exclude=[tmp_path / "mine"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "img1.png", "img2.JPG", "img10.jpg", "sub/b.png", "sub/deeper/c.tif"]
    top = find_images(tmp_path)
    assert [p.name for p in top] == ["img1.png", "img2.JPG", "img10.jpg"]


def test_find_images_leaves_out_the_label_pngs_of_a_coco_panoptic_dataset(
        tmp_path: Path) -> None:
    """Opening a dataset's folder (images/ + panoptic_val/ + panoptic_val.json) must not
    take its label PNGs for photos; a panoptic_* folder without its JSON is photos."""
    for name in ("images/a.jpg", "panoptic_val/a.png", "panoptic_train/b.png",
                 "panoptic_shots/c.png"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "panoptic_val.json").write_text("{}")
    (tmp_path / "panoptic_train.json").write_text("{}")
    found = find_images(tmp_path, recursive=True)
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "images/a.jpg", "panoptic_shots/c.png"]


def test_find_images_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(b"x")
    with pytest.raises(NotADirectoryError):
        find_images(tmp_path / "a.jpg")
