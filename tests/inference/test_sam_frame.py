"""Segment Anything geometry and pixels, checked against transformers' own definitions:
where the image sits in the model's input, prompt coordinates, the pixel values
(resize, normalise, pad) and the masks brought back to the image's full resolution."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.nn import functional
from transformers import Sam2Processor, SamProcessor
from transformers.image_utils import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from transformers.models.sam.image_processing_pil_sam import SamImageProcessorPil

from panoptix.core.imageio import load_image
from panoptix.inference.sam.frame import ModelFrame
from panoptix.inference.sam.masks import upscale
from panoptix.inference.sam.pixels import IMAGENET_MEAN, IMAGENET_STD, Normalization, pixel_values
from panoptix.inference.sam.prompts import Prompts

SIZES = [(3000, 4000), (4000, 3000), (1080, 1920), (1920, 1080), (481, 641), (37, 1500),
         (1024, 1024), (7, 5)]
"""(H, W): 12 MP both ways, 1080p both ways, odd, extreme aspect, exact, tiny."""


def sam2_processor_attributes() -> dict[str, object]:
    """The class attributes of transformers' ``Sam2ImageProcessor``, read from its source:
    the module imports torchvision, which is not installed, so it cannot be imported."""
    spec = importlib.util.find_spec("transformers.models.sam2")
    assert spec is not None and spec.submodule_search_locations
    source = Path(spec.submodule_search_locations[0]) / "image_processing_sam2.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    cls = next(node for node in tree.body
               if isinstance(node, ast.ClassDef) and node.name == "Sam2ImageProcessor")
    values = {}
    for node in cls.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = ast.unparse(node.value)
    return values


def test_our_sam2_defaults_are_the_sam2_image_processors():
    attributes = sam2_processor_attributes()
    assert attributes["size"] == "{'height': 1024, 'width': 1024}"  # stretched, not padded
    assert attributes["do_pad"] == "None"
    assert attributes["resample"] == "PILImageResampling.BILINEAR"
    assert attributes["image_mean"] == "IMAGENET_DEFAULT_MEAN"
    assert attributes["image_std"] == "IMAGENET_DEFAULT_STD"
    assert tuple(IMAGENET_DEFAULT_MEAN) == IMAGENET_MEAN
    assert tuple(IMAGENET_DEFAULT_STD) == IMAGENET_STD


@pytest.mark.parametrize("size", SIZES)
def test_sam_frame_is_the_processors_longest_side_shape(size):
    frame = ModelFrame(size, 1024, keep_aspect=True)
    expected = SamImageProcessorPil()._get_preprocess_shape(size, longest_edge=1024)
    assert frame.resized == tuple(expected)
    assert ModelFrame(size, 1024, keep_aspect=False).resized == (1024, 1024)


@pytest.mark.parametrize("size", SIZES)
def test_prompt_coordinates_are_the_processors(size):
    height, width = size
    rng = np.random.default_rng(height)
    points = rng.uniform(0, [width, height], (6, 2))
    box = np.array([0.3 * width, 0.1 * height, 0.9 * width, 0.7 * height])
    sam2 = ModelFrame(size, 1024, keep_aspect=False)
    expected = Sam2Processor._normalize_coordinates(None, 1024, torch.tensor(points), size)
    np.testing.assert_allclose(sam2.to_model(points), expected.numpy(), rtol=1e-6)
    expected = Sam2Processor._normalize_coordinates(None, 1024, torch.tensor(box[None]), size,
                                                    is_bounding_box=True)
    np.testing.assert_allclose(sam2.box_to_model(box), expected.numpy()[0], rtol=1e-6)
    sam = ModelFrame(size, 1024, keep_aspect=True)
    processor = SamProcessor(image_processor=SamImageProcessorPil())
    np.testing.assert_allclose(sam.to_model(points),
                               processor._normalize_coordinates(1024, points, size), rtol=1e-6)
    np.testing.assert_allclose(
        sam.box_to_model(box),
        processor._normalize_coordinates(1024, box[None], size, is_bounding_box=True)[0],
        rtol=1e-6)
    np.testing.assert_allclose(sam2.from_model(sam2.to_model(points)), points, rtol=1e-6)


def test_prompts_become_model_inputs_in_the_frame():
    frame = ModelFrame((3000, 4000), 1024, keep_aspect=False)
    prompts = Prompts().with_point(2000, 1500).with_point(100, 2999, positive=False) \
        .with_box(4000, 3000, 400, 300)
    inputs = prompts.model_inputs(frame)
    np.testing.assert_allclose(inputs["input_points"], [[[[512, 512], [25.6, 2999 * 1024 / 3000]]]],
                               rtol=1e-6)
    assert inputs["input_labels"].tolist() == [[[1, 0]]]
    np.testing.assert_allclose(inputs["input_boxes"], [[[102.4, 102.4, 1024, 1024]]], rtol=1e-6)
    assert Prompts().with_point(-30, 5000).clamped((3000, 4000)).points == ((0.0, 2999.0, True),)
    assert Prompts().with_point(1, 2).ambiguous and not prompts.ambiguous
    assert prompts.without_last().without_last().box is not None
    assert prompts.count == 3


def test_sam2_pixels_are_resized_normalised_and_not_padded():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (3000, 4000, 3), dtype=np.uint8)
    frame = ModelFrame((3000, 4000), 1024, keep_aspect=False)
    values = pixel_values(image, frame, Normalization())
    assert values.shape == (1, 3, 1024, 1024) and values.dtype == torch.float32
    tensor = torch.from_numpy(image).permute(2, 0, 1)[None]
    resized = functional.interpolate(tensor, size=(1024, 1024), mode="bilinear",
                                     antialias=True, align_corners=False).float()
    mean = torch.tensor(IMAGENET_DEFAULT_MEAN).view(1, 3, 1, 1) * 255
    std = torch.tensor(IMAGENET_DEFAULT_STD).view(1, 3, 1, 1) * 255
    torch.testing.assert_close(values, (resized - mean) / std)


def test_a_flat_colour_normalises_to_the_processors_values():
    image = np.full((300, 500, 3), (255, 128, 0), np.uint8)
    values = pixel_values(image, ModelFrame((300, 500), 256, keep_aspect=True), Normalization())
    expected = (np.array([255, 128, 0]) / 255 - IMAGENET_MEAN) / np.array(IMAGENET_STD)
    inside = values[0, :, :154, :256].reshape(3, -1)
    np.testing.assert_allclose(inside.numpy(), np.repeat(expected[:, None], inside.shape[1], 1),
                               rtol=1e-5)
    assert not values[0, :, 154:, :].any()  # padding: zeros after normalisation


def test_sam_pixels_match_the_pillow_processor():
    rng = np.random.default_rng(1)
    smooth = rng.integers(0, 256, (30, 40, 3)).astype(np.uint8)
    image = np.asarray(Image.fromarray(smooth).resize((1300, 975), Image.Resampling.BICUBIC))
    frame = ModelFrame(image.shape[:2], 1024, keep_aspect=True)
    ours = pixel_values(image, frame, Normalization()).numpy()[0]
    theirs = SamImageProcessorPil()(images=image, return_tensors="np")["pixel_values"][0]
    assert ours.shape == theirs.shape == (3, 1024, 1024)
    # Pillow's and torch's antialiased bilinear kernels round differently by a level
    one_level = 1 / 255 / min(IMAGENET_STD)
    assert np.abs(ours - theirs).max() <= 2 * one_level
    assert np.abs(ours - theirs).mean() < 0.1 * one_level


def blob(low: int = 256, rows: tuple[int, int] = (64, 128),
         cols: tuple[int, int] = (32, 96)) -> torch.Tensor:
    logits = torch.full((low, low), -10.0)
    logits[rows[0]:rows[1], cols[0]:cols[1]] = 10.0
    return logits


@pytest.mark.parametrize(("size", "box"), [
    ((3000, 4000), (750, 500, 1500, 1500)),
    ((4000, 3000), (1000, 375, 2000, 1125)),
    ((1080, 1920), (270, 240, 540, 720)),
])
def test_a_blob_in_the_decoder_output_is_the_right_pixels_at_full_resolution(size, box):
    """Low-resolution cells [a, b) cover image rows [a H / 256, b H / 256) once stretched:
    a +-10 step crosses zero half-way between sample centres, exactly there (bilinear
    interpolation rounds the corners a little, as the processor's does)."""
    placed = upscale(blob(), ModelFrame(size, 1024, keep_aspect=False))
    assert placed is not None
    found, mask = placed
    assert found == box  # the tight box: nothing outside it
    height, width = mask.shape
    assert mask[:, width // 2].all() and mask[height // 2, :].all()
    assert mask[height // 8:-height // 8, width // 8:-width // 8].all()
    assert mask.sum() > 0.99 * mask.size


@pytest.mark.parametrize("size", SIZES)
def test_upscaled_masks_equal_the_processors_post_processing(size):
    rng = np.random.default_rng(size[0] + size[1])
    yy, xx = np.mgrid[:256, :256]
    logits = torch.from_numpy((30 - np.hypot(yy - 120, xx - 90)
                               + rng.normal(0, 3, (256, 256))).astype(np.float32))
    sam2 = upscale(logits, ModelFrame(size, 1024, keep_aspect=False))
    reference = functional.interpolate(logits[None, None], size, mode="bilinear",
                                       align_corners=False)[0, 0] > 0  # Sam2ImageProcessor's
    assert np.array_equal(_full(sam2, size), reference.numpy())
    frame = ModelFrame(size, 1024, keep_aspect=True)
    sam = upscale(logits, frame)
    reference = SamImageProcessorPil().post_process_masks(
        [logits[None, None]], [size], [frame.resized])[0][0, 0]
    assert np.array_equal(_full(sam, size), reference.numpy())


def test_an_empty_mask_is_none():
    assert upscale(torch.full((256, 256), -1.0), ModelFrame((480, 640), 1024, False)) is None


def _full(placed, size) -> np.ndarray:  # noqa: ANN001
    full = np.zeros(size, bool)
    if placed is not None:
        (y0, x0, y1, x1), mask = placed
        full[y0:y1, x0:x1] = mask
    return full


def test_exif_rotated_photos_are_framed_as_displayed(tmp_path):
    """A phone photo stored 400x300 with orientation 6 is shown 300 wide, 400 high: the
    model sees that image, and prompts and masks use its coordinates."""
    stored = np.zeros((300, 400, 3), np.uint8)
    stored[:100, :100] = (255, 0, 0)  # top-left as stored: top-right once rotated
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "phone.jpg"
    Image.fromarray(stored).save(path, exif=exif, quality=98)
    image = load_image(path)
    assert image.shape[:2] == (400, 300)
    frame = ModelFrame(image.shape[:2], 1024, keep_aspect=False)
    values = pixel_values(image, frame, Normalization())
    red = values[0, 0]
    assert red[:200, 600:].mean() > red[:200, :400].mean() + 1.0  # red sits top-right
    np.testing.assert_allclose(frame.to_model(np.array([[299.0, 399.0]])),
                               [[299 * 1024 / 300, 399 * 1024 / 400]], rtol=1e-6)
    placed = upscale(blob(rows=(0, 64), cols=(128, 256)), frame)
    assert placed is not None and placed[0] == (0, 150, 100, 300)
