"""The main window's menus and toolbar (File, Edit, View, Go, Message, Tools, Help).

A mixin of MainWindow, which calls `_build_menus_and_toolbar()` once its views and actions
exist; the slots the menus connect to are the window's own. Texts are translated in the
"MainWindow" context, named literally: pyside6-lupdate would file `self.tr()` here under
"WindowMenus", where the running window never looks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QToolBar, QWidget

from mailapp.store.rows import SortOrder
from mailapp.ui.common import icons
from mailapp.ui.window.shortcuts import Shortcuts

if TYPE_CHECKING:
    from mailapp.ui.window.main_window import MainWindow


class WindowMenus:
    def _build_menus_and_toolbar(self: MainWindow) -> None:  # type: ignore[misc]
        a = self.mail_actions
        self.sync_now_action = QAction(
            icons.icon("sync"), QCoreApplication.translate("MainWindow", "&Get Mail"), self
        )
        self.sync_now_action.setProperty(icons.ICON_PROPERTY, "sync")
        self.sync_now_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.sync_now_action.setToolTip(QCoreApplication.translate("MainWindow", "Get Mail"))
        self.sync_now_action.triggered.connect(self._sync_now)
        self.work_offline_action = QAction(
            QCoreApplication.translate("MainWindow", "&Work Offline"), self
        )
        self.work_offline_action.setCheckable(True)
        self.work_offline_action.toggled.connect(self._work_offline)
        self.quit_action = quit_action = QAction(
            QCoreApplication.translate("MainWindow", "&Quit"), self
        )
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        quit_action.triggered.connect(self.close)
        find_action = QAction(QCoreApplication.translate("MainWindow", "&Search"), self)
        find_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Find))
        find_action.triggered.connect(self._focus_search)
        select_all = QAction(QCoreApplication.translate("MainWindow", "Select &All"), self)
        select_all.setShortcut(QKeySequence(QKeySequence.StandardKey.SelectAll))
        select_all.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        select_all.triggered.connect(self.message_list.selectAll)
        self.message_list.addAction(select_all)
        self.conflicts_action = QAction(
            QCoreApplication.translate("MainWindow", "&Conflicts…"), self
        )
        self.conflicts_action.triggered.connect(self.show_conflicts)
        self.conflicts_action.setEnabled(False)  # until attach_store()

        self.newest_first_action = QAction(
            QCoreApplication.translate("MainWindow", "&Newest First"), self
        )
        self.oldest_first_action = QAction(
            QCoreApplication.translate("MainWindow", "&Oldest First"), self
        )
        self.sort_actions = {
            SortOrder.NEWEST_FIRST: self.newest_first_action,
            SortOrder.OLDEST_FIRST: self.oldest_first_action,
            SortOrder.SENDER_ASC: QAction(
                QCoreApplication.translate("MainWindow", "&Sender (A to Z)"), self
            ),
            SortOrder.SENDER_DESC: QAction(
                QCoreApplication.translate("MainWindow", "S&ender (Z to A)"), self
            ),
            SortOrder.SUBJECT_ASC: QAction(
                QCoreApplication.translate("MainWindow", "Su&bject (A to Z)"), self
            ),
            SortOrder.SUBJECT_DESC: QAction(
                QCoreApplication.translate("MainWindow", "Sub&ject (Z to A)"), self
            ),
        }
        order_group = QActionGroup(self)
        for order, action in self.sort_actions.items():
            action.setCheckable(True)
            action.setChecked(order == self.message_model.order)
            action.triggered.connect(lambda _=False, o=order: self.set_sort_order(o))
            order_group.addAction(action)
        self.conversations_action = QAction(
            QCoreApplication.translate("MainWindow", "Group by &Conversation"), self
        )
        self.conversations_action.setCheckable(True)
        self.conversations_action.toggled.connect(self.message_model.set_conversations)

        menu_bar = self.menuBar()
        file_menu = menu_bar.addMenu(QCoreApplication.translate("MainWindow", "&File"))
        file_menu.addAction(a.new_message)
        file_menu.addAction(self.sync_now_action)
        file_menu.addAction(self.work_offline_action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        edit_menu = menu_bar.addMenu(QCoreApplication.translate("MainWindow", "&Edit"))
        edit_menu.addAction(a.undo)
        edit_menu.addAction(a.redo)
        edit_menu.addSeparator()
        edit_menu.addAction(select_all)
        edit_menu.addAction(find_action)
        view_menu = menu_bar.addMenu(QCoreApplication.translate("MainWindow", "&View"))
        sort_menu = view_menu.addMenu(QCoreApplication.translate("MainWindow", "&Sort"))
        for order, action in self.sort_actions.items():
            if order == SortOrder.SENDER_ASC:
                sort_menu.addSeparator()
            sort_menu.addAction(action)
        view_menu.addAction(self.conversations_action)
        self.pane_layout.add_menu(view_menu)
        self.message_menu = menu_bar.addMenu(QCoreApplication.translate("MainWindow", "&Message"))
        for action in (a.reply, a.reply_all, a.forward):
            self.message_menu.addAction(action)
        self.message_menu.addSeparator()
        for action in (a.mark_read, a.mark_unread, a.toggle_flag):
            self.message_menu.addAction(action)
        self.message_menu.addSeparator()
        self.message_menu.addMenu(a.move_menu)
        self.message_menu.addAction(a.archive)
        self.message_menu.addAction(a.delete)
        tools_menu = menu_bar.addMenu(QCoreApplication.translate("MainWindow", "&Tools"))
        tools_menu.addAction(self.conflicts_action)
        self.shortcuts = Shortcuts(self)
        self.shortcuts.add_menus(menu_bar, go_menu_after=self.message_menu.menuAction())
        # The window owns these so their shortcuts work wherever focus is inside it.
        for action in (a.new_message, a.undo, a.redo, *a.message_actions, find_action,
                       self.sync_now_action, quit_action):  # fmt: skip
            self.addAction(action)

        self.toolbar = QToolBar(QCoreApplication.translate("MainWindow", "Main toolbar"))
        self.toolbar.setObjectName("mainToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        for group in (
            (self.sync_now_action, a.new_message),
            (a.reply, a.reply_all, a.forward),
            (a.archive, a.delete),
            (a.mark_read, a.mark_unread, a.toggle_flag),
        ):
            for action in group:
                self.toolbar.addAction(action)
            self.toolbar.addSeparator()
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.toolbar.addWidget(spacer)
        search_area = QWidget()
        self._search_slot = QHBoxLayout(search_area)
        self._search_slot.setContentsMargins(0, 0, 0, 0)
        self._search_slot.addWidget(self._search_placeholder)
        self.toolbar.addWidget(search_area)
        self.addToolBar(self.toolbar)
        self._sync_actions_enabled()

    def _name_toolbar_buttons(self: MainWindow) -> None:  # type: ignore[misc]
        # Icon-only buttons still need a name for screen readers. Done by attach_store(): the
        # first Python access to the toolbar's buttons costs ~10 ms of PySide6 type set-up, and
        # nobody can use them before the first paint anyway.
        for action in self.toolbar.actions():
            button = self.toolbar.widgetForAction(action)
            if button is not None and action.text():
                button.setAccessibleName(action.text().replace("&", ""))
