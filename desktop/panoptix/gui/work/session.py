"""The open project as the window sees it: which image is in view, its document, autosave,
and the inference requests for it and for the rest of the folder.

No widgets here: the window listens to the signals and shows what they carry.

Switching images: the image and its document are read on a loader thread (decoding a 12 MP
photo takes a few hundred ms) while the image in view stays on screen and editable. The
new one replaces it when it arrives, unless the user asked for another meanwhile; then it
is dropped.

Saving: each edit restarts a short autosave timer (never more than
:data:`AUTOSAVE_MAX_WAIT_MS` after the first unsaved edit, so continuous editing is saved
too); when it fires, the document is copied on this thread (``DocumentSnapshot.of``) and
written on a saver thread (:mod:`panoptix.gui.work.save_queue`), so PNG encoding never stalls
the window. A new model result for the image in view (a threshold re-run too) is saved the
same way. Saves run one at a time, in order; ``flush`` waits for them. While a save is on
its way, or after it failed, :meth:`Session.status` answers with the status it writes. A
failed save stays pending and is retried; :meth:`Session.save` (Ctrl+S) retries at once.

The model's half (asking for results, and what a result may replace) is
:mod:`panoptix.gui.work.session_model`.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from panoptix.core.annotation_file import DocumentSnapshot
from panoptix.core.atomic import StoreError
from panoptix.core.document import Document
from panoptix.core.folder_lock import ProjectLockedError
from panoptix.core.project import ImageStatus, Project
from panoptix.core.review import image_uncertainty
from panoptix.gui.work.off_thread import built_frozen, wait_off_thread
from panoptix.gui.work.save_queue import SaveQueue, SaveRequest
from panoptix.gui.work.session_model import ModelRequests
from panoptix.gui.work.worker import JobResult, error_message
from panoptix.gui.work.worker_client import WorkerClient
from panoptix.inference.settings import InferenceSettings, SettingsError

AUTOSAVE_DELAY_MS = 1000
AUTOSAVE_MAX_WAIT_MS = 3000
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


DisplayHook = Callable[[np.ndarray, Document], None]


def _read(project: Project, key: str,
          prepare: DisplayHook | None = None) -> tuple[np.ndarray, Document]:
    """On the loader thread: the image and its saved (or a blank) document, and what the
    canvas draws of them made ahead (``prepare``)."""
    image, document = project.load_image(key), project.load_document(key)
    if prepare is not None:
        with suppress(Exception):  # then the canvas makes them on the GUI thread
            prepare(image, document)
    return image, document


def _shown(path: str | Path | list[str]) -> str:
    """A project's or folder's name for a one-line message (a list: how many images)."""
    if isinstance(path, list):
        return f"{len(path)} images"
    return Path(path).name or str(path)


class Session(ModelRequests, QObject):
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
    open_failed = Signal(str)
    """Why a project could not be opened: shown until the next message, since the window
    stays empty."""
    saved = Signal(str)
    """An autosave of this image's key finished."""
    uncertainty_changed = Signal(str, float)
    """(key, share of the image still in doubt), computed on pre-segmentation and save."""
    background_progress = Signal(int, int)
    """(images of the folder pre-segmented or beyond, images in the folder) while the
    background pre-segmentation runs; (0, 0) when it does not."""
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
        self.allow_pickle = False
        """Pickle weights allowed in this window's session (never kept in the project)."""
        self.saves = SaveQueue(self)
        self.saves.saved.connect(self.saved)
        self.saves.failed.connect(self._save_failed)
        self._autosave = QTimer(self, singleShot=True, interval=AUTOSAVE_DELAY_MS,
                                timerType=Qt.TimerType.PreciseTimer)  # coarse: up to 5% late
        self._autosave.timeout.connect(self._save_now)
        self._unsaved_since = 0.0
        self._changes = 0
        """Changes to the document in view since it was shown (strokes in progress too)."""
        self._asked: tuple[Document, int] | None = None
        """(document, changes) when the model was last asked for the image in view."""
        self._manifest_error: str | None = None
        self._loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="panoptix-load")
        self._stopped = False
        self._loading: _Loading | None = None
        self.prepare_display: DisplayHook | None = None
        """Called on the loader thread with each image and document read (the canvas's
        ``DisplayPreparer``), so the switch to a large image costs the GUI thread little."""
        self._presegment_when_shown = False
        """Queue the rest of the folder once the first image is shown (its job first)."""
        self._clean_status: ImageStatus | None = None
        """The status of the image in view as it was opened (or last replaced by a model
        result): undoing back to that point gives this status back."""
        self._background = False
        client.background_progress.connect(self._background_moved)
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
        self.busy.emit(LOADING, f"Opening {path}…")
        try:  # read off this thread: a list of 100,000 images takes seconds to check
            project = wait_off_thread(self._loader, lambda: built_frozen(
                lambda: Project.open_or_create_for_images(path)))
        except ProjectLockedError:  # its message repeats the path, too long for the bar
            self.open_failed.emit(f"cannot open {_shown(path)}: it is open in another "
                                  "Panoptix window or process")
            return False
        except Exception as exc:  # noqa: BLE001 - any failure is a message, never a crash
            self.open_failed.emit(f"cannot open {path}: {exc}")
            return False
        finally:
            self.busy.emit(LOADING, "")
        if self._stopped:  # the window closed while the project was read
            project.close(save=False)
            gc.unfreeze()
            return False
        self.project = project
        self._overrides = {k: v for k, v in (("model", model), ("device", device)) if v}
        self.allow_pickle = False
        self.project_opened.emit(project)
        if project.skipped:
            more = f" (and {len(project.skipped) - 1} more)" if len(project.skipped) > 1 else ""
            self.error.emit(f"skipped {project.skipped[0]}{more}")
        if project.images:
            self._presegment_when_shown = self.auto_presegment
            resumed = self.resume_key(project) if self.resume_key is not None else None
            self.go_to(resumed if resumed in self.keys() else project.images[0].key)
        return True

    def close(self) -> list[str]:
        """Save what is pending, stop the project's background work, release the folder.
        Never raises; returns what could not be saved (one line each), now forgotten: ask
        the user first (:meth:`unsaved`)."""
        self.client.cancel_background()
        self.client.drop_view()
        self._presegment_when_shown = False
        loading, self._loading = self._loading, None
        if loading is not None:
            loading.future.cancel()
            wait([loading.future])  # it reads from the project about to close
            self.busy.emit(LOADING, "")
        lost: list[str] = []
        if self.project is not None:
            self.save()
            lost = self.unsaved()
            project, self.project = self.project, None
            self.saves.discard(project)
            project.close(save=False)
            del project
            gc.unfreeze()  # what the project's opening froze (built_frozen), now collectable
        self.key = self.document = None
        return lost

    def shutdown(self) -> list[str]:
        """Close (see :meth:`close`) and stop the loader and saver threads."""
        self._stopped = True  # a project still being opened is closed when it arrives
        try:
            return self.close()
        finally:
            self._loader.shutdown(wait=True)
            self.saves.shutdown()

    def keys(self) -> list[str]:
        return [entry.key for entry in self.project.images] if self.project else []

    def status(self, key: str) -> ImageStatus | None:
        if self.project is None:
            return None
        return self.saves.pending_status(key) or self.project.entry(key).status

    @property
    def read_only(self) -> bool:
        return self.project is not None and self.project.read_only

    # -- settings -----------------------------------------------------------------------
    @property
    def settings(self) -> InferenceSettings:
        stored = dict(self.project.settings.get(SETTINGS_KEY, {})) if self.project else {}
        stored.update(self._overrides)
        try:
            settings = InferenceSettings.from_stored(stored)
        except SettingsError as exc:
            self.error.emit(f"model settings ignored: {exc}")
            settings = InferenceSettings()
        return settings.with_changes(allow_pickle=True) if self.allow_pickle else settings

    def set_settings(self, settings: InferenceSettings) -> None:
        if self.project is None:
            return
        self._overrides.clear()
        self.allow_pickle = settings.allow_pickle
        if self.read_only:
            self.error.emit("this project is read-only: model settings are not kept")
            return
        self.project.settings[SETTINGS_KEY] = settings.stored()
        try:
            self.project.save_manifest()
        except StoreError as exc:  # kept in memory; Ctrl+S and quit try again
            self.error.emit(f"model settings not saved: {exc}")

    def use_model_for_now(self, model: str) -> None:
        """Use ``model`` until the project closes, not saved into it (its own is tried again
        next time)."""
        self._overrides["model"] = model

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
        loading = self._loading = _Loading(key, self._loader.submit(_read, project, key,
                                                                    self.prepare_display))
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

    def step(self, delta: int, keys: Sequence[str]) -> None:
        """Go ``delta`` images on from the one being read or in view, in the order of
        ``keys`` (the order the image list shows)."""
        if keys:
            index = keys.index(self.target) if self.target in keys else -1
            self.go_to(keys[max(0, min(len(keys) - 1, index + delta))])

    def _show(self, key: str, image: np.ndarray | None, document: Document) -> None:
        """Make ``document`` current; ``image`` None keeps the image in view."""
        self.document = document
        self._changes = 0
        document.history.mark_clean()
        self._clean_status = self.status(key) if image is not None else \
            ImageStatus.PRESEGMENTED
        document.history_changed.connect(self._edited)
        document.map_changed.connect(lambda _box, doc=document: self._touched(doc))
        document.segments_changed.connect(lambda _ids, doc=document: self._touched(doc))
        if image is None:
            self.document_replaced.emit(document)
        else:
            self.image_opened.emit(key, image, document)

    def _touched(self, document: Document) -> None:
        if document is self.document:
            self._changes += 1

    def _edited(self) -> None:
        if self.key is None:
            return
        now = time.monotonic()
        if not self._autosave.isActive():
            self._unsaved_since = now
        waited_ms = (now - self._unsaved_since) * 1000
        self._autosave.start(int(max(0.0, min(AUTOSAVE_DELAY_MS,
                                              AUTOSAVE_MAX_WAIT_MS - waited_ms))))
        self.status_changed.emit(self.key, self._status_after_edit())

    def _status_after_edit(self) -> ImageStatus:
        """NEW and PRESEGMENTED become EDITED, and EDITED goes back to what the image was
        opened as once every edit since is undone; DONE stays done."""
        assert self.key is not None
        current = self.status(self.key) or ImageStatus.NEW
        if current == ImageStatus.DONE:
            return current
        clean = self.document is not None and self.document.history.is_clean
        if clean and self._clean_status in (ImageStatus.NEW, ImageStatus.PRESEGMENTED):
            return self._clean_status
        if current in (ImageStatus.NEW, ImageStatus.PRESEGMENTED):
            return ImageStatus.EDITED
        return current

    def _save_now(self, status: ImageStatus | None = None, model: str | None = None) -> None:
        """Copy the document here and write it on the saver thread. ``status=None``: an
        edit, so NEW and PRESEGMENTED become EDITED (as ``Project.save_snapshot`` does),
        unless every edit was undone."""
        self._autosave.stop()
        if self.project is None or self.key is None or self.document is None \
                or self.project.read_only:
            return
        project, key = self.project, self.key
        if status is None:
            status = self._status_after_edit()
        snapshot = DocumentSnapshot.of(self.document)
        uncertainty = image_uncertainty(self.document)
        self.saves.submit(SaveRequest(project, key, snapshot, ImageStatus(status), model,
                                      uncertainty))
        self.saves.retry()  # saves that failed before go again with this one
        self.uncertainty_changed.emit(key, uncertainty)

    def _save_failed(self, key: str, message: str) -> None:
        name = self._name(key)
        self.error.emit(f"could not save {name}: {message}; your edits are kept and saving "
                        "is retried (Ctrl+S to retry now)")

    def _name(self, key: str) -> str:
        try:
            return self.project.entry(key).rel_path if self.project is not None else key
        except StoreError:
            return key

    def flush(self) -> None:
        """Write a pending autosave now and wait until every save is on disk (or failed)."""
        if self._autosave.isActive():
            self._save_now()
        self.saves.wait()

    def save(self) -> bool:
        """Ctrl+S: write what is pending now, retry the saves that failed, write the
        project list; True (and "saved") if everything is on disk, else the error."""
        if self.project is None:
            return True
        if self.key is not None and (self._autosave.isActive()
                                     or self.key in self.saves.failures()):
            self._save_now()  # the document in view as it is now
        self.saves.retry()
        self.saves.wait()
        self._manifest_error = None
        if not self.project.read_only:
            try:
                self.project.save_manifest()
            except StoreError as exc:
                self._manifest_error = str(exc)
        unsaved = self.unsaved()
        if unsaved:
            self.error.emit(f"could not save {unsaved[0]}"
                            + (f" (and {len(unsaved) - 1} more)" if len(unsaved) > 1 else ""))
        else:
            self.message.emit(f"saved {self._name(self.key)}" if self.key is not None
                              else "saved")
        return not unsaved

    def unsaved(self) -> list[str]:
        """What is not on disk, one line each: images whose save failed, the project list."""
        lines = [f"{self._name(key)} ({why})" for key, why in self.saves.failures().items()]
        if self._manifest_error is not None:
            lines.append(f"the project list ({self._manifest_error})")
        return lines

    def discard_unsaved(self) -> list[str]:
        """Forget the saves that failed (the user chose to); returns the images' names."""
        self._manifest_error = None
        return [self._name(key) for key in self.saves.discard(self.project)]

    def mark_done(self) -> None:
        if self.key is None or self.document is None or self.read_only:
            return
        done = self.status(self.key) != ImageStatus.DONE
        status = ImageStatus.DONE if done else ImageStatus.EDITED
        self._save_now(status)
        self.status_changed.emit(self.key, status)
        self.message.emit("marked done" if done else "marked not done")

    def mark_images_done(self, keys: list[str]) -> None:
        """Mark ``keys`` done without showing them (the image list's menu); a new image
        has no segments yet to be done with and stays new."""
        if self.project is None or self.read_only:
            return
        self.flush()  # a save still queued for one of them would write its old status
        marked, new = 0, 0
        for key in keys:
            status = self.status(key)
            if status == ImageStatus.NEW:
                new += 1
            elif status != ImageStatus.DONE:
                try:
                    self.project.set_status(key, ImageStatus.DONE)
                except StoreError as exc:
                    self.error.emit(f"could not mark {self._name(key)} done: {exc}")
                    continue
                marked += 1
                self.status_changed.emit(key, ImageStatus.DONE)
        stays = f"; {new} new (not segmented yet) stay new" if new else ""
        self.message.emit(f"marked {marked} image{'' if marked == 1 else 's'} done{stays}")
