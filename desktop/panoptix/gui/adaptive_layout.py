"""Keeping the window usable on small and high-DPI screens.

At a scale factor of 1.5 a 1600x1000 screen has 1067x667 logical pixels, at 2.0 only
800x500; a window laid out for 1400x900 then spills off the screen, its side docks leave
the canvas a sliver and its toolbars hide their buttons behind overflow arrows. So:

* the window opens no larger than the screen's free area (a size restored from another
  screen or scale is brought back inside it);
* whenever the window is resized, the side docks give up width until the canvas has at
  least :data:`CANVAS_SHARE` of it (never below their minimum), and get it back when the
  window grows again; a width the user gave a dock by hand is otherwise left alone;
* the toolbars wrap onto as many rows as the width needs and, if one is still too wide,
  their icons shrink (down to :data:`MIN_ICON`), so no button is ever hidden;
* when the docks of both sides cannot keep the least width that makes them readable (12
  characters of a category name, the score: their ``minimumSizeHint``) in what the canvas
  leaves, the left docks join the right ones in one column; they go back when the window
  is wide enough again;
* when the docks stacked on one side need more height than the screen has, they become
  tabs (all but the first, then all of them), so the window fits the screen's height;
  the tabs show their titles whole ("Thresholds", not "Thr...") and scroll when they do
  not fit side by side.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow, QStyle, QTabBar, QToolBar

CANVAS_SHARE = 0.5
"""The least share of the window's width the canvas keeps when the window is resized."""
SCREEN_SHARE = 0.94
MIN_ICON = 16


def fit_rect(wanted: QRect, available: QRect) -> QRect:
    """``wanted`` shrunk to ``available`` and moved inside it."""
    width = min(wanted.width(), available.width())
    height = min(wanted.height(), available.height())
    x = min(max(wanted.x(), available.x()), available.right() + 1 - width)
    y = min(max(wanted.y(), available.y()), available.bottom() + 1 - height)
    return QRect(x, y, width, height)


def rows_for(widths: list[int], room: int) -> list[list[int]]:
    """Greedy line wrap: indexes of ``widths`` per row, each row fitting ``room`` (a
    single item wider than ``room`` gets a row of its own)."""
    rows: list[list[int]] = []
    used = room + 1
    for index, width in enumerate(widths):
        if used + width > room or not rows:
            rows.append([index])
            used = width
        else:
            rows[-1].append(index)
            used += width
    return rows


class AdaptiveLayout(QObject):
    """Installed on the main window; see the module's docstring."""

    def __init__(self, window: QMainWindow, default_size: QSize) -> None:
        super().__init__(window)
        self.window = window
        self.default_size = default_size
        self._icon = window.style().pixelMetric(QStyle.PixelMetric.PM_ToolBarIconSize)
        self._taken: dict[Qt.DockWidgetArea, int] = {}
        """Width taken from each side's docks, given back when there is room again."""
        self._joined: list[QDockWidget] = []
        """Left docks moved beside the right ones, moved back when there is room again."""
        self._pending = QTimer(self, singleShot=True, interval=0)
        self._pending.timeout.connect(self.adapt)
        window.installEventFilter(self)

    # -- the window's size ---------------------------------------------------------------
    def available(self) -> QRect:
        screen = self.window.screen()
        return screen.availableGeometry() if screen is not None else QRect(0, 0, 1400, 900)

    def initial_size(self) -> QSize:
        free = self.available()
        size = QSize(min(self.default_size.width(), round(free.width() * SCREEN_SHARE)),
                     min(self.default_size.height(), round(free.height() * SCREEN_SHARE)))
        self.one_column(size.width())
        self.fit_height()
        return size

    def keep_on_screen(self) -> None:
        """Bring a restored geometry back inside the screen's free area."""
        self.fit_height()
        frame = self.window.frameGeometry()
        extra = frame.size() - self.window.geometry().size()
        fitted = fit_rect(frame, self.available())
        if fitted != frame:
            self.window.resize(fitted.size() - extra)
            self.window.move(fitted.topLeft())

    # -- on every resize -------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.window and event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self._pending.start()
        return super().eventFilter(watched, event)

    def adapt(self) -> None:
        self.wrap_toolbars()
        self.one_column(self.window.width())
        self.fit_height()  # wrapped toolbars take height the docks may have to give
        self.whole_tab_titles()
        self.narrow_docks()
        if self.window.isVisible() and not self.window.isMaximized() \
                and not self.window.isFullScreen():
            self.keep_on_screen()

    def _toolbars(self) -> list[QToolBar]:
        bars = [b for b in self.window.findChildren(QToolBar)
                if b.parent() is self.window and not b.isFloating() and b.isVisible()
                and self.window.toolBarArea(b) == Qt.ToolBarArea.TopToolBarArea]
        return sorted(bars, key=lambda b: (b.y(), b.x()))

    def wrap_toolbars(self) -> None:
        bars = self._toolbars()
        if not bars:
            return
        room = self.window.width()
        icon = self._icon
        while True:
            for bar in bars:
                bar.setIconSize(QSize(icon, icon))
            widths = [bar.sizeHint().width() for bar in bars]
            if max(widths) <= room or icon <= MIN_ICON:
                break
            icon -= 2
        rows = rows_for(widths, room)
        starts = {row[0] for row in rows[1:]}
        for index, bar in enumerate(bars):
            wants_break = index in starts
            if self.window.toolBarBreak(bar) != wants_break:
                if wants_break:
                    self.window.insertToolBarBreak(bar)
                else:
                    self.window.removeToolBarBreak(bar)

    def _area_docks(self, area: Qt.DockWidgetArea) -> list[QDockWidget]:
        """The docks of a side from the top, the tabs out of view last: Qt moves those
        above the window (y < 0), which put "Image notes" first and in view."""
        window = self.window
        docks = [d for d in window.findChildren(QDockWidget)
                 if window.dockWidgetArea(d) == area and not d.isFloating()
                 and not d.isHidden()]
        return sorted(docks, key=lambda d: (d.y() < 0, d.y(), d.x()))

    def fit_height(self) -> None:
        """Tab the docks of a side together while the window is taller than the screen
        allows: first all but that side's first dock, then all of them."""
        window = self.window
        frame = window.frameGeometry().height() - window.geometry().height()
        room = self.available().height() - max(0, frame)
        sides = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea)
        for keep_first in (True, False):
            for area in sorted(sides, key=lambda a: -len(self._area_docks(a))):
                window.layout().activate()
                if window.minimumSizeHint().height() <= room:
                    return
                docks = self._area_docks(area)
                group = docks[1:] if keep_first and len(docks) > 2 else docks
                for dock in group[1:]:
                    if dock not in window.tabifiedDockWidgets(group[0]):
                        window.tabifyDockWidget(group[0], dock)
                if group:
                    group[0].raise_()

    def one_column(self, width: int) -> None:
        """Move the left docks beside the right ones when a window ``width`` wide cannot
        give both sides their least width and the canvas its share; back when it can."""
        window, left, right = (self.window, Qt.DockWidgetArea.LeftDockWidgetArea,
                               Qt.DockWidgetArea.RightDockWidgetArea)
        separator = window.style().pixelMetric(QStyle.PixelMetric.PM_DockWidgetSeparatorExtent)
        room = width * (1 - CANVAS_SHARE) - 2 * separator
        floors = {area: max((d.minimumSizeHint().width() for d in self._area_docks(area)),
                            default=0) for area in (left, right)}
        if self._joined:
            floors[left] = max(d.minimumSizeHint().width() for d in self._joined)
            if floors[left] + floors[right] <= room:
                for dock in self._joined:
                    if window.dockWidgetArea(dock) == right:  # not moved by hand since
                        window.addDockWidget(left, dock)
                self._joined = []
        elif floors[left] and floors[right] and floors[left] + floors[right] > room:
            self._joined = self._area_docks(left)
            for dock in self._joined:
                window.addDockWidget(right, dock)

    def whole_tab_titles(self) -> None:
        """Dock tabs show their titles whole and scroll rather than read "Thr..."."""
        for bar in self.window.findChildren(QTabBar):
            if bar.parent() is self.window and bar.elideMode() != Qt.TextElideMode.ElideNone:
                bar.setElideMode(Qt.TextElideMode.ElideNone)
                bar.setUsesScrollButtons(True)

    def _side_docks(self) -> list[tuple[Qt.DockWidgetArea, list[QDockWidget], int, int]]:
        """(area, docks, width, least width) of the left and right dock areas in use."""
        window, sides = self.window, []
        for area in (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea):
            docks = [d for d in window.findChildren(QDockWidget)
                     if window.dockWidgetArea(d) == area and d.isVisible() and not d.isFloating()]
            if docks:
                sides.append((area, docks, max(d.width() for d in docks),
                              max(d.minimumSizeHint().width() for d in docks)))
        return sides

    def narrow_docks(self) -> None:
        """Take width from the side docks until the canvas has its share; give back what
        was taken once the window is wide enough again."""
        window = self.window
        central = window.centralWidget()
        if central is None:
            return
        short = round(window.width() * CANVAS_SHARE) - central.width()
        sides = self._side_docks()
        if short > 0:
            cuts = share_out(short, [width - floor for _, _, width, floor in sides])
        else:
            cuts = [-give for give in share_out(
                -short, [self._taken.get(area, 0) for area, _, _, _ in sides])]
        for (area, docks, width, _floor), cut in zip(sides, cuts, strict=True):
            if cut:
                window.resizeDocks(docks, [width - cut] * len(docks), Qt.Orientation.Horizontal)
                self._taken[area] = max(0, self._taken.get(area, 0) + cut)


def share_out(amount: int, room: list[int]) -> list[int]:
    """Split ``amount`` as evenly as ``room`` (what each part can give) allows."""
    cuts = [0] * len(room)
    left = amount
    while left > 0:
        open_parts = [i for i, r in enumerate(room) if r - cuts[i] > 0]
        if not open_parts:
            break
        each = max(1, left // len(open_parts))
        for i in open_parts:
            give = min(each, room[i] - cuts[i], left)
            cuts[i] += give
            left -= give
    return cuts
