"""How a synced record is shown: its server base with the unconfirmed local mutations replayed.

Each synced row keeps ``base`` (the server's last known values, JSON) next to its visible
columns, which always equal that base with the still-unconfirmed local mutations replayed on
top. So a server change never overwrites a field the user changed locally and has not yet
pushed (read mail stays read), and a rejected or conflicting change falls back to the server's
value on its own. When a server change moves the base under queued mutations, they are marked
rebased so the fold leaves them alone (store/fold.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select, text, update

from mailapp.store import codec
from mailapp.store.drafts import FIELDS as DRAFT_FIELDS
from mailapp.store.outbox import outbox_row
from mailapp.store.rows import ChangeSet, OutboxRow, OutboxState
from mailapp.store.schema import outbox

UNFINISHED = (OutboxState.PENDING.value, OutboxState.IN_FLIGHT.value)
CHUNK = 500


@dataclass
class Touched:
    """What one transaction changed, for the store's subscribers."""

    messages: set[str] = field(default_factory=set)
    mailboxes: set[str] = field(default_factory=set)
    drafts: set[str] = field(default_factory=set)
    outbox: bool = False
    arrived: set[str] = field(default_factory=set)  # see ChangeSet.arrived

    def changeset(self) -> ChangeSet:
        return ChangeSet(
            messages=frozenset(self.messages),
            mailboxes=frozenset(self.mailboxes),
            outbox=self.outbox,
            drafts=frozenset(self.drafts),
            arrived=frozenset(self.arrived),
        )

    def __bool__(self) -> bool:
        return bool(self.messages or self.mailboxes or self.drafts or self.outbox)


def base_moved(
    stored_base: str | None, stored_version: int | None, base: dict[str, Any], version: int | None
) -> bool:
    """Whether the server's copy changed since the stored base was taken.

    A newer version counts even with the same values: the server may have applied a mutation
    still in flight here and then another device's change that undid it.
    """
    if stored_base is None:
        return True
    if version is not None and version != stored_version:
        return True
    return bool(codec.loads(stored_base) != base)


def unfinished(conn: Connection, account_id: str, limit: int | None = None) -> list[OutboxRow]:
    """The account's queued mutations not yet answered by the server, oldest first."""
    query = (
        select(outbox)
        .where(outbox.c.account_id == account_id, outbox.c.state.in_(UNFINISHED))
        .order_by(outbox.c.mutation_id)
    )
    if limit is not None:
        query = query.limit(limit)
    return [outbox_row(row) for row in conn.execute(query)]


def pending_for(conn: Connection, column: Any, record_id: str) -> list[OutboxRow]:
    rows = conn.execute(
        select(outbox)
        .where(column == record_id, outbox.c.state.in_(UNFINISHED))
        .order_by(outbox.c.mutation_id)
    )
    return [outbox_row(row) for row in rows]


def mark_rebased(conn: Connection, rows: Iterable[OutboxRow]) -> None:
    """A server change to these mutations' record was applied after they were queued.

    They were made on the older base, so they must travel as queued: folding them (store/fold.py)
    assumes the base they were made on, and could cancel a "read, then unread" that the server,
    which now says read, never saw undone.
    """
    ids = [row.mutation_id for row in rows]
    for start in range(0, len(ids), CHUNK):
        conn.execute(
            update(outbox)
            .where(outbox.c.mutation_id.in_(ids[start : start + CHUNK]))
            .values(rebased=True)
        )


def email_view(base: dict[str, Any], pending: Iterable[OutboxRow]) -> dict[str, Any] | None:
    """The email as the user sees it: the server base plus unconfirmed local changes."""
    keywords = set(base["keywords"])
    mailbox_id = base["mailboxId"]
    for row in pending:
        if row.type == "email.keywords":
            keywords.difference_update(row.args.get("remove", []))
            keywords.update(row.args.get("add", []))
        elif row.type == "email.move":
            mailbox_id = row.args["mailboxId"]["new"]
        elif row.type == "email.destroy":
            return None
    return {"keywords": sorted(keywords), "mailboxId": mailbox_id}


def draft_view(base: dict[str, Any], pending: Iterable[OutboxRow]) -> dict[str, Any] | None:
    fields = dict(base)
    for row in pending:
        if row.type == "draft.upsert":
            for name, change in row.args.get("fields", {}).items():
                fields[name] = change.get("new")
        elif row.type == "draft.destroy":
            return None
    return fields


def mailbox_view(base: dict[str, Any], pending: Iterable[OutboxRow]) -> dict[str, Any] | None:
    view = dict(base)
    for row in pending:
        if row.type == "mailbox.update":
            for name in ("name", "parentId"):
                change = row.args.get(name)
                if change is not None:
                    view[name] = change.get("new")
        elif row.type == "mailbox.destroy":
            return None
    return view


def local_draft_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Server draft values in the store's draft form (which never holds null lists/strings)."""
    local = {name: fields.get(name) for name in DRAFT_FIELDS}
    for name in ("subject", "body"):
        if local[name] is None:
            local[name] = ""
    for name in ("to", "cc", "bcc", "references", "attachments"):
        if local[name] is None:
            local[name] = []
    return local


def pending_mailbox(conn: Connection, mailbox_id: str) -> list[OutboxRow]:
    rows = conn.execute(
        select(outbox)
        .where(
            outbox.c.type.in_(("mailbox.update", "mailbox.destroy")),
            outbox.c.state.in_(UNFINISHED),
            text("json_extract(outbox.payload, '$.args.mailboxId') = :mailbox_id").bindparams(
                mailbox_id=mailbox_id
            ),
        )
        .order_by(outbox.c.mutation_id)
    )
    return [outbox_row(row) for row in rows]


def pending_by_email(conn: Connection, ids: Sequence[str]) -> dict[str, list[OutboxRow]]:
    pending: dict[str, list[OutboxRow]] = {}
    if not ids:
        return pending
    # The ids as one JSON array: the same statement text for a page of any size, parsed once
    # per connection (store/importer.py _NUMS_TAKEN says why); the plan is the IN list's.
    rows = conn.execute(
        select(outbox)
        .where(
            text("outbox.email_id IN (SELECT value FROM json_each(:ids))").bindparams(
                ids=json.dumps(list(ids))
            ),
            outbox.c.state.in_(UNFINISHED),
        )
        .order_by(outbox.c.mutation_id)
    )
    for row in rows:
        pending.setdefault(row.email_id, []).append(outbox_row(row))
    return pending
