"""Draft attachments across the wire: local blob ids are derived from the content, the server
picks its own on upload, so queued draft changes are rewritten to the server's ids (once, before
their first send) and attachments of drafts pulled from the server are kept under its ids."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mailapp.store import codec
from mailapp.store.drafts import blob_id
from mailapp.store.rows import ChangeSet
from mailapp.store.schema import blob_uploads, blobs, drafts, outbox
from mailapp.store.store import MailStore


def server_ids(store: MailStore, account_id: str, local_ids: Iterable[str]) -> dict[str, str]:
    wanted = list(set(local_ids))
    if not wanted:
        return {}
    with store._read() as conn:
        rows = conn.execute(
            select(blob_uploads.c.local_id, blob_uploads.c.server_id).where(
                blob_uploads.c.account_id == account_id, blob_uploads.c.local_id.in_(wanted)
            )
        )
        return {row.local_id: row.server_id for row in rows}


def remember(store: MailStore, account_id: str, local_id: str, server_id: str) -> None:
    with store._write() as conn:
        conn.execute(
            sqlite_insert(blob_uploads)
            .values(local_id=local_id, account_id=account_id, server_id=server_id)
            .on_conflict_do_nothing()
        )


def rewrite_mutation(store: MailStore, mutation_id: int, type_: str, args: dict[str, Any]) -> None:
    """Replace a queued mutation's arguments; only ever before its first send."""
    with store._write() as conn:
        conn.execute(
            update(outbox)
            .where(outbox.c.mutation_id == mutation_id)
            .values(payload=codec.dumps({"type": type_, "args": args}))
        )
    store._notify(ChangeSet(outbox=True))


def missing_draft_blobs(store: MailStore, account_id: str) -> list[str]:
    """Blob ids the account's drafts refer to whose bytes are not in this store."""
    with store._read() as conn:
        referenced = {
            attachment["blobId"]
            for fields in conn.execute(
                select(drafts.c.fields).where(drafts.c.account_id == account_id)
            ).scalars()
            for attachment in codec.loads(fields).get("attachments") or []
        }
        if not referenced:
            return []
        present = set(conn.execute(select(blobs.c.id).where(blobs.c.id.in_(referenced))).scalars())
    return sorted(referenced - present)


def keep_server_blob(store: MailStore, account_id: str, server_id: str, data: bytes) -> None:
    """Store downloaded attachment bytes under the server's id, and map the content to it."""
    with store._write() as conn:
        conn.execute(
            sqlite_insert(blobs)
            .values(id=server_id, size=len(data), data=data)
            .on_conflict_do_nothing()
        )
        # Both the content's local id and the server id itself map to the server id, so a
        # draft holding either is never uploaded again.
        for local_id in {blob_id(data), server_id}:
            conn.execute(
                sqlite_insert(blob_uploads)
                .values(local_id=local_id, account_id=account_id, server_id=server_id)
                .on_conflict_do_nothing()
            )
