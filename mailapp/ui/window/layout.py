"""The window's panes: mailboxes | the message list over (or beside) the reading pane.

Proportions close to Thunderbird's classic view: the folder pane about a fifth of the width, the
message list and the reading pane sharing the height evenly (it used to give the list a third,
most of the screen going to an empty reading pane). View → Layout offers the vertical view
(three columns; the list takes nearly half the width right of the folders) and a preview
line under each subject. What the user chooses, and where they drag the splitters, is kept in
`window.ini` in the profile folder (QSettings, INI): it is read before the first paint (the
store is not open yet then), and each profile keeps its own.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, Slot
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMainWindow, QMenu, QSplitter, QStackedWidget, QWidget

from mailapp.ui.mailbox.message_list_model import Column
from mailapp.ui.mailbox.message_list_view import MessageListView
from mailapp.ui.mailbox.preview_line import PreviewLineDelegate

SETTINGS_FILENAME = "window.ini"
FOLDER_SHARE = 0.2  # of the window's width
LIST_SHARE = {False: 0.5, True: 0.45}  # of the height (classic) or the width (vertical)
SENDER_WIDTH, DATE_WIDTH = 180, 110  # MessageListView.configure_columns()
NARROW_DATE_WIDTH = 80
_SIZES_KEY = "layout/splitters-{view}"
_VERTICAL_KEY = "layout/vertical"
_PREVIEW_KEY = "layout/preview-line"


class PaneLayout(QObject):
    """Builds the central area of `window` and keeps its layout across restarts."""

    def __init__(
        self,
        window: QMainWindow,
        tree: QWidget,
        list_area: QWidget,
        message_list: MessageListView,
        reading: QWidget,
        profile: Path | None,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._list = message_list
        self._preview = PreviewLineDelegate(message_list)
        self._settings = (
            QSettings(str(profile / SETTINGS_FILENAME), QSettings.Format.IniFormat)
            if profile is not None
            else None
        )
        self.mail_splitter = QSplitter(Qt.Orientation.Vertical)
        self.mail_splitter.setObjectName("mailSplitter")
        self.mail_splitter.setChildrenCollapsible(False)
        self.mail_splitter.addWidget(list_area)
        self.mail_splitter.addWidget(reading)
        self.right_stack = QStackedWidget()
        self.right_stack.addWidget(self.mail_splitter)
        self.outer_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.outer_splitter.setObjectName("outerSplitter")
        self.outer_splitter.addWidget(tree)
        self.outer_splitter.addWidget(self.right_stack)
        self.outer_splitter.setStretchFactor(1, 1)
        # Above the panes: the welcome page takes the whole area of a profile without accounts.
        self.central = QStackedWidget()
        self.central.addWidget(self.outer_splitter)
        window.setCentralWidget(self.central)

        self.vertical_action = QAction(self.tr("&Vertical View (Three Columns)"), self)
        self.classic_action = QAction(self.tr("&Classic View"), self)
        group = QActionGroup(self)
        for action in (self.classic_action, self.vertical_action):
            action.setCheckable(True)
            group.addAction(action)
        self.preview_action = QAction(self.tr("&Preview Line Under Subject"), self)
        self.preview_action.setCheckable(True)

        vertical = self._setting(_VERTICAL_KEY, False)
        self._vertical = not vertical  # so that set_vertical() lays out
        self.set_vertical(vertical)
        self.set_preview_line(self._setting(_PREVIEW_KEY, False))
        self.vertical_action.toggled.connect(self.set_vertical)
        self.classic_action.toggled.connect(lambda on: self.set_vertical(not on))
        self.preview_action.toggled.connect(self.set_preview_line)
        self.outer_splitter.splitterMoved.connect(self._remember_sizes)
        self.mail_splitter.splitterMoved.connect(self._remember_sizes)

    @property
    def vertical(self) -> bool:
        return self._vertical

    @property
    def preview_line(self) -> bool:
        return self._list.itemDelegateForColumn(self._preview.column) is self._preview

    def add_menu(self, view_menu: QMenu) -> QMenu:
        menu = view_menu.addMenu(self.tr("&Layout"))
        menu.addAction(self.classic_action)
        menu.addAction(self.vertical_action)
        menu.addSeparator()
        menu.addAction(self.preview_action)
        return menu

    @Slot(bool)
    def set_vertical(self, vertical: bool) -> None:
        if vertical == self._vertical:
            return
        self._vertical = vertical
        pairs = ((self.vertical_action, vertical), (self.classic_action, not vertical))
        for action, checked in pairs:
            blocked = action.blockSignals(True)
            action.setChecked(checked)
            action.blockSignals(blocked)
        self.mail_splitter.setOrientation(
            Qt.Orientation.Horizontal if vertical else Qt.Orientation.Vertical
        )
        if self._settings is not None:
            self._settings.setValue(_VERTICAL_KEY, vertical)
        self._restore_sizes()
        self._fit_columns()

    @Slot(bool)
    def set_preview_line(self, shown: bool) -> None:
        blocked = self.preview_action.blockSignals(True)
        self.preview_action.setChecked(shown)
        self.preview_action.blockSignals(blocked)
        self._preview.install(shown)
        if self._settings is not None:
            self._settings.setValue(_PREVIEW_KEY, shown)

    def save(self) -> None:
        """Writes what is kept to disk (the window calls this when it closes)."""
        if self._settings is not None:
            self._remember_sizes()
            self._settings.sync()

    # -- internals --------------------------------------------------------------------------
    def _setting(self, key: str, default: bool) -> bool:
        if self._settings is None:
            return default
        value = self._settings.value(key, default)
        return value in (True, "true", "1", 1)  # INI files give strings back

    def _view(self) -> str:
        return "vertical" if self._vertical else "classic"

    def _restore_sizes(self) -> None:
        key = _SIZES_KEY.format(view=self._view())
        sizes = _ints(self._settings.value(key)) if self._settings is not None else None
        if sizes is not None and len(sizes) == 4 and all(s > 0 for s in sizes):
            self.outer_splitter.setSizes(sizes[:2])
            self.mail_splitter.setSizes(sizes[2:])
            return
        size = self._window.size()
        folders = round(size.width() * FOLDER_SHARE)
        self.outer_splitter.setSizes([folders, size.width() - folders])
        # The height or width the list and the reading pane share, less the bars around them.
        shared = size.width() - folders if self._vertical else size.height() - 110
        share = LIST_SHARE[self._vertical]
        self.mail_splitter.setSizes([round(shared * share), round(shared * (1 - share))])
        self.mail_splitter.setStretchFactor(0, round(share * 100))
        self.mail_splitter.setStretchFactor(1, round((1 - share) * 100))

    def _fit_columns(self) -> None:
        # A narrow list (the vertical view) leaves the subject some room beside the sender.
        header = self._list.horizontalHeader()
        if self._vertical:
            list_width = self.mail_splitter.sizes()[0]
            header.resizeSection(Column.SENDER, max(90, round(list_width * 0.25)))
            header.resizeSection(Column.DATE, NARROW_DATE_WIDTH)
        else:
            header.resizeSection(Column.SENDER, SENDER_WIDTH)
            header.resizeSection(Column.DATE, DATE_WIDTH)

    @Slot()
    def _remember_sizes(self) -> None:
        if self._settings is None:
            return
        sizes = self.outer_splitter.sizes() + self.mail_splitter.sizes()
        if all(s > 0 for s in sizes):  # not before the window has been laid out
            self._settings.setValue(_SIZES_KEY.format(view=self._view()), sizes)


def _ints(value: object) -> list[int] | None:
    if not isinstance(value, list):
        return None
    try:
        return [int(v) for v in value]
    except (TypeError, ValueError):
        return None
