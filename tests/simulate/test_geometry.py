"""Where the simulated annotator puts the mouse."""

from __future__ import annotations

import numpy as np
import pytest

from panoptix.core import edits
from panoptix.core.document import Document
from panoptix.simulate import geometry
from panoptix.synth import synth_categories
from panoptix.synth.categories import category_id


def blob(shape: tuple[int, int] = (60, 80)) -> np.ndarray:
    y, x = np.mgrid[0:shape[0], 0:shape[1]]
    ring = ((y - 30) ** 2 / 400 + (x - 40) ** 2 / 900 <= 1) & ((y - 30) ** 2 + (x - 40) ** 2 > 40)
    return ring | ((y > 5) & (y < 8) & (x > 10) & (x < 70))  # and a thin bar


@pytest.mark.parametrize("size", [1, 3, 7])
def test_brush_strokes_paint_inside_the_region_only(size: int) -> None:
    region = blob()
    doc = Document.blank(*region.shape, synth_categories())
    for stroke in geometry.strokes(region, size):
        painter = edits.BrushStroke(doc, size / 2, category_id=category_id("grass-merged"))
        for x, y in stroke:
            painter.line_to(float(x), float(y))
        painter.finish()
    painted = doc.id_map > 0
    assert painted.any()
    assert not (painted & ~region).any()
    if size == 1:
        assert (painted == region).all()  # a one-pixel brush reaches everything


def paint(shape: tuple[int, int], strokes: list[list[geometry.Point]], size: int) -> np.ndarray:
    doc = Document.blank(*shape, synth_categories())
    for stroke in strokes:
        painter = edits.BrushStroke(doc, size / 2, category_id=category_id("grass-merged"))
        for x, y in stroke:
            painter.line_to(float(x), float(y))
        painter.finish()
    return doc.id_map > 0


@pytest.mark.parametrize("size", [1, 3])
def test_strokes_go_on_over_the_segment_they_paint_into(size: int) -> None:
    """A segment's ragged edge: notches every few rows along it. The brush may pass over
    the segment's own pixels, so one drag follows the edge instead of a drag per notch,
    and still paints nothing outside the notches and the segment."""
    own = np.zeros((80, 60), bool)
    own[5:75, 10:30 + size] = True
    gaps = np.zeros_like(own)
    for y in range(8, 72, 6):
        gaps[y:y + 3, 30:30 + size] = True
    own &= ~gaps
    alone = geometry.strokes(gaps, size)
    along = geometry.strokes(gaps, size, through=own)
    assert len(along) < len(alone) / 3
    painted = paint(own.shape, along, size)
    assert not (painted & ~(own | gaps)).any()
    assert (painted & gaps).sum() >= (paint(own.shape, alone, size) & gaps).sum()


def test_the_brush_fits_the_thickest_part() -> None:
    region = np.zeros((40, 40), bool)
    region[10:30, 10:30] = True
    assert geometry.brush_size(region) == 19
    assert geometry.brush_size(region[10:12]) == 1


def test_brush_size_keys_follow_the_editor_steps() -> None:
    assert geometry.resize_brush(15, 15) == (0, 15)
    presses, size = geometry.resize_brush(15, 1)
    assert size == 1 and presses == 10  # 15 12 10 8 7 6 5 4 3 2 1
    presses, size = geometry.resize_brush(1, 9)
    assert presses == 7 and size == 8  # 1..8 by ones; the next step would be 10


def test_polygons_follow_the_outline_within_a_pixel_and_a_half() -> None:
    region = blob()
    outline = geometry.polygons(region)[0]
    doc = Document(np.zeros(region.shape, np.int32), {}, synth_categories())
    edits.fill_polygon(doc, [tuple(map(float, p)) for p in outline], category_id("car"))
    drawn = doc.id_map > 0
    filled = drawn | region
    assert (drawn & region).sum() / filled.sum() > 0.8
    assert len(outline) < 0.3 * np.count_nonzero(region ^ np.roll(region, 1, 0))


def test_the_click_for_a_region_is_inside_it() -> None:
    region = blob()
    x, y = geometry.interior_point(region, (100, 200))
    assert region[y - 100, x - 200]
