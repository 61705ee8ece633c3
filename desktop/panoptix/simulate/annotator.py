"""The simulated annotator's hands: the window's commands, run as the window runs them.

Each method does what a tool or shortcut of the window does (``gui/tools.py``,
``gui/editor.py``, ``gui/proposal_tool.py``, ``gui/assist.py``) by calling the same core and
inference functions those call, and counts the clicks and keys it takes in the window:
switching tools (V, P, G, B, E, C), selecting (a click, Shift+click to add), choosing the
category in the category panel or the relabel popup (``picker``), brush size (``[``/``]``).
What the window does after an edit (select the new segment, ...) is done here too, so
the next command starts from the same state it would.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from panoptix.core import edits
from panoptix.core.document import Document, DocumentError
from panoptix.core.refine import BAND, FINE_BAND, apply_refine, refine_patch
from panoptix.inference.assist import AssistContext, Candidate, postprocess_document
from panoptix.inference.proposals import accept_proposal
from panoptix.inference.settings import InferenceSettings
from panoptix.simulate import geometry, vertices
from panoptix.simulate.effort import Effort
from panoptix.simulate.picker import DIGITS, pick_keys

TOOL_KEYS = {"select": "V", "polygon": "P", "fill": "G", "brush": "B", "eraser": "E",
             "propose": "C", "vertices": "Ctrl+J"}
"""The tools used and their shortcuts (``gui/tools.py``, ``gui/proposal_tool.py``)."""
RECENT = 5
"""Categories the relabel popup offers when the model has no guesses (``gui/dialogs.py``)."""
REFINE_SEED = 0
"""OpenCV's random generator is reset to this before each refine edge, so a simulated run
does not depend on what ran before it (GrabCut's k-means start draws from it)."""
SLIDER_PIXELS = 40
"""Screen pixels a threshold slider is dragged by for one step."""
START_BRUSH = 15
"""The editor's brush size at start (``gui/editor.py``)."""


def tool_keys(name: str) -> int:
    """Key presses of a tool's shortcut (Ctrl+J: two)."""
    return len(TOOL_KEYS[name].split("+"))


class Annotator:
    """Edits ``doc`` like a person in the window, counting into ``effort``."""

    def __init__(self, doc: Document, image: np.ndarray | None = None,
                 context: AssistContext | None = None, effort: Effort | None = None) -> None:
        self.doc = doc
        self.image = image
        self.context = context
        self.effort = effort if effort is not None else Effort()
        self.tool = "select"
        self.category_id: int | None = None
        self.brush_size = START_BRUSH
        self.vertex_detail = vertices.DEFAULT_DETAIL
        self.recent: list[int] = []
        self.protected = False
        """Edit > Protect Labeled Pixels (Ctrl+P): polygons paint unlabeled pixels only."""

    # -- bookkeeping -------------------------------------------------------------------
    def think(self, operation: str) -> None:
        """Start an operation (one KLM M); what follows is its cost."""
        self.effort.begin(operation)
        self.effort.decisions += 1
        self.effort.operations[operation] += 1

    def look(self, count: int = 1) -> None:
        """Judge ``count`` things on screen (a model segment, a proposal's outline)."""
        self.effort.decisions += count

    def keys(self, count: int = 1) -> None:
        self.effort.keys += count

    def click(self, count: int = 1) -> None:
        self.effort.clicks += count

    def use_tool(self, name: str) -> None:
        if name != self.tool:
            self.keys(tool_keys(name))
            self.tool = name

    def _run(self, edit, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        """Run an edit as ``Editor.run`` does: a refusal is a status line, not a crash."""
        try:
            return edit(*args, **kwargs)
        except DocumentError:
            return None

    # -- selecting and categories --------------------------------------------------------
    def select(self, ids: Sequence[int]) -> None:
        """Make ``ids`` the selection: a click on the first, Shift+click on the others
        (only the missing ones when the selection already holds some of them)."""
        wanted = [i for i in dict.fromkeys(ids) if i in self.doc.segments]
        if set(wanted) == set(self.doc.selection):
            return
        self.use_tool("select")
        current = set(self.doc.selection)
        if current and current <= set(wanted):
            missing = [i for i in wanted if i not in current]
        else:
            self.click()
            self.doc.select([wanted[0]])
            missing = wanted[1:]
        for segment_id in missing:
            self.click()
            self.keys()  # Shift
            self.doc.toggle_selected(segment_id)

    def deselect(self) -> None:
        if self.doc.selection:
            self.keys()  # Esc
            self.doc.select([])

    def set_category(self, category_id: int) -> None:
        """Choose the category new segments get in the category panel: a click on its
        filter's clear button, the name typed until it comes first, Enter."""
        if category_id == self.category_id:
            return
        self.click()
        self.keys(pick_keys(self.doc.categories, category_id))
        self.category_id = category_id

    def _remember(self, category_id: int) -> None:
        self.recent = [category_id, *(c for c in self.recent if c != category_id)][:RECENT]

    # -- drawing ---------------------------------------------------------------------------
    def polygon(self, points: np.ndarray, category_id: int) -> int | None:
        """Polygon tool: a click per vertex, Enter closes; the new segment is selected."""
        self.use_tool("polygon")
        self.set_category(category_id)
        self.effort.vertices += len(points)
        self.keys()  # Enter
        created = self._run(edits.fill_polygon, self.doc,
                            [(float(x), float(y)) for x, y in points], category_id,
                            only_unlabeled=self.protected)
        if isinstance(created, int):
            self.doc.select([created])
        return created

    def fill(self, x: int, y: int, category_id: int | None = None,
             target: int | None = None) -> int | None:
        """Fill tool: the unlabeled region under the click goes into the selected segment,
        or (nothing selected) becomes a segment of the current category."""
        if target is not None:
            self.select([target])
        else:
            self.deselect()
            assert category_id is not None
            self.set_category(category_id)
        self.use_tool("fill")
        self.click()
        filled = self._run(edits.flood_fill, self.doc, x, y, self.category_id, target=target)
        if isinstance(filled, int):
            self.doc.select([filled])
        return filled

    def brush(self, strokes: list[list[geometry.Point]], size: int, *,
              target: int | None = None, category_id: int | None = None,
              erase: bool = False) -> None:
        """Brush (or eraser) strokes of brush size ``size`` (``[``/``]`` to get there) into
        the selected segment ``target``, or into a new segment of ``category_id``; each
        stroke is one drag and one undo step."""
        if target is not None:
            self.select([target])
        else:
            self.deselect()
            if not erase:
                assert category_id is not None
                self.set_category(category_id)
        self.use_tool("eraser" if erase else "brush")
        presses, self.brush_size = geometry.resize_brush(self.brush_size, size)
        self.keys(presses)
        for stroke in strokes:
            self.effort.drags += 1
            self.effort.drag_pixels += geometry.path_length(stroke)
            self.effort.drag_pieces += geometry.pieces(stroke)
            selected = next(iter(self.doc.selection)) if len(self.doc.selection) == 1 else None
            painter = self._run(edits.BrushStroke, self.doc, self.brush_size / 2,
                                target=None if erase else selected,
                                category_id=None if (erase or selected) else self.category_id,
                                erase=erase, only_segment=selected if erase else None)
            if painter is None:
                continue
            for x, y in stroke:
                painter.line_to(float(x), float(y))
            self._run(painter.finish)
            if not erase and painter.value in self.doc.segments:
                self.doc.select([painter.value])

    # -- segment commands ------------------------------------------------------------------
    def delete(self, ids: Sequence[int]) -> None:
        self.select(ids)
        self.keys()  # Del
        self._run(edits.delete, self.doc, self.doc.selection)

    def clear(self) -> None:
        """Ctrl+A, Del: every segment goes (a pre-segmentation not worth correcting)."""
        self.keys(3)
        self.doc.select(self.doc.segments)
        if self.doc.selection:
            self._run(edits.delete, self.doc, self.doc.selection)

    def clear_except(self, kept: Sequence[int]) -> None:
        """Ctrl+A, Shift+click each segment to keep (out of the selection), Del."""
        self.keys(2)
        self.doc.select(self.doc.segments)
        if kept:
            self.use_tool("select")
        for segment_id in kept:
            self.click()
            self.keys()  # Shift
            self.doc.toggle_selected(segment_id)
        self.keys()  # Del
        if self.doc.selection:
            self._run(edits.delete, self.doc, self.doc.selection)

    def protect(self, on: bool) -> None:
        """Ctrl+P toggles Protect Labeled Pixels."""
        if on != self.protected:
            self.keys(2)
            self.protected = on

    def merge(self, ids: Sequence[int]) -> int | None:
        self.select(ids)
        self.keys()  # M
        return self._run(edits.merge, self.doc, self.doc.selection)

    def split_off(self, x: int, y: int) -> int | None:
        """Point at the part and press Shift+X (a pointing and two keys, as much as a click
        and a key); the part split off is selected."""
        self.click()
        self.keys()
        new_id = self._run(edits.split_off, self.doc, x, y)
        if new_id is not None:
            self.doc.select([new_id])
        return new_id

    def relabel(self, ids: Sequence[int], category_id: int) -> None:
        """L opens the relabel popup: the model's top-5 guesses for the selection (else the
        categories chosen last) on top, a digit or the name typed; then relabel."""
        self.select(ids)
        self.keys()  # L
        guesses = (self.context.segment_guesses(self.doc, self.doc.selection)
                   if self.context is not None else [])
        suggestions = [c for c, _ in guesses] or list(self.recent)
        self.keys(pick_keys(self.doc.categories, category_id, suggestions))
        by_digit = category_id in suggestions[:DIGITS]
        self.effort.operations["label by digit" if by_digit else "label typed"] += 1
        self._remember(category_id)
        kept = self._run(edits.relabel, self.doc, self.doc.selection, category_id)
        if kept:
            self.doc.select(kept)

    def refine(self, segment_id: int, fine: bool = False) -> bool:
        """R (Shift+R: finely, within ``FINE_BAND``): snap the selected segment's edge to
        the image (GrabCut), as the window's refine thread computes it and applies it as
        one undo step."""
        self.select([segment_id])
        self.keys(2 if fine else 1)  # R, Shift+R
        if self.image is None:
            return False
        cv2.setRNGSeed(REFINE_SEED)  # GrabCut seeds its colour models from OpenCV's RNG
        patch = self._run(refine_patch, self.doc.id_map.copy(), self.image, segment_id,
                          self.doc.box(segment_id), FINE_BAND if fine else BAND)
        return bool(patch is not None and self._run(apply_refine, self.doc, patch))

    def edit_vertices(self, segment_id: int, detail: int,
                      drags: Sequence[vertices.Drag]) -> bool:
        """Vertex tool (Ctrl+J) on the selected segment, [ or ] to ``detail``: each drag
        (one decision: which vertex, where to) moves a vertex or adds one on an edge and
        the map follows; Enter applies the session as one undo step."""
        self.select([segment_id])
        self.use_tool("vertices")
        self.keys(abs(detail - self.vertex_detail))  # [ or ]
        self.vertex_detail = detail
        edit = self._run(vertices.session, self.doc, segment_id, detail, self.protected)
        if edit is None:
            return False
        for drag in drags:
            self.look()
            self.effort.drags += 1
            self.effort.drag_pieces += 1
            self.effort.drag_pixels += drag.length
            vertices.perform(edit, drag)
        self.keys()  # Enter
        return self._run(edit.finish) is not None

    def undo(self) -> None:
        self.keys(2)  # Ctrl+Z
        self._run(self.doc.undo)

    # -- proposals ---------------------------------------------------------------------------
    def proposals_at(self, x: int, y: int) -> list[Candidate]:
        """Proposal tool: a click lists the model's proposals covering the pixel."""
        assert self.context is not None, "proposals need the model's kept outputs"
        self.use_tool("propose")
        self.click()
        return self.context.candidates_at(x, y)

    def next_proposal(self, count: int = 1) -> None:
        """Tab, ``count`` times (each shows the next proposal's outline)."""
        self.keys(count)

    def accept(self, candidate: Candidate, category_id: int) -> int | None:
        """Enter accepts the current proposal with its own category; Shift+Enter opens the
        picker on the proposal's top guesses for another."""
        assert self.context is not None
        if category_id == candidate.category_id:
            self.keys()
        else:
            self.keys(2)
            guesses = [c for c, _ in self.context.query_guesses(candidate.proposal.query)]
            self.keys(pick_keys(self.doc.categories, category_id, guesses))
        created = self._run(accept_proposal, self.doc, self.context.index, candidate.proposal,
                            category_id)
        if isinstance(created, int):
            self.doc.select([created])
        return created

    def dismiss(self) -> None:
        self.keys()  # Esc

    # -- thresholds ----------------------------------------------------------------------------
    def rerun(self, settings: InferenceSettings) -> Document:
        """Drag the threshold panel's slider: the image is post-processed again from the
        kept outputs (``AssistController.rerun``) and its document replaced (before any
        edit, so the window does not ask)."""
        assert self.context is not None
        self.effort.drags += 1
        self.effort.drag_pieces += 1
        self.effort.drag_pixels += SLIDER_PIXELS
        conversion = postprocess_document(self.context.raw, self.context.model_categories,
                                          settings, self.image)
        self.doc = conversion.document
        return self.doc
