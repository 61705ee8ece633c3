"""The overlay renderer: LUT colours, redraw inside a box only, boundaries, unlabeled."""

from __future__ import annotations

import numpy as np
import pytest

from panoptix.core import edits
from panoptix.core.categories import load_table
from panoptix.core.document import Document
from panoptix.gui.canvas.overlay import BOUNDARY, UNLABELED_HIGHLIGHT, OverlayRenderer, pack_rgba


@pytest.fixture
def doc() -> Document:
    categories = load_table("coco_panoptic")
    document = Document.blank(60, 80, categories)
    edits.add_mask(document, np.ones((20, 30), bool), categories.find("car").id, offset=(10, 10))
    return document


def rgba_at(renderer: OverlayRenderer, x: int, y: int) -> tuple[int, ...]:
    return tuple(int(v) for v in renderer.rgba[y, x])


def test_segment_pixels_take_their_category_colour_and_unlabeled_stays_clear(qapp, doc):
    renderer = OverlayRenderer()
    renderer.show_boundaries = False
    renderer.set_document(doc)
    assert rgba_at(renderer, 0, 0) == (0, 0, 0, 0)
    inside = rgba_at(renderer, 20, 20)
    assert inside[3] == 255 and inside[:3] != (0, 0, 0)
    assert renderer.image.width() == 80 and renderer.image.height() == 60


def test_image_shares_the_numpy_buffer(qapp, doc):
    renderer = OverlayRenderer()
    renderer.set_document(doc)
    renderer.rgba[0, 0] = (1, 2, 3, 4)
    assert renderer.image.pixelColor(0, 0).getRgb() == (1, 2, 3, 4)


def test_only_the_changed_box_is_redrawn(qapp, doc):
    renderer = OverlayRenderer()
    renderer.show_boundaries = False
    renderer.set_document(doc)
    renderer.rgba[:] = 7  # mark everything as stale
    edits.delete(doc, [1])
    box = renderer.render((10, 10, 30, 40))
    assert box == (9, 9, 31, 41)  # one pixel of margin for boundaries
    assert rgba_at(renderer, 20, 20) == (0, 0, 0, 0)
    assert rgba_at(renderer, 70, 50) == (7, 7, 7, 7)  # outside the box: untouched


def test_boundaries_and_unlabeled_highlight(qapp, doc):
    renderer = OverlayRenderer()
    renderer.highlight_unlabeled = True
    renderer.set_document(doc)
    assert renderer.rgba.view(np.uint32)[0, 0, 0] == pack_rgba(*UNLABELED_HIGHLIGHT)
    assert renderer.rgba.view(np.uint32)[20, 39, 0] == pack_rgba(*BOUNDARY)  # right edge
    assert renderer.rgba.view(np.uint32)[20, 20, 0] != pack_rgba(*BOUNDARY)


def test_selection_lightens_the_segment(qapp, doc):
    renderer = OverlayRenderer()
    renderer.show_boundaries = False
    renderer.set_document(doc)
    before = rgba_at(renderer, 20, 20)
    doc.select([1])
    renderer.rebuild_lut()
    renderer.render(renderer.boxes_of({1}))
    after = rgba_at(renderer, 20, 20)
    assert all(a >= b for a, b in zip(after[:3], before[:3], strict=True)) and after != before


def test_full_render_of_a_12_megapixel_map_is_fast(qapp):
    import time

    categories = load_table("coco_panoptic")
    id_map = np.zeros((3000, 4000), np.int32)
    id_map[:1500] = 1
    id_map[1500:, 2000:] = 2
    car = categories.find("car").id
    from panoptix.core.segment import Segment

    document = Document(id_map, {1: Segment(car), 2: Segment(car)}, categories)
    renderer = OverlayRenderer()
    renderer.set_document(document)
    started = time.perf_counter()
    renderer.render((100, 100, 400, 400))
    assert time.perf_counter() - started < 0.05
