"""The main window: puts the canvas, panels, actions and status bar together and wires them.

Behaviour lives elsewhere: editing in ``tools/`` (the editor and its tools), the project and
the model requests in ``work/session.py``, the worker thread in ``work/worker_client.py``,
each feature in a controller of ``features/`` given the few collaborators it uses
(model-assisted editing in ``features/assist.py``, locks, notes, view, training...).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QSlider,
    QSpinBox,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from panoptix.core.atomic import StoreError
from panoptix.core.document import Document
from panoptix.core.edits import fuse_stuff
from panoptix.gui.actions import FEATURE_MENU_ITEMS, MAIN_TOOLBAR, MENUS, Actions
from panoptix.gui.adaptive_layout import AdaptiveLayout
from panoptix.gui.canvas.canvas import Canvas
from panoptix.gui.canvas.minimap import Minimap
from panoptix.gui.dialogs.export import ExportDialog
from panoptix.gui.dialogs.model_settings import SettingsDialog
from panoptix.gui.dialogs.relabel import RelabelPopup, show_shortcuts
from panoptix.gui.dialogs.unsaved import Ask, ask_with_dialog, settle_unsaved, shut_down
from panoptix.gui.features.assist import AssistController
from panoptix.gui.features.context_menus import ContextMenus
from panoptix.gui.features.demo_offer import DemoOffer
from panoptix.gui.features.keyboard import KeyboardReturn
from panoptix.gui.features.locks import LockControls
from panoptix.gui.features.notes import ImageNotesControls
from panoptix.gui.features.opening import Opening
from panoptix.gui.features.read_only import MESSAGE as READ_ONLY_MESSAGE
from panoptix.gui.features.read_only import ReadOnlyMode
from panoptix.gui.features.rerun import Rerun
from panoptix.gui.features.resume import Resume
from panoptix.gui.features.segment_anything import SamController
from panoptix.gui.features.shortcuts import ShortcutControls
from panoptix.gui.features.training import TrainingController
from panoptix.gui.features.view import ViewControls
from panoptix.gui.panels.category_picker import CategoryPanel
from panoptix.gui.panels.image_list import ImageList
from panoptix.gui.panels.segment_list import SegmentList
from panoptix.gui.panels.status import StatusBar
from panoptix.gui.panels.threshold_panel import ThresholdPanel
from panoptix.gui.prefs import Prefs
from panoptix.gui.tools.editor import MAX_BRUSH, MIN_BRUSH, Editor
from panoptix.gui.work.session import Session
from panoptix.gui.work.worker_client import WorkerClient

REVIEW_SORTS = {"review_sort": "review/segments_least_confident_first",
                "review_images_sort": "review/images_least_confident_first"}
"""The Review menu's sort toggles and the preference each is remembered under."""


class MainWindow(QMainWindow):
    def __init__(self, prefs: Prefs | None = None, client: WorkerClient | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Panoptix")
        self.setAcceptDrops(True)
        self.prefs = prefs or Prefs()
        self.canvas = Canvas()
        self.setCentralWidget(self.canvas)
        self.editor = Editor(self.canvas, self)
        self.client = client or WorkerClient(self)  # the application's: warming up already
        self.session = Session(self.client, self)
        self.images = ImageList()
        self.segments = SegmentList()
        self.categories = CategoryPanel()
        self.thresholds = ThresholdPanel()
        self.status = StatusBar()
        self.setStatusBar(self.status)
        self.opening = Opening(self.open_path, self.prefs, self.status, self)
        self._dock("Images", self.images, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._dock("Thresholds", self.thresholds, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.segments_dock = self._dock("Segments", self.segments,
                                        Qt.DockWidgetArea.RightDockWidgetArea)
        self._dock("Categories", self.categories, Qt.DockWidgetArea.RightDockWidgetArea)
        self.assist = AssistController(self.session, self.editor, self, self)
        self.training = TrainingController(self.session, self.thresholds, self.status, self)
        self.session.prepare_display = self.canvas.preparer
        self.view = ViewControls(self.session, self.editor, self.canvas, self.segments,
                                 self.categories.picker, self.status, self)
        self.sam = SamController(self.session, self.editor, self.client, self.assist,
                                 self.images.order, self)
        self.demo_offer = DemoOffer(self.session, self.client, self.status, self)
        self.reruns = Rerun(self.session, self.editor, self)
        self.actions = Actions(self, self._handlers())
        self.read_only = ReadOnlyMode(self.actions, self.status,
                                      [self.thresholds, self.categories])
        self.ask_unsaved: Ask = ask_with_dialog(self)
        """Asked before quitting or opening another project while work is unsaved."""
        self.relabel_popup = RelabelPopup(self)
        self.relabel_popup.suggest = self.assist.suggester(self.relabel_popup.suggest)
        self.settings_dialog: SettingsDialog | None = None
        self.export_dialog: ExportDialog | None = None
        self._build_menus()
        self._build_toolbars()
        self.context_menus = ContextMenus(self.session, self.editor, self.canvas,
                                          self.segments, self.images, self.actions,
                                          self.view.visibility, self.reruns.images)
        self.adaptive = AdaptiveLayout(self, QSize(1400, 900))
        self._connect()
        self._build_features()
        self._restore_prefs()
        self._enable_for_document(None)
        self._enable_stepping(False)

    # -- construction -----------------------------------------------------------------------
    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower().replace(' ', '_')}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _handlers(self) -> dict:
        editor, session = self.editor, self.session
        handlers = {
            "open_folder": self.opening.choose_folder,
            "open_images": self.opening.choose_images,
            "save": session.save, "split_min_area": self.choose_split_min_area,
            "instances": self.view.set_color_by_instance,
            "show_all_categories": self.view.visibility.show_all,
            "export": self.show_export, "quit": self.close,
            "undo": editor.undo, "redo": editor.redo, "select_all": editor.select_all,
            "deselect": editor.clear_selection, "merge": editor.merge, "split": editor.split,
            "split_off": lambda: editor.split_off(),
            "relabel": editor.request_relabel, "delete": editor.delete,
            "new_segment": editor.new_segment, "refine_edge": self.assist.refine,
            "refine_edge_fine": self.assist.refine_finely,
            "review_sort": self.segments.set_least_confident_first,
            "review_images_sort": self.images.set_least_confident_first,
            "review_next": lambda: self.assist.step(True),
            "review_previous": lambda: self.assist.step(False),
            "protect": lambda on: setattr(editor, "protect_labeled", on),
            "brush_bigger": lambda: editor.grow_brush(1),
            "brush_smaller": lambda: editor.grow_brush(-1),
            "fit": self.canvas.fit, "actual": self.canvas.actual_pixels,
            "zoom_in": lambda: self.canvas.zoom_by(1.25),
            "zoom_out": lambda: self.canvas.zoom_by(0.8),
            "overlay": self.canvas.set_overlay_visible,
            "boundaries": self._set_boundaries, "unlabeled": self._set_unlabeled,
            "next": lambda: session.step(1, self.images.order()),
            "previous": lambda: session.step(-1, self.images.order()),
            "done": session.mark_done, "rerun": self.reruns.current,
            "presegment": session.presegment_rest,
            "cancel_background": self.client.cancel_background,
            "model_settings": self.show_settings, "train": self.training.show_dialog,
            "sam_settings": lambda: self.sam.show_settings(self),
            "shortcuts": lambda: show_shortcuts(self, self.actions.shortcut_table()),
        }
        for name in self.editor.tools:
            handlers[f"tool:{name}"] = (
                lambda on, tool=name: self.editor.set_tool(tool) if on else None)
        return handlers

    def _build_menus(self) -> None:
        a = self.actions
        for title, names in MENUS.items():
            menu = self.menuBar().addMenu(title)
            for name in names:
                if name == "tools":
                    for tool in self.editor.tools:
                        menu.addAction(a[f"tool:{tool}"])
                elif name is None:
                    menu.addSeparator()
                elif name == "recent":
                    self.recent_menu = menu.addMenu("Open &Recent")
                    self.recent_menu.aboutToShow.connect(
                        lambda: self.opening.fill_recent(self.recent_menu))
                elif name == "docks":
                    for dock in self.findChildren(QDockWidget):
                        menu.addAction(dock.toggleViewAction())
                else:
                    menu.addAction(a[name])

    def _build_toolbars(self) -> None:
        a = self.actions
        main = QToolBar("Main", self)
        main.setObjectName("toolbar_main")
        for name in MAIN_TOOLBAR:
            if name == "tools":
                for tool in self.editor.tools:
                    main.addAction(a[f"tool:{tool}"])
            elif name is None:
                main.addSeparator()
            else:
                main.addAction(a[name])
        self.addToolBar(main)
        view = QToolBar("View", self)
        view.setObjectName("toolbar_view")
        view.addWidget(QLabel(" Opacity "))
        self.opacity = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100)
        self.opacity.setMaximumWidth(120)
        self.opacity.setToolTip("Overlay opacity")
        view.addWidget(self.opacity)
        for name in ("overlay", "boundaries", "unlabeled", "instances", "fit"):
            view.addAction(a[name])
        view.addSeparator()
        view.addWidget(QLabel(" Brush "))
        self.brush = QSpinBox(minimum=MIN_BRUSH, maximum=MAX_BRUSH, suffix=" px")
        self.brush.setToolTip("Brush and eraser diameter ([ and ])")
        view.addWidget(self.brush)
        view.addAction(a["protect"])
        self.addToolBar(view)

    def _connect(self) -> None:
        editor, session, status = self.editor, self.session, self.status
        editor.message.connect(status.message)
        editor.hover_changed.connect(status.hover.setText)
        editor.tool_changed.connect(lambda name: self.actions[f"tool:{name}"].setChecked(True))
        editor.brush_size_changed.connect(self.brush.setValue)
        editor.category_changed.connect(self.categories.picker.set_current)
        editor.relabel_requested.connect(self.open_relabel_popup)
        editor.protect_changed.connect(self.actions["protect"].setChecked)
        self.actions["tool:select"].setChecked(True)
        self.brush.valueChanged.connect(editor.set_brush_size)
        self.opacity.valueChanged.connect(lambda v: self.canvas.set_overlay_opacity(v / 100))
        self.categories.picker.category_chosen.connect(editor.set_category)
        self.categories.picker.leave_requested.connect(self.canvas.setFocus)
        self.categories.categories_edited.connect(self._categories_edited)
        self.categories.error.connect(status.error)
        self.relabel_popup.picker.category_chosen.connect(self._relabel_chosen)
        self.images.image_chosen.connect(session.go_to)
        session.project_opened.connect(self._project_opened)
        session.image_requested.connect(self.images.set_current)
        session.image_opened.connect(self._image_opened)
        session.image_opened.connect(self.thresholds.clear_note)
        session.busy.connect(status.set_busy)
        session.document_replaced.connect(self._show_document)
        session.status_changed.connect(self.images.set_status)
        session.uncertainty_changed.connect(self.images.set_uncertainty)
        self.thresholds.thresholds_changed.connect(self.assist.thresholds_moved)
        self.assist.note.connect(self.thresholds.status.setText)
        self.assist.busy.connect(status.set_busy)
        self.sam.busy.connect(status.set_busy)
        self.sam.error.connect(status.error)
        session.message.connect(status.message)
        session.error.connect(status.error)
        session.open_failed.connect(self._show_no_project)
        self.client.stage.connect(status.set_stage)
        self.client.busy_changed.connect(lambda busy: busy or status.set_stage(""))
        self.client.model_status.connect(status.set_stage)
        self.client.model_ready.connect(self.training.show_model_in_use)
        self.demo_offer.switched.connect(self.training.show_session_model)
        self.view.hiding_changed.connect(self.actions["show_all_categories"].setEnabled)
        session.background_progress.connect(status.set_background)
        status.cancel.clicked.connect(self.client.cancel_background)

    def _show_no_project(self, reason: str) -> None:
        """After a failed open: why (kept shown), nothing to step to, how to open one."""
        self.status.error(reason, stay=True)
        self._enable_stepping(False)
        self.canvas.set_empty_hint(self._empty_hint())

    def _enable_stepping(self, on: bool) -> None:
        for name in ("next", "previous"):
            self.actions[name].setEnabled(on)

    def _empty_hint(self) -> str:
        native = QKeySequence.SequenceFormat.NativeText
        keys = self.actions["open_folder"].shortcut().toString(native)
        return ("Open a folder of images or a project: File ▸ Open Folder…"
                + (f" ({keys})" if keys else "") + ", or drop it here")

    def _build_features(self) -> None:
        """Locks and crowds, image notes, the overview, the segment search, shortcuts and
        reopening where the user left off: wired after the window's own connections."""
        self.locks = LockControls(self.editor, self)
        self.locks.wire(self.actions, self.session)
        self.locks.message.connect(self.status.message)
        self.notes = ImageNotesControls(self.session, self.images, self.status, self)
        self.minimap = Minimap(self.canvas)
        self.session.image_opened.connect(lambda _k, image, _d: self.minimap.set_image(image))
        self.segment_search = QLineEdit(placeholderText="Search segments by category…")
        self.segment_search.setClearButtonEnabled(True)
        self.segment_search.textChanged.connect(self.segments.proxy.setFilterFixedString)
        self.actions["zoom_selection"].triggered.connect(self.view.zoom_to_selection)
        self.resume = Resume(self.prefs, self.session, self.canvas, self)
        self.keymap = ShortcutControls(self.prefs, self.actions, self.status, self)
        self.keyboard = KeyboardReturn(self, self.canvas)
        holder = QWidget()
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.segment_search)
        layout.addWidget(self.segments)
        self.segments_dock.setWidget(holder)
        docks = [self._dock(title, widget, Qt.DockWidgetArea.LeftDockWidgetArea)
                 for title, widget in (("Overview", self.minimap),
                                       ("Image notes", self.notes.panel))]
        menus = {a.text(): a.menu() for a in self.menuBar().actions()}
        for title, names in FEATURE_MENU_ITEMS.items():
            menus[title].addSeparator()
            for name in names:
                menus[title].addAction(self.actions[name])
        for dock in docks:
            menus["&View"].addAction(dock.toggleViewAction())

    def _restore_prefs(self) -> None:
        p, a = self.prefs, self.actions
        self.opacity.setValue(p.get_int("view/opacity"))
        self.canvas.set_overlay_opacity(self.opacity.value() / 100)
        for name in ("overlay", "boundaries", "unlabeled", "instances"):
            a[name].setChecked(p.get_bool(f"view/{name}"))
            a[name].toggled.emit(a[name].isChecked())
        a["protect"].setChecked(p.get_bool("edit/protect_labeled"))
        for group in self.editor.protect_groups():
            self.editor.set_protect(p.get_bool(f"edit/protect_labeled_{group}"), group)
        for name, key in REVIEW_SORTS.items():
            a[name].setChecked(p.get_bool(key))  # toggled sorts the list
        self.editor.set_brush_size(p.get_int("edit/brush_size"))
        self.editor.split_min_area = p.get_int("edit/split_min_area")
        self.brush.setValue(self.editor.brush_size)
        geometry, state = p.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
            self.adaptive.keep_on_screen()
        else:
            self.resize(self.adaptive.initial_size())
        if state is not None:
            self.restoreState(state)

    def _save_prefs(self) -> None:
        p, a = self.prefs, self.actions
        p.set("view/opacity", self.opacity.value())
        for name in ("overlay", "boundaries", "unlabeled", "instances"):
            p.set(f"view/{name}", a[name].isChecked())
        p.set("edit/protect_labeled", self.editor.protect_for(""))
        for group in self.editor.protect_groups():
            p.set(f"edit/protect_labeled_{group}", self.editor.protect_for(group))
        for name, key in REVIEW_SORTS.items():
            p.set(key, a[name].isChecked())
        p.set("edit/brush_size", self.editor.brush_size)
        p.set("edit/split_min_area", self.editor.split_min_area)
        p.save_window_state(self.saveGeometry(), self.saveState())

    # -- session events ------------------------------------------------------------------------
    def _project_opened(self, project: object) -> None:
        self.images.set_project(project)  # type: ignore[arg-type]
        self._enable_stepping(True)
        self.canvas.set_empty_hint("")
        self.thresholds.show_settings(self.session.settings)
        categories = project.categories  # type: ignore[attr-defined]
        self.categories.picker.set_categories(categories)
        if self.editor.category_id is None and len(categories):
            self.editor.set_category(next(iter(categories)).id)
        folder, read_only = project.folder, project.read_only  # type: ignore[attr-defined]
        self.prefs.add_recent(folder)
        self.setWindowTitle(self.read_only.title(f"Panoptix — {folder}", read_only))
        self.read_only.set(read_only)
        if read_only:
            self.status.error(READ_ONLY_MESSAGE)

    def _image_opened(self, key: str, image: object, document: Document | None) -> None:
        self.images.set_current(key)
        self.canvas.set_image(image)  # type: ignore[arg-type]
        self._show_document(document)

    def _show_document(self, document: Document | None) -> None:
        self.editor.set_document(document)
        self.segments.set_document(document)
        self._enable_for_document(document)
        if document is not None:
            document.history_changed.connect(lambda: self._update_undo(document))
        self._update_undo(document)

    def _enable_for_document(self, document: Document | None) -> None:
        for name in ("merge", "split", "split_off", "relabel", "delete", "new_segment",
                     "select_all", "done", "rerun", "export", "refine_edge", "refine_edge_fine",
                     "review_next", "review_previous"):
            self.actions[name].setEnabled(document is not None)
        self._update_undo(document)
        self.read_only.enforce()

    def _update_undo(self, document: Document | None) -> None:
        if document is not self.editor.document:
            return
        history = document.history if document is not None else None
        # never ``history and ...``: a History's truth is its undo length, so with every
        # step undone Redo would read as unavailable
        for name, can, label in (
                ("undo", history is not None and history.can_undo,
                 history.undo_label if history is not None else None),
                ("redo", history is not None and history.can_redo,
                 history.redo_label if history is not None else None)):
            self.actions[name].setEnabled(bool(can))
            self.actions[name].setText(f"&{name.title()} {label}" if label else f"&{name.title()}")

    def _categories_edited(self) -> None:
        if self.session.project is not None:
            try:
                self.session.project.save_manifest()
            except StoreError as exc:  # kept in memory; Ctrl+S and quit try again
                self.status.error(f"categories not saved: {exc}")
        if self.session.document is not None:
            fuse_stuff(self.session.document)  # a category that became stuff: one segment
        self.view.categories_changed()
        self.canvas.redraw_overlay()
        self.segments.refresh()

    # -- commands ----------------------------------------------------------------------------
    def open_path(self, path: str | Path, model: str | None = None,
                  device: str | None = None) -> bool:
        if self.session.project is not None and not settle_unsaved(self.session,
                                                                    self.ask_unsaved):
            return False
        return self.session.open(path, model, device)

    def open_relabel_popup(self) -> None:
        doc = self.editor.document
        if doc is None:
            return
        self.relabel_popup.show_for(doc, self.canvas)

    def _relabel_chosen(self, category_id: int) -> None:
        self.relabel_popup.hide()
        self.editor.relabel(category_id)

    def show_settings(self) -> None:
        if self.session.project is None:
            self.status.error("open images first: model settings are kept per project")
            return
        dialog = SettingsDialog(self.session.settings, self)
        dialog.thresholds_changed.connect(self.assist.rerun)
        dialog.accepted.connect(lambda: self._settings_accepted(dialog))
        self.settings_dialog = dialog
        dialog.open()

    def _settings_accepted(self, dialog: SettingsDialog) -> None:
        if dialog.result_settings is not None:
            self.session.set_settings(dialog.result_settings)
            self.thresholds.show_settings(dialog.result_settings)
            self.status.message("model settings saved")

    def show_export(self) -> None:
        if self.session.project is None:
            return
        self.session.flush()
        self.export_dialog = ExportDialog(self.session.project, self)
        self.export_dialog.open()

    def choose_split_min_area(self) -> None:
        doc = self.editor.document
        floor = f" (on this image at least {self.editor.split_min_area_for(doc):,} px, " \
            "a share of its size)" if doc is not None else ""
        area, ok = QInputDialog.getInt(
            self, "Split minimum area", "Parts smaller than this many pixels join the "
            f"segment around them instead of becoming segments{floor}:",
            self.editor.split_min_area, 1, 1_000_000)
        if ok:
            self.editor.split_min_area = area
            least = self.editor.split_min_area_for(doc) if doc is not None else area
            self.status.message(f"split keeps parts of {least:,} px and more")

    def _set_boundaries(self, on: bool) -> None:
        self.canvas.renderer.show_boundaries = on
        self.canvas.redraw_overlay()

    def _set_unlabeled(self, on: bool) -> None:
        self.canvas.renderer.highlight_unlabeled = on
        self.canvas.redraw_overlay()

    # -- Qt events ---------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()  # web links and text: nothing this window can open

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.opening.open_dropped(paths)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Quit: unsaved work is settled first (save again, discard or cancel); then every
        shutdown step runs even if one fails, and the inference thread always stops."""
        if self.session.project is not None and not settle_unsaved(self.session,
                                                                    self.ask_unsaved):
            event.ignore()
            return
        shut_down([self.editor.tool.deactivate, self.assist.shutdown, self.sam.shutdown,
                   self.training.shutdown, self.session.shutdown, self._save_prefs],
                  last=self.client.shutdown)
        super().closeEvent(event)
