"""What the simulated annotator did, counted as the window would see it, and what it costs.

Raw counts come first (clicks, keys, polygon vertices, drags); seconds are an *estimate*
from the keystroke-level model (KLM) of Card, Moran and Newell, "The keystroke-level model
for user performance time with interactive systems", Communications of the ACM 23(7),
1980, whose operators are measured averages:

- K = 0.2 s: a key or mouse-button press (an average skilled typist, 55 wpm);
- P = 1.1 s: pointing at a target on the screen with the mouse (0.8-1.5 s by Fitts' law);
- M = 1.35 s: mentally preparing the next step (deciding what to do, finding the place);
- D = 0.9 s per straight stroke + 0.16 s per cm drawn: drawing with the mouse.

So a click is P + K = 1.3 s, which is the "1-1.5 s per polygon vertex" usually assumed for
polygon tools; a brush stroke is pointing at its start, pressing, drawing and releasing.
Every operation (a polygon, a relabel, a brush stroke, deleting a segment...) starts with one
M, and so does looking at one model segment or one proposal outline to judge it. Image
pixels become centimetres at 100 % zoom on a 96 dpi screen.

For comparison (README, "Annotation effort"): a COCO object polygon took 79.2 s on average
(Lin et al., "Microsoft COCO: Common Objects in Context", ECCV 2014); a COCO+Stuff image 19
minutes (Caesar et al. CVPR 2018, as summed by Agustsson et al., "Interactive Full Image
Segmentation by Considering All Regions Jointly", CVPR 2019); four extreme clicks 7 s per
region (Papadopoulos et al., "Extreme clicking for efficient object annotation", ICCV 2017);
Fluid Annotation took 3x less time than LabelMe on COCO+Stuff (Andriluka, Uijlings and
Ferrari, ACM Multimedia 2018).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

KEY_S = 0.2
"""KLM K: one key or button press."""
POINT_S = 1.1
"""KLM P: pointing with the mouse."""
THINK_S = 1.35
"""KLM M: mental preparation."""
STROKE_S = 0.9
"""KLM D: per straight stroke drawn."""
CM_S = 0.16
"""KLM D: per centimetre drawn."""
CM_PER_PIXEL = 2.54 / 96
"""One image pixel at 100 % zoom on a 96 dpi screen."""
LOOKING = "look"
"""What the seconds before the first operation go to: judging the pre-segmentation."""


@dataclass
class Effort:
    """Counts of what the annotator did on one image."""

    clicks: int = 0
    """Mouse clicks that are not polygon vertices (select, shift-click, fill, proposals)."""
    keys: int = 0
    """Key presses: shortcuts, Tab, Enter, digits, characters typed, Shift held for a click."""
    vertices: int = 0
    """Polygon vertices, one click each."""
    drags: int = 0
    """Brush and eraser strokes (a single dab is a drag of length 0), slider moves."""
    drag_pixels: float = 0.0
    """Total length of the drags, in image (or screen) pixels."""
    drag_pieces: int = 0
    """Straight pieces the drags are made of (KLM D counts each)."""
    decisions: int = 0
    """Operations started and things looked at: one KLM M each."""
    operations: Counter[str] = field(default_factory=Counter)
    """Operations by kind ("polygon", "relabel", "proposal", ...), for the report."""
    spent: dict[str, float] = field(default_factory=dict)
    """Estimated seconds by operation, closed ones (:meth:`by_operation` adds the open one)."""
    current: str = LOOKING
    """The operation the counts go to now (:meth:`begin`)."""
    since: float = 0.0
    """:meth:`seconds` when ``current`` began."""

    @property
    def actions(self) -> int:
        """Clicks, keys, vertices and drags: every action counted."""
        return self.clicks + self.keys + self.vertices + self.drags

    def seconds(self) -> float:
        """Estimated time (KLM, see the module docstring)."""
        click = POINT_S + KEY_S
        drag = POINT_S + 2 * KEY_S
        return (click * (self.clicks + self.vertices) + KEY_S * self.keys
                + drag * self.drags + STROKE_S * self.drag_pieces
                + CM_S * CM_PER_PIXEL * self.drag_pixels + THINK_S * self.decisions)

    def begin(self, operation: str) -> None:
        """From now on the counts are ``operation``'s seconds (until the next begin)."""
        now = self.seconds()
        self.spent[self.current] = self.spent.get(self.current, 0.0) + now - self.since
        self.current, self.since = operation, now

    def by_operation(self) -> dict[str, float]:
        """Estimated seconds by operation (an undone one's Ctrl+Z under "undone ...");
        they add up to :meth:`seconds`."""
        spent = dict(self.spent)
        spent[self.current] = spent.get(self.current, 0.0) + self.seconds() - self.since
        return {name: seconds for name, seconds in spent.items() if seconds > 0}

    def copy(self) -> Effort:
        return Effort(self.clicks, self.keys, self.vertices, self.drags, self.drag_pixels,
                      self.drag_pieces, self.decisions, Counter(self.operations),
                      dict(self.spent), self.current, self.since)

    def to_json(self) -> dict:
        return {"actions": self.actions, "seconds": round(self.seconds(), 2),
                "clicks": self.clicks, "keys": self.keys, "vertices": self.vertices,
                "drags": self.drags, "drag_pixels": round(self.drag_pixels, 1),
                "drag_pieces": self.drag_pieces, "decisions": self.decisions,
                "operations": dict(sorted(self.operations.items())),
                "operation_seconds": {k: round(v, 2)
                                      for k, v in sorted(self.by_operation().items())}}


def polygon_seconds(vertices: int) -> float:
    """A polygon of ``vertices`` clicks, closed with Enter, after one decision."""
    return THINK_S + (POINT_S + KEY_S) * vertices + KEY_S


def drag_seconds(drags: int, pieces: int, pixels: float) -> float:
    return (POINT_S + 2 * KEY_S) * drags + STROKE_S * pieces + CM_S * CM_PER_PIXEL * pixels
