"""What the annotator told the segmenter: positive and negative points and at most one box.

Coordinates are image pixels (``x``, ``y``; pixel ``i`` spans ``[i, i + 1)``, see
:mod:`.frame`). A prompt is immutable: each click makes a new one, so a request in flight
never sees a later click.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from panoptix.inference.sam.frame import ModelFrame

Point = tuple[float, float, bool]
"""(x, y, positive)."""
BoxXY = tuple[float, float, float, float]
"""(x0, y0, x1, y1) with x0 <= x1 and y0 <= y1."""


@dataclass(frozen=True)
class Prompts:
    points: tuple[Point, ...] = ()
    box: BoxXY | None = None

    @property
    def is_empty(self) -> bool:
        return not self.points and self.box is None

    @property
    def count(self) -> int:
        """Prompts given: each point, and the box."""
        return len(self.points) + (self.box is not None)

    @property
    def ambiguous(self) -> bool:
        """A single point: the model's three multimask candidates suit it best (SAM and
        SAM 2 are trained so); more prompts are answered by the single-mask output."""
        return len(self.points) == 1 and self.box is None

    def with_point(self, x: float, y: float, positive: bool = True) -> Prompts:
        return replace(self, points=(*self.points, (float(x), float(y), bool(positive))))

    def with_box(self, x0: float, y0: float, x1: float, y1: float) -> Prompts:
        box = (float(min(x0, x1)), float(min(y0, y1)), float(max(x0, x1)), float(max(y0, y1)))
        return replace(self, box=box)

    def without_last(self) -> Prompts:
        """Drop the last point, else the box."""
        if self.points:
            return replace(self, points=self.points[:-1])
        return replace(self, box=None)

    def clamped(self, image_size: tuple[int, int]) -> Prompts:
        """Inside the image: a click on the canvas margin lands on the nearest edge pixel."""
        height, width = image_size

        def clamp(x: float, y: float) -> tuple[float, float]:
            return min(max(x, 0.0), width - 1.0), min(max(y, 0.0), height - 1.0)

        points = tuple((*clamp(x, y), positive) for x, y, positive in self.points)
        box = None
        if self.box is not None:
            box = (*clamp(*self.box[:2]), *clamp(*self.box[2:]))
        return Prompts(points, box)  # type: ignore[arg-type]

    def model_inputs(self, frame: ModelFrame) -> dict[str, np.ndarray]:
        """The arrays ``Sam2Model``/``SamModel`` take, in the model's frame: points
        (1, 1, N, 2) with labels (1, 1, N) (1 positive, 0 negative), box (1, 1, 4)."""
        inputs: dict[str, np.ndarray] = {}
        if self.points:
            xy = np.array([(x, y) for x, y, _ in self.points], np.float64)
            inputs["input_points"] = frame.to_model(xy)[None, None]
            inputs["input_labels"] = np.array([[[int(p) for _, _, p in self.points]]],
                                              np.int64)
        if self.box is not None:
            inputs["input_boxes"] = frame.box_to_model(self.box)[None, None]
        return inputs
