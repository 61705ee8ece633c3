"""Segment Anything in the window: embeddings on the worker thread, prompts on a decoder
thread, answers to the tool.

While the Segment Anything tool is the current tool, the image in view gets its embedding
first (ahead of the panoptic jobs in the worker's queue), then the images beside it in
the list. A prompt made before its image's embedding exists is kept and answered as soon
as the embedding lands. Prompts run on a decoder thread of their own, never behind a
panoptic forward pass on the worker; only the newest prompt is decoded when clicks come
faster than answers. A SAM model that cannot be loaded is one status message; the rest
of the window works, and the next activation of the tool (or new settings) tries again.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QWidget

from panoptix.core.atomic import StoreError
from panoptix.core.document import Document
from panoptix.core.stats import Box
from panoptix.gui.dialogs.sam_settings import SamSettingsDialog
from panoptix.gui.features.assist import AssistController
from panoptix.gui.tools.editor import Editor
from panoptix.gui.tools.sam_tool import SamTool, Suggestion
from panoptix.gui.work.sam_jobs import SamEmbedded, SamEmbedJob
from panoptix.gui.work.session import Session
from panoptix.gui.work.worker import error_message
from panoptix.gui.work.worker_client import WorkerClient
from panoptix.inference.sam.cache import embedding_path
from panoptix.inference.sam.engine import SamEngine
from panoptix.inference.sam.predictor import SamError
from panoptix.inference.sam.prompts import Prompts
from panoptix.inference.sam.settings import MANIFEST_KEY, SamSettings
from panoptix.inference.settings import SettingsError

NEIGHBOURS = 1
"""Images on each side of the one in view whose embeddings are made ahead."""
TASK = "sam"
"""The ``busy`` task name while an embedding the user waits for is computed."""


@dataclass(frozen=True, eq=False)
class _Request:
    doc: Document
    key: str
    prompts: Prompts
    multimask: bool | None


class SamController(QObject):
    """Implements ``sam_tool.SamSource``; the main window owns one."""

    busy = Signal(str, str)
    """(task, what runs; empty when it ended) for the status bar."""
    error = Signal(str)
    _decoded = Signal(object, object)
    """(request, future) from the decoder thread."""

    def __init__(self, session: Session, editor: Editor, client: WorkerClient,
                 assist: AssistController, order: Callable[[], Sequence[str]],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.editor, self.client, self.assist = session, editor, client, assist
        self.order = order
        """The image keys in the order the image list shows them."""
        self.engine = SamEngine()
        self.model_override: str | None = None
        """A model given on the command line; used instead of the project's setting."""
        self.allow_pickle = False
        """Pickle weights allowed in this window's session (never kept in the project)."""
        self.dialog: SamSettingsDialog | None = None
        self._decoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="panoptix-sam")
        self._wanted: _Request | None = None
        """The newest request not yet sent to the decoder thread."""
        self._running: _Request | None = None
        self._failure: str | None = None
        """Why the model cannot be used; nothing is queued until the tool is reactivated."""
        self._failed_keys: set[str] = set()
        self._key: str | None = None
        self._image: np.ndarray | None = None
        self._closed = False
        tool = editor.tools[SamTool.name]
        assert isinstance(tool, SamTool)
        self.tool = tool
        tool.source = self
        session.project_opened.connect(self._project_opened)
        session.image_opened.connect(self._image_opened)
        editor.tool_changed.connect(self._tool_changed)
        client.sam_ready.connect(self._embedded)
        client.sam_failed.connect(self._embed_failed)
        self._decoded.connect(self._finish_decode, Qt.ConnectionType.QueuedConnection)

    @property
    def active(self) -> bool:
        return self.editor.tool is self.tool

    def shutdown(self) -> None:
        self._closed = True
        self._decoder.shutdown(wait=True, cancel_futures=True)

    # -- settings ----------------------------------------------------------------------
    @property
    def settings(self) -> SamSettings:
        project = self.session.project
        stored = dict(project.settings.get(MANIFEST_KEY, {})) if project is not None else {}
        if self.model_override:
            stored["model"] = self.model_override
        try:
            settings = SamSettings.from_stored(stored)
        except SettingsError as exc:
            self.error.emit(f"Segment Anything settings ignored: {exc}")
            settings = SamSettings()
        return replace(settings, allow_pickle=True) if self.allow_pickle else settings

    def override_model(self, spec: str | None) -> None:
        """Use ``spec`` instead of the project's SAM model (``--sam-model``)."""
        self.model_override = spec
        self._load_settings()

    def set_settings(self, settings: SamSettings) -> None:
        project = self.session.project
        if project is None:
            return
        self.model_override = None
        self.allow_pickle = settings.allow_pickle  # this session only, never in the project
        project.settings[MANIFEST_KEY] = settings.stored()
        try:
            project.save_manifest()
        except StoreError as exc:  # read-only or full: holds for this session
            self.error.emit(f"Segment Anything settings not saved: {exc}")
        self._load_settings()

    def _project_opened(self, _project: object) -> None:
        self.allow_pickle = False
        self._key = self._image = self._wanted = None
        self.client.drop_sam()
        self._load_settings()

    def _load_settings(self) -> None:
        self.engine.configure(self.settings)
        self._failure, self._failed_keys = None, set()
        self._request_embeddings()

    def show_settings(self, parent: QWidget) -> None:
        if self.session.project is None:
            self.error.emit("open images first: Segment Anything settings are kept per project")
            return
        dialog = SamSettingsDialog(self.settings, parent)
        dialog.accepted.connect(lambda: self._settings_accepted(dialog))
        self.dialog = dialog
        dialog.open()

    def _settings_accepted(self, dialog: SamSettingsDialog) -> None:
        if dialog.result_settings is not None:
            self.set_settings(dialog.result_settings)
            self.editor.report(f"Segment Anything: {dialog.result_settings.model}")

    # -- embeddings ----------------------------------------------------------------------
    def _tool_changed(self, _name: str) -> None:
        if self.active:
            self._failure, self._failed_keys = None, set()  # a new try after a failure
            self._request_embeddings()
            self._announce()
        else:
            self.client.drop_sam()
            self._update_busy()

    def _image_opened(self, key: str, image: np.ndarray | None, _doc: object) -> None:
        self._key, self._image, self._wanted = key, image, None
        self._request_embeddings()
        self._update_busy()
        if self.active:
            self._announce()

    def _wanted_keys(self) -> list[str]:
        key = self._key
        if key is None:
            return []
        keys = self.order() or self.session.keys()
        if key not in keys:
            return [key]
        index = keys.index(key)
        around = [keys[i] for step in range(1, NEIGHBOURS + 1)
                  for i in (index + step, index - step) if 0 <= i < len(keys)]
        return [key, *around]

    def _request_embeddings(self) -> None:
        """Queue the embeddings the tool will want: the image in view first."""
        project = self.session.project
        if not self.active or project is None or self._failure is not None or self._closed:
            return
        wanted = self._wanted_keys()
        self.client.drop_sam(keep=set(wanted))
        queued = self.client.sam_keys()
        settings = self.engine.settings
        for position, key in enumerate(wanted):
            scoped = self._scoped(key)
            if scoped in queued or scoped in self._failed_keys \
                    or self.engine.embedding(scoped) is not None:
                continue
            image = self._image if key == self._key else None
            load = (lambda image=image: image) if image is not None else \
                (lambda key=key: project.load_image(key))
            job = SamEmbedJob(self.client.next_id(), scoped, self.engine, load,
                              self._disk_path(key, settings))
            self.client.submit_sam(job, first=position == 0)
        self._update_busy()

    def _update_busy(self) -> None:
        waiting = self.active and self._key is not None \
            and self._scoped(self._key) in self.client.sam_keys()
        self.busy.emit(TASK, "Segment Anything: embedding the image…" if waiting else "")

    def has_embedding(self, key: str) -> bool:
        """Whether image ``key`` of the open project has its embedding in memory."""
        return self.engine.embedding(self._scoped(key)) is not None

    def _scoped(self, key: str) -> str:
        """The engine's name for an image: its project folder and key (another project
        may have an image of the same key)."""
        project = self.session.project
        return f"{project.folder}{os.sep}{key}" if project is not None else key

    def _disk_path(self, key: str, settings: SamSettings) -> Path | None:
        project = self.session.project
        if not settings.keep_on_disk or project is None:
            return None
        try:
            return embedding_path(project.raw_outputs_path(key), settings.model)
        except Exception:  # noqa: BLE001 - an unwritable project: memory only
            return None

    def _embedded(self, result: SamEmbedded) -> None:
        if self._key is None or result.key != self._scoped(self._key):
            return
        self._update_busy()
        if self._wanted is not None:
            self._pump()
        elif self.active and self.tool.prompts.is_empty:
            how = f"in {result.seconds:.1f} s" if result.computed else "kept from before"
            self.editor.report(f"Segment Anything is ready ({how}): click an object")

    def _embed_failed(self, key: str, message: str) -> None:
        if (self._key is None or key != self._scoped(self._key)) and self.engine.is_loaded:
            self._failed_keys.add(key)  # a neighbour that cannot be read: skip it
            return
        self._update_busy()
        if self.engine.is_loaded:
            self._failed_keys.add(key)
            self.error.emit(f"Segment Anything: {message}")
        else:
            self._failure = with_download_advice(message, self.settings.model)
            self.client.drop_sam()
            self.error.emit(f"Segment Anything is unavailable: {self._failure}")
        self._wanted = None

    def _announce(self) -> None:
        if self._failure is not None:
            self.error.emit(f"Segment Anything is unavailable: {self._failure}")
        elif self._key is not None and self.engine.embedding(self._scoped(self._key)) is None:
            self.editor.report("Segment Anything: embedding the image on the worker… "
                               "click away, the clicks are answered when it is ready")
        else:
            self.editor.report("Segment Anything: click an object (Shift+click or right "
                               "click: not this), or drag a box around it")

    # -- prompts -------------------------------------------------------------------------
    def predict(self, prompts: Prompts, multimask: bool | None = None) -> None:
        doc, key = self.editor.document, self._key
        if doc is None or key is None or self._closed:
            return
        key = self._scoped(key)
        if self._failure is not None:
            self.error.emit(f"Segment Anything is unavailable: {self._failure}")
            return
        self._wanted = _Request(doc, key, prompts, multimask)
        if self.engine.embedding(key) is None:
            self._request_embeddings()
            self.editor.report(f"Segment Anything: {prompts.count} prompt(s) kept until the "
                               "image's embedding is ready…")
            return
        self._pump()

    def _pump(self) -> None:
        """Send the newest request to the decoder thread unless one is running there."""
        if self._running is not None or self._wanted is None or self._closed:
            return
        request, self._wanted = self._wanted, None
        self._running = request
        future = self._decoder.submit(self.engine.decode, request.key, request.prompts,
                                      request.multimask)
        future.add_done_callback(lambda done: self._decoded.emit(request, done))

    def _finish_decode(self, request: _Request, future: Future) -> None:
        self._running = None
        if self._closed or future.cancelled():
            return
        try:
            prediction = future.result()
        except SamError:  # the embedding left the cache meanwhile: make it again
            if self._wanted is None and self.tool.wants(request.prompts, request.doc):
                self._wanted = request
            self._request_embeddings()
            return
        except Exception as exc:  # noqa: BLE001 - any failure is a message
            self.error.emit(f"Segment Anything failed: {error_message(exc)}")
        else:
            if self.tool.wants(request.prompts, request.doc):
                self.tool.show_prediction(prediction)
        self._pump()

    def not_now(self) -> str | None:
        if self.client.view_pending:
            return ("the model is still segmenting this image and its result will replace "
                    "the annotation: accept the mask once it is done")
        return None

    # -- categories ----------------------------------------------------------------------
    def guesses(self, box: Box, mask: object) -> list[tuple[int, float]]:
        context = self.assist.context(quiet=True)
        if context is None:
            return []
        return context.region_guesses(box, np.asarray(mask, bool))

    def pick_category(self, suggestions: list[Suggestion],
                      chosen: Callable[[int], None]) -> None:
        self.assist.pick_category(suggestions, chosen)  # type: ignore[arg-type]


NOT_CACHED = "is not in the local cache"
"""How the hub's loader says a model cannot be had without a network."""


def with_download_advice(message: str, spec: str) -> str:
    """A model that cannot be had offline: what to do about it, from this window."""
    if NOT_CACHED not in message:
        return message
    return (f"{message}. On a machine with a network run `hf download {spec} --local-dir "
            "DIR`, bring DIR here and pick it in Model > Segment Anything Model…")
