"""The Segment Anything tool (S): click an object, get its mask from SAM 2, accept it.

A left click adds a positive point, Shift+click or a right click a negative one, a drag
draws the box; the preview follows each prompt. A single point gives SAM's three
candidates, best first by the model's predicted IoU; Tab (Shift+Tab back) cycles them
(with more prompts, Tab asks for the alternatives too). Enter makes the mask a new
segment: of the current category, or, when the image has kept model outputs, of the
category picked in the picker, which offers the panoptic model's top guesses for the
region first. Shift+Enter adds the mask to the selected segment instead. Either is one
undo step through ``core.edits``, and takes only unlabeled pixels while "Protect Labeled
Pixels" (Ctrl+P) is on. Backspace removes the last prompt, Esc clears them.

The masks come from a :class:`SamSource` (``sam_controller.SamController``): the
embedding is made on the worker thread, each prompt is answered on a decoder thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsRectItem,
)

from panoptix.core import edits
from panoptix.core.document import Document
from panoptix.core.stats import Box
from panoptix.gui.canvas.canvas import PointerEvent
from panoptix.gui.tools.proposal_tool import outline_path
from panoptix.gui.tools.tools import Tool, ToolHost, register_tool, single_selected
from panoptix.inference.sam.predictor import MaskCandidate, Prediction
from panoptix.inference.sam.prompts import Prompts

DRAG_PX = 5
"""A press that moves this many screen pixels before release draws a box, not a point."""
MARKER_PX = 6
POSITIVE, NEGATIVE = QColor("#2ecc71"), QColor("#ff4d4d")
PREVIEW = QColor("#00e5ff")
HINT = "Tab: next mask · Enter: new segment · Shift+Enter: add to selected · Esc: clear"

Suggestion = tuple[int, float | None]


class SamSource(Protocol):
    """Where the tool gets its masks and category suggestions."""

    def predict(self, prompts: Prompts, multimask: bool | None = None) -> None:
        """Answer ``prompts`` (later, by :meth:`SamTool.show_prediction`)."""
        ...

    def guesses(self, box: Box, mask: object) -> list[tuple[int, float]]:
        """The panoptic model's top categories for the region; empty without raw outputs."""
        ...

    def pick_category(self, suggestions: list[Suggestion], chosen: Callable[[int], None]) -> None:
        """Open the category picker with ``suggestions`` on top; call ``chosen(id)``."""
        ...

    def not_now(self) -> str | None:
        """Why a mask cannot be accepted now (None: it can)."""
        ...


def _pen(color: QColor, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(color, width, style)
    pen.setCosmetic(True)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


@register_tool
class SamTool(Tool):
    name = "segment_anything"
    text = "Segment &Anything"
    icon = "mdi6.creation"
    shortcut = "S"
    protect_group = "segment_anything"
    protect_default = True
    """Its masks spill onto neighbours: by default it only takes unlabeled pixels."""
    tip = ("Click an object for its mask (SAM 2): click = positive point, Shift+click or "
           "right click = negative point, drag = box; Tab cycles the masks, Enter accepts "
           "as a new segment, Shift+Enter adds to the selected segment, Backspace removes "
           "the last prompt, Esc clears")

    def __init__(self, host: ToolHost) -> None:
        super().__init__(host)
        self.source: SamSource | None = None
        self.prompts = Prompts()
        self.prediction: Prediction | None = None
        self.candidates: list[MaskCandidate] = []
        self.current = 0
        self._doc: Document | None = None
        self._press: PointerEvent | None = None
        self._dragging = False
        self._fill = QGraphicsPathItem()
        self._fill.setPen(_pen(PREVIEW, 2.0))
        self._fill.setBrush(QBrush(QColor(0, 229, 255, 80)))
        self._box = QGraphicsRectItem()
        self._box.setPen(_pen(QColor("#ffd400"), 1.5, Qt.PenStyle.DashLine))
        self._markers: list[QGraphicsEllipseItem] = []
        for item in (self._fill, self._box):
            item.setVisible(False)
            host.canvas.add_item(item)

    @property
    def candidate(self) -> MaskCandidate | None:
        return self.candidates[self.current] if self.candidates else None

    # -- pointer -----------------------------------------------------------------------
    def press(self, event: PointerEvent) -> None:
        if self.doc is None or event.button not in (Qt.MouseButton.LeftButton,
                                                    Qt.MouseButton.RightButton):
            return
        if self._doc is not self.doc:
            self.clear()
            self._doc = self.doc
        self._press, self._dragging = event, False

    def move(self, event: PointerEvent) -> None:
        start = self._press
        if start is None or start.button != Qt.MouseButton.LeftButton:
            return
        distance = max(abs(event.x - start.x), abs(event.y - start.y))
        if distance * self.host.canvas.scale_factor >= DRAG_PX:
            self._dragging = True
        if self._dragging:
            self._box.setRect(QRectF(QPointF(start.x, start.y),
                                     QPointF(event.x, event.y)).normalized())
            self._box.setVisible(True)

    def release(self, event: PointerEvent) -> None:
        start, self._press = self._press, None
        if start is None or self.doc is None or event.button != start.button:
            return
        # model coordinates: pixel i spans [i, i + 1); the scene puts its centre at i + 0.5
        if self._dragging:
            self._dragging = False
            prompts = self.prompts.with_box(start.x - 0.5, start.y - 0.5, event.x - 0.5,
                                            event.y - 0.5)
        else:
            positive = start.button == Qt.MouseButton.LeftButton and not start.shift
            prompts = self.prompts.with_point(start.x - 0.5, start.y - 0.5, positive)
        self.ask(prompts.clamped(self.doc.shape))

    # -- keys --------------------------------------------------------------------------
    def wants_key(self, event: QKeyEvent) -> bool:
        plain = not event.modifiers() & (Qt.KeyboardModifier.ControlModifier
                                         | Qt.KeyboardModifier.AltModifier)
        return plain and not self.prompts.is_empty and event.key() in (
            Qt.Key.Key_Tab, Qt.Key.Key_Backtab, Qt.Key.Key_Return, Qt.Key.Key_Enter,
            Qt.Key.Key_Escape, Qt.Key.Key_Backspace)

    def key(self, event: QKeyEvent) -> bool:
        if not self.wants_key(event):
            return False
        key = event.key()
        if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
            self.cycle(-1 if key == Qt.Key.Key_Backtab else 1)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.accept(add_to_selected=bool(
                event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
        elif key == Qt.Key.Key_Backspace:
            remaining = self.prompts.without_last()
            if remaining.is_empty:
                self.clear()
            else:
                self.ask(remaining)
        else:
            self.clear()
            self.host.report("Segment Anything: prompts cleared")
        return True

    def deactivate(self) -> None:
        self.clear()

    # -- prompts and answers -------------------------------------------------------------
    def ask(self, prompts: Prompts, multimask: bool | None = None) -> None:
        """Show ``prompts`` and ask the source for their masks."""
        self.prompts, self._doc = prompts, self.doc
        self._box.setVisible(prompts.box is not None)
        if prompts.box is not None:
            x0, y0, x1, y1 = prompts.box
            self._box.setRect(QRectF(QPointF(x0 + 0.5, y0 + 0.5), QPointF(x1 + 0.5, y1 + 0.5)))
        self._draw_markers()
        if self.source is None:
            self.host.report("Segment Anything is not available in this window")
        else:
            self.source.predict(prompts, multimask)

    def wants(self, prompts: Prompts, doc: Document | None) -> bool:
        """Whether an answer for ``prompts`` on ``doc`` is still what the tool shows."""
        return prompts == self.prompts and doc is self.doc and doc is self._doc

    def show_prediction(self, prediction: Prediction) -> None:
        """The source's answer for the current prompts."""
        alternatives = (prediction.multimask and self.prediction is not None
                        and not self.prediction.multimask
                        and self.prediction.prompts == prediction.prompts)
        if alternatives:
            # SAM 2 answers an unstable single mask with its best multimask one: no twice
            single = self.candidates[:1]
            self.candidates = [*single, *(c for c in prediction.candidates
                                          if not any(c.same_as(s) for s in single))]
            self.current = min(1, len(self.candidates) - 1)
        else:
            self.candidates, self.current = list(prediction.candidates), 0
        self.prediction = prediction
        if not self.candidates:
            self._fill.setVisible(False)
            self.host.report("Segment Anything found no mask here: add or move a point")
            return
        self.show(self.current, prediction.seconds)

    def cycle(self, delta: int) -> None:
        prediction = self.prediction
        if prediction is None:
            return
        if not prediction.multimask and len(self.candidates) == 1 and self.source is not None:
            self.source.predict(self.prompts, True)  # the alternatives, on demand
            return
        if self.candidates:
            self.show((self.current + delta) % len(self.candidates))

    def show(self, position: int, seconds: float | None = None) -> None:
        self.current = position
        candidate = self.candidates[position]
        if candidate.placed is None:
            self._fill.setVisible(False)
            self.host.report(f"mask {position + 1} of {len(self.candidates)} is empty at this "
                             f"image's size - {HINT}")
            return
        self._fill.setPath(outline_path(candidate.box, candidate.mask))
        self._fill.setVisible(True)
        timing = f", {seconds * 1000:.0f} ms" if seconds is not None else ""
        self.host.report(f"mask {position + 1} of {len(self.candidates)} (IoU "
                         f"{candidate.iou:.2f}, {candidate.area:,} px{timing}) - {HINT}")

    def clear(self) -> None:
        self.prompts, self.prediction, self.candidates, self.current = Prompts(), None, [], 0
        self._press, self._dragging, self._doc = None, False, None
        self._fill.setVisible(False)
        self._fill.setPath(QPainterPath())
        self._box.setVisible(False)
        self._draw_markers()

    def _draw_markers(self) -> None:
        scene = self.host.canvas.scene()
        for marker in self._markers:
            scene.removeItem(marker)
        self._markers = []
        for x, y, positive in self.prompts.points:
            marker = QGraphicsEllipseItem(QRectF(-MARKER_PX, -MARKER_PX, 2 * MARKER_PX,
                                                 2 * MARKER_PX))
            marker.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
            marker.setPen(_pen(QColor("#ffffff"), 1.5))
            marker.setBrush(POSITIVE if positive else NEGATIVE)
            marker.setPos(x + 0.5, y + 0.5)
            self.host.canvas.add_item(marker)
            marker.setZValue(12)
            self._markers.append(marker)

    # -- accepting ---------------------------------------------------------------------
    def accept(self, add_to_selected: bool = False) -> None:
        """Make the current mask a new segment, or add it to the selected one."""
        candidate, doc = self.candidate, self.doc
        if candidate is None or candidate.placed is None or doc is None or doc is not self._doc:
            self.host.report("no mask yet: wait for the preview, or click the object")
            return
        reason = self.source.not_now() if self.source is not None else None
        if reason is not None:
            self.host.report(reason)
            return
        if self.host.protect_labeled and not _has_unlabeled(doc, candidate):
            self.host.report("nothing to add: the mask's pixels are all labeled already "
                             "(Ctrl+P turns off Protect Labeled Pixels to take them)")
            return
        if add_to_selected:
            target = single_selected(doc)
            if target is None:
                self.host.report("select one segment to add the mask to (Shift+Enter)")
                return
            changed = self.host.run(edits.paint_region, doc, candidate.mask, target, None,
                                    offset=candidate.box[:2],
                                    only_unlabeled=self.host.protect_labeled,
                                    label="Segment Anything")
            self._accepted(doc, changed)
            return
        current = self.host.category_id
        guesses = self.source.guesses(candidate.box, candidate.mask) if self.source else []
        if guesses and self.source is not None:
            suggestions: list[Suggestion] = list(guesses)
            if current is not None and current not in {c for c, _ in guesses}:
                suggestions.append((current, None))
            self.source.pick_category(
                suggestions, lambda category_id: self._insert(doc, candidate, category_id))
        elif current is None:
            self.host.report("choose a category for the new segment first")
        else:
            self._insert(doc, candidate, current)

    def _insert(self, doc: Document, candidate: MaskCandidate, category_id: int) -> None:
        if doc is not self.doc or candidate is not self.candidate:
            return  # the image or the mask changed while the picker was open
        created = self.host.run(edits.add_mask, doc, candidate.mask, category_id,
                                offset=candidate.box[:2],
                                only_unlabeled=self.host.protect_labeled,
                                label="Segment Anything")
        self._accepted(doc, created)

    def _accepted(self, doc: Document, segment_id: object) -> None:
        if not isinstance(segment_id, int):
            return  # refused (the reason is reported) or nothing changed
        area = doc.area(segment_id)
        self.clear()
        doc.select([segment_id])
        self.host.report(f"Segment Anything: segment #{segment_id} now has {area:,} px")


def _has_unlabeled(doc: Document, candidate: MaskCandidate) -> bool:
    y0, x0, y1, x1 = candidate.box
    return bool((doc.id_map[y0:y1, x0:x1][candidate.mask] == 0).any())
