"""The mailbox tree: standard mailboxes in their usual order, the user's folders nested by "/"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QFont, QIcon, QStandardItem, QStandardItemModel

from mailapp.store.rows import MailboxCounts, MailboxRow
from mailapp.ui.common import icons

if TYPE_CHECKING:
    from mailapp.store import MailStore
    from mailapp.store.first_screen import FirstScreen

MAILBOX_ID_ROLE = Qt.ItemDataRole.UserRole + 1
# The Outbox is not a server mailbox: it lists what waits to be sent, so it has its own id.
OUTBOX_ID = "outbox:"
NAME_COLUMN = 0
UNREAD_COLUMN = 1

# Custom folders (role None) sit between Archive and Junk.
_ROLE_ORDER = {"inbox": 0, "drafts": 1, "sent": 2, "archive": 3, None: 4, "junk": 5, "trash": 6}


def _path_of(mailbox: MailboxRow, by_id: Mapping[str, MailboxRow]) -> tuple[str, ...]:
    """The names from the top of the tree down to this mailbox."""
    seen: set[str] = set()
    names: list[str] = []
    current: MailboxRow | None = mailbox
    while current is not None and current.id not in seen:
        seen.add(current.id)
        names[:0] = [part for part in current.name.split("/") if part] or [current.name]
        current = by_id.get(current.parent_id) if current.parent_id else None
    return tuple(names)


def _top_level_order(mailbox: MailboxRow) -> tuple[int, int, str]:
    return (
        _ROLE_ORDER.get(mailbox.role, _ROLE_ORDER[None]),
        mailbox.sort_order,
        mailbox.name.lower(),
    )


class MailboxTreeModel(QStandardItemModel):
    """Two columns: the mailbox (icon and name) and its unread count.

    `reload()` rebuilds the tree when the set of mailboxes changes; `refresh_counts()` only
    rewrites counts so selection and expansion survive new mail and read-state changes.

    At start-up the tree may first be filled from a FirstScreen snapshot with `store=None`;
    `attach_store()` then only refreshes the counts, so selection and expansion are kept.
    """

    def __init__(self, store: MailStore | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._snapshot: FirstScreen | None = None
        self._mailboxes: list[MailboxRow] = []
        self._counts: Mapping[str, MailboxCounts] = {}
        self._pending_sends: int | None = None  # the Outbox badge, read when the outbox changes
        self._has_accounts = False
        self._name_items: dict[str, QStandardItem] = {}
        self._count_items: dict[str, QStandardItem] = {}
        self._unread: dict[str, bool] = {}
        self._mailbox_ids: frozenset[str] = frozenset()
        self._account_of: dict[str, str] = {}
        self._labels: dict[str, str] = {}
        self._order: list[str] = []
        self._bold = QFont()
        self._bold.setBold(True)
        self.setHorizontalHeaderLabels([self.tr("Mailbox"), self.tr("Unread")])
        self._role_names = {
            "inbox": self.tr("Inbox"),
            "drafts": self.tr("Drafts"),
            "sent": self.tr("Sent"),
            "archive": self.tr("Archive"),
            "junk": self.tr("Junk"),
            "trash": self.tr("Trash"),
        }

    @property
    def mailbox_ids(self) -> frozenset[str]:
        return self._mailbox_ids

    @property
    def has_accounts(self) -> bool:
        """Whether the profile had an account when the tree was last (re)loaded."""
        return self._has_accounts

    def item_for(self, mailbox_id: str) -> QStandardItem | None:
        return self._name_items.get(mailbox_id)

    def account_of(self, mailbox_id: str) -> str | None:
        return self._account_of.get(mailbox_id)

    def role_of(self, mailbox_id: str) -> str | None:
        """The mailbox's standard role ("inbox", "drafts", …), None for the user's folders."""
        return next((m.role for m in self._mailboxes if m.id == mailbox_id), None)

    def display_name(self, mailbox_id: str) -> str | None:
        item = self._name_items.get(mailbox_id)
        return None if item is None else item.text()

    def move_targets(self) -> list[tuple[str, str]]:
        """(mailbox id, "Parent/Child" label) for every mailbox messages can be moved to."""
        return [(m, self._labels[m]) for m in self._order]

    def first_mailbox_with_role(self, role: str) -> str | None:
        for mailbox in self._mailboxes:
            if mailbox.role == role:
                return mailbox.id
        return None

    def total(self, mailbox_id: str) -> int:
        """How many messages the mailbox held when the counts were last read."""
        counts = self._counts.get(mailbox_id)
        return 0 if counts is None else counts.total

    def show_first_screen(self, snapshot: FirstScreen) -> None:
        """Fills the tree from the start-up snapshot, before the store is open."""
        self._snapshot = snapshot
        self.reload()

    def attach_store(self, store: MailStore) -> None:
        self._store = store
        self._snapshot = None
        self.refresh_counts()

    def reload(self) -> None:
        if self._store is not None:
            mailboxes = self._store.mailboxes()
            accounts = self._store.accounts()
        else:
            assert self._snapshot is not None, "a tree needs a store or a first screen"
            mailboxes = self._snapshot.mailboxes
            accounts = self._snapshot.accounts
        self.removeRows(0, self.rowCount())
        self._name_items.clear()
        self._count_items.clear()
        self._unread.clear()
        self._labels.clear()
        self._order.clear()
        self._mailboxes = mailboxes
        self._has_accounts = bool(accounts)
        self._mailbox_ids = frozenset(m.id for m in mailboxes)
        self._account_of = {m.id: m.account_id for m in mailboxes}
        for account_id, email in accounts:
            own = [m for m in mailboxes if m.account_id == account_id]
            if len(accounts) > 1:
                header = self._header_item(email)
                self.appendRow([header, self._inert_item("")])
                self._add_mailboxes(header, own)
            else:
                root = self.invisibleRootItem()
                self._add_mailboxes(root, own)
        if accounts:
            self._add_outbox()
        self.refresh_counts()

    def refresh_counts(self, *, sends: bool = True) -> bool:
        """Rewrites the counts; False when the store's mailboxes are no longer the ones shown
        (the caller reloads). ``sends=False`` keeps the Outbox's count, for a change that left
        the outbox alone (a sync applying a page of mail)."""
        if self._store is not None:
            from mailapp.store import views  # SQLAlchemy: not before the first paint

            self._counts, pending_sends = views.tree_counts(
                self._store, sends=sends or self._pending_sends is None
            )
            if pending_sends is not None:
                self._pending_sends = pending_sends
        else:
            assert self._snapshot is not None, "a tree needs a store or a first screen"
            self._counts = self._snapshot.counts
            self._pending_sends = self._snapshot.pending_sends
        pending = self._pending_sends or 0
        counts = self._counts
        for mailbox_id, name_item in self._name_items.items():
            count_item = self._count_items[mailbox_id]
            if mailbox_id == OUTBOX_ID:
                # Messages being sent (views.pending_send_count), not every change: reading
                # mail must not raise it. Conflicts show in the status bar's conflicts button.
                unread = pending
                spoken = self.tr("%n messages waiting to be sent", "", unread)
            else:
                unread = counts[mailbox_id].unread if mailbox_id in counts else 0
                spoken = self.tr("%n unread", "", unread)
            text = str(unread) if unread else ""
            if count_item.text() != text:
                count_item.setText(text)
                count_item.setData(spoken if unread else None, Qt.ItemDataRole.AccessibleTextRole)
            if self._unread.get(mailbox_id) != bool(unread):
                self._unread[mailbox_id] = bool(unread)
                font = self._bold if unread else None
                name_item.setData(font, Qt.ItemDataRole.FontRole)
                count_item.setData(font, Qt.ItemDataRole.FontRole)
        return self._counts.keys() == self._mailbox_ids

    def _add_mailboxes(self, root: QStandardItem, mailboxes: list[MailboxRow]) -> None:
        by_id = {m.id: m for m in mailboxes}
        nodes: dict[tuple[str, ...], QStandardItem] = {}
        for mailbox in sorted(mailboxes, key=_top_level_order):
            path = _path_of(mailbox, by_id)
            parent = root
            for depth in range(1, len(path)):
                prefix = path[:depth]
                if prefix not in nodes:
                    # A folder that exists only as part of another's name, e.g. "Projects" in
                    # "Projects/Apollo": shown for structure, not selectable.
                    nodes[prefix] = self._inert_item(prefix[-1], icons.mailbox_icon(None))
                    parent.appendRow([nodes[prefix], self._count_item()])
                parent = nodes[prefix]
            item = nodes.get(path)
            if item is None or item.data(MAILBOX_ID_ROLE) is not None:
                item = QStandardItem()
                nodes.setdefault(path, item)
                parent.appendRow([item, self._count_item()])
            item.setText(self._display_name(mailbox, path))
            item.setIcon(icons.mailbox_icon(mailbox.role))
            count_item = parent.child(item.row(), UNREAD_COLUMN)
            for cell in (item, count_item):
                # Both cells selectable so the highlight spans the row; both know the mailbox.
                cell.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                cell.setData(mailbox.id, MAILBOX_ID_ROLE)
            self._name_items[mailbox.id] = item
            self._count_items[mailbox.id] = count_item
            self._labels[mailbox.id] = "/".join([*path[:-1], item.text()])
            self._order.append(mailbox.id)

    def _add_outbox(self) -> None:
        item = QStandardItem(self.tr("Outbox"))
        item.setIcon(icons.mailbox_icon("outbox"))
        count_item = self._count_item()
        for cell in (item, count_item):
            cell.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            cell.setData(OUTBOX_ID, MAILBOX_ID_ROLE)
        self.appendRow([item, count_item])
        self._name_items[OUTBOX_ID] = item
        self._count_items[OUTBOX_ID] = count_item

    def _display_name(self, mailbox: MailboxRow, path: tuple[str, ...]) -> str:
        # Standard mailboxes carry the server's (English) names; show them in the UI language.
        if mailbox.role in self._role_names and mailbox.parent_id is None and len(path) == 1:
            return self._role_names[mailbox.role]
        return path[-1] if path else mailbox.name

    def _count_item(self) -> QStandardItem:
        item = self._inert_item("")
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return item

    def _inert_item(self, text: str, icon: QIcon | None = None) -> QStandardItem:
        item = QStandardItem(text)
        if icon is not None:
            item.setIcon(icon)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        item.setEditable(False)
        return item

    def _header_item(self, email: str) -> QStandardItem:
        item = self._inert_item(email, icons.icon(icons.ACCOUNT))
        item.setData(self._bold, Qt.ItemDataRole.FontRole)
        return item
