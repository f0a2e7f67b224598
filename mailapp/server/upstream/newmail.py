"""A folder's new messages: small ones whole in one pass, large ones headers first.

One `UID FETCH n:* (UID RFC822.SIZE)` lists the new UIDs with their sizes. Messages up to
`SyncLimits.whole_message_bytes` are then fetched whole (`BODY.PEEK[]` with FLAGS and
INTERNALDATE), newest first, in batches bounded in count and in bytes; each batch is parsed
once and lands with its headers and bodies in one transaction, so the user sees the newest
mail complete first (as Thunderbird's offline folders and mbsync fetch whole messages).
Larger messages get their header records first (one batch listed before the small ones), and
their bodies follow in the body pass (bodies.py).

Exactly once: every batch's transaction records the UIDs it imported next to the emails it
created. The folder's UIDNEXT moves only when all its new messages are in; until then the rows
at or above it are the ones a run that died already imported, and the next run skips them
(`known`). changes.py looks at those rows too (`top_uid`).

A message whose answer lacks its content (no `BODY[]` / `BODY[HEADER]`: a broken server, or
a message expunged meanwhile that comes back with FLAGS only, or not at all) is not stored:
a record without headers would stay blank for ever (the body pass fills bodies, not headers).
UIDNEXT stays at the lowest such UID, so the next pass lists it again and imports it, or finds
it gone; the rows above it are `known`, so nothing is imported twice (as mbsync retries).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, insert, select

from mailapp.server.db import ModseqAllocator, session_scope
from mailapp.server.upstream import bulk, drafts, imap, imports, records
from mailapp.server.upstream.connection import UpstreamError
from mailapp.server.upstream.models import LinkState, UpstreamFolder, UpstreamMessage
from mailapp.server.upstream.moves import adopt

if TYPE_CHECKING:
    from mailapp.server.upstream.syncer import AccountSync

HEADER_ITEMS = ("UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "BODY.PEEK[HEADER]")
WHOLE_ITEMS = ("UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "BODY.PEEK[]")
log = logging.getLogger(__name__)
_INSERT_MAPS = insert(UpstreamMessage.__table__).values(
    keywords=bindparam("keywords", type_=records.JSON_TEXT)
)


def top_uid(sync: AccountSync, folder: UpstreamFolder) -> int:
    """The highest UID known in the folder: UIDNEXT - 1, or above it the rows a run that died
    mid-import stored (newest first, before UIDNEXT moved) or moved here (COPYUID)."""
    with session_scope(sync.engine, write=False) as session:
        highest = session.scalar(
            select(func.max(UpstreamMessage.uid)).where(UpstreamMessage.folder_id == folder.id)
        )
    return max(folder.uidnext - 1, int(highest or 0))


def import_new(sync: AccountSync, folder: UpstreamFolder, selected_next: int | None) -> None:
    """Import the selected folder's messages from its UIDNEXT on that are not here yet, then
    move its UIDNEXT as far as they are all here or gone: past the highest listed, or to
    `selected_next` (the UIDNEXT its SELECT announced) when higher. When some came without
    their content it stays below them instead, for the next pass."""
    # Rows at or above UIDNEXT: imported by a run that died, or moved here by this server.
    known = sync._known(folder.id, folder.uidnext)
    listed = imap.uid_fetch(sync.client, f"{folder.uidnext}:*", ["UID", "RFC822.SIZE"])
    # `N:*` always matches the highest UID, even when it is below N.
    sizes = {
        uid: _size(data, 0)
        for uid, data in listed.items()
        if uid >= folder.uidnext and uid not in known
    }
    limits = sync.limits
    whole_limit = min(limits.whole_message_bytes, limits.max_message_bytes)
    newest_first = sorted(sizes, reverse=True)
    large = [uid for uid in newest_first if sizes[uid] > whole_limit]
    small = [uid for uid in newest_first if sizes[uid] <= whole_limit]
    missing = _fetch(sync, folder, _batches(large, sizes, limits.header_batch, None), False)
    missing |= _fetch(
        sync, folder, _batches(small, sizes, limits.body_batch, limits.body_batch_bytes), True
    )
    if missing:
        sync.stats.retried += len(missing)
        log.warning(
            "folder %r: no content in the FETCH answer for UIDs %s (expunged meanwhile, or the"
            " server's fault); not stored, retried next pass",
            folder.name,
            imap.uid_set(sorted(missing)),
        )
        if min(missing) > folder.uidnext:
            sync._set_folder(folder, uidnext=min(missing))  # those below it are here or gone
        return
    top = max((uid for uid in listed if uid >= folder.uidnext), default=0)
    # Every UID up to `top` is here or gone, and every one below `selected_next` was listed.
    uidnext = max(top + 1, selected_next or 0)
    if uidnext > folder.uidnext:
        sync._set_folder(folder, uidnext=uidnext)


def _size(data: dict[bytes, Any], default: int) -> int:
    """The answer's RFC822.SIZE (`default` when absent or NIL). Anything else not a number is
    the server's fault: the sync stops with the link in error saying so (run.py records it),
    rather than with a traceback."""
    value = data.get(b"RFC822.SIZE")
    if not value:
        return default
    try:
        return int(value)  # imapclient leaves "0123" as bytes
    except (TypeError, ValueError):
        raise UpstreamError(
            LinkState.error, f"the server answered RFC822.SIZE {value!r}, not a number"
        ) from None


def _batches(
    uids: list[int], sizes: dict[int, int], count: int, budget: int | None
) -> list[list[int]]:
    """`uids` in order, cut into batches of at most `count` UIDs and `budget` bytes (a single
    message over the budget is a batch of its own)."""
    batches: list[list[int]] = []
    batch: list[int] = []
    total = 0
    for uid in uids:
        over = budget is not None and batch and total + sizes[uid] > budget
        if len(batch) >= count or over:
            batches.append(batch)
            batch, total = [], 0
        batch.append(uid)
        total += sizes[uid]
    if batch:
        batches.append(batch)
    return batches


def _fetch(
    sync: AccountSync, folder: UpstreamFolder, batches: list[list[int]], whole: bool
) -> set[int]:
    """Fetch and store the batches; returns the UIDs answered without their content."""
    items = WHOLE_ITEMS if whole else HEADER_ITEMS
    answers = imap.pipelined_fetch(sync.client, [imap.uid_set(b) for b in batches], items)
    missing: set[int] = set()
    for batch, fetched in zip(batches, answers, strict=True):
        missing |= _store(sync, folder, batch, fetched, whole)
    return missing


def _store(
    sync: AccountSync,
    folder: UpstreamFolder,
    batch: list[int],
    fetched: dict[int, dict[bytes, Any]],
    whole: bool,
) -> set[int]:
    key = b"BODY[]" if whole else b"BODY[HEADER]"
    raws = {uid: data.get(key) for uid, data in fetched.items()}
    # Not in the answer, or in it without its content: left for the next pass (see above).
    missing = {uid for uid in batch if raws.get(uid) is None}
    raws = {uid: raw for uid, raw in raws.items() if raw is not None}
    sync.stats.headers += len(raws)
    headers = {
        uid: records.header_of(bytes(raw)) if whole else bytes(raw) for uid, raw in raws.items()
    }
    own = _own_copies(sync, folder, fetched, headers)
    # Parsed before the transaction: it holds the account's lock, API writes wait.
    emails: list[dict[str, Any]] = []
    blobs: list[dict[str, Any]] = []
    maps: list[dict[str, Any]] = []
    for uid in batch:  # newest first: the modseqs follow the order the user sees them in
        data = fetched.get(uid)
        if uid in missing or uid in own:
            continue  # for the next pass, or not new mail
        raw, header = raws[uid], headers[uid]
        received_at = records.as_utc(data.get(b"INTERNALDATE"))
        keywords = imap.keywords_of(data.get(b"FLAGS") or ())
        if whole:
            raw = bytes(raw)
            row, blob = records.whole_row(
                sync.account_id, folder.mailbox_id, raw, received_at=received_at, keywords=keywords
            )
            blobs.append(blob)
            size = len(raw)
        else:  # a large message: the body pass fetches its body
            size = _size(data, len(header))
            row = records.header_row(
                sync.account_id,
                folder.mailbox_id,
                header,
                size=size,
                received_at=received_at,
                keywords=keywords,
            )
        emails.append(row)
        maps.append(
            {
                "folder_id": folder.id,
                "uid": uid,
                "email_id": row["id"],
                "header_sha": records.header_sha(header),
                "has_body": "content_sha256" in row,
                "size": size,
                "keywords": records.json_text(row["keywords"]),
            }
        )
    with session_scope(sync.engine) as session:
        alloc = ModseqAllocator(session, sync.account_id)
        records.insert_emails(alloc, emails)  # one shape per batch: executemany
        records.insert_blobs(alloc, blobs)
        for item, row in zip(maps, emails, strict=True):
            item["synced_modseq"] = row["updated_modseq"]
        if maps:
            bulk.insert_many(session.connection(), _INSERT_MAPS, maps)
        alloc.finish()
    if whole:
        sync.stats.bodies += len(blobs)
    sync._batch_done("messages" if whole else "headers", len(raws))
    return missing


def _own_copies(
    sync: AccountSync,
    folder: UpstreamFolder,
    fetched: dict[int, dict[bytes, Any]],
    headers: dict[int, bytes],
) -> set[int]:
    """New UIDs that are not new mail: copies of drafts written here, copies of messages
    imported here appended by a run that died before recording them, and messages another
    client moved here (the email they were follows, moves.py)."""
    own = drafts.own_copies(sync.engine, sync.account_id, sync.upstream_id, headers)
    own |= imports.own_copies(
        sync.engine,
        sync.account_id,
        folder,
        {uid: h for uid, h in headers.items() if uid not in own},
    )
    if not sync.moves:
        return own
    moved = []
    for uid, header in headers.items():
        if uid in own:
            continue
        size = _size(fetched[uid], len(header))
        item = sync.moves.take((records.header_sha(header), size))
        if item is not None:
            moved.append((item, uid, imap.keywords_of(fetched[uid].get(b"FLAGS") or ())))
    if moved:
        adopt(sync, folder, moved)
    return own | {uid for _item, uid, _kw in moved}
