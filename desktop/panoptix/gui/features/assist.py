"""Model-assisted editing in the window: proposals at a click, top-k category guesses,
live thresholds, review order and refine edge, glued to the session and the editor.

The expensive part of every feature is the image's :class:`AssistContext` (raw outputs
read from the project, the proposal index built over them). It is built once per image on
a helper thread as soon as the image (or a new model result for it) is shown, and cached
by the raw file's size and modification time; a click only waits for it if it is still
being built. Threshold re-runs run on that same thread; a result arrives back here by a
queued signal and is dropped when a newer request was made or the image changed meanwhile.

Refine edge (GrabCut, up to a second on a large segment) runs on a thread of its own, on a
copy of the id map; its change is applied here, as one undo step, only if the document
was not edited meanwhile.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from panoptix.core.document import Document, DocumentError
from panoptix.core.history import MapPatch
from panoptix.core.messages import plural
from panoptix.core.project import ImageStatus
from panoptix.core.refine import BAND, FINE_BAND, apply_refine, refine_patch
from panoptix.core.review import review_order, step_review
from panoptix.gui.dialogs.relabel import RelabelPopup, Suggest
from panoptix.gui.tools.editor import Editor
from panoptix.gui.tools.proposal_tool import ProposalTool
from panoptix.gui.tools.tools import single_selected
from panoptix.gui.work.session import Session
from panoptix.gui.work.worker import JobResult, error_message
from panoptix.inference.assist import AssistContext, Guess, postprocess_document
from panoptix.inference.proposals import proposal_floor
from panoptix.inference.settings import InferenceSettings
from panoptix.inference.to_document import Conversion

CACHED_IMAGES = 3
"""Assist contexts kept: the image in view and the last ones visited (a few MB each)."""

REFINING = "refine"
"""The ``busy`` task name of a refine edge in progress."""

Confirm = Callable[[str, str], bool]
"""(title, question) -> True to go ahead."""


@dataclass(frozen=True, eq=False)
class _RefineRequest:
    doc: Document
    revision: int
    segment_id: int


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _timed_rerun(context: AssistContext, settings: InferenceSettings,
                 image: np.ndarray | None) -> tuple[Conversion, float]:
    """Post-processing again; edges snap to the context's guide when it has one (the image
    already grey on the working grid), else to ``image``."""
    started = time.perf_counter()
    guide = context.index.guide if context.index.guide is not None else image
    conversion = postprocess_document(context.raw, context.model_categories, settings, guide)
    return conversion, time.perf_counter() - started


class AssistController(QObject):
    """Implements ``proposal_tool.ProposalSource``; the main window owns one."""

    note = Signal(str)
    """A line about the last threshold re-run, for the threshold panel."""
    busy = Signal(str, str)
    """(task, what runs; empty when it ended) for the status bar."""
    _rerun_done = Signal(object, object)
    """(request, future) from the helper thread."""
    _refine_done = Signal(object, object)
    """(request, future) from the refine thread."""

    def __init__(self, session: Session, editor: Editor, popup_parent: QWidget,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.editor = editor
        self.confirm: Confirm = self._ask
        self._parent_widget = popup_parent
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="panoptix-assist")
        self._refiner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="panoptix-refine")
        self._refining: _RefineRequest | None = None
        self._contexts: OrderedDict[Path, tuple[tuple, Future[AssistContext]]] = OrderedDict()
        self._image: np.ndarray | None = None
        self._image_key: str | None = None
        """The image in view and its key: proposals snap to its edges."""
        self._generation = 0
        self._chosen: Callable[[int], None] | None = None
        self._closed = False
        self.picker = RelabelPopup(popup_parent)
        """The category picker that Shift+Enter opens on a proposal."""
        self.picker.picker.category_chosen.connect(self._picked)
        tool = editor.tools[ProposalTool.name]
        assert isinstance(tool, ProposalTool)
        tool.source = self
        session.image_opened.connect(self._image_opened)
        session.document_replaced.connect(lambda _doc: self.prefetch())
        self._rerun_done.connect(self._finish_rerun)
        # queued even when emitted here (GrabCut done before its callback was added)
        self._refine_done.connect(self._finish_refine, Qt.ConnectionType.QueuedConnection)

    def shutdown(self) -> None:
        """Drop pending work and stop the helper thread (the window is closing)."""
        self._closed = True
        self._generation += 1
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._refiner.shutdown(wait=True, cancel_futures=True)

    # -- the image's context ---------------------------------------------------------------
    def _raw_path(self) -> Path | None:
        project, key = self.session.project, self.session.key
        if project is None or key is None:
            return None
        try:
            return project.raw_outputs_path(key)
        except Exception:  # noqa: BLE001 - an unwritable project folder: no proposals
            return None

    def _future(self) -> Future[AssistContext] | None:
        """The current image's context, being built or ready; None without raw outputs."""
        path = self._raw_path()
        project = self.session.project
        stamp = _stamp(path) if path is not None else None
        if path is None or stamp is None or project is None or self._closed:
            return None
        settings = self.session.settings
        snap = settings.resolved_snap_edges and self._image_key == self.session.key
        image = self._image if snap else None  # proposals snap to the edges of this image
        split = settings.resolved_split_parts  # an object's proposal: its part at the click
        made = (stamp, image is not None, split)
        cached = self._contexts.get(path)
        if cached is not None and cached[0] == made:
            self._contexts.move_to_end(path)
            return cached[1]
        future = self._executor.submit(AssistContext.load, path, project.categories, image,
                                       split)
        self._contexts[path] = (made, future)
        while len(self._contexts) > CACHED_IMAGES:
            self._contexts.popitem(last=False)
        return future

    def prefetch(self) -> None:
        """Start building the current image's context so the first click finds it ready."""
        self._future()

    def context(self, quiet: bool = False) -> AssistContext | None:
        """The current image's context (waits while it is built); None, with a message
        unless ``quiet``, when the image has no usable raw outputs."""
        future = self._future()
        if future is None:
            if not quiet:
                self.editor.report("no kept model outputs for this image: run the model "
                                   "first (Ctrl+R)")
            return None
        try:
            context = future.result()
        except Exception as exc:  # noqa: BLE001 - a damaged raw file is a message
            if not quiet:
                self.editor.report(f"cannot use the kept model outputs: {error_message(exc)}")
            return None
        doc = self.session.document
        if doc is not None and context.raw.image_size != doc.shape:
            if not quiet:
                self.editor.report("the kept model outputs are for another image size; "
                                   "re-run the model (Ctrl+R)")
            return None
        return context

    def min_score(self) -> float:
        """Proposals offered: down to 0.02, or lower with a lower score threshold."""
        return proposal_floor(self.session.settings.threshold)

    def _image_opened(self, key: str, image: np.ndarray | None, _doc: object) -> None:
        self._image, self._image_key = image, key
        self.prefetch()

    # -- category guesses --------------------------------------------------------------------
    def suggester(self, fallback: Suggest) -> Suggest:
        """A relabel-popup suggestion function: the model's top-5 categories for the
        selection with their probabilities, else ``fallback`` (recent categories)."""

        def suggest(doc: Document) -> list[tuple[int, float | None]]:
            context = self.context(quiet=True) if doc.selection else None
            guesses = context.segment_guesses(doc, doc.selection) if context else []
            return list(guesses) or fallback(doc)

        return suggest

    def pick_category(self, suggestions: list[Guess], chosen: Callable[[int], None]) -> None:
        doc = self.editor.document
        if doc is None:
            return
        self._chosen = chosen
        self.picker.suggest = lambda _doc: list(suggestions)
        self.picker.show_for(doc, self.editor.canvas)

    def _picked(self, category_id: int) -> None:
        self.picker.hide()
        chosen, self._chosen = self._chosen, None
        if chosen is not None:
            chosen(category_id)

    # -- live thresholds ---------------------------------------------------------------------
    def thresholds_moved(self, values: dict[str, float | bool | None]) -> None:
        """The threshold panel moved: keep the thresholds for the project (new
        pre-segmentations use them) and re-run the image in view."""
        if self.session.project is None:
            return
        settings = self.session.settings.with_changes(**values)
        self.session.set_settings(settings)
        self.rerun(settings)

    def rerun(self, settings: InferenceSettings) -> None:
        """Post-process the image in view again from its kept outputs at ``settings``'
        thresholds; asks first when that would replace edits made by hand."""
        session, doc, key = self.session, self.session.document, self.session.key
        if doc is None or key is None:
            return
        context = self.context(quiet=True)
        if context is None:
            self.note.emit("no kept model outputs for this image: the thresholds apply "
                           "when the model runs")
            return
        edited = doc.history.can_undo or session.status(key) in (ImageStatus.EDITED,
                                                                 ImageStatus.DONE)
        if edited and not self.confirm(
                "Replace your edits?",
                "This image was edited by hand. Re-running the model's post-processing at "
                "the new thresholds replaces all of its segments, your changes included."):
            self.note.emit("kept your edits; the new thresholds apply to images not yet "
                           "edited")
            return
        self._generation += 1
        request = (self._generation, key, doc, doc.revision, context)
        future = self._executor.submit(_timed_rerun, context, settings, self._image)
        future.add_done_callback(lambda done: self._rerun_done.emit(request, done))

    def _finish_rerun(self, request: tuple, future: Future) -> None:
        generation, key, doc, revision, context = request
        if generation != self._generation:
            return  # a newer threshold is on its way
        session = self.session
        if session.key != key or session.document is not doc or doc.revision != revision:
            self.note.emit("the image changed meanwhile; not replaced")
            return
        try:
            conversion, seconds = future.result()
        except Exception as exc:  # noqa: BLE001 - any failure is a message
            session.error.emit(f"re-running post-processing failed: {error_message(exc)}")
            return
        session.replace_with(JobResult(0, key, conversion.document, context.raw.model_id, "cpu",
                                       conversion.dropped, seconds, background=False))
        self.note.emit(f"{plural(len(conversion.document.segments), 'segment')}, "
                       f"post-processed again in {seconds * 1000:.0f} ms")

    def _ask(self, title: str, question: str) -> bool:
        answer = QMessageBox.question(
            self._parent_widget, title, question,
            QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Ok

    # -- review order and refine edge ------------------------------------------------------
    def step(self, forward: bool = True) -> None:
        """Select the next (previous) least confident model segment and bring it into view."""
        doc = self.editor.document
        if doc is None:
            return
        target = step_review(doc, single_selected(doc), forward)
        if target is None:
            self.editor.report("no model-made segments left to review")
            return
        doc.select([target])
        self.editor.canvas.reveal(doc.box(target))
        order = review_order(doc)
        segment = doc.segments[target]
        self.editor.report(
            f"least confident {order.index(target) + 1} of {len(order)}: #{target} "
            f"{self.editor.category_name(segment.category_id)}, score {segment.score:.2f}")

    def refine(self) -> None:
        """Refine edge (R): snap the selected segment's boundary to image edges."""
        self._refine(BAND)

    def refine_finely(self) -> None:
        """Refine edge finely (Shift+R): within :data:`FINE_BAND` pixels only."""
        self._refine(FINE_BAND)

    def _refine(self, band: int) -> None:
        """Snap the selected segment's boundary to image edges within ``band`` pixels (one
        undo step), computed on the refine thread; the window stays usable meanwhile."""
        doc = self.editor.document
        if doc is None:
            return
        target = single_selected(doc)
        if target is None:
            self.editor.report("select one segment to refine its edge")
            return
        if self._image is None:
            self.editor.report("the image could not be read")
            return
        if self._refining is not None:
            self.editor.report("still refining the last edge")
            return
        request = _RefineRequest(doc, doc.revision, target)
        self._refining = request
        self.busy.emit(REFINING, "Refining edge…")
        future = self._refiner.submit(refine_patch, doc.id_map.copy(), self._image, target,
                                      doc.box(target), band)
        future.add_done_callback(lambda done: self._refine_done.emit(request, done))

    def _finish_refine(self, request: _RefineRequest, future: Future) -> None:
        self._refining = None
        self.busy.emit(REFINING, "")
        if self._closed or future.cancelled():
            return
        try:
            patch = future.result()
        except DocumentError as exc:  # EditError: e.g. a segment too thin for GrabCut
            self.editor.report(str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - any failure is a message
            self.editor.report(f"refine edge failed: {error_message(exc)}")
            return
        doc = request.doc
        if (self.session.document is not doc or doc.revision != request.revision
                or not _still_applies(doc, patch)):
            self.editor.report("the annotation changed while refining; edge not refined")
            return
        moved = apply_refine(doc, patch)
        self.editor.report("edge refined" if moved else "the edge already follows the image")


def _still_applies(doc: Document, patch: MapPatch | None) -> bool:
    """True if the pixels ``patch`` changes still hold the ids it was computed from (a
    brush stroke in progress changes the map before it changes the revision)."""
    if patch is None:
        return True
    y0, x0, y1, x1 = patch.box
    return bool(np.all(doc.id_map[y0:y1, x0:x1][patch.mask] == patch.old))
