"""Conflicts for the conflict dialog: a conflict's three versions, which fields differ, what
each field may keep, and resolving it against the server's version: the resolution mutation
carries the server's values as ``old``, so it applies cleanly on the next sync. Re-exported by
outbox_admin.py, where the UI imports them from."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mailapp.store import codec
from mailapp.store.drafts import FIELDS as DRAFT_FIELDS
from mailapp.store.outbox import queue_mutation
from mailapp.store.rows import ConflictRow, OutboxState
from mailapp.store.schema import conflicts, drafts, mailboxes, messages, outbox
from mailapp.store.store import MailStore
from mailapp.store.touched import Touched, set_message_keywords

# Fields of a server record that are bookkeeping, never something a user chooses between.
_BOOKKEEPING = frozenset({"id", "createdModseq", "updatedModseq"})


class Choice(StrEnum):
    MINE = "mine"
    THEIRS = "theirs"
    BOTH = "both"


@dataclass(frozen=True)
class Versions:
    """A conflict's three versions as {field: value} over the fields the user changed."""

    base: dict[str, Any]
    mine: dict[str, Any]
    theirs: dict[str, Any]


# Arguments that name the record rather than change it.
_RECORD_KEYS = {
    "email": ("emailId",),
    "draft": ("draftId",),
    "mailbox": ("mailboxId",),
    "submission": ("submissionId", "draftId"),
}


def _as_dict(version: Any) -> dict[str, Any]:
    return dict(version) if isinstance(version, Mapping) else {}


def versions(conflict: ConflictRow) -> Versions:
    """The sync engine stores what the mutation saw (base) and wanted (local) for the fields it
    changed, and the server's whole record; a keyword patch becomes the keyword list it wanted."""
    base, mine, theirs = (_as_dict(v) for v in (conflict.base, conflict.local, conflict.server))
    if conflict.record_type == "email" and ("add" in mine or "remove" in mine):
        server_keywords = set(theirs.get("keywords") or [])
        wanted = (server_keywords | set(mine.get("add") or [])) - set(mine.get("remove") or [])
        mine = {"keywords": sorted(wanted)}
        base = {}
    for key in (*_BOOKKEEPING, *_RECORD_KEYS.get(conflict.record_type, ())):
        mine.pop(key, None)
    return Versions(base, mine, theirs)


def comparable_fields(conflict: ConflictRow) -> list[str]:
    """The fields the user changed, in a stable order (draft fields in protocol order)."""
    order = {name: i for i, name in enumerate(DRAFT_FIELDS)}
    return sorted(versions(conflict).mine, key=lambda name: (order.get(name, len(order)), name))


def server_destroyed(conflict: ConflictRow) -> bool:
    return bool(_as_dict(conflict.server).get("destroyed"))


def differing_fields(conflict: ConflictRow) -> list[str]:
    found = versions(conflict)
    if server_destroyed(conflict):
        return comparable_fields(conflict)
    return [
        name for name in comparable_fields(conflict) if found.mine[name] != found.theirs.get(name)
    ]


def allowed_choices(conflict: ConflictRow, field_name: str) -> list[Choice]:
    """What makes sense per field: both versions can be kept for drafts (as a copy) and keywords
    (as their union); an email lives in one mailbox; a destroyed email cannot be restored."""
    if conflict.record_type not in ("draft", "email", "mailbox") or (
        conflict.record_type == "email" and server_destroyed(conflict)
    ):
        return [Choice.THEIRS]
    if conflict.record_type == "draft" or field_name == "keywords":
        return [Choice.BOTH, Choice.MINE, Choice.THEIRS]
    return [Choice.MINE, Choice.THEIRS]


def discards_something(conflict: ConflictRow, choices: Mapping[str, Choice]) -> bool:
    """True when a choice drops one side's differing value (the UI confirms before that)."""
    return any(choices.get(name, Choice.BOTH) != Choice.BOTH for name in differing_fields(conflict))


def _close_conflict(conn: Connection, conflict: ConflictRow) -> None:
    conn.execute(
        update(conflicts)
        .where(conflicts.c.id == conflict.id)
        .values(state="resolved", resolved_at=codec.now_micros())
    )
    # The refused mutation is answered and superseded by the resolution: it leaves the outbox.
    if conflict.mutation_id is not None:
        conn.execute(
            delete(outbox).where(
                outbox.c.mutation_id == conflict.mutation_id,
                outbox.c.state == OutboxState.CONFLICT.value,
            )
        )


def _load_conflict(store: MailStore, conflict_id: str) -> ConflictRow:
    for conflict in store.open_conflicts():
        if conflict.id == conflict_id:
            return conflict
    raise KeyError(f"no open conflict {conflict_id}")


def resolve(store: MailStore, conflict_id: str, choices: Mapping[str, Choice]) -> list[int]:
    """Apply the user's per-field choices; returns the mutation ids queued for the server.

    Fields missing from ``choices`` take the first allowed choice (keep both where possible).
    """
    conflict = _load_conflict(store, conflict_id)
    picked = {
        name: choices.get(name, allowed_choices(conflict, name)[0])
        for name in differing_fields(conflict)
    }
    for name, choice in picked.items():
        if choice not in allowed_choices(conflict, name):
            raise ValueError(f"“{choice}” is not possible for {name}")
    touched = Touched.empty()
    with store._write() as conn:
        if conflict.record_type == "draft":
            queued = _resolve_draft(conn, conflict, picked, touched)
        elif conflict.record_type == "email":
            queued = _resolve_email(conn, conflict, picked, touched)
        elif conflict.record_type == "mailbox":
            queued = _resolve_mailbox(conn, conflict, picked, touched)
        else:
            # Submissions and anything newer: the server's version stands.
            queued = []
        _close_conflict(conn, conflict)
    store._notify(touched.change_set())
    return queued


def _resolve_draft(
    conn: Connection, conflict: ConflictRow, picked: dict[str, Choice], touched: Touched
) -> list[int]:
    account_id = conflict.account_id
    current = conn.execute(
        select(drafts.c.fields).where(drafts.c.id == conflict.record_id)
    ).scalar()
    # My version: the local draft (the sync engine shows the server's after a conflict) with
    # the fields I changed on top.
    mine = versions(conflict).mine
    local = {**(codec.loads(current) or {}), **mine} if current else mine
    if server_destroyed(conflict):
        # Only "mine" restores the draft; "theirs" accepts the deletion; "both" keeps a copy.
        wants_mine = any(choice != Choice.THEIRS for choice in picked.values()) or not picked
        conn.execute(delete(drafts).where(drafts.c.id == conflict.record_id))
        touched.add(draft=conflict.record_id)
        if not wants_mine:
            return []
        return [_create_draft(conn, account_id, local, touched, draft_id=conflict.record_id)]
    server = versions(conflict).theirs
    resolved = dict(codec.loads(current) or {}) if current else {}
    resolved.update({name: server[name] for name in DRAFT_FIELDS if name in server})
    changes: dict[str, dict[str, Any]] = {}
    for name, choice in picked.items():
        if choice == Choice.MINE:
            resolved[name] = local.get(name)
            changes[name] = {"old": server.get(name), "new": local.get(name)}
    _write_draft_fields(conn, account_id, conflict.record_id, _complete(resolved))
    touched.add(draft=conflict.record_id)
    queued = []
    if changes:
        queued.append(
            queue_mutation(
                conn,
                account_id,
                "draft.upsert",
                {"draftId": conflict.record_id, "fields": changes},
                draft_id=conflict.record_id,
            )
        )
    if Choice.BOTH in picked.values():
        queued.append(_create_draft(conn, account_id, local, touched))
    return queued


def _write_draft_fields(
    conn: Connection, account_id: str, draft_id: str, fields: dict[str, Any]
) -> None:
    now = codec.now_micros()
    conn.execute(
        sqlite_insert(drafts)
        .values(
            id=draft_id,
            account_id=account_id,
            fields=codec.dumps(fields),
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_update(
            index_elements=[drafts.c.id], set_={"fields": codec.dumps(fields), "updated_at": now}
        )
    )


def _complete(version: Mapping[str, Any]) -> dict[str, Any]:
    """Every draft field, with the empty values the local drafts table expects for nulls."""
    fields = {name: version.get(name) for name in DRAFT_FIELDS}
    for name in ("to", "cc", "bcc", "references", "attachments"):
        fields[name] = fields[name] or []
    fields["subject"] = fields["subject"] or ""
    fields["body"] = fields["body"] or ""
    return fields


def _create_draft(
    conn: Connection,
    account_id: str,
    version: dict[str, Any],
    touched: Touched,
    *,
    draft_id: str | None = None,
) -> int:
    """A draft holding ``version`` (a copy, unless ``draft_id`` restores the original)."""
    draft_id = draft_id or str(uuid.uuid4())
    fields = _complete(version)
    _write_draft_fields(conn, account_id, draft_id, fields)
    touched.add(draft=draft_id)
    return queue_mutation(
        conn,
        account_id,
        "draft.upsert",
        {"draftId": draft_id, "fields": {n: {"old": None, "new": fields[n]} for n in DRAFT_FIELDS}},
        draft_id=draft_id,
    )


def _resolve_email(
    conn: Connection, conflict: ConflictRow, picked: dict[str, Choice], touched: Touched
) -> list[int]:
    local_row = conn.execute(
        select(messages.c.num, messages.c.id, messages.c.mailbox_id).where(
            (messages.c.server_id == conflict.record_id) | (messages.c.id == conflict.record_id)
        )
    ).first()
    if server_destroyed(conflict):
        if local_row is not None:
            conn.execute(delete(messages).where(messages.c.num == local_row.num))
            touched.add(message=local_row.id, mailbox=local_row.mailbox_id)
        return []
    found = versions(conflict)
    local, server = found.mine, found.theirs
    queued: list[int] = []
    keywords_choice = picked.get("keywords")
    if keywords_choice is not None:
        mine, theirs = set(local.get("keywords") or []), set(server.get("keywords") or [])
        final = {Choice.MINE: mine, Choice.THEIRS: theirs, Choice.BOTH: mine | theirs}[
            keywords_choice
        ]
        if local_row is not None:
            set_message_keywords(conn, local_row.num, final)
            touched.add(message=local_row.id, mailbox=local_row.mailbox_id)
        if final != theirs:
            queued.append(
                queue_mutation(
                    conn,
                    conflict.account_id,
                    "email.keywords",
                    {
                        "emailId": conflict.record_id,
                        "add": sorted(final - theirs),
                        "remove": sorted(theirs - final),
                    },
                    email_id=local_row.id if local_row else None,
                )
            )
    mailbox_choice = picked.get("mailboxId")
    if mailbox_choice is not None:
        target = (
            local.get("mailboxId") if mailbox_choice == Choice.MINE else server.get("mailboxId")
        )
        known = conn.execute(select(mailboxes.c.id).where(mailboxes.c.id == target)).scalar()
        if local_row is not None and known is not None:
            conn.execute(
                update(messages).where(messages.c.num == local_row.num).values(mailbox_id=target)
            )
            touched.add(message=local_row.id, mailbox=local_row.mailbox_id)
            touched.add(mailbox=target)
        if mailbox_choice == Choice.MINE:
            queued.append(
                queue_mutation(
                    conn,
                    conflict.account_id,
                    "email.move",
                    {
                        "emailId": conflict.record_id,
                        "mailboxId": {"old": server.get("mailboxId"), "new": target},
                    },
                    email_id=local_row.id if local_row else None,
                )
            )
    return queued


def _resolve_mailbox(
    conn: Connection, conflict: ConflictRow, picked: dict[str, Choice], touched: Touched
) -> list[int]:
    found = versions(conflict)
    local, server = found.mine, found.theirs
    wire_names = {"name": "name", "parentId": "parentId"}
    args: dict[str, Any] = {"mailboxId": conflict.record_id}
    resolved: dict[str, Any] = {}
    for name, choice in picked.items():
        if name not in wire_names:
            continue
        value = local.get(name) if choice == Choice.MINE else server.get(name)
        resolved[{"name": "name", "parentId": "parent_id"}[name]] = value
        if choice == Choice.MINE:
            args[name] = {"old": server.get(name), "new": value}
    if resolved:
        conn.execute(update(mailboxes).where(mailboxes.c.id == conflict.record_id).values(resolved))
        touched.add(mailbox=conflict.record_id)
    if len(args) == 1:
        return []
    return [queue_mutation(conn, conflict.account_id, "mailbox.update", args)]
