"""The README's recipe for training elsewhere: a Panoptix panoptic export, renumbered as it
says, is accepted by transformers' Pillow image processor, which refuses the raw 24-bit
segment ids."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panoptix.core.categories import load_table
from panoptix.core.coco_export import export_panoptic
from panoptix.core.document import Document
from panoptix.core.manifest import ImageStatus
from panoptix.core.project import Project
from panoptix.core.segment import Segment

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "# renumber a Panoptix panoptic export"


def readme_recipe() -> dict:
    """The README's code block that starts with :data:`MARKER`, executed."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    code = next(block for block in blocks if block.startswith(MARKER))
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)  # noqa: S102 - our own README
    return namespace


def test_the_renumbered_export_feeds_the_pillow_processor(tmp_path: Path) -> None:
    from transformers.models.mask2former import Mask2FormerImageProcessorPil

    categories = load_table("coco_panoptic")
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", (50, 40), (90, 120, 30)).save(photos / "a.jpg")
    id_map = np.zeros((40, 50), np.int64)
    id_map[:20], id_map[20:30, :25], id_map[30:, 25:] = 70000, 5, 300  # 24-bit ids
    segments = {70000: Segment(3, False), 5: Segment(1, False), 300: Segment(1, True)}
    with Project.open_or_create_for_images(photos, categories=categories) as project:
        key = project.images[0].key
        project.save_document(key, Document(id_map, segments, categories),
                              status=ImageStatus.DONE)
        export_panoptic(project, tmp_path / "out", "val")
    data = json.loads((tmp_path / "out" / "panoptic_val.json").read_text())
    annotation = data["annotations"][0]
    png = tmp_path / "out" / "panoptic_val" / annotation["file_name"]
    class_of_category = {c["id"]: i for i, c in enumerate(data["categories"])}

    renumbered, classes = readme_recipe()["processor_inputs"](
        png, annotation["segments_info"], class_of_category)
    assert renumbered.dtype == np.uint8 and renumbered.max() == 2  # the crowd left out
    processor = Mask2FormerImageProcessorPil(size={"shortest_edge": 64, "longest_edge": 128})
    image = np.asarray(Image.open(photos / "a.jpg"))
    out = processor(images=[image], segmentation_maps=[renumbered],
                    instance_id_to_semantic_id=classes, ignore_index=0, return_tensors="pt")
    assert sorted(out["class_labels"][0].tolist()) == sorted(
        [class_of_category[3], class_of_category[1]])
    assert out["mask_labels"][0].shape[0] == 2

    raw = np.asarray(Image.open(png), np.int64) @ np.array([1, 256, 65536])
    with pytest.raises(ValueError, match="255"):
        processor(images=[image], segmentation_maps=[raw],
                  instance_id_to_semantic_id={s["id"]: 0 for s in annotation["segments_info"]},
                  ignore_index=0)
