"""The main window: mailboxes | message list over the reading pane, menus, toolbar, status.

It starts in one of two ways. Given a `MailStore`, it is complete at once. Given a `FirstScreen`
(read with the stdlib sqlite3 module, see mailapp.store.first_screen), it paints the mailbox tree
and the Inbox's first page without SQLAlchemy, the store and what needs them (search, the
attachment bar, the tray, the message actions, conflicts, the outbox), which cost more start-up
time than painting; `attach_store()` adds those right after the first paint, keeping the rows,
scroll position, selection and tree state. Until then the actions that need the store are
disabled, and what the user asks for (another mailbox or order, the next page, a message) is
done on attach.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QVBoxLayout,
    QWidget,
)

from mailapp.ui.account.welcome import Welcome
from mailapp.ui.common import icons, theme
from mailapp.ui.mailbox.actions import MailActions
from mailapp.ui.mailbox.mailbox_tree_model import (
    NAME_COLUMN,
    UNREAD_COLUMN,
    MailboxTreeModel,
)
from mailapp.ui.mailbox.mailbox_tree_view import MailboxTreeView
from mailapp.ui.mailbox.message_list_model import MessageListModel
from mailapp.ui.mailbox.message_list_view import MessageListView
from mailapp.ui.reading.message_view import MessageView
from mailapp.ui.window.layout import PaneLayout
from mailapp.ui.window.message_window import MainWindowMessages
from mailapp.ui.window.notice_bar import NoticeBar
from mailapp.ui.window.status_bar import SyncControllerLike, SyncStatus
from mailapp.ui.window.window_menus import WindowMenus
from mailapp.ui.window.window_navigation import WindowNavigation

if TYPE_CHECKING:
    from mailapp.store import MailStore
    from mailapp.store.first_screen import FirstScreen
    from mailapp.store.rows import ChangeSet  # created on first use, after the first paint
    from mailapp.ui.common.store_bridge import StoreChanges
    from mailapp.ui.mailbox.search_box import SearchBox
    from mailapp.ui.window.notifications import NewMailWatcher
    from mailapp.ui.window.tray import MailTray

NOTICE_STATUS_MS = 6000
SEARCH_BOX_WIDTH = 320


def _optional(module: str) -> Any:
    """A module another engineer ships alongside this window, or None while it is absent."""
    if importlib.util.find_spec(module) is None:
        return None
    return importlib.import_module(module)


class MainWindow(WindowMenus, WindowNavigation, QMainWindow):
    storeAttached = Signal()  # the window is complete: every action works from now on
    settingsChanged = Signal(object)  # AppSettings, saved in Settings

    def __init__(
        self, store: MailStore | None = None, *, first_screen: FirstScreen | None = None
    ) -> None:
        if (store is None) == (first_screen is None):
            raise ValueError("give the window either a store or a first screen")
        super().__init__()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply(app)
            app.styleHints().colorSchemeChanged.connect(self.color_scheme_changed)
        self._store: MailStore | None = None
        self._first_screen = first_screen
        self._controller: SyncControllerLike | None = None
        self._conflict_dialog: QWidget | None = None
        self._outbox_wanted = False  # the Outbox was chosen before the store was attached
        self.setWindowTitle(self.tr("Mail"))
        self.setWindowIcon(icons.icon(icons.APP_ICON))
        self.resize(1200, 760)

        # Made by attach_store(): their modules need the store (and so SQLAlchemy).
        self.changes: StoreChanges | None = None
        self.new_mail: NewMailWatcher | None = None
        self.tray: MailTray | None = None
        self.search_box: SearchBox | None = None
        # Holds the search box's place in the toolbar, so nothing moves when it arrives, and
        # keeps what is typed into it meanwhile, which the search box then searches for.
        self._search_placeholder = QLineEdit()
        self._search_placeholder.setPlaceholderText(self.tr("Search mail"))
        self._search_placeholder.setAccessibleName(self.tr("Search mail"))
        self._search_placeholder.setMaximumWidth(SEARCH_BOX_WIDTH)

        self.mailbox_model = MailboxTreeModel(None, self)
        self.message_model = MessageListModel(None, parent=self)

        self.mailbox_tree = MailboxTreeView()
        self.mailbox_tree.setModel(self.mailbox_model)
        self.mailbox_tree.setHeaderHidden(True)
        self.mailbox_tree.setUniformRowHeights(True)
        self.mailbox_tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.mailbox_tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.mailbox_tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(NAME_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(UNREAD_COLUMN, QHeaderView.ResizeMode.ResizeToContents)

        self.message_list = MessageListView()
        self.message_list.setModel(self.message_model)
        self.message_list.configure_columns()
        self.message_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

        self.message_view = MessageView(None)
        self.reading_pane = self.message_view.pane
        self.notice = NoticeBar()

        self.mail_actions = MailActions(None, self.selected_messages, self.mailbox_model, self)
        self._profile_store = store  # only for where the layout is kept; attach_store() sets _store
        self._build_central()
        self._build_menus_and_toolbar()
        self._build_status_bar()
        # Message Source, Save As, Print, PDF; a message's own window; .eml files dropped in.
        self.messages = MainWindowMessages(self)

        self.mailbox_tree.selectionModel().selectionChanged.connect(self._mailbox_selected)
        self.mailbox_tree.messagesDropped.connect(self.mail_actions.move_to)
        self.message_list.selectionModel().selectionChanged.connect(self._message_selected)
        self.message_list.customContextMenuRequested.connect(self._message_context_menu)
        # Double-click or Enter (QAbstractItemView emits activated for both).
        self.message_list.activated.connect(self._message_activated)
        self.message_list.sortOrderRequested.connect(self.set_sort_order)
        self.message_model.modelReset.connect(self._update_status)
        self.message_model.rowsRemoved.connect(self._message_rows_removed)
        self.mail_actions.moved.connect(self.notice.show_notice)
        self.notice.undoClicked.connect(self.mail_actions.undo_stack.undo)
        self.sync_status.conflictsClicked.connect(self.show_conflicts)

        if store is not None:
            self.attach_store(store)
            self.mailbox_model.reload()
        else:
            assert first_screen is not None
            self.mailbox_model.show_first_screen(first_screen)
            if first_screen.inbox_id is not None:
                # Before the tree selects the Inbox, so that selecting it finds it shown.
                self.message_model.show_first_screen(
                    first_screen.inbox_id,
                    first_screen.inbox_page,
                    exhausted=first_screen.inbox_exhausted,
                )
            self.sync_status.set_pending(first_screen.pending)
        self.mailbox_tree.expandAll()
        inbox = self.mailbox_model.first_mailbox_with_role("inbox")
        if inbox is not None:
            self.select_mailbox(inbox)
        else:
            self._update_status()

    def attach_store(self, store: MailStore) -> None:
        """Completes the window with the store; see the module docstring."""
        from mailapp.store import views
        from mailapp.ui.common.store_bridge import StoreChanges
        from mailapp.ui.mailbox.search_box import SearchBox
        from mailapp.ui.window.tray import attach_notifications

        if self._store is not None:
            raise RuntimeError("the window already has a store")
        self._store = store
        self._first_screen = None
        self.changes = StoreChanges(store, self)
        self.changes.changed.connect(self._store_changed)
        self.mailbox_model.attach_store(store)
        self.message_model.attach_store(store)
        self.message_view.attach_store(store)
        assert self.message_view.attachments is not None
        self.message_view.attachments.notice.connect(self._show_notice)

        self.search_box = SearchBox(store.path)
        self.search_box.setMaximumWidth(SEARCH_BOX_WIDTH)
        self.search_box.mailbox_id = self.message_model.mailbox_id
        self.search_box.resultsReady.connect(self._search_results)
        self.search_box.cleared.connect(self._search_cleared)
        self._search_slot.replaceWidget(self._search_placeholder, self.search_box)
        if self._search_placeholder.hasFocus():
            self.search_box.setFocus(Qt.FocusReason.OtherFocusReason)
        self.search_box.setText(self._search_placeholder.text())
        # replaceWidget() leaves the old field shown where it was until it is deleted.
        self._search_placeholder.hide()
        self._search_placeholder.deleteLater()

        self.new_mail, self.tray = attach_notifications(self, store)

        self.conflicts_action.setEnabled(_optional_spec("mailapp.ui.outbox.conflict_dialog"))
        self._name_toolbar_buttons()
        # One count for the status bar and the Outbox badge, whatever the controller reports.
        self.sync_status.set_pending_source(lambda: views.pending_count(store))
        self.mail_actions.attach_store(store)
        if self._outbox_wanted:
            self._show_outbox()
        else:
            self._show_selected_message()
        self._update_status()
        self.storeAttached.emit()

    # -- building -----------------------------------------------------------------------------
    def _build_central(self) -> None:
        list_area = QWidget()
        list_layout = QVBoxLayout(list_area)
        list_layout.setContentsMargins(0, 0, 0, 0)
        list_layout.setSpacing(0)
        list_layout.addWidget(self.notice)
        list_layout.addWidget(self.message_list, 1)
        source = self._profile_store or self._first_screen
        self.pane_layout = PaneLayout(
            self, self.mailbox_tree, list_area, self.message_list, self.message_view,
            source.path.parent if source is not None else None,
        )  # fmt: skip
        self.right_stack = self.pane_layout.right_stack
        self.outbox_view: QWidget | None = None
        self.welcome = Welcome(self, self.pane_layout.central)

    def _build_status_bar(self) -> None:
        self.count_label = QLabel()
        self.sync_status = SyncStatus()
        self.statusBar().addWidget(self.count_label)
        self.statusBar().addPermanentWidget(self.sync_status)
        # A hovered link's real target, as a browser shows it ("" clears it on leaving the link).
        self.reading_pane.linkHovered.connect(self.statusBar().showMessage)

    # -- what tests, the app and later features drive -------------------------------------------
    @property
    def store(self) -> MailStore | None:
        """The store, once attached (see the module docstring)."""
        return self._store

    def attach_sync(self, controller: SyncControllerLike) -> None:
        """Shows the controller's state in the status bar and lets menus drive it."""
        self._controller = controller
        self.sync_status.attach(controller)
        controller.stateChanged.connect(self._sync_state_changed)
        if self.message_view.attachments is not None and hasattr(controller, "fetch_attachment"):
            # Attachments not downloaded yet are fetched by the sync thread when opened or saved.
            self.message_view.attachments.attach_downloads(controller)
            self.mail_actions.fetch_attachment = controller.fetch_attachment  # type: ignore[attr-defined]
        if hasattr(controller, "bodyOffline"):
            # Bodies older than the prefetch window are fetched by the sync thread when shown.
            self.message_view.attach_downloads(controller)
        self._sync_actions_enabled()

    @Slot()
    def color_scheme_changed(self) -> None:
        """Redraws icons for the new light or dark scheme (the palette follows by itself)."""
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply(app)
        for action in self.findChildren(QAction):
            name = action.property(icons.ICON_PROPERTY)
            if isinstance(name, str):
                action.setIcon(icons.icon(name))
        current = self.message_model.mailbox_id
        self.mailbox_model.reload()
        self.mailbox_tree.expandAll()
        if current is not None:
            self.select_mailbox(current)
        self.message_list.viewport().update()

    @Slot()
    def show_conflicts(self) -> None:
        module = _optional("mailapp.ui.outbox.conflict_dialog") if self._store is not None else None
        if module is None:
            return
        if self._conflict_dialog is None:
            self._conflict_dialog = module.ConflictDialog(self._store, parent=self)
        self._conflict_dialog.show()
        self._conflict_dialog.raise_()

    # -- slots ----------------------------------------------------------------------------------
    @Slot(object)
    def _store_changed(self, changes: ChangeSet) -> None:
        from mailapp.store import views

        store = self._require_store()
        # One read for the tree's counts, which also tells whether mailboxes came or went.
        touched = bool(changes.messages or changes.mailboxes or changes.outbox)
        if touched and not self.mailbox_model.refresh_counts(sends=changes.outbox):
            current = self.message_model.mailbox_id
            self.mailbox_model.reload()
            self.mailbox_tree.expandAll()
            if current is not None and current in self.mailbox_model.mailbox_ids:
                self.select_mailbox(current)
            else:  # the shown mailbox is gone: fall back to the Inbox, like at start-up
                self.message_model.set_mailbox(None)
                inbox = self.mailbox_model.first_mailbox_with_role("inbox")
                if inbox is not None:
                    self.select_mailbox(inbox)
        self.message_model.apply_changes(changes)
        if changes.messages:
            self.message_view.store_changed(changes)
        if changes.outbox:
            self.sync_status.set_pending(views.pending_count(store))
        self.mail_actions.update_enabled()
        self._update_status()

    @Slot(str)
    def _show_notice(self, text: str) -> None:
        self.statusBar().showMessage(text, NOTICE_STATUS_MS)

    @Slot()
    def _sync_now(self) -> None:
        if self._controller is not None:
            self._controller.sync_now()

    @Slot(bool)
    def _work_offline(self, offline: bool) -> None:
        if self._controller is not None:
            self._controller.set_work_offline(offline)

    @Slot(str, int)
    def _sync_state_changed(self, state: str, _retry_in: int) -> None:
        blocked = self.work_offline_action.blockSignals(True)
        self.work_offline_action.setChecked(state == "working_offline")
        self.work_offline_action.blockSignals(blocked)

    def _sync_actions_enabled(self) -> None:
        has_controller = self._controller is not None
        self.sync_now_action.setEnabled(has_controller)
        self.work_offline_action.setEnabled(has_controller)

    def _require_store(self) -> MailStore:
        assert self._store is not None, "only called once the store is attached"
        return self._store

    def _update_status(self) -> None:
        mailbox_id = self.message_model.mailbox_id
        if mailbox_id is None:
            if self._store is not None:
                has_accounts = bool(self._store.accounts())
            else:
                has_accounts = self._first_screen is not None and bool(self._first_screen.accounts)
            self.welcome.set_needed(not has_accounts, self.message_list.firstPagePainted.emit)
            if not has_accounts:
                self.count_label.setText(self.tr("No accounts yet"))
            return
        self.welcome.set_needed(False, self.message_list.firstPagePainted.emit)
        if self.message_model.search_text is not None:
            found = self.message_model.rowCount()
            self.count_label.setText(self.tr("%n messages found", "", found))
            return
        drafts_account = self.message_model.drafts_account
        if self._store is not None and drafts_account is not None:
            from mailapp.store import views

            drafts = views.draft_count(self._store, drafts_account)
            self.count_label.setText(self.tr("%n drafts", "", drafts))
            return
        # The tree's counts: read with every change (and at start, from the first screen), so
        # the status bar costs no query of its own while a sync pours mail in.
        total = self.mailbox_model.total(mailbox_id)
        text = self.tr("%n messages", "", total)
        self.count_label.setText(text)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.findChild(QWidget, "composer") is not None:  # imported only when one is open
            from mailapp.ui.composer.composer import close_composers

            if not close_composers(self):  # a composer's text is stored nowhere yet: it says so
                event.ignore()
                return
        self.pane_layout.save()
        # The sync controller may still report after this, when the store is already closed.
        self.sync_status.set_pending_source(None)
        if self.changes is not None:
            self.changes.close()
        if self.search_box is not None:
            self.search_box.shutdown()
        super().closeEvent(event)


def _optional_spec(module: str) -> bool:
    return importlib.util.find_spec(module) is not None
