"""The local copy of a sync server's account: accounts, applying change-feed pages, bodies.

Server records are applied with rebase (store/replica_views.py explains the base and the
view); messages in bulk by store/replica_emails.py, mailboxes and drafts here. Local ids of
synced records are the server's ids, so mutations need no remapping. Functions take a
MailStore and use its transactions and notifications.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select, text, update

from mailapp import wire
from mailapp.store import codec
from mailapp.store.drafts import FIELDS as DRAFT_FIELDS
from mailapp.store.importer import ImportContext
from mailapp.store.replica_emails import destroy_email, upsert_emails
from mailapp.store.replica_views import (
    UNFINISHED,
    Touched,
    base_moved,
    draft_view,
    local_draft_fields,
    mailbox_view,
    mark_rebased,
    pending_for,
    pending_mailbox,
    unfinished,
)
from mailapp.store.rows import ChangeSet, OutboxState
from mailapp.store.schema import (
    accounts,
    drafts,
    mailboxes,
    messages,
    outbox,
    sync_state,
)
from mailapp.store.store import MailStore


@dataclass(frozen=True)
class SyncAccount:
    account_id: str
    email: str
    server_url: str
    username: str
    server_account_id: str
    state: str | None
    prefetch_days: int


def _defer_foreign_keys(conn: Connection) -> None:
    # Records of one page arrive in any order (a child mailbox before its parent, mail before
    # its mailbox); the keys are checked once, at commit.
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")


# -- accounts --------------------------------------------------------------------------------


def create_synced_account(
    store: MailStore,
    *,
    session: wire.SessionInfo,
    server_url: str,
    username: str,
    mailbox_records: Sequence[wire.MailboxRecord],
) -> str:
    """Create the local account for a server sign-in, with the server's mailboxes."""
    account_id = str(uuid.uuid4())
    touched = Touched()
    with store._write() as conn:
        existing = conn.execute(
            select(accounts.c.id).where(
                accounts.c.server_url == server_url,
                accounts.c.server_account_id == session.account_id,
            )
        ).scalar()
        if existing is not None:
            raise ValueError(f"{session.email} on {server_url} is already in this profile")
        conn.execute(
            insert(accounts).values(
                id=account_id,
                email=session.email,
                display_name=session.name,
                created_at=codec.now_micros(),
                server_url=server_url,
                username=username,
                server_account_id=session.account_id,
            )
        )
        conn.execute(insert(sync_state).values(account_id=account_id))
        _defer_foreign_keys(conn)
        for record in mailbox_records:
            _upsert_mailbox(conn, account_id, record, touched)
    store._notify(touched.changeset())
    return account_id


def synced_accounts(store: MailStore) -> list[SyncAccount]:
    query = (
        select(accounts, sync_state.c.state, sync_state.c.prefetch_days)
        .join(sync_state, sync_state.c.account_id == accounts.c.id)
        .where(accounts.c.server_url.isnot(None))
        .order_by(accounts.c.created_at)
    )
    with store._read() as conn:
        return [
            SyncAccount(
                r.id,
                r.email,
                r.server_url,
                r.username,
                r.server_account_id,
                r.state,
                r.prefetch_days,
            )
            for r in conn.execute(query)
        ]


def sync_account(store: MailStore, account_id: str) -> SyncAccount:
    for account in synced_accounts(store):
        if account.account_id == account_id:
            return account
    raise KeyError(f"account {account_id} is not signed in to a sync server")


def set_prefetch_days(store: MailStore, account_id: str, days: int) -> None:
    with store._write() as conn:
        conn.execute(
            update(sync_state)
            .where(sync_state.c.account_id == account_id)
            .values(prefetch_days=max(-1, days))  # -1: every body (replica_bodies.ALL_MAIL)
        )


# -- applying server records -----------------------------------------------------------------


def _upsert_mailbox(
    conn: Connection, account_id: str, record: wire.MailboxRecord, touched: Touched
) -> None:
    existing = conn.execute(
        select(mailboxes.c.server_version, mailboxes.c.base).where(mailboxes.c.id == record.id)
    ).first()
    if existing is not None and (existing.server_version or 0) > record.updated_modseq:
        return  # an older state of the record than the one already applied
    base = {"name": record.name, "parentId": record.parent_id}
    pending = pending_mailbox(conn, record.id)
    if pending and (
        existing is None
        or base_moved(existing.base, existing.server_version, base, record.updated_modseq)
    ):
        mark_rebased(conn, pending)
    view = mailbox_view(base, pending)
    if view is None:
        return  # the user deleted it here; the push settles it
    values = {
        "name": view["name"],
        "parent_id": view["parentId"],
        "role": record.role,
        "sort_order": record.sort_order,
        "server_version": record.updated_modseq,
        "base": codec.dumps(base),
    }
    if existing is None:
        if record.role is not None:
            # A role mailbox made locally before the first sync gives way to the server's.
            conn.execute(
                update(mailboxes)
                .where(mailboxes.c.account_id == account_id, mailboxes.c.role == record.role)
                .values(role=None)
            )
        conn.execute(insert(mailboxes).values(id=record.id, account_id=account_id, **values))
    else:
        conn.execute(update(mailboxes).where(mailboxes.c.id == record.id).values(values))
    touched.mailboxes.add(record.id)


def _destroy_mailbox(conn: Connection, mailbox_id: str, touched: Touched) -> None:
    stranded = (
        conn.execute(select(messages.c.id).where(messages.c.mailbox_id == mailbox_id))
        .scalars()
        .all()
    )
    if stranded:
        # The server only destroys empty mailboxes; what is left here is stale.
        conn.execute(delete(messages).where(messages.c.mailbox_id == mailbox_id))
        touched.messages.update(stranded)
    conn.execute(
        update(mailboxes).where(mailboxes.c.parent_id == mailbox_id).values(parent_id=None)
    )
    if conn.execute(delete(mailboxes).where(mailboxes.c.id == mailbox_id)).rowcount:
        touched.mailboxes.add(mailbox_id)


def _set_draft_view(
    conn: Connection, account_id: str, draft_id: str, base: dict[str, Any], version: int | None
) -> None:
    pending = pending_for(conn, outbox.c.draft_id, draft_id)
    exists = conn.execute(
        select(drafts.c.base, drafts.c.server_version).where(drafts.c.id == draft_id)
    ).first()
    if pending and (
        exists is None or base_moved(exists.base, exists.server_version, base, version)
    ):
        mark_rebased(conn, pending)
    view = draft_view(base, pending)
    if view is None:
        conn.execute(delete(drafts).where(drafts.c.id == draft_id))
        return
    now = codec.now_micros()
    values = {
        "fields": codec.dumps(local_draft_fields(view)),
        "base": codec.dumps(base),
        "updated_at": now,
    }
    if version is not None:
        values["server_version"] = version
    if exists:
        conn.execute(update(drafts).where(drafts.c.id == draft_id).values(values))
    else:
        conn.execute(
            insert(drafts).values(id=draft_id, account_id=account_id, created_at=now, **values)
        )


def _upsert_draft(
    conn: Connection, account_id: str, record: wire.DraftRecord, touched: Touched
) -> None:
    existing = conn.execute(select(drafts.c.server_version).where(drafts.c.id == record.id)).first()
    if existing is not None and (existing.server_version or 0) > record.updated_modseq:
        return
    base = {
        name: value
        for name, value in record.model_dump(mode="json", by_alias=True).items()
        if name in DRAFT_FIELDS
    }
    _set_draft_view(conn, account_id, record.id, base, record.updated_modseq)
    touched.drafts.add(record.id)


def _destroy_draft(conn: Connection, draft_id: str, touched: Touched) -> None:
    if conn.execute(delete(drafts).where(drafts.c.id == draft_id)).rowcount:
        touched.drafts.add(draft_id)


def apply_changes_in(
    conn: Connection, account_id: str, changes: wire.Changes, touched: Touched
) -> None:
    _defer_foreign_keys(conn)
    ctx = ImportContext(account_id)
    for mailbox in [*changes.mailboxes.created, *changes.mailboxes.updated]:
        _upsert_mailbox(conn, account_id, mailbox, touched)
    upsert_emails(conn, ctx, [*changes.emails.created, *changes.emails.updated], touched)
    for email_id in changes.emails.destroyed:
        destroy_email(conn, email_id, touched)
    for mailbox_id in changes.mailboxes.destroyed:
        _destroy_mailbox(conn, mailbox_id, touched)
    for draft in [*changes.drafts.created, *changes.drafts.updated]:
        _upsert_draft(conn, account_id, draft, touched)
    for draft_id in changes.drafts.destroyed:
        _destroy_draft(conn, draft_id, touched)
    for submission in [*changes.submissions.created, *changes.submissions.updated]:
        if submission.state == "failed":
            _mark_send_failed(conn, submission, touched)


def _mark_send_failed(
    conn: Connection, submission: wire.SubmissionRecord, touched: Touched
) -> None:
    """A send the server gave up on shows in the outbox as failed, with the server's reason."""
    result = conn.execute(
        update(outbox)
        .where(
            outbox.c.type == "submission.create",
            text("json_extract(outbox.payload, '$.args.submissionId') = :submission_id").bindparams(
                submission_id=submission.id
            ),
        )
        .values(
            state=OutboxState.FAILED.value,
            last_error=f"sending failed: {submission.error or 'the server gave up'}",
        )
    )
    touched.outbox = touched.outbox or bool(result.rowcount)


def _set_state(conn: Connection, account_id: str, state: str | None) -> None:
    conn.execute(
        update(sync_state)
        .where(sync_state.c.account_id == account_id)
        .values(state=state, last_sync_at=codec.now_micros())
    )


def apply_changes(
    store: MailStore, account_id: str, changes: wire.Changes, *, announce: bool = True
) -> ChangeSet:
    """Apply one page of the change feed and remember its newState, in one transaction.

    `announce` False (an account's first sync, a rebuild): the messages new to the store are
    not reported as arrived, so they are not announced as new mail.
    """
    touched = Touched()
    with store._write() as conn:
        apply_changes_in(conn, account_id, changes, touched)
        _set_state(conn, account_id, changes.new_state)
    if not announce:
        touched.arrived.clear()
    changeset = touched.changeset()
    if touched:
        store._notify(changeset)
    return changeset


# -- rebuilding after the server forgot our state (410) --------------------------------------------


def reset_state(store: MailStore, account_id: str) -> None:
    with store._write() as conn:
        _set_state(conn, account_id, None)


def drop_unseen(
    store: MailStore,
    account_id: str,
    *,
    emails: set[str],
    mailboxes_seen: set[str],
    drafts_seen: set[str],
) -> ChangeSet:
    """After a full resync: remove synced records the server no longer has.

    Records with unconfirmed local mutations stay (a draft or folder created offline has not
    reached the server yet); the push settles them.
    """
    touched = Touched()
    with store._write() as conn:
        _defer_foreign_keys(conn)
        waiting_emails = {
            r.args.get("emailId")
            for r in unfinished(conn, account_id)
            if r.type.startswith("email.")
        }
        waiting_drafts = set(
            conn.execute(
                select(outbox.c.draft_id).where(
                    outbox.c.account_id == account_id, outbox.c.state.in_(UNFINISHED)
                )
            ).scalars()
        )
        for email_id in (
            conn.execute(
                select(messages.c.id).where(
                    messages.c.account_id == account_id, messages.c.server_id.isnot(None)
                )
            )
            .scalars()
            .all()
        ):
            if email_id not in emails and email_id not in waiting_emails:
                destroy_email(conn, email_id, touched)
        for draft_id in (
            conn.execute(select(drafts.c.id).where(drafts.c.account_id == account_id))
            .scalars()
            .all()
        ):
            if draft_id not in drafts_seen and draft_id not in waiting_drafts:
                _destroy_draft(conn, draft_id, touched)
        for mailbox_id in (
            conn.execute(
                select(mailboxes.c.id).where(
                    mailboxes.c.account_id == account_id, mailboxes.c.base.isnot(None)
                )
            )
            .scalars()
            .all()
        ):
            if mailbox_id not in mailboxes_seen:
                _destroy_mailbox(conn, mailbox_id, touched)
    changeset = touched.changeset()
    if touched:
        store._notify(changeset)
    return changeset
