"""The window's message actions: one QAction each, shared by menus, toolbar and context menu."""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from mailapp.store.rows import MessageSummary
from mailapp.ui.common import icons
from mailapp.ui.mailbox.mailbox_tree_model import MailboxTreeModel

if TYPE_CHECKING:
    from mailapp.store import MailStore
    from mailapp.ui.mailbox.undo_commands import MoveCommand

# mailapp.store.views and the undo commands (SQLAlchemy) are imported where they are used: the
# actions exist, disabled, from the window's first paint, before the store is open.

SelectionGetter = Callable[[], list[MessageSummary]]


@functools.cache
def composer_available() -> bool:
    # Asked on every store change (the actions' enabled state); a module's presence does not
    # change while the app runs, and find_spec stats the file system each time (stalls during
    # a big sync, found by tests/bench/bench_ui_stalls.py).
    return importlib.util.find_spec("mailapp.ui.composer.composer") is not None


def _ask_permanent_delete(parent: QWidget, count: int) -> bool:
    answer = QMessageBox.question(
        parent,
        MailActions.tr("Delete permanently"),
        MailActions.tr("Delete %n messages permanently? This cannot be undone.", "", count),
    )
    return answer == QMessageBox.StandardButton.Yes


def _ask_delete_drafts(parent: QWidget, count: int) -> bool:
    answer = QMessageBox.question(
        parent,
        MailActions.tr("Delete drafts"),
        MailActions.tr("Delete %n drafts? This cannot be undone.", "", count),
    )
    return answer == QMessageBox.StandardButton.Yes


class MailActions(QObject):
    """Acts on whatever `selection()` returns; `moved(text)` reports undoable moves.

    With `store=None` (the window's first screen) every action is disabled until
    `attach_store()`. While the list shows drafts (`set_drafts_account()`) only Delete applies,
    and it deletes the selected drafts after a confirmation.
    """

    moved = Signal(str)  # a user-facing sentence, e.g. "2 messages moved to Trash."

    def __init__(
        self,
        store: MailStore | None,
        selection: SelectionGetter,
        mailbox_model: MailboxTreeModel,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._selection = selection
        self._mailboxes = mailbox_model
        self._parent = parent
        # Replaced in tests: a modal question cannot be answered there.
        self.confirm_permanent_delete: Callable[[int], bool] = lambda n: _ask_permanent_delete(
            parent, n
        )
        self.confirm_delete_drafts: Callable[[int], bool] = lambda n: _ask_delete_drafts(parent, n)
        self._drafts_account: str | None = None
        # Set when sync runs: asks the sync thread for an attachment's bytes (by id).
        self.fetch_attachment: Callable[[str], None] | None = None
        self.undo_stack = QUndoStack(self)
        self.undo = self.undo_stack.createUndoAction(self, self.tr("&Undo"))
        self.undo.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo = self.undo_stack.createRedoAction(self, self.tr("&Redo"))
        self.redo.setShortcut(QKeySequence.StandardKey.Redo)

        self.new_message = self._action(
            self.tr("&New Message"), self._compose_new, QKeySequence.StandardKey.New, "compose"
        )
        self.reply = self._action(self.tr("&Reply"), lambda: self._compose("reply"), "Ctrl+R",
                                  "reply")  # fmt: skip
        self.reply_all = self._action(
            self.tr("Reply &All"), lambda: self._compose("reply_all"), "Ctrl+Shift+R", "reply-all"
        )
        self.forward = self._action(
            self.tr("&Forward"), lambda: self._compose("forward"), "Ctrl+L", "forward"
        )
        self.mark_read = self._action(
            self.tr("Mark as &Read"), lambda: self._set_read(True), "Ctrl+K", "read"
        )
        self.mark_unread = self._action(
            self.tr("Mark as &Unread"), lambda: self._set_read(False), "Ctrl+Shift+K", "unread"
        )
        self.toggle_flag = self._action(
            self.tr("&Flag"), self._toggle_flag, "Ctrl+Shift+G", icons.FLAG
        )
        self.archive = self._action(self.tr("&Archive"), self._archive, "Ctrl+Alt+A", "archive")
        self.delete = self._action(
            self.tr("&Delete"), self._delete, QKeySequence.StandardKey.Delete, "trash"
        )
        self.move_menu = QMenu(self.tr("&Move To"), parent)
        self.move_menu.setIcon(icons.icon(icons.FOLDER))
        self.move_menu.menuAction().setProperty(icons.ICON_PROPERTY, icons.FOLDER)
        self.move_menu.aboutToShow.connect(self._fill_move_menu)
        self.message_actions = [
            self.reply,
            self.reply_all,
            self.forward,
            self.mark_read,
            self.mark_unread,
            self.toggle_flag,
            self.archive,
            self.delete,
        ]
        self.update_enabled()

    # -- what the window calls ----------------------------------------------------------------
    @property
    def store(self) -> MailStore:
        assert self._store is not None, "message actions are disabled until a store is attached"
        return self._store

    def attach_store(self, store: MailStore) -> None:
        self._store = store
        self.update_enabled()

    def set_drafts_account(self, account_id: str | None) -> None:
        """The selection is now drafts of this account (None: messages again)."""
        self._drafts_account = account_id
        self.update_enabled()

    def open_draft(self, draft_id: str) -> None:
        """Reopens a saved draft in a composer window."""
        if self._store is None or self._drafts_account is None or not composer_available():
            return
        self._show_composer(self._drafts_account, draft_id=draft_id)

    def update_enabled(self) -> None:
        if self._store is None:
            for action in (self.new_message, *self.message_actions):
                action.setEnabled(False)
            self.move_menu.setEnabled(False)
            return
        selected = self._selection()
        has_selection = bool(selected)
        for action in self.message_actions:
            action.setEnabled(has_selection)
        single = len(selected) == 1 and composer_available()
        for action in (self.reply, self.reply_all, self.forward):
            action.setEnabled(single)
        self.new_message.setEnabled(composer_available() and self._mailboxes.has_accounts)
        self.move_menu.setEnabled(has_selection)
        if self._drafts_account is not None:
            for action in self.message_actions:
                action.setEnabled(action is self.delete and has_selection)
            self.move_menu.setEnabled(False)
            return
        if has_selection:
            any_unread = any(not m.is_read for m in selected)
            self.mark_read.setEnabled(any_unread)
            self.mark_unread.setEnabled(any(m.is_read for m in selected))
            all_flagged = all(m.is_flagged for m in selected)
            self.toggle_flag.setText(self.tr("Un&flag") if all_flagged else self.tr("&Flag"))

    def context_menu(self, parent: QWidget) -> QMenu:
        menu = QMenu(parent)
        for action in (self.reply, self.reply_all, self.forward):
            menu.addAction(action)
        menu.addSeparator()
        for action in (self.mark_read, self.mark_unread, self.toggle_flag):
            menu.addAction(action)
        menu.addSeparator()
        menu.addMenu(self.move_menu)
        menu.addAction(self.archive)
        menu.addAction(self.delete)
        return menu

    def move_to(self, message_ids: Sequence[str] | None, mailbox_id: str) -> None:
        """Moves the selection (or the given messages, e.g. dropped ones) to a mailbox."""
        if self._store is None:
            return  # a drop before the store opened: the actions are not ready yet
        from mailapp.store import views

        selected = self._selection()
        if message_ids is not None:
            found = views.summaries(self.store, message_ids)
            selected = [found[i] for i in message_ids if i in found]
        target = next((m for m in self.store.mailboxes() if m.id == mailbox_id), None)
        if target is None or not selected:
            return
        same_account = [m for m in selected if self._account_of(m) == target.account_id]
        name = self._mailboxes.display_name(mailbox_id) or target.name
        from mailapp.ui.mailbox.undo_commands import MoveCommand

        command = MoveCommand(
            self.store,
            same_account,
            mailbox_id,
            self.tr("Move to %1").replace("%1", name),
        )
        self._push_move(command, name)

    # -- handlers ---------------------------------------------------------------------------------
    def _action(
        self,
        text: str,
        slot: Callable[[], None],
        shortcut: str | QKeySequence.StandardKey,
        icon_name: str,
    ) -> QAction:
        action = QAction(icons.icon(icon_name), text, self)
        action.setProperty(icons.ICON_PROPERTY, icon_name)
        action.setShortcut(QKeySequence(shortcut))
        # Plain-text tool tips for toolbar buttons that show only the icon.
        action.setToolTip(text.replace("&", ""))
        action.triggered.connect(slot)
        return action

    def _account_of(self, message: MessageSummary) -> str | None:
        return self._mailboxes.account_of(message.mailbox_id)

    @Slot()
    def _set_read(self, read: bool) -> None:
        selected = self._selection()
        text = self.tr("Mark as Read") if read else self.tr("Mark as Unread")
        from mailapp.ui.mailbox.undo_commands import KeywordCommand

        command = KeywordCommand(self.store.mark_read, selected, read, lambda m: m.is_read, text)
        if command.count:
            self.undo_stack.push(command)

    @Slot()
    def _toggle_flag(self) -> None:
        selected = self._selection()
        flag = not all(m.is_flagged for m in selected)
        text = self.tr("Flag") if flag else self.tr("Unflag")
        from mailapp.ui.mailbox.undo_commands import KeywordCommand

        command = KeywordCommand(
            self.store.set_flagged, selected, flag, lambda m: m.is_flagged, text
        )
        if command.count:
            self.undo_stack.push(command)

    @Slot()
    def _archive(self) -> None:
        self._move_to_role("archive")

    @Slot()
    def _delete(self) -> None:
        selected = self._selection()
        if not selected:
            return
        if self._drafts_account is not None:
            # No undo: re-creating a draft the server already destroyed would need a new id.
            if self.confirm_delete_drafts(len(selected)):
                for draft in selected:
                    self.store.delete_draft(draft.id)
            return
        trash_ids = {m.id: self._mailbox_with_role(m, "trash") for m in selected}
        in_trash = [m for m in selected if trash_ids[m.id] in (None, m.mailbox_id)]
        if in_trash:
            if not self.confirm_permanent_delete(len(in_trash)):
                return
            self.store.delete([m.id for m in in_trash])
        movable = [m for m in selected if m not in in_trash]
        if not movable:
            return
        trash = trash_ids[movable[0].id]
        assert trash is not None
        name = self._mailboxes.display_name(trash) or self.tr("Trash")
        from mailapp.ui.mailbox.undo_commands import MoveCommand

        command = MoveCommand(self.store, movable, trash, self.tr("Delete"), via_delete=True)
        self._push_move(command, name)

    def _move_to_role(self, role: str) -> None:
        selected = self._selection()
        if not selected:
            return
        target = self._mailbox_with_role(selected[0], role)
        if target is None:
            return
        self.move_to([m.id for m in selected], target)

    def _mailbox_with_role(self, message: MessageSummary, role: str) -> str | None:
        account_id = self._account_of(message)
        if account_id is None:
            return None
        mailbox = self.store.mailbox_by_role(account_id, role)
        return None if mailbox is None else mailbox.id

    def _push_move(self, command: MoveCommand, mailbox_name: str) -> None:
        if not command.count:
            return
        count = command.count
        self.undo_stack.push(command)
        self.moved.emit(self.tr("%n messages moved to %1.", "", count).replace("%1", mailbox_name))

    @Slot()
    def _fill_move_menu(self) -> None:
        self.move_menu.clear()
        selected = self._selection()
        accounts = {self._account_of(m) for m in selected}
        current = {m.mailbox_id for m in selected}
        for mailbox_id, label in self._mailboxes.move_targets():
            if self._mailboxes.account_of(mailbox_id) not in accounts:
                continue
            action = self.move_menu.addAction(icons.icon(icons.FOLDER), label)
            action.setEnabled(current != {mailbox_id})
            action.triggered.connect(lambda _=False, target=mailbox_id: self.move_to(None, target))

    @Slot()
    def _compose_new(self) -> None:
        accounts = self.store.accounts()
        if accounts:
            self._open_composer("new", None)

    def _compose(self, mode: str) -> None:
        selected = self._selection()
        if len(selected) == 1:
            self._open_composer(mode, selected[0].id)

    def _open_composer(self, mode: str, message_id: str | None) -> None:
        if not composer_available():
            return
        account_id = self._account_for_compose(message_id)
        if account_id is None:
            return
        self._show_composer(account_id, mode=mode, parent_message_id=message_id)

    def _show_composer(
        self,
        account_id: str,
        *,
        mode: str = "new",
        parent_message_id: str | None = None,
        draft_id: str | None = None,
    ) -> None:
        from mailapp.store.settings import load_settings
        from mailapp.ui.composer import composer

        widget = composer.open_composer(
            self.store,
            account_id,
            mode=mode,
            parent_message_id=parent_message_id,
            draft_id=draft_id,
            parent=self._parent,
            undo_seconds=load_settings(self.store).undo_send_seconds,
            fetch_attachment=self.fetch_attachment,
        )
        widget.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        widget.show()

    def _account_for_compose(self, message_id: str | None) -> str | None:
        if message_id is not None:
            selected = {m.id: m for m in self._selection()}
            if message_id in selected:
                return self._account_of(selected[message_id])
        accounts = self.store.accounts()
        return accounts[0][0] if accounts else None
