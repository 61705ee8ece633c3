"""Every command of the window as a QAction: text, icon, shortcuts and tooltip in one table.

Shortcuts follow what labelme and CVAT users know: D/A next/previous image, N new segment,
Del delete, Ctrl+Z / Ctrl+Shift+Z (or Ctrl+Y) undo/redo, [ and ] brush size. Model-assisted
editing adds R (refine edge), . and , (next / previous least confident segment), the
proposal tool's C and the Segment Anything tool's S. A tooltip always names its shortcut.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import qtawesome as qta
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QWidget

from panoptix.gui.tools.tools import TOOLS


@dataclass(frozen=True)
class ActionSpec:
    name: str
    text: str
    icon: str = ""
    shortcuts: tuple[str, ...] = ()
    tip: str = ""
    checkable: bool = False


SPECS: tuple[ActionSpec, ...] = (
    # File
    ActionSpec("open_folder", "&Open Folder…", "mdi6.folder-open", ("Ctrl+O",),
               "Open a folder of images or a project"),
    ActionSpec("open_images", "Open &Images…", "mdi6.image-multiple", ("Ctrl+Shift+O",),
               "Open one or more image files"),
    ActionSpec("save", "&Save", "mdi6.content-save", ("Ctrl+S",),
               "Save now; also retries saves that failed (edits are saved automatically)"),
    ActionSpec("export", "&Export…", "mdi6.export", ("Ctrl+E",),
               "Export COCO panoptic, semantic or instances, and validate"),
    ActionSpec("quit", "&Quit", "mdi6.exit-to-app", ("Ctrl+Q",), "Save and quit"),
    # Edit
    ActionSpec("undo", "&Undo", "mdi6.undo", ("Ctrl+Z",), "Undo the last edit"),
    ActionSpec("redo", "&Redo", "mdi6.redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "Redo"),
    ActionSpec("select_all", "Select &All", "mdi6.select-all", ("Ctrl+A",),
               "Select every segment"),
    ActionSpec("deselect", "&Deselect", "mdi6.select-off", ("Esc",), "Clear the selection"),
    ActionSpec("merge", "&Merge", "mdi6.vector-union", ("M",),
               "Merge the selected segments into one"),
    ActionSpec("split", "S&plit", "mdi6.vector-difference", ("X",),
               "Split the selected segment into its connected parts"),
    ActionSpec("split_off", "Split &Off the Part Here", "mdi6.vector-difference-ab",
               ("Shift+X",), "Make the part of a thing under the pointer a segment of its "
               "own; its other parts stay one segment"),
    ActionSpec("relabel", "&Relabel…", "mdi6.tag-edit", ("L",),
               "Give the selected segments another category"),
    ActionSpec("delete", "&Delete", "mdi6.delete", ("Del", "Backspace"),
               "Delete the selected segments (their pixels become unlabeled)"),
    ActionSpec("new_segment", "&New Segment", "mdi6.shape-polygon-plus", ("N",),
               "Start a new segment of the current category"),
    ActionSpec("split_min_area", "Split &Minimum Area…", "mdi6.grain", (),
               "Parts smaller than this (in pixels) join their neighbour when splitting"),
    ActionSpec("refine_edge", "Re&fine Edge", "mdi6.vector-curve", ("R",),
               "Snap the selected segment's boundary to image edges nearby (GrabCut)"),
    ActionSpec("refine_edge_fine", "Refine Edge F&inely", "mdi6.vector-curve", ("Shift+R",),
               "Snap the selected segment's boundary to image edges within 2 pixels: a "
               "nearly right edge, or a small segment"),
    ActionSpec("lock", "&Lock / Unlock Segments", "mdi6.lock", ("Ctrl+L",),
               "Lock the selected segments against every edit (again: unlock)"),
    ActionSpec("lock_category", "Lock / Unlock &Category", "mdi6.lock-outline",
               ("Ctrl+Shift+L",), "Lock the selection's category (or the current one) "
               "against every edit, in the whole project"),
    ActionSpec("crowd", "Toggle &Crowd", "mdi6.account-group", ("Shift+C",),
               "Mark the selected thing segments as a crowd (COCO iscrowd), or not"),
    ActionSpec("protect", "&Protect Labeled Pixels", "mdi6.shield-outline", ("Ctrl+P",),
               "Paint only unlabeled pixels (brush, polygon; Segment Anything keeps its own "
               "setting, on at first)", checkable=True),
    ActionSpec("brush_bigger", "Bigger Brush", "mdi6.plus-circle-outline", ("]",),
               "Make the brush and eraser bigger"),
    ActionSpec("brush_smaller", "Smaller Brush", "mdi6.minus-circle-outline", ("[",),
               "Make the brush and eraser smaller"),
    # View
    ActionSpec("fit", "&Fit to Window", "mdi6.fit-to-screen", ("Ctrl+F", "F"),
               "Show the whole image"),
    ActionSpec("actual", "&Actual Pixels", "mdi6.magnify-scan", ("Ctrl+0",),
               "One image pixel per screen pixel"),
    ActionSpec("zoom_selection", "Zoom to &Selection", "mdi6.selection-search", ("Shift+F",),
               "Fill the view with the selected segments"),
    ActionSpec("zoom_in", "Zoom &In", "mdi6.magnify-plus", ("Ctrl++", "Ctrl+="), "Zoom in"),
    ActionSpec("zoom_out", "Zoom &Out", "mdi6.magnify-minus", ("Ctrl+-",), "Zoom out"),
    ActionSpec("overlay", "Show &Overlay", "mdi6.layers", ("H",),
               "Show or hide the segment overlay", checkable=True),
    ActionSpec("boundaries", "Show &Boundaries", "mdi6.border-outside", ("Shift+B",),
               "Draw segment boundaries", checkable=True),
    ActionSpec("unlabeled", "Highlight &Unlabeled", "mdi6.texture-box", ("U",),
               "Show unlabeled pixels in magenta", checkable=True),
    ActionSpec("instances", "Colour by &Instance", "mdi6.palette", ("Shift+I",),
               "Give every segment a colour of its own instead of its category's",
               checkable=True),
    ActionSpec("show_all_categories", "Show All &Categories", "mdi6.eye-check-outline",
               ("Shift+H",), "Show the categories hidden or left out by a solo"),
    # Image
    ActionSpec("next", "&Next Image", "mdi6.arrow-right-bold", ("D",), "Go to the next image"),
    ActionSpec("previous", "&Previous Image", "mdi6.arrow-left-bold", ("A",),
               "Go to the previous image"),
    ActionSpec("done", "Mark &Done", "mdi6.check-bold", ("Ctrl+Return",),
               "Mark this image done (again: not done)"),
    ActionSpec("rerun", "&Re-run Model", "mdi6.robot", ("Ctrl+R",),
               "Run the model on this image again (replaces its segments)"),
    ActionSpec("presegment", "Pre-segment &All New Images", "mdi6.robot-outline",
               ("Ctrl+Shift+R",), "Run the model on every new image in the background"),
    ActionSpec("cancel_background", "&Cancel Background Work", "mdi6.stop-circle-outline", (),
               "Stop pre-segmenting the rest of the folder"),
    ActionSpec("model_settings", "&Model Settings…", "mdi6.tune", ("Ctrl+,",),
               "Model, device, task and thresholds"),
    ActionSpec("sam_settings", "&Segment Anything Model…", "mdi6.creation", (),
               "The SAM 2 (or SAM) model the Segment Anything tool (S) uses"),
    ActionSpec("train", "&Train on Done Images…", "mdi6.school", (),
               "Fine-tune the model on the images marked done, in a separate process"),
    # Review
    ActionSpec("review_sort", "&Segments: Least Confident First", "mdi6.sort-ascending", (),
               "Sort the segment list by the model's score, lowest first", checkable=True),
    ActionSpec("review_images_sort", "&Images: Least Confident First",
               "mdi6.sort-descending", (),
               "Sort the image list by how unsure the model is, most unsure first (images "
               "without a figure last); D and A follow the list", checkable=True),
    ActionSpec("review_next", "&Next Unsure Segment", "mdi6.skip-next", (".",),
               "Select the next segment in least-confident-first order"),
    ActionSpec("review_previous", "&Previous Unsure Segment", "mdi6.skip-previous", (",",),
               "Select the previous segment in least-confident-first order"),
    # Help
    ActionSpec("shortcuts", "&Keyboard Shortcuts", "mdi6.keyboard", ("F1",),
               "List every shortcut"),
    ActionSpec("customize_shortcuts", "&Customize Shortcuts…", "mdi6.keyboard-settings", (),
               "Change any shortcut, or pick the labelme or CVAT preset"),
)


def tool_specs() -> list[ActionSpec]:
    """One checkable action per registered tool."""
    return [ActionSpec(f"tool:{tool.name}", tool.text, tool.icon,
                       (tool.shortcut,) if tool.shortcut else (), tool.tip, checkable=True)
            for tool in TOOLS.values()]


def tooltip(spec: ActionSpec) -> str:
    text = spec.text.replace("&", "").rstrip("…")
    keys = ", ".join(QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText)
                     for s in spec.shortcuts)
    detail = f"{spec.tip}" if spec.tip else ""
    return f"<b>{text}</b>" + (f" ({keys})" if keys else "") + (f"<br>{detail}" if detail else "")


MENUS: dict[str, list[str | None]] = {
    "&File": ["open_folder", "open_images", None, "recent", None, "save", "export", None,
              "quit"],
    "&Edit": ["undo", "redo", None, "select_all", "deselect", None, "merge", "split",
              "split_off", "relabel", "delete", "new_segment", "refine_edge",
              "refine_edge_fine", None, "protect", "split_min_area"],
    "&Tools": ["tools", None, "brush_bigger", "brush_smaller"],
    "&View": ["fit", "actual", "zoom_in", "zoom_out", None, "overlay", "boundaries",
              "unlabeled", "instances", "show_all_categories", None, "docks"],
    "&Image": ["next", "previous", "done", None, "rerun", "presegment", "cancel_background"],
    "&Review": ["review_sort", "review_images_sort", None, "review_next", "review_previous"],
    "&Model": ["model_settings", "train", "sam_settings"],
    "&Help": ["shortcuts"],
}
"""The menu bar: None a separator, "tools" every tool, "recent" and "docks" filled in by
the window."""
FEATURE_MENU_ITEMS = {"&Edit": ["lock", "lock_category", "crowd"], "&View": ["zoom_selection"],
                      "&Help": ["customize_shortcuts"]}
"""Entries of the features wired after the menus are built: each menu's last group."""
MAIN_TOOLBAR: tuple[str | None, ...] = (
    "open_folder", "export", None, "undo", "redo", None, "tools", None, "merge", "split",
    "relabel", "delete", "refine_edge", None, "review_previous", "review_next", None,
    "previous", "next", "done", "rerun")


class Actions:
    """Builds the QActions on ``parent``; ``actions[name]`` looks one up."""

    def __init__(self, parent: QWidget, handlers: dict[str, Callable[..., object]]) -> None:
        self.actions: dict[str, QAction] = {}
        self.tools = QActionGroup(parent)
        self.tools.setExclusive(True)
        for spec in (*SPECS, *tool_specs()):
            action = QAction(spec.text, parent)
            if spec.icon:
                action.setIcon(qta.icon(spec.icon))
            action.setShortcuts([QKeySequence(s) for s in spec.shortcuts])
            action.setToolTip(tooltip(spec))
            action.setStatusTip(spec.tip)
            action.setCheckable(spec.checkable)
            parent.addAction(action)
            handler = handlers.get(spec.name)
            if handler is not None:
                (action.toggled if spec.checkable else action.triggered).connect(handler)
            if spec.name.startswith("tool:"):
                self.tools.addAction(action)
            self.actions[spec.name] = action

    def __getitem__(self, name: str) -> QAction:
        return self.actions[name]

    def shortcut_table(self) -> list[tuple[str, str]]:
        return [(a.text().replace("&", "").rstrip("…"),
                 ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText)
                           for s in a.shortcuts()))
                for a in self.actions.values() if a.shortcuts()]
