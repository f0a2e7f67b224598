"""The main window's navigation: choosing a mailbox and messages, showing the selected message
or the Outbox, the context menu, search results.

A mixin of MainWindow (its state is the window's). Texts are translated in the "MainWindow"
context, named literally: pyside6-lupdate would file `self.tr()` here under
"WindowNavigation", where the running window never looks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QCoreApplication,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    Qt,
    Slot,
)
from PySide6.QtWidgets import QMenu

from mailapp.store.rows import MessageSummary, SortOrder
from mailapp.ui.mailbox.mailbox_tree_model import MAILBOX_ID_ROLE, OUTBOX_ID

if TYPE_CHECKING:
    from mailapp.ui.window.main_window import MainWindow


class WindowNavigation:
    def select_mailbox(self: MainWindow, mailbox_id: str) -> None:
        item = self.mailbox_model.item_for(mailbox_id)
        if item is not None:
            self.mailbox_tree.setCurrentIndex(item.index())

    def select_message_row(self: MainWindow, row: int) -> None:
        # Not selectRow(): that reads the keyboard's current modifiers and may toggle instead.
        index = self.message_model.index(row, 0)
        flags = QItemSelectionModel.SelectionFlag
        self.message_list.selectionModel().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)

    def selected_messages(self: MainWindow) -> list[MessageSummary]:
        selection = self.message_list.selectionModel()
        if selection is None:
            return []
        model = self.message_model
        for _attempt in range(3):
            # Reading forgotten rows back may fit rows in or out (mail came or went among
            # them: message_list_window): the selected rows moved, so they are taken again.
            fitted = model.fitted
            rows = sorted(index.row() for index in selection.selectedRows())
            chosen = [model.summary(r) for r in rows if r < model.rowCount()]
            if model.fitted == fitted:
                break
        mailbox_id = model.mailbox_id
        in_conversations = (
            model.conversations and model.search_text is None and model.drafts_account is None
        )
        if chosen and in_conversations and mailbox_id and self._store is not None:
            from mailapp.store import views

            # A row stands for its whole conversation: actions apply to all of it.
            return views.conversation_members(self._store, mailbox_id, chosen)
        return chosen

    def set_sort_order(self: MainWindow, order: SortOrder) -> None:
        self.message_model.set_order(order)
        self.sort_actions[order].setChecked(True)
        self.message_list.show_sort_order(self.message_model.effective_order)
        self.message_list.scrollToTop()

    @Slot(QItemSelection, QItemSelection)
    def _mailbox_selected(
        self: MainWindow, selected: QItemSelection, _deselected: QItemSelection
    ) -> None:
        indexes = selected.indexes()
        mailbox_id = indexes[0].data(MAILBOX_ID_ROLE) if indexes else None
        self._outbox_wanted = mailbox_id == OUTBOX_ID and self._store is None
        if mailbox_id == OUTBOX_ID:
            if self._store is not None:
                self._show_outbox()
            return
        self.right_stack.setCurrentIndex(0)
        if mailbox_id is None or mailbox_id == self.message_model.mailbox_id:
            return
        if self.search_box is not None:
            if self.search_box.text():
                self.search_box.clear()  # a search belongs to the mailbox it was typed in
            self.search_box.mailbox_id = mailbox_id
        self.message_view.show_placeholder()
        is_drafts = self.mailbox_model.role_of(mailbox_id) == "drafts"
        drafts_account = self.mailbox_model.account_of(mailbox_id) if is_drafts else None
        self.message_model.set_mailbox(mailbox_id, drafts_account=drafts_account)
        self.message_list.show_sort_order(self.message_model.effective_order)
        self.message_list.scrollToTop()
        self.mail_actions.set_drafts_account(drafts_account)
        self.mail_actions.update_enabled()

    def _show_outbox(self: MainWindow) -> None:
        if self.outbox_view is None:
            # Imported when first shown: the composer it can open is not needed to paint.
            from mailapp.ui.outbox.outbox_view import OutboxView

            outbox = OutboxView(self._require_store(), parent=self)
            outbox.retryRequested.connect(self._sync_now)
            self.outbox_view = outbox
            self.right_stack.addWidget(outbox)
        self.right_stack.setCurrentWidget(self.outbox_view)

    @Slot(QItemSelection, QItemSelection)
    def _message_selected(
        self: MainWindow, _selected: QItemSelection, _deselected: QItemSelection
    ) -> None:
        self.mail_actions.update_enabled()
        self._show_selected_message()

    def _show_selected_message(self: MainWindow) -> None:
        rows = self.message_list.selectionModel().selectedRows()
        if len(rows) != 1:
            if not rows:
                self.message_view.show_placeholder()
            else:
                # A plural: pyside6-lupdate takes its forms from tr(), not from translate().
                from mailapp.ui.window.main_window import MainWindow

                text = MainWindow.tr("%n messages selected.", "", len(rows))
                self.message_view.show_placeholder(text)
            return
        summary = self.message_model.summary(rows[0].row())
        if self.message_model.drafts_account is not None:
            self.message_view.show_placeholder(
                QCoreApplication.translate(
                    "MainWindow", "Double-click the draft or press Enter to edit it."
                )
            )
            return
        if summary.id == self.reading_pane.message_id or self._store is None:
            return  # without a store: shown by attach_store()
        detail = self._store.message(summary.id)
        if detail is None:
            self.message_view.show_placeholder(
                QCoreApplication.translate("MainWindow", "This message no longer exists.")
            )
            return
        self.message_view.show_message(detail)
        if not summary.is_read:
            self._store.mark_read([summary.id], True)

    def context_menu_at(self: MainWindow, position: QPoint) -> QMenu | None:
        """The message list's context menu for a right-click at ``position`` (viewport
        coordinates); a click outside the selection selects that row first, as in a file manager.
        """
        index = self.message_list.indexAt(position)
        if not index.isValid():
            return None
        if not self.message_list.selectionModel().isRowSelected(index.row(), QModelIndex()):
            self.select_message_row(index.row())
        self.mail_actions.update_enabled()
        menu = self.mail_actions.context_menu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        return menu

    @Slot(QModelIndex)
    def _message_activated(self: MainWindow, index: QModelIndex) -> None:
        if index.isValid() and self.message_model.drafts_account is not None:
            self.mail_actions.open_draft(self.message_model.summary(index.row()).id)
        elif index.isValid():
            self.messages.open_window(self.message_model.summary(index.row()).id)

    @Slot(QPoint)
    def _message_context_menu(self: MainWindow, position: QPoint) -> None:
        menu = self.context_menu_at(position)
        if menu is not None:
            menu.popup(self.message_list.viewport().mapToGlobal(position))

    @Slot(QModelIndex, int, int)
    def _message_rows_removed(
        self: MainWindow, _parent: QModelIndex, first: int, _last: int
    ) -> None:
        shown = self.reading_pane.message_id
        if shown is not None and self.message_model.row_of(shown) is None:
            self.message_view.show_placeholder()
            # Like other mail apps: after a delete or move, the next message is shown.
            if not self.message_list.selectionModel().hasSelection():
                row = min(first, self.message_model.rowCount() - 1)
                if row >= 0:
                    self.select_message_row(row)
        self._update_status()
        self.mail_actions.update_enabled()

    @Slot(str, object)
    def _search_results(self: MainWindow, text: str, results: list[MessageSummary]) -> None:
        self.message_view.show_placeholder()
        self.message_model.show_search_results(text, results)
        self.message_list.scrollToTop()

    @Slot()
    def _search_cleared(self: MainWindow) -> None:
        self.message_model.clear_search()

    @Slot()
    def _focus_search(self: MainWindow) -> None:
        box = self.search_box or self._search_placeholder
        box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        box.selectAll()
