"""The open project as the window sees it: which image is in view, its document, autosave,
and the inference requests for it and for the rest of the folder.

No widgets here: the window listens to the signals and shows what they carry.

Switching images: the image and its document are read on a loader thread (decoding a 12 MP
photo takes a few hundred ms) while the image in view stays on screen and editable. The
new one replaces it when it arrives, unless the user asked for another meanwhile; then it
is dropped.

Saving: each edit restarts a short autosave timer; when it fires, the document is copied on
this thread (``DocumentSnapshot.of``) and written on a saver thread, so PNG encoding never
stalls the window. A new model result for the image in view (a threshold re-run too) is
saved the same way. Saves run one at a time, in order; ``flush`` waits for them. While a
save is on its way, :meth:`Session.status` already answers with the status it writes.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from panoptix.core.annotation_file import DocumentSnapshot
from panoptix.core.document import Document
from panoptix.core.keep_locked import keep_locked
from panoptix.core.project import ImageStatus, Project
from panoptix.core.review import image_uncertainty
from panoptix.gui.worker import Job, JobResult, error_message
from panoptix.gui.worker_client import WorkerClient
from panoptix.inference.settings import InferenceSettings, SettingsError

AUTOSAVE_DELAY_MS = 1000
SETTINGS_KEY = "inference"
LOADING = "load"
"""The ``busy`` task name of an image being read."""


@dataclass(eq=False)
class _Loading:
    """An image being read on the loader thread."""

    key: str
    future: Future[tuple[np.ndarray, Document]]
    arrived: JobResult | None = None
    """A background pre-segmentation of this image saved while it was read: the document
    read may predate it."""


def _read(project: Project, key: str) -> tuple[np.ndarray, Document]:
    """On the loader thread: the image and its saved (or a blank) document."""
    return project.load_image(key), project.load_document(key)


class Session(QObject):
    project_opened = Signal(object)
    image_requested = Signal(str)
    """(key) the image the user asked for; ``image_opened`` follows once it is read."""
    image_opened = Signal(str, object, object)
    """(key, RGB array or None when unreadable, Document or None)."""
    document_replaced = Signal(object)
    """The image in view got a new document (a model result)."""
    status_changed = Signal(str, object)
    message = Signal(str)
    error = Signal(str)
    saved = Signal(str)
    """An autosave of this image's key finished."""
    uncertainty_changed = Signal(str, float)
    """(key, share of the image still in doubt), computed on pre-segmentation and save."""
    busy = Signal(str, str)
    """(task, what runs; empty when it ended) for the status bar."""
    _loaded = Signal(object)
    """A ``_Loading`` whose reading ended (from the loader thread)."""

    def __init__(self, client: WorkerClient, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.project: Project | None = None
        self.key: str | None = None
        self.document: Document | None = None
        self.auto_presegment = True
        self._overrides: dict[str, str] = {}
        self._saver = ThreadPoolExecutor(max_workers=1, thread_name_prefix="panoptix-save")
        self._pending_save: Future | None = None
        self._saving: tuple[str, ImageStatus] | None = None
        """(key, status) that the pending save writes."""
        self._autosave = QTimer(self, singleShot=True, interval=AUTOSAVE_DELAY_MS)
        self._autosave.timeout.connect(self._save_now)
        self._loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="panoptix-load")
        self._loading: _Loading | None = None
        self._presegment_when_shown = False
        """Queue the rest of the folder once the first image is shown (its job first)."""
        self.resume_key: Callable[[Project], str | None] | None = None
        """The image to open a project on (where the user left off); None: the first."""
        # queued even when emitted here (a cancelled or already finished read)
        self._loaded.connect(self._finish_load, Qt.ConnectionType.QueuedConnection)
        client.result.connect(self._result)
        client.failed.connect(self._failed)

    # -- project --------------------------------------------------------------------------
    def open(self, path: str | Path | list[str], model: str | None = None,
             device: str | None = None) -> bool:
        """Open images, a folder of images or a project; False (and an error) if not."""
        self.close()
        try:
            project = Project.open_or_create_for_images(path)
        except Exception as exc:  # noqa: BLE001 - any failure is a message, never a crash
            self.error.emit(f"cannot open {path}: {exc}")
            return False
        self.project = project
        self._overrides = {k: v for k, v in (("model", model), ("device", device)) if v}
        self.project_opened.emit(project)
        if project.images:
            self._presegment_when_shown = self.auto_presegment
            resumed = self.resume_key(project) if self.resume_key is not None else None
            self.go_to(resumed if resumed in self.keys() else project.images[0].key)
        return True

    def close(self) -> None:
        """Save what is pending, stop the project's background work, release the folder."""
        self.client.cancel_background()
        self.client.drop_view()
        self._presegment_when_shown = False
        loading, self._loading = self._loading, None
        if loading is not None:
            loading.future.cancel()
            wait([loading.future])  # it reads from the project about to close
            self.busy.emit(LOADING, "")
        self.flush()
        if self.project is not None:
            project, self.project = self.project, None
            try:
                project.save_manifest()
            finally:
                project.close()
        self.key = self.document = None

    def shutdown(self) -> None:
        self.close()
        self._loader.shutdown(wait=True)
        self._saver.shutdown(wait=True)

    def keys(self) -> list[str]:
        return [entry.key for entry in self.project.images] if self.project else []

    def status(self, key: str) -> ImageStatus | None:
        if self.project is None:
            return None
        pending, saving = self._pending_save, self._saving
        if pending is not None and saving is not None and saving[0] == key \
                and not pending.done():
            return saving[1]
        return self.project.entry(key).status

    # -- settings -----------------------------------------------------------------------
    @property
    def settings(self) -> InferenceSettings:
        stored = dict(self.project.settings.get(SETTINGS_KEY, {})) if self.project else {}
        stored.update(self._overrides)
        try:
            return InferenceSettings.from_dict(stored)
        except SettingsError as exc:
            self.error.emit(f"model settings ignored: {exc}")
            return InferenceSettings()

    def set_settings(self, settings: InferenceSettings) -> None:
        if self.project is None:
            return
        self._overrides.clear()
        self.project.settings[SETTINGS_KEY] = settings.to_dict()
        self.project.save_manifest()

    def use_model_for_now(self, model: str) -> None:
        """Use ``model`` until the project closes, not saved into it (its own model is tried
        again next time); segment the image in view if it has nothing yet, and queue the
        other new images."""
        if self.project is None:
            return
        self._overrides["model"] = model
        if self.key is not None and self.status(self.key) == ImageStatus.NEW:
            self.run_model()
        self.presegment_rest()

    # -- images -------------------------------------------------------------------------
    @property
    def target(self) -> str | None:
        """The image being read, else the one in view."""
        return self._loading.key if self._loading is not None else self.key

    def go_to(self, key: str) -> None:
        """Show another image: it is read on the loader thread, then replaces the one in
        view (``image_opened``), unless another was asked for meanwhile."""
        if self.project is None or key == self.target:
            return
        loading, self._loading = self._loading, None
        if loading is not None:
            loading.future.cancel()
        self.image_requested.emit(key)
        if key == self.key:  # back to the image still in view
            self.busy.emit(LOADING, "")
            return
        if self._autosave.isActive():
            self._save_now()  # the edits so far, written while the next image is read
        project = self.project
        self.busy.emit(LOADING, f"Loading {project.entry(key).rel_path}…")
        loading = self._loading = _Loading(key, self._loader.submit(_read, project, key))
        loading.future.add_done_callback(lambda _done: self._loaded.emit(loading))

    def _finish_load(self, loading: _Loading) -> None:
        if loading is not self._loading:
            return  # the user moved on, or the project closed
        self._loading = None
        self.busy.emit(LOADING, "")
        self.client.drop_view()
        self.flush()
        key = self.key = loading.key
        try:
            image, document = loading.future.result()
        except Exception as exc:  # noqa: BLE001 - a bad image must not stop the session
            self.document = None
            self.image_opened.emit(key, None, None)
            self.error.emit(error_message(exc))
        else:
            if loading.arrived is not None:
                document = loading.arrived.document
            self._show(key, image, document)
            if self.auto_presegment and self.status(key) == ImageStatus.NEW:
                self.run_model()
        if self._presegment_when_shown:
            self._presegment_when_shown = False
            self.presegment_rest()

    def step(self, delta: int, keys: list[str]) -> None:
        """Go ``delta`` images on from the one being read or in view, in the order of
        ``keys`` (the order the image list shows)."""
        if keys:
            index = keys.index(self.target) if self.target in keys else -1
            self.go_to(keys[max(0, min(len(keys) - 1, index + delta))])

    def _show(self, key: str, image: np.ndarray | None, document: Document) -> None:
        """Make ``document`` current; ``image`` None keeps the image in view."""
        self.document = document
        document.history_changed.connect(self._edited)
        if image is None:
            self.document_replaced.emit(document)
        else:
            self.image_opened.emit(key, image, document)

    def _edited(self) -> None:
        if self.key is None:
            return
        self._autosave.start()
        if self.status(self.key) in (ImageStatus.NEW, ImageStatus.PRESEGMENTED):
            self.status_changed.emit(self.key, ImageStatus.EDITED)

    def _save_now(self, status: ImageStatus | None = None, model: str | None = None) -> None:
        """Copy the document here and write it on the saver thread. ``status=None``: an
        edit, so NEW and PRESEGMENTED become EDITED (as ``Project.save_snapshot`` does)."""
        self._autosave.stop()
        if self.project is None or self.key is None or self.document is None:
            return
        project, key = self.project, self.key
        if status is None:
            current = self.status(key)
            status = (ImageStatus.EDITED if current in (ImageStatus.NEW,
                                                        ImageStatus.PRESEGMENTED) else current)
        snapshot = DocumentSnapshot.of(self.document)
        uncertainty = image_uncertainty(self.document)
        future = self._saver.submit(project.save_snapshot, key, snapshot, status, model,
                                    uncertainty=uncertainty)
        self._pending_save, self._saving = future, (key, ImageStatus(status))
        future.add_done_callback(lambda done: self._saved(key, done))
        self.uncertainty_changed.emit(key, uncertainty)

    def _saved(self, key: str, future: Future) -> None:
        """On the saver thread: report the outcome (the signals are queued to the GUI)."""
        error = future.exception()
        if error is None:
            self.saved.emit(key)
        else:
            self.error.emit(f"could not save: {error_message(error)}")

    def flush(self) -> None:
        """Write a pending autosave now and wait until every save is on disk."""
        if self._autosave.isActive():
            self._save_now()
        if self._pending_save is not None:
            wait([self._pending_save])

    def mark_done(self) -> None:
        if self.key is None or self.document is None:
            return
        done = self.status(self.key) != ImageStatus.DONE
        status = ImageStatus.DONE if done else ImageStatus.EDITED
        self._save_now(status)
        self.status_changed.emit(self.key, status)
        self.message.emit("marked done" if done else "marked not done")

    # -- inference ------------------------------------------------------------------------
    def _job(self, job_id: int, key: str, settings: InferenceSettings,
             postprocess_only: bool = False) -> Job:
        assert self.project is not None
        project = self.project
        return Job(job_id, key, settings, project.categories,
                   lambda: project.load_image(key), project.raw_outputs_path(key),
                   postprocess_only=postprocess_only)

    def run_model(self, postprocess_only: bool = False,
                  settings: InferenceSettings | None = None) -> None:
        """Segment the image in view (or only post-process its kept raw outputs)."""
        if self.project is None or self.key is None:
            return
        key, settings = self.key, settings or self.settings
        self.client.submit_view(lambda job_id: self._job(job_id, key, settings,
                                                         postprocess_only))

    def presegment_rest(self) -> None:
        """Queue every new image but the one in view for background pre-segmentation.

        The worker saves each result itself, and only while the image is still new, so a
        background result never overwrites the user's edits.
        """
        if self.project is None:
            return
        project, queued, settings = self.project, self.client.background_keys(), self.settings
        jobs = []
        for entry in project.images:
            if entry.status != ImageStatus.NEW or entry.key == self.target or entry.key in queued:
                continue
            job = self._job(self.client.next_id(), entry.key, settings)
            job.save = (lambda doc, model, key=entry.key: project.save_document(
                key, doc, status=ImageStatus.PRESEGMENTED, model=model,
                uncertainty=image_uncertainty(doc), if_status={ImageStatus.NEW}))
            jobs.append(job)
        if jobs:
            self.client.submit_background(jobs)

    def _result(self, result: JobResult) -> None:
        if self.project is None:
            return
        if result.key == self.key and (not result.background or self._unedited()):
            self._replace_current(result)
        elif result.saved:
            if self._loading is not None and self._loading.key == result.key:
                self._loading.arrived = result
            self.status_changed.emit(result.key, ImageStatus.PRESEGMENTED)
            uncertainty = self.project.entry(result.key).uncertainty
            if uncertainty is not None:
                self.uncertainty_changed.emit(result.key, uncertainty)

    def replace_with(self, result: JobResult) -> None:
        """Show a result computed outside the worker (a threshold re-run from kept outputs)
        if its image is still in view; it replaces the document like a model result."""
        if self.project is not None and result.key == self.key:
            self._replace_current(result)

    def _unedited(self) -> bool:
        return self.document is None or not self.document.history.can_undo

    def _replace_current(self, result: JobResult) -> None:
        """Show a new document for the image in view and save it on the saver thread
        (edits still waiting for autosave are replaced with the rest)."""
        assert self.project is not None and self.key is not None
        self._autosave.stop()
        self._show(self.key, None, keep_locked(self.document, result.document))
        self._save_now(ImageStatus.PRESEGMENTED, result.model_id)
        self.status_changed.emit(self.key, ImageStatus.PRESEGMENTED)
        self.message.emit(result.summary())

    def _failed(self, key: str, message: str, background: bool) -> None:
        if background:
            self.client.cancel_background()
            self.error.emit(f"background pre-segmentation stopped: {message}")
        else:
            self.error.emit(f"model: {message}")
