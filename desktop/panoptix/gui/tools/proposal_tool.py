"""The proposal tool (C): the model's own mask proposals under a click, cycled and accepted.

A click lists the proposals that cover the pixel, labelled or not (best first by label
probability x mask confidence), outlines the current one and shows the ranked list beside
the click. The wheel or Tab (Shift+Tab back) cycles; Enter accepts the proposal with its
label as one undo step, taking its pixels from whatever held them; Shift+Enter opens the
category picker on the proposal's own top guesses and accepts with the category chosen;
Esc drops the list. The proposals come from the image's kept raw outputs through a
``ProposalSource`` (the ``AssistController``), which builds the index once per image.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Protocol

import cv2
import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsTextItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from panoptix.core.document import Document
from panoptix.gui.canvas.canvas import PointerEvent
from panoptix.gui.tools.tools import Tool, ToolHost, register_tool
from panoptix.inference.assist import AssistContext, Candidate, Guess
from panoptix.inference.proposals import Box, accept_proposal

OUTLINE = QColor("#ffd400")
LIST_ROWS = 8
"""Rows of the list shown at once; it scrolls with the current proposal."""
LIST_OFFSET = 18
"""Screen pixels between the outlined proposal and the list."""
HINT = "Tab / wheel: next · Enter: accept · Shift+Enter: label… · Esc"


class ProposalSource(Protocol):
    """Where the tool gets the image's proposals and a category picker."""

    def context(self) -> AssistContext | None:
        """The current image's assist context; None (and a message) without raw outputs."""
        ...

    def min_score(self) -> float:
        """The lowest proposal score to offer (follows the score threshold down)."""
        ...

    def pick_category(self, suggestions: list[Guess], chosen: Callable[[int], None]) -> None:
        """Open the category picker with ``suggestions`` on top; call ``chosen(id)``."""
        ...


def outline_path(box: Box, mask: np.ndarray) -> QPainterPath:
    """The mask's outer and hole contours, through the centres of its border pixels."""
    y0, x0 = box[0], box[1]
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST,
                                   cv2.CHAIN_APPROX_SIMPLE)
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.OddEvenFill)
    for contour in contours:
        points = contour[:, 0, :].astype(np.float64) + (x0 + 0.5, y0 + 0.5)
        path.moveTo(QPointF(*points[0]))
        for x, y in points[1:]:
            path.lineTo(QPointF(x, y))
        path.closeSubpath()
    return path


class ProposalList(QGraphicsTextItem):
    """The ranked list beside the click, drawn at screen size whatever the zoom."""

    def __init__(self) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setDefaultTextColor(QColor("#f0f0f0"))
        self.setVisible(False)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.setPen(QPen(QColor(0, 0, 0, 160), 1))
        painter.setBrush(QColor(28, 28, 28, 230))
        painter.drawRoundedRect(self.boundingRect(), 4, 4)
        super().paint(painter, option, widget)


@register_tool
class ProposalTool(Tool):
    name = "propose"
    text = "Model &Proposals"
    icon = "mdi6.auto-fix"
    shortcut = "C"
    tip = ("Click anywhere to list the model's mask proposals there; wheel or Tab cycles, "
           "Enter accepts, Shift+Enter accepts with another label, Esc cancels")

    def __init__(self, host: ToolHost) -> None:
        super().__init__(host)
        self.source: ProposalSource | None = None
        self.candidates: list[Candidate] = []
        self.current = 0
        self._context: AssistContext | None = None
        self._doc: Document | None = None
        self._click = QPointF()
        self._masks: dict[int, tuple[Box, np.ndarray] | None] = {}
        self._shadow = QGraphicsPathItem()
        self._shadow.setPen(self._pen(QColor(0, 0, 0, 200), 4.0))
        self._outline = QGraphicsPathItem()
        self._outline.setPen(self._pen(OUTLINE, 2.0))
        self._outline.setBrush(QBrush(QColor(255, 212, 0, 70)))
        self._list = ProposalList()
        for item in (self._shadow, self._outline, self._list):
            host.canvas.add_item(item)
        self._list.setZValue(11)

    @staticmethod
    def _pen(color: QColor, width: float) -> QPen:
        pen = QPen(color, width)
        pen.setCosmetic(True)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        return pen

    @property
    def candidate(self) -> Candidate | None:
        return self.candidates[self.current] if self.candidates else None

    # -- input ---------------------------------------------------------------------------
    def press(self, event: PointerEvent) -> None:
        doc = self.doc
        if doc is None or event.button != Qt.MouseButton.LeftButton:
            return
        self.deactivate()
        context = self.source.context() if self.source is not None else None
        if context is None:
            return
        if context.raw.image_size != doc.shape:
            self.host.report("the kept model outputs are for another image size; re-run the "
                             "model (Ctrl+R)")
            return
        x, y = event.pixel
        candidates = context.candidates_at(
            x, y, min_score=self.source.min_score() if self.source is not None else None)
        if not candidates:
            self.host.report("no model proposal covers this pixel")
            return
        self.candidates, self._context, self._doc = candidates, context, doc
        self._click = QPointF(x + 0.5, y + 0.5)
        self.show(0)

    def wheel(self, steps: float) -> bool:
        if not self.candidates:
            return False
        self.cycle(-1 if steps > 0 else 1)
        return True

    def wants_key(self, event: QKeyEvent) -> bool:
        plain = not event.modifiers() & (Qt.KeyboardModifier.ControlModifier
                                         | Qt.KeyboardModifier.AltModifier)
        return bool(self.candidates) and plain and event.key() in (
            Qt.Key.Key_Tab, Qt.Key.Key_Backtab, Qt.Key.Key_Return, Qt.Key.Key_Enter,
            Qt.Key.Key_Escape)

    def key(self, event: QKeyEvent) -> bool:
        if not self.wants_key(event):
            return False
        key = event.key()
        if key == Qt.Key.Key_Tab:
            self.cycle(1)
        elif key == Qt.Key.Key_Backtab:
            self.cycle(-1)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.accept(pick_label=bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
        else:
            self.deactivate()
        return True

    def deactivate(self) -> None:
        self.candidates, self.current = [], 0
        self._context = self._doc = None
        self._masks.clear()
        for item in (self._shadow, self._outline, self._list):
            item.setVisible(False)

    # -- listing and accepting -----------------------------------------------------------
    def cycle(self, delta: int) -> None:
        if self.candidates:
            self.show((self.current + delta) % len(self.candidates))

    def show(self, position: int) -> None:
        """Make candidate ``position`` current: outline it and update the list."""
        self.current = position
        candidate = self.candidates[position]
        placed = self._mask(candidate)
        path = outline_path(*placed) if placed is not None else QPainterPath()
        self._shadow.setPath(path)
        self._outline.setPath(path)
        self._shadow.setVisible(True)
        self._outline.setVisible(True)
        self._show_list()
        self.host.report(f"proposal {position + 1} of {len(self.candidates)}: "
                         f"{self._name(candidate.category_id)} "
                         f"({candidate.proposal.class_score:.0%}) - {HINT}")

    def accept(self, pick_label: bool = False) -> None:
        """Insert the current proposal with its label, or with one chosen in the picker."""
        candidate, context, doc = self.candidate, self._context, self._doc
        if candidate is None or context is None or doc is None:
            return
        if self._mask(candidate) is None:
            self.host.report("this proposal has no pixels at the image's size")
            return
        if not pick_label or self.source is None:
            self._insert(doc, context, candidate, candidate.category_id)
            return
        guesses = context.query_guesses(candidate.proposal.query)
        self.source.pick_category(
            guesses, lambda category_id: self._insert(doc, context, candidate, category_id))

    def _insert(self, doc: Document, context: AssistContext, candidate: Candidate,
                category_id: int) -> None:
        if self.doc is not doc:  # the image changed while the picker was open
            return
        created = self.host.run(accept_proposal, doc, context.index, candidate.proposal,
                                category_id)
        if isinstance(created, int):
            self.deactivate()
            doc.select([created])
            self.host.report(f"added the proposal as {self._name(category_id)}")

    def _mask(self, candidate: Candidate) -> tuple[Box, np.ndarray] | None:
        query = candidate.proposal.query
        if query not in self._masks and self._context is not None:
            self._masks[query] = self._context.index.mask(query, candidate.proposal.point)
        return self._masks.get(query)

    def _name(self, category_id: int) -> str:
        doc = self.doc
        category = doc.categories.get(category_id) if doc is not None else None
        return category.name if category is not None else f"category {category_id}"

    def _color(self, category_id: int) -> str:
        doc = self.doc
        category = doc.categories.get(category_id) if doc is not None else None
        return QColor(*(category.color if category else (128, 128, 128))).name()

    def _show_list(self) -> None:
        count = len(self.candidates)
        start = max(0, min(self.current - LIST_ROWS // 2, count - LIST_ROWS))
        rows = []
        for position in range(start, min(count, start + LIST_ROWS)):
            candidate = self.candidates[position]
            current = position == self.current
            style = ' style="background-color:#ffd400; color:#111111"' if current else ""
            rows.append(
                f"<tr{style}><td align=right>{position + 1}</td>"
                f'<td><span style="color:{self._color(candidate.category_id)}; '
                f'background-color:#d0d0d0">&#9632;</span> '
                f"{escape(self._name(candidate.category_id))}</td>"
                f"<td align=right>{candidate.proposal.class_score:.0%}</td>"
                f"<td align=right>{candidate.score:.2f}</td></tr>")
        more = f" ({count} in all)" if count > LIST_ROWS else ""
        self._list.setHtml(
            f"<div style='font-weight:bold'>Proposals here{more}</div>"
            "<table cellspacing=0 cellpadding=2>"
            "<tr style='color:#9e9e9e'><td>#</td><td>label</td><td>p</td><td>score</td></tr>"
            f"{''.join(rows)}</table>"
            f"<div style='color:#9e9e9e; font-size:small'>{escape(HINT)}</div>")
        if not self._list.isVisible():  # placed once per click: cycling does not move it
            self._place_list()
        self._list.setVisible(True)

    def _place_list(self) -> None:
        """Right of the outlined proposal at the click's height, else left of it, so the
        list does not hide what it outlines; over it only when neither side has room."""
        canvas = self.host.canvas
        size = self._list.boundingRect().size()
        click = canvas.mapFromScene(self._click)
        shape = self._outline.path().boundingRect()
        box = (canvas.mapFromScene(shape).boundingRect() if not shape.isEmpty()
               else QRect(click, click))
        view = canvas.viewport().rect()
        if box.right() + LIST_OFFSET + size.width() <= view.right():
            x = box.right() + LIST_OFFSET
        elif box.left() - LIST_OFFSET - size.width() >= view.left():
            x = box.left() - LIST_OFFSET - size.width()
        else:
            x = min(click.x() + LIST_OFFSET, view.right() - size.width())
        y = min(click.y() - size.height() / 2, view.bottom() - size.height())
        self._list.setPos(canvas.mapToScene(QPoint(max(0, round(x)), max(0, round(y)))))
