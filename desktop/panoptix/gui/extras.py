"""Wiring of the annotator features beyond the basic editor, kept out of the main window:
locks and crowds, the segment search, zoom to selection, the overview, image notes with
the image filter, customisable shortcuts, and reopening where the user left off.

Each feature lives in its own module; this one builds their widgets into the window's
docks and menus and connects them to the session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDockWidget, QLineEdit, QMenu, QVBoxLayout, QWidget

from panoptix.core.image_notes import ImageNote, ImageNotes
from panoptix.core.stats import union_box
from panoptix.gui.canvas.minimap import Minimap
from panoptix.gui.dialogs.shortcuts import ShortcutsDialog
from panoptix.gui.features.locks import LockControls
from panoptix.gui.features.resume import Resume
from panoptix.gui.keymap import apply_keymap, save_keymap, saved_keymap
from panoptix.gui.panels.image_filter import FlagDelegate, ImageFilter
from panoptix.gui.panels.notes_panel import NotesPanel

if TYPE_CHECKING:
    from panoptix.gui.main_window import MainWindow

MENU_ITEMS = {"&Edit": ["lock", "lock_category", "crowd"], "&View": ["zoom_selection"],
              "&Help": ["customize_shortcuts"]}


class Extras(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.locks = LockControls(window.editor, self)
        self.notes = NotesPanel()
        self.image_filter = ImageFilter(window.images)
        self.minimap = Minimap(window.canvas)
        self.segment_search = QLineEdit(placeholderText="Search segments by category…")
        self.segment_search.setClearButtonEnabled(True)
        self.resume = Resume(window.prefs, window.session, window.canvas, self)
        self.shortcuts_dialog: ShortcutsDialog | None = None
        self._build()
        self._connect()
        self.preset, keymap = saved_keymap(window.prefs)
        apply_keymap(window.actions, keymap)

    # -- construction -----------------------------------------------------------------------
    def _build(self) -> None:
        window = self.window
        window.images.layout().insertWidget(0, self.image_filter)  # type: ignore[union-attr]
        window.images.list.setItemDelegate(FlagDelegate(window.images.list))
        segments_dock = next(d for d in window.findChildren(QDockWidget)
                             if d.widget() is window.segments)
        holder = QWidget()
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.segment_search)
        layout.addWidget(window.segments)
        segments_dock.setWidget(holder)
        for title, widget in (("Overview", self.minimap), ("Image notes", self.notes)):
            dock = QDockWidget(title, window)
            dock.setObjectName(f"dock_{title.lower().replace(' ', '_')}")
            dock.setWidget(widget)
            window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        menus = {a.text(): a.menu() for a in window.menuBar().actions()}
        for title, names in MENU_ITEMS.items():
            menu = menus.get(title)
            if isinstance(menu, QMenu):
                menu.addSeparator()
                for name in names:
                    menu.addAction(window.actions[name])
        for title in ("Overview", "Image notes"):
            dock = next(d for d in window.findChildren(QDockWidget) if d.windowTitle() == title)
            if isinstance(menus.get("&View"), QMenu):
                menus["&View"].addAction(dock.toggleViewAction())  # type: ignore[union-attr]

    def _connect(self) -> None:
        window, session, status = self.window, self.window.session, self.window.status
        actions = window.actions
        actions["lock"].triggered.connect(self.locks.toggle_segment_lock)
        actions["lock_category"].triggered.connect(self.locks.toggle_category_lock)
        actions["crowd"].triggered.connect(self.locks.toggle_crowd)
        actions["zoom_selection"].triggered.connect(self.zoom_to_selection)
        actions["customize_shortcuts"].triggered.connect(self.customize_shortcuts)
        self.locks.message.connect(status.message)
        self.notes.error.connect(status.error)
        self.notes.note_changed.connect(self._note_changed)
        self.segment_search.textChanged.connect(window.segments.proxy.setFilterFixedString)
        session.project_opened.connect(self._project_opened)
        session.image_opened.connect(self._image_opened)
        session.document_replaced.connect(self.locks.show_document)
        session.status_changed.connect(lambda *_: self.image_filter.apply())

    # -- session events ------------------------------------------------------------------------
    def _project_opened(self, project: object) -> None:
        self.locks.set_project(project)  # type: ignore[arg-type]
        notes = ImageNotes(project.folder)  # type: ignore[attr-defined]
        self.notes.set_notes(notes)
        for entry in project.images:  # type: ignore[attr-defined]
            note = notes.get(entry.key)
            self.window.images.set_note(entry.key, note.flags, note.comment)
        self.image_filter.set_flags(self.notes.flags())

    def _image_opened(self, key: str, image: object, document: object) -> None:
        self.locks.show_document(document)  # type: ignore[arg-type]
        self.minimap.set_image(image)  # type: ignore[arg-type]
        project = self.window.session.project
        self.notes.show_image(key, project.entry(key).rel_path if project else key)

    def _note_changed(self, key: str, note: ImageNote) -> None:
        self.window.images.set_note(key, note.flags, note.comment)
        self.window.images.list.viewport().update()
        self.image_filter.set_flags(self.notes.flags())
        self.window.status.message(f"image notes saved ({', '.join(note.flags) or 'no flags'})")

    # -- commands ------------------------------------------------------------------------------
    def zoom_to_selection(self) -> None:
        doc = self.window.editor.document
        if doc is None or not doc.selection:
            self.window.status.message("select segments to zoom to")
            return
        box = None
        for segment_id in doc.selection:
            box = union_box(box, doc.box(segment_id))
        if box is not None:
            self.window.canvas.zoom_to(box)

    def customize_shortcuts(self) -> None:
        _preset, keymap = saved_keymap(self.window.prefs)
        dialog = ShortcutsDialog(self.preset, keymap, self.window)
        dialog.accepted.connect(lambda: self._shortcuts_chosen(dialog))
        self.shortcuts_dialog = dialog
        dialog.open()

    def _shortcuts_chosen(self, dialog: ShortcutsDialog) -> None:
        self.preset = dialog.result_preset
        save_keymap(self.window.prefs, dialog.result_preset, dialog.result_keymap)
        apply_keymap(self.window.actions, dialog.result_keymap)
        self.window.status.message("shortcuts saved")
