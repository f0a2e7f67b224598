"""The body pass of an upstream sync: every message whose body is not here yet, newest first,
in batches of at most `body_batch` messages and `body_batch_bytes` bytes, FETCHes pipelined.
Each batch is one transaction; a keyword change made here meanwhile stays pending."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, case, select, update

from mailapp.server.db import ModseqAllocator, session_scope
from mailapp.server.models import Email
from mailapp.server.upstream import imap, records
from mailapp.server.upstream.models import UpstreamFolder, UpstreamMessage

if TYPE_CHECKING:
    from mailapp.server.upstream.syncer import AccountSync


def folders_waiting(sync: AccountSync, folders: Sequence[UpstreamFolder]) -> set[int]:
    """The folders with a message whose body is still to fetch (index on folder, has_body)."""
    if not folders:
        return set()
    with session_scope(sync.engine, write=False) as session:
        found = session.scalars(
            select(UpstreamMessage.folder_id)
            .distinct()
            .where(
                UpstreamMessage.folder_id.in_([folder.id for folder in folders]),
                UpstreamMessage.has_body.is_(False),
                UpstreamMessage.size <= sync.limits.max_message_bytes,
            )
        ).all()
    return {int(folder_id) for folder_id in found}


def fetch_bodies(sync: AccountSync, folder: UpstreamFolder) -> None:
    # The folder's missing bodies are listed once, not per batch: a query per batch sorts
    # every pending row again (quadratic in the folder's size).
    with session_scope(sync.engine, write=False) as session:
        pending = session.execute(
            select(UpstreamMessage.uid, UpstreamMessage.email_id, UpstreamMessage.size)
            .where(
                UpstreamMessage.folder_id == folder.id,
                UpstreamMessage.has_body.is_(False),
                UpstreamMessage.size <= sync.limits.max_message_bytes,
            )
            .order_by(UpstreamMessage.uid.desc())
        ).all()
    if not pending:
        return
    sync.client.select_folder(folder.name, readonly=True)
    batches: list[list[tuple[int, str]]] = []
    at = 0
    while at < len(pending):
        batch: list[tuple[int, str]] = []
        total = 0
        while at < len(pending) and len(batch) < sync.limits.body_batch:
            uid, email_id, size = pending[at]
            if batch and total + size > sync.limits.body_batch_bytes:
                break
            batch.append((int(uid), email_id))
            total += size
            at += 1
        batches.append(batch)
    answers = imap.pipelined_fetch(
        sync.client,
        [imap.uid_set([uid for uid, _ in batch]) for batch in batches],
        ["UID", "BODY.PEEK[]"],
    )
    for batch, fetched in zip(batches, answers, strict=True):
        sync.stats.bodies += len(fetched)
        parsed = {
            email_id: records.body_row(email_id, bytes(fetched[uid][b"BODY[]"]))
            for uid, email_id in batch
            if fetched.get(uid) and fetched[uid].get(b"BODY[]") is not None
        }
        with session_scope(sync.engine) as session:
            alloc = ModseqAllocator(session, sync.account_id)
            done: list[dict[str, Any]] = []
            live = dict(
                session.execute(
                    select(Email.id, Email.updated_modseq).where(
                        Email.id.in_([email_id for _, email_id in batch]),
                        Email.destroyed_modseq.is_(None),
                    )
                ).all()
            )
            updates: list[dict[str, Any]] = []
            raws: dict[str, bytes] = {}
            for uid, email_id in batch:
                if email_id not in parsed or email_id not in live:
                    continue
                updates.append(parsed[email_id])
                raws[email_id] = bytes(fetched[uid][b"BODY[]"])
                done.append({"b_uid": uid, "b_was": live[email_id], "email_id": email_id})
            records.store_bodies(alloc, updates, raws)
            for item in done:
                item["b_now"] = parsed[item.pop("email_id")]["updated_modseq"]
            if done:
                # A keyword change made here meanwhile stays pending for write-back.
                table = UpstreamMessage.__table__
                session.connection().execute(
                    update(table)
                    .where(table.c.folder_id == folder.id, table.c.uid == bindparam("b_uid"))
                    .values(
                        has_body=True,
                        synced_modseq=case(
                            (table.c.synced_modseq == bindparam("b_was"), bindparam("b_now")),
                            else_=table.c.synced_modseq,
                        ),
                    ),
                    done,
                )
            alloc.finish()
        sync._batch_done("bodies", len(fetched))
