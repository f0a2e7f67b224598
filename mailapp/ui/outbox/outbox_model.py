"""The outbox as a table: each queued change with its state, attempts, last error and next retry.

Consecutive mutations of one kind ("mark read" on 3 messages) form one row, as the user made
them in one action; the row's actions apply to all of its mutations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDateTime,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QGuiApplication

from mailapp.store import MailStore, OutboxRow, OutboxState
from mailapp.store.outbox_admin import draft_subjects
from mailapp.store.views import SEND_TYPES
from mailapp.ui.common import theme

DESCRIPTION, STATE, ATTEMPTS, LAST_ERROR, NEXT_RETRY = range(5)
_MAX_NAMED_RECIPIENTS = 3

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class OutboxEntry:
    """One row: one or more mutations the user made in one action."""

    rows: tuple[OutboxRow, ...]
    description: str

    @property
    def first(self) -> OutboxRow:
        return self.rows[0]

    @property
    def mutation_ids(self) -> list[int]:
        return [row.mutation_id for row in self.rows]

    @property
    def state(self) -> OutboxState:
        return self.first.state

    @property
    def type(self) -> str:
        return self.first.type


def _group_key(row: OutboxRow) -> tuple[Any, ...] | None:
    """Rows with equal keys that follow each other are shown as one; None never groups."""
    if row.type == "email.keywords":
        return (row.type, row.state, tuple(row.args["add"]), tuple(row.args["remove"]))
    if row.type == "email.move":
        return (row.type, row.state, row.args["mailboxId"]["new"])
    if row.type == "email.destroy":
        return (row.type, row.state)
    if row.type == "email.import":
        return (row.type, row.state, row.args["mailboxId"], row.last_error)
    return None


def group_rows(rows: list[OutboxRow]) -> list[list[OutboxRow]]:
    groups: list[list[OutboxRow]] = []
    for row in rows:
        key = _group_key(row)
        if groups and key is not None and _group_key(groups[-1][-1]) == key:
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups


class Describer:
    """Human-readable descriptions; reads mailbox names and draft subjects once per refresh."""

    def __init__(self, store: MailStore, rows: list[OutboxRow]) -> None:
        self._mailboxes = {m.id: m.name for m in store.mailboxes()}
        draft_ids = [str(r.args["draftId"]) for r in rows if "draftId" in r.args]
        self._drafts = draft_subjects(store, draft_ids)
        self._submission_drafts = {
            r.args["submissionId"]: r.args["draftId"] for r in rows if r.type == "submission.create"
        }

    def _subject(self, draft_id: str | None) -> str:
        subject = self._drafts.get(draft_id or "", ("", []))[0].strip()
        return subject or OutboxTableModel.tr("(no subject)")

    def _recipients(self, draft_id: str) -> str:
        emails = self._drafts.get(draft_id, ("", []))[1]
        if not emails:
            return OutboxTableModel.tr("no one yet")
        named = ", ".join(emails[:_MAX_NAMED_RECIPIENTS])
        if len(emails) > _MAX_NAMED_RECIPIENTS:
            more = len(emails) - _MAX_NAMED_RECIPIENTS
            return OutboxTableModel.tr("{names} and %n more", "", more).format(names=named)
        return named

    def describe(self, rows: list[OutboxRow]) -> str:
        row, n = rows[0], len(rows)
        args = row.args
        match row.type:
            case "email.keywords":
                return self._keywords(args["add"], args["remove"], n)
            case "email.move":
                name = self._mailboxes.get(
                    args["mailboxId"]["new"], OutboxTableModel.tr("another folder")
                )
                return OutboxTableModel.tr("Move %n messages to {folder}", "", n).format(
                    folder=name
                )
            case "email.destroy":
                return OutboxTableModel.tr("Delete %n messages for good", "", n)
            case "email.import":
                name = self._mailboxes.get(args["mailboxId"], OutboxTableModel.tr("a folder"))
                return OutboxTableModel.tr("Import %n messages into {folder}", "", n).format(
                    folder=name
                )
            case "draft.upsert":
                # The subject this save wrote, not the draft's current one: after a conflict the
                # draft shows the server's subject while this row stands for the user's version.
                written = (args["fields"].get("subject") or {}).get("new")
                subject = written.strip() if isinstance(written, str) and written.strip() else None
                return OutboxTableModel.tr("Save draft “{subject}”").format(
                    subject=subject or self._subject(args["draftId"])
                )
            case "draft.destroy":
                return OutboxTableModel.tr("Delete draft “{subject}”").format(
                    subject=self._subject(args["draftId"])
                )
            case "submission.create":
                text = OutboxTableModel.tr("Send “{subject}” to {recipients}").format(
                    subject=self._subject(args["draftId"]),
                    recipients=self._recipients(args["draftId"]),
                )
                return text
            case "submission.cancel":
                draft_id = self._submission_drafts.get(args["submissionId"])
                return OutboxTableModel.tr("Cancel sending “{subject}”").format(
                    subject=self._subject(draft_id)
                )
            case "mailbox.create":
                return OutboxTableModel.tr("Create folder “{name}”").format(name=args["name"])
            case "mailbox.update":
                name = self._mailboxes.get(args["mailboxId"], OutboxTableModel.tr("a folder"))
                return OutboxTableModel.tr("Change folder “{name}”").format(name=name)
            case "mailbox.destroy":
                name = self._mailboxes.get(args["mailboxId"], OutboxTableModel.tr("a folder"))
                return OutboxTableModel.tr("Delete folder “{name}”").format(name=name)
        return row.type

    @staticmethod
    def _keywords(add: list[str], remove: list[str], n: int) -> str:
        known = {
            ("$seen", True): OutboxTableModel.tr("Mark %n messages read", "", n),
            ("$seen", False): OutboxTableModel.tr("Mark %n messages unread", "", n),
            ("$flagged", True): OutboxTableModel.tr("Flag %n messages", "", n),
            ("$flagged", False): OutboxTableModel.tr("Unflag %n messages", "", n),
        }
        if len(add) + len(remove) == 1:
            keyword, added = (add[0], True) if add else (remove[0], False)
            if (keyword, added) in known:
                return known[(keyword, added)]
        return OutboxTableModel.tr("Change labels of %n messages", "", n)


def state_text(row: OutboxRow, now: datetime) -> str:
    if row.state == OutboxState.IN_FLIGHT:
        return OutboxTableModel.tr("Sending to the server")
    if row.state == OutboxState.FAILED:
        return OutboxTableModel.tr("Failed — retry, edit or discard it")
    if row.state == OutboxState.CONFLICT:
        return OutboxTableModel.tr("Conflict — resolve it in Conflicts")
    if row.next_attempt_at is not None and row.next_attempt_at > now:
        return OutboxTableModel.tr("Waiting to retry")
    return OutboxTableModel.tr("Waiting for the next sync")


class OutboxTableModel(QAbstractTableModel):
    """`sends`: True, only messages being sent (the Outbox); False, every other change (its
    "not yet synced" details); None, everything."""

    def __init__(
        self, store: MailStore, parent: QObject | None = None, *, sends: bool | None = None
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._sends = sends
        self.entries: list[OutboxEntry] = []
        self.other_changes = 0  # changes not shown here and not yet synced (conflicts aside)
        self.refresh()

    def refresh(self) -> None:
        rows = [r for r in self._store.pending_mutations() if r.state != OutboxState.APPLIED]
        if self._sends is not None:
            others = [r for r in rows if (r.type in SEND_TYPES) != self._sends]
            self.other_changes = sum(1 for r in others if r.state != OutboxState.CONFLICT)
            rows = [r for r in rows if (r.type in SEND_TYPES) == self._sends]
        describer = Describer(self._store, rows)
        self.beginResetModel()
        self.entries = [
            OutboxEntry(tuple(group), describer.describe(group)) for group in group_rows(rows)
        ]
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt signature)
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt signature)
        return 0 if parent.isValid() else 5

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return (
            OutboxTableModel.tr("Change"),
            OutboxTableModel.tr("State"),
            OutboxTableModel.tr("Attempts"),
            OutboxTableModel.tr("Last error"),
            OutboxTableModel.tr("Next retry"),
        )[section]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry = self.entries[index.row()]
        row = entry.first
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(entry, column)
        if role == Qt.ItemDataRole.ToolTipRole and column in (DESCRIPTION, LAST_ERROR):
            return row.last_error if column == LAST_ERROR else entry.description
        if role == Qt.ItemDataRole.ForegroundRole and (
            row.state in (OutboxState.FAILED, OutboxState.CONFLICT)
            and column in (STATE, LAST_ERROR)
        ):
            return QBrush(theme.tone_text(QGuiApplication.palette(), theme.ERROR))
        if role == Qt.ItemDataRole.TextAlignmentRole and column == ATTEMPTS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, entry: OutboxEntry, column: int) -> str:
        row = entry.first
        if column == DESCRIPTION:
            return entry.description
        if column == STATE:
            return state_text(row, datetime.now(UTC))
        if column == ATTEMPTS:
            return str(max(r.attempts for r in entry.rows))
        if column == LAST_ERROR:
            return row.last_error or ""
        if row.state == OutboxState.IN_FLIGHT:
            return OutboxTableModel.tr("now")
        if row.state in (OutboxState.FAILED, OutboxState.CONFLICT):
            return OutboxTableModel.tr("not scheduled")
        if row.next_attempt_at is None:
            return OutboxTableModel.tr("next sync")
        when = QDateTime.fromSecsSinceEpoch(int(row.next_attempt_at.timestamp()))
        return QLocale().toString(when.time(), QLocale.FormatType.ShortFormat)
