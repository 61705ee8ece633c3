"""The COCO panoptic PNG codec, checked against the format's formula through Pillow."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panoptix.core.atomic import StoreError
from panoptix.core.panoptic_png import (
    PanopticPngError,
    decode_ids,
    encode_ids,
    read_panoptic_png,
    write_panoptic_png,
)

EDGE_IDS = [0, 1, 255, 256, 257, 65535, 65536, 1_000_003, 2**24 - 1]


def coco_ids(path: Path) -> np.ndarray:
    """What panopticapi computes: ``R + 256*G + 256^2*B`` of the PNG read by Pillow."""
    with Image.open(path) as image:
        rgb = np.asarray(image, dtype=np.uint32)
    return rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]


def test_channels_follow_the_coco_formula() -> None:
    rgb = encode_ids(np.array([[1, 256, 65536, 0x030201]], np.int32))
    assert rgb.tolist() == [[[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 2, 3]]]


def test_file_round_trip_matches_panopticapi(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    id_map = rng.choice(EDGE_IDS, size=(37, 53)).astype(np.int32)
    write_panoptic_png(tmp_path / "p.png", id_map)
    decoded = read_panoptic_png(tmp_path / "p.png")
    assert decoded.dtype == np.int32
    np.testing.assert_array_equal(decoded, id_map)
    np.testing.assert_array_equal(coco_ids(tmp_path / "p.png"), id_map)
    np.testing.assert_array_equal(decode_ids(encode_ids(id_map)), id_map)


def test_reads_a_png_written_by_pillow(tmp_path: Path) -> None:
    id_map = np.array([[5, 70000], [0, 2**24 - 1]], np.int64)
    rgb = np.stack([id_map % 256, id_map // 256 % 256, id_map // 65536], -1).astype(np.uint8)
    Image.fromarray(rgb, "RGB").save(tmp_path / "p.png")
    np.testing.assert_array_equal(read_panoptic_png(tmp_path / "p.png"), id_map)


@pytest.mark.parametrize("id_map", [
    np.array([[3, 2**24 - 1]], np.int64),
    np.array([[3, 2**20]], np.uint32),
    np.arange(12, dtype=np.int32).reshape(3, 4)[:, ::2],  # not contiguous
])
def test_any_integer_map_encodes(id_map: np.ndarray) -> None:
    np.testing.assert_array_equal(decode_ids(encode_ids(id_map)), id_map)


@pytest.mark.parametrize("id_map", [
    np.array([[-1, 0]], np.int32),
    np.array([[2**24]], np.int64),
    np.zeros((2, 2, 2), np.int32),
    np.zeros((2, 2), np.float32),
])
def test_unstorable_maps_are_refused(id_map: np.ndarray, tmp_path: Path) -> None:
    with pytest.raises(PanopticPngError):
        write_panoptic_png(tmp_path / "p.png", id_map)
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize(("mode", "what"), [
    ("L", "grayscale"), ("RGBA", "RGBA"), ("P", "palette"), ("I;16", "16-bit"),
])
def test_pngs_that_are_not_8_bit_rgb_are_refused(tmp_path: Path, mode: str, what: str) -> None:
    path = tmp_path / "p.png"
    Image.new(mode, (4, 3)).save(path)
    with pytest.raises(PanopticPngError, match=what):
        read_panoptic_png(path)


def test_16_bit_rgb_png_is_refused(tmp_path: Path) -> None:
    import cv2

    path = tmp_path / "p.png"
    cv2.imwrite(str(path), np.zeros((3, 4, 3), np.uint16))
    with pytest.raises(PanopticPngError, match="16-bit RGB"):
        read_panoptic_png(path)


def test_text_file_and_truncated_png_are_refused(tmp_path: Path) -> None:
    (tmp_path / "text.png").write_text("not a png at all")
    with pytest.raises(PanopticPngError, match="not a PNG"):
        read_panoptic_png(tmp_path / "text.png")
    noise = np.random.default_rng(0).integers(0, 2**24, (64, 64)).astype(np.int32)
    write_panoptic_png(tmp_path / "full.png", noise)
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[:len(data) // 2])
    with pytest.raises(PanopticPngError, match="damaged"):
        read_panoptic_png(tmp_path / "cut.png")


def test_missing_file_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        read_panoptic_png(tmp_path / "none.png")
