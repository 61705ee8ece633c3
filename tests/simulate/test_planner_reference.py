"""The simulation's quick searches find exactly what the plain ones find.

The vertex planner and the brush's way-finder were made quicker (the effort benchmark spent
minutes per harbour image in them); the plans, and so every simulated second, must stay
the same. Each quick search is compared here with the plain search it replaced, on ragged
random shapes where ties and near-misses happen.
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np
import pytest

from panoptix.core.document import Document
from panoptix.core.segment import Segment
from panoptix.simulate import vertices
from panoptix.simulate.geometry import _Ways
from panoptix.synth import synth_categories
from panoptix.synth.categories import category_id

SIZE = (120, 160)
ROAD, THING = 1, 2


def fifo_ways(inside: np.ndarray, start: tuple[int, int], limit: int) -> dict:
    """The plain breadth-first search: first in, first out, steps in a fixed order."""
    came: dict = {start: None}
    frontier = deque([(start, 0)])
    height, width = inside.shape
    while frontier:
        (x, y), steps = frontier.popleft()
        if steps == limit:
            continue
        for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1)):
            nx, ny = x + dx, y + dy
            if 0 <= nx < width and 0 <= ny < height and (nx, ny) not in came \
                    and inside[ny, nx]:
                came[(nx, ny)] = (x, y)
                frontier.append(((nx, ny), steps + 1))
    return came


def fifo_way(came: dict, target: tuple[int, int]) -> list:
    way = [target]
    while (previous := came[way[-1]]) is not None:
        way.append(previous)
    return way[-2::-1]


@pytest.mark.parametrize("seed", range(40))
def test_the_brush_finds_the_same_ways_round_as_a_plain_search(seed: int) -> None:
    rng = np.random.default_rng(seed)
    height, width = (int(v) for v in rng.integers(5, 50, 2))
    inside = rng.random((height, width)) < rng.uniform(0.45, 0.95)
    start = (int(rng.integers(0, width)), int(rng.integers(0, height)))
    limit = int(rng.integers(1, 25))
    plain, quick = fifo_ways(inside, start, limit), _Ways(inside, start, limit)
    for y in range(-1, height + 1):
        for x in range(-1, width + 1):
            assert quick.reaches((x, y)) == ((x, y) in plain)
            if (x, y) in plain:
                assert quick.way_to((x, y)) == fifo_way(plain, (x, y))


def ragged(rng: np.random.Generator, centre: tuple[int, int], radius: float) -> np.ndarray:
    """A blob with a bumpy edge (a model's edge, or a true one)."""
    angles = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    radii = radius * (1 + 0.25 * rng.standard_normal(40).clip(-2, 2))
    points = np.stack([centre[0] + radii * np.cos(angles),
                       centre[1] + radii * np.sin(angles)], axis=1)
    mask = np.zeros(SIZE, np.uint8)
    cv2.fillPoly(mask, [np.rint(points).astype(np.int32)], 1)
    return mask.astype(bool)


def almost_right(seed: int) -> tuple[Document, np.ndarray, np.ndarray]:
    """A thing segment near its ragged ground truth, the truth, and who should hold what."""
    rng = np.random.default_rng(seed)
    truth = ragged(rng, (80, 60), 30)
    held = ragged(rng, (80 + int(rng.integers(-4, 5)), 60 + int(rng.integers(-4, 5))), 30)
    id_map = np.where(held, THING, ROAD).astype(np.int32)
    doc = Document(id_map, {ROAD: Segment(category_id("road")),
                            THING: Segment(category_id("car"))}, synth_categories())
    return doc, truth, np.where(truth, THING, ROAD)


def plain_candidates(edit, edge: np.ndarray, near: np.ndarray,
                     origin: tuple[int, int]) -> list[vertices.Drag]:
    """Every true edge pixel against every vertex and polygon edge."""
    owners = [(index, vertex) for index, contour in enumerate(edit.contours)
              for vertex in range(len(contour.points))]
    y0, x0 = origin
    a = np.concatenate([c.points for c in edit.contours]).astype(float)
    b = np.concatenate([np.roll(c.points, -1, axis=0) for c in edit.contours]).astype(float)
    along = b - a
    length2 = np.maximum((along ** 2).sum(axis=1), 1e-9)
    relative = edge[:, None, :] - a[None]
    t = np.clip((relative * along[None]).sum(axis=2) / length2[None], 0.0, 1.0)
    offset = np.hypot(*(relative - t[..., None] * along[None]).transpose(2, 0, 1))
    nearest_edge = offset.argmin(axis=1)
    found = []
    for number, (index, vertex) in enumerate(owners):
        x, y = int(a[number, 0]), int(a[number, 1])
        if vertices._inside(near, x - x0, y - y0):
            distance = np.hypot(edge[:, 0] - x, edge[:, 1] - y)
            nearest = int(distance.argmin())
            if 0 < distance[nearest] <= vertices.REACH:
                found.append(vertices.Drag(index, vertex, False, int(edge[nearest, 0]),
                                           int(edge[nearest, 1]), float(distance[nearest])))
        middle = (a[number] + b[number]) / 2
        if length2[number] < 4 or not vertices._inside(near, int(middle[0]) - x0,
                                                       int(middle[1]) - y0):
            continue
        beside = ((nearest_edge == number) & (t[:, number] > 0.15) & (t[:, number] < 0.85)
                  & (offset[:, number] >= vertices.BESIDE)
                  & (offset[:, number] <= vertices.REACH))
        if beside.any():
            pick = int(np.argmax(np.where(beside, offset[:, number], -1.0)))
            found.append(vertices.Drag(index, vertex, True, int(edge[pick, 0]),
                                       int(edge[pick, 1]), float(offset[pick, number])))
    return found


@pytest.mark.parametrize("seed", range(12))
def test_the_vertex_planner_offers_the_drags_a_plain_search_offers(seed: int) -> None:
    doc, truth, _expected = almost_right(seed)
    for detail in vertices.TRIED_DETAILS:
        edit = vertices.session(doc, THING, detail)
        box = vertices._box(doc, THING, truth, vertices.REACH + edit.band + 2)
        y0, x0, y1, x1 = box
        traced = vertices._edge_points(truth[y0:y1, x0:x1], (y0, x0))
        held = doc.id_map[y0:y1, x0:x1] == THING
        near = cv2.dilate((held ^ truth[y0:y1, x0:x1]).astype(np.uint8),
                          np.ones((5, 5), np.uint8)).astype(bool)
        quick = vertices._candidates(edit, vertices._EdgePixels(traced, box), near, (y0, x0))
        assert quick == plain_candidates(edit, traced, near, (y0, x0))
        assert quick, "a ragged near-miss offers drags"


@pytest.mark.parametrize("seed", range(6))
def test_a_plan_with_remembered_gains_is_the_plan_measured_afresh(seed: int,
                                                                  monkeypatch) -> None:
    doc, truth, expected = almost_right(seed)
    remembered = vertices.plan(doc, THING, truth, expected, 0.97)
    monkeypatch.setattr(vertices._State, "gain",
                        lambda state, drag: state._measure(drag)[1])
    afresh = vertices.plan(doc, THING, truth, expected, 0.97)
    assert remembered is not None and len(remembered.drags) >= 2
    assert remembered == afresh
