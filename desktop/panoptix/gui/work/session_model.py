"""The model's half of :class:`panoptix.gui.work.session.Session`: asking the worker for the
image in view and for the rest of the folder, and what a result may replace.

Model results never replace work: a result for the image in view replaces its document
only if the document is unchanged since the model was asked (a background one: since the
image was shown). Otherwise the edits stay, the result's raw outputs stay on disk for
proposals and guesses, and the status bar says so.
"""

from __future__ import annotations

from panoptix.core.atomic import StoreError
from panoptix.core.keep_locked import keep_locked
from panoptix.core.project import ImageStatus
from panoptix.gui.work.worker import Job, JobResult
from panoptix.inference.pipeline import save_document
from panoptix.inference.settings import InferenceSettings


class ModelRequests:
    """Mixed into ``Session``, whose state (project, key, document, client, signals) it
    uses; kept apart so each half stays readable."""

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
        if self.read_only:
            self.message.emit("read-only project: the model does not run (nothing it finds "
                              "could be kept)")
            return
        key, settings = self.key, settings or self.settings
        if not self._can_keep_outputs(key):
            return
        self._asked = (self.document, self._changes) if self.document is not None else None
        self.client.submit_view(lambda job_id: self._job(job_id, key, settings,
                                                         postprocess_only))

    def presegment_rest(self, redo_presegmented: bool = False) -> None:
        """Queue every new image but the one in view for background pre-segmentation
        (with ``redo_presegmented``, the pre-segmented ones too: a new model).

        The worker saves each result itself, and only while the image is still new (or
        pre-segmented), so a background result never overwrites the user's edits.
        """
        if self.project is None or self.read_only:
            return
        project, queued, settings = self.project, self.client.background_keys(), self.settings
        if self.key is not None and not self._can_keep_outputs(self.key):
            return
        replaceable = _replaceable(redo_presegmented)
        keys = dict.fromkeys(project.query_table(lambda table: table.keys(replaceable)))
        for key, status in self.saves.pending_statuses(project).items():  # not written yet
            if status in replaceable:
                keys[key] = None
            else:
                keys.pop(key, None)

        def make(key: str) -> Job:
            job = self._job(self.client.next_id(), key, settings)
            job.save = (lambda doc, model: save_document(project, key, doc, model,
                                                         overwrite=replaceable))
            return job

        queued.add(self.target)  # type: ignore[arg-type]
        self.client.submit_background_keys((key for key in keys if key not in queued), make)

    def rerun_images(self, keys: list[str]) -> None:
        """Segment ``keys`` again, edits included (the user asked and was asked): the
        image in view now, the others in the background, each saved over what it had."""
        if self.project is None or self.read_only:
            return
        if self.key in keys:
            self.run_model()
        others = [key for key in keys if key != self.key]
        if not others:
            return
        self.flush()  # a save still queued would land after the new result
        project, settings = self.project, self.settings
        jobs = []
        for key in others:
            job = self._job(self.client.next_id(), key, settings)
            job.save = (lambda doc, model, key=key: save_document(
                project, key, doc, model, overwrite=frozenset(ImageStatus)))
            jobs.append(job)
        self.client.submit_background(jobs)

    def rerun_with_new_model(self, redo_presegmented: bool = False) -> None:
        """After a switch of model: drop the jobs queued with the old one (they would count
        as done and keep its output), segment the image in view if nobody edited it, and
        queue the rest (``redo_presegmented``: the pre-segmented images too). The job in
        flight finishes first, so the new model's result lands after it."""
        self.client.cancel_background()
        document = self.document
        if self.key is not None and self.status(self.key) in _replaceable(redo_presegmented) \
                and (document is None or not document.history.can_undo):
            self.run_model()
        self.presegment_rest(redo_presegmented)

    def _can_keep_outputs(self, key: str) -> bool:
        """Whether the raw outputs folder can be made (False, and the error, when the
        project folder became read-only)."""
        assert self.project is not None
        try:
            self.project.raw_outputs_path(key)
        except StoreError as exc:
            self.error.emit(f"model: {exc}")
            return False
        return True

    def _result(self, result: JobResult) -> None:
        if self.project is None:
            return
        if result.key == self.key:
            if self._unchanged_since_asked(result):
                self._replace_current(result)
            else:
                self._keep_edits(result)
        elif result.saved:
            if self._loading is not None and self._loading.key == result.key:
                self._loading.arrived = result
            self.status_changed.emit(result.key, ImageStatus.PRESEGMENTED)
            uncertainty = self.project.entry(result.key).uncertainty
            if uncertainty is not None:
                self.uncertainty_changed.emit(result.key, uncertainty)
        self._report_progress()

    def _background_moved(self, _done: int, total: int) -> None:
        self._background = total > 0
        self._report_progress()

    def _report_progress(self) -> None:
        """Progress over the whole folder, the image in view included (the worker's own
        count leaves it out: it runs as a view job, not a background one)."""
        project = self.project
        counts = project.status_counts() if project is not None else {}
        total = sum(counts.values())
        if project is None or not self._background or not total:
            self.background_progress.emit(0, 0)
            return
        done = total - counts[ImageStatus.NEW]  # the project's counts, not a pass over it
        for key, status in self.saves.pending_statuses(project).items():
            written = project.entry(key).status
            done += (status != ImageStatus.NEW) - (written != ImageStatus.NEW)
        self.background_progress.emit(done, total)

    def replace_with(self, result: JobResult) -> None:
        """Show a result computed outside the worker (a threshold re-run from kept outputs)
        if its image is still in view; it replaces the document like a model result."""
        if self.project is not None and result.key == self.key and not self.read_only:
            self._replace_current(result)

    def _unchanged_since_asked(self, result: JobResult) -> bool:
        """Whether ``result`` may replace the document in view: nothing changed since the
        model was asked for it (a background result: since the image was shown, and only
        if the worker could save it, i.e. nobody saved edits meanwhile)."""
        if self.document is None:
            return True
        if result.background:
            return result.saved and self._changes == 0
        asked = self._asked
        return asked is not None and asked[0] is self.document and asked[1] == self._changes

    def _keep_edits(self, result: JobResult) -> None:
        """A model result that came after the user edited the image: the edits stay (and
        go to disk over a background save); the raw outputs stay for proposals."""
        if result.saved:
            self._save_now()
        self.message.emit("kept your edits: the model's result for this image came after "
                          "them; its outputs serve proposals and guesses (Ctrl+R replaces "
                          "the segments)")

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


def _replaceable(redo_presegmented: bool) -> frozenset[ImageStatus]:
    """The statuses a model's result may overwrite: new images, and with
    ``redo_presegmented`` (a new model) the pre-segmented ones."""
    return frozenset({ImageStatus.NEW, *([ImageStatus.PRESEGMENTED] if redo_presegmented
                                         else [])})
