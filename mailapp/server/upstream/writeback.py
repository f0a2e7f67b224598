"""Write-back of keyword changes made in mailapp (read, flagged, labels) to the upstream.

There is no separate queue to lose: the pending work is the difference, kept in the database,
between an email's keywords and the keywords last reconciled with the upstream
(`upstream_message.keywords`), for every email changed here since (`updated_modseq` above
`synced_modseq`). A crash at any point leaves that difference in place and the next sync
writes it again; `+FLAGS`/`-FLAGS` are idempotent, so nothing is applied twice in effect.

With CONDSTORE the STORE carries `UNCHANGEDSINCE` the HIGHESTMODSEQ this sync merged up to:
a message changed upstream meanwhile is refused (`MODIFIED`), stays pending, and the next sync
merges the other client's change first (`merge_keywords`), as for another device's change.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Any

from imapclient import IMAPClient
from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.engine import Engine

from mailapp.server.db import ModseqAllocator, session_scope
from mailapp.server.models import Email
from mailapp.server.upstream import imap
from mailapp.server.upstream.models import UpstreamFolder, UpstreamMessage
from mailapp.server.upstream.records import destroy

_MODIFIED = re.compile(rb"\[MODIFIED ([0-9:,]+)\]")
STORE_CHUNK = 500


def merge_keywords(base: Iterable[str], local: Iterable[str], upstream: Iterable[str]) -> set[str]:
    """Three-way merge of keyword sets: each side's additions and removals since `base` apply;
    a keyword one side added and the other removed is kept (nothing is silently lost)."""
    base_set, local_set, up_set = set(base), set(local), set(upstream)
    added = (local_set - base_set) | (up_set - base_set)
    removed = (base_set - local_set) | (base_set - up_set)
    return (base_set - removed) | added


def imap_flag(keyword: str) -> str:
    flag = imap.KEYWORD_FLAGS.get(keyword)
    return flag.decode() if flag is not None else keyword


def uid_store(
    client: IMAPClient,
    uids: list[int],
    sign: str,
    keywords: Iterable[str],
    unchangedsince: int | None,
) -> set[int]:
    """`UID STORE uids [(UNCHANGEDSINCE n)] ±FLAGS.SILENT (...)`; the UIDs refused as MODIFIED."""
    conn = client._imap  # imapclient has no UNCHANGEDSINCE; see imap.py
    args: list[Any] = ["UID", "STORE", imap.uid_set(uids).encode("ascii")]
    if unchangedsince is not None:
        args.append(f"(UNCHANGEDSINCE {unchangedsince})")
    args.append(f"{sign}FLAGS.SILENT")
    args.append("(" + " ".join(imap_flag(k) for k in sorted(keywords)) + ")")
    tag = conn._command(*args)
    typ, data = conn._command_complete("STORE", tag)
    client._checkok("store", typ, data)
    # CONDSTORE servers report the new MODSEQs even for .SILENT; they are not ours to keep.
    conn.untagged_responses.pop("FETCH", None)
    text = b" ".join(d for d in data if isinstance(d, bytes))
    found = _MODIFIED.search(text)
    return set(imap.parse_uid_set(found.group(1).decode())) if found else set()


def push_keywords(
    engine: Engine,
    client: IMAPClient,
    folder: UpstreamFolder,
    unchangedsince: int | None,
    skip: Collection[int] = (),
    since: ColumnElement[bool] | None = None,
) -> tuple[int, int]:
    """Write pending keyword changes of one folder upstream; (written, refused as MODIFIED).
    `skip`: UIDs that vanished upstream in this pass (moves.py); `since`: only emails
    changed since the pass's floor (pending.py)."""
    with session_scope(engine, write=False) as session:
        rows = session.execute(
            select(
                UpstreamMessage.id,
                UpstreamMessage.uid,
                UpstreamMessage.keywords,
                Email.keywords,
                Email.updated_modseq,
            )
            .join(Email, Email.id == UpstreamMessage.email_id)
            .where(
                UpstreamMessage.folder_id == folder.id,
                Email.updated_modseq > UpstreamMessage.synced_modseq,
                Email.destroyed_modseq.is_(None),
                # Moved or deleted here: not written back yet (see docs/architecture.md).
                Email.mailbox_id == folder.mailbox_id,
                *_since(since),
            )
        ).all()
    rows = [row for row in rows if int(row[1]) not in skip]
    if not rows:
        return 0, 0
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[int]] = defaultdict(list)
    settled: list[dict[str, Any]] = []
    for row_id, uid, upstream_kw, email_kw, modseq in rows:
        add = tuple(sorted(set(email_kw or []) - set(upstream_kw or [])))
        remove = tuple(sorted(set(upstream_kw or []) - set(email_kw or [])))
        if add or remove:
            groups[(add, remove)].append(int(uid))
        settled.append({"rid": row_id, "uid": int(uid), "kw": sorted(email_kw or []), "ms": modseq})
    refused: set[int] = set()
    if groups:
        client.select_folder(folder.name)  # read-write
        for (add, remove), uids in groups.items():
            for start in range(0, len(uids), STORE_CHUNK):
                chunk = uids[start : start + STORE_CHUNK]
                if add:
                    refused |= uid_store(client, chunk, "+", add, unchangedsince)
                if remove:
                    refused |= uid_store(client, chunk, "-", remove, unchangedsince)
    done = [item for item in settled if item["uid"] not in refused]
    if done:
        with session_scope(engine) as session:
            for item in done:
                session.execute(
                    update(UpstreamMessage)
                    .where(UpstreamMessage.id == item["rid"])
                    .values(keywords=item["kw"], synced_modseq=item["ms"])
                )
    return len(done), len(refused)


def _since(since: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
    return [] if since is None else [since]


def _copyuid(client: IMAPClient) -> dict[int, int]:
    """Source UID → new UID from the COPYUID response codes (UIDPLUS) since the last call."""
    mapping: dict[int, int] = {}
    for line in client._imap.untagged_responses.pop("COPYUID", []):
        parts = (line.decode("ascii", "replace") if isinstance(line, bytes) else str(line)).split()
        if len(parts) >= 3:
            mapping.update(
                zip(imap.parse_uid_set(parts[1]), imap.parse_uid_set(parts[2]), strict=False)
            )
    return mapping


def push_moves(
    engine: Engine,
    client: IMAPClient,
    folder: UpstreamFolder,
    folders_by_mailbox: dict[str, UpstreamFolder],
    account_id: str,
    skip: Collection[int] = (),
    since: ColumnElement[bool] | None = None,
) -> int:
    """Move upstream what was moved here to a mailbox that has a folder; how many moved.

    `UID MOVE` where offered, else `UID COPY` + `\\Deleted` + `UID EXPUNGE`. The new UIDs
    (COPYUID) move the row to its new folder in the same step, so the message keeps its email
    and is not imported again there. The pending move is the email's mailbox differing from its
    folder's: after a crash between the MOVE and that commit the next sync sees the message
    vanish here and appear there, and imports it there anew (this email is removed): never a
    duplicate, never a lost message.
    """
    with session_scope(engine, write=False) as session:
        rows = session.execute(
            select(UpstreamMessage.id, UpstreamMessage.uid, Email.mailbox_id)
            .join(Email, Email.id == UpstreamMessage.email_id)
            .where(
                UpstreamMessage.folder_id == folder.id,
                Email.updated_modseq > UpstreamMessage.synced_modseq,
                Email.destroyed_modseq.is_(None),
                Email.mailbox_id != folder.mailbox_id,
                *_since(since),
            )
        ).all()
    by_target: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for row_id, uid, mailbox_id in rows:
        if int(uid) in skip:
            continue  # vanished upstream: moved by another client or gone (moves.py)
        target = folders_by_mailbox.get(mailbox_id)
        if target is not None and target.id != folder.id:
            by_target[target.id].append((row_id, int(uid)))
    if not by_target:
        return 0
    targets = {f.id: f for f in folders_by_mailbox.values()}
    client.select_folder(folder.name)  # read-write
    moved = 0
    can_move = client.has_capability("MOVE")
    for target_id, items in by_target.items():
        target = targets[target_id]
        uids = [uid for _, uid in items]
        client._imap.untagged_responses.pop("COPYUID", None)
        if can_move:
            client.move(uids, target.name)
        else:
            client.copy(uids, target.name)
            client.add_flags(uids, [b"\\Deleted"], silent=True)
            client.uid_expunge(uids)
        new_uids = _copyuid(client)
        with session_scope(engine) as session:
            for row_id, uid in items:
                new_uid = new_uids.get(uid)
                if new_uid is None:
                    # No UIDPLUS: the target's new-mail pass imports it; drop this copy.
                    row = session.get(UpstreamMessage, row_id)
                    email = session.get(Email, row.email_id) if row is not None else None
                    if row is not None:
                        session.delete(row)
                    if email is not None:
                        alloc = ModseqAllocator(session, account_id)
                        destroy(alloc, email)
                        alloc.finish()
                    continue
                session.execute(
                    update(UpstreamMessage)
                    .where(UpstreamMessage.id == row_id)
                    .values(folder_id=target.id, uid=new_uid)
                )
                moved += 1
    return moved


def push_deletes(
    engine: Engine,
    client: IMAPClient,
    folder: UpstreamFolder,
    skip: Collection[int] = (),
    since: ColumnElement[bool] | None = None,
) -> int:
    """Expunge upstream what was deleted here for good (a client destroys mail from Trash).

    `\\Deleted` then `UID EXPUNGE` of exactly those UIDs (UIDPLUS); without UIDPLUS only the
    flag is set, since a plain EXPUNGE would also remove what other clients merely marked.
    The row goes in the same step; after a crash in between, the message is already gone
    upstream and the next sync's VANISHED/diff removes the row.
    """
    with session_scope(engine, write=False) as session:
        rows = session.execute(
            select(UpstreamMessage.id, UpstreamMessage.uid)
            .join(Email, Email.id == UpstreamMessage.email_id)
            .where(
                UpstreamMessage.folder_id == folder.id,
                Email.destroyed_modseq.is_not(None),
                *_since(since),
            )
        ).all()
    rows = [row for row in rows if int(row[1]) not in skip]
    if not rows:
        return 0
    uids = sorted(int(uid) for _, uid in rows)
    client.select_folder(folder.name)  # read-write
    for start in range(0, len(uids), STORE_CHUNK):
        chunk = uids[start : start + STORE_CHUNK]
        client.add_flags(chunk, [b"\\Deleted"], silent=True)
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(chunk)
    client._imap.untagged_responses.pop("VANISHED", None)
    with session_scope(engine) as session:
        session.execute(
            delete(UpstreamMessage).where(UpstreamMessage.id.in_([row_id for row_id, _ in rows]))
        )
    return len(rows)
