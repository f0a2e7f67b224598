"""Drafts written here → the provider's Drafts folder: one copy per draft, its newest version.

The queue is data, as for keywords (writeback.py): `upstream_draft` holds, per draft, the
version (the draft's updated_modseq) whose copy is upstream. A live draft above it has a newer
version to put there; a row whose draft is destroyed (sent, discarded) has copies to delete.

Exactly once. Every copy carries `X-Mailapp-Draft: id=<draft>;v=<modseq>;`. Before a version
is APPENDed, the Drafts folder is searched for it: a copy already there (appended just before a
crash that lost the bookkeeping) is adopted, never appended again. The APPENDUID answer
(UIDPLUS; found by the header where the server has none) is committed before the older copies
are deleted (`\\Deleted` + `UID EXPUNGE` of every copy of the draft but the new one, found by
the same header); a crash in between leaves the row not `clean`, and the next sync deletes
them. A copy is never imported here as an email (the new-mail pass skips messages carrying the
header of a draft of this account, `own_copies`): it is that draft, not a second one.

Coalescing. A composer autosaves about every second while the user types, each save a new
version. A version goes upstream once the draft has rested `draft_delay` seconds, or at the
latest `MAX_DELAY_FACTOR` times that after its first change not yet upstream; the versions in
between are never appended. So a draft typed for an hour is appended a few dozen times, not
thousands (Thunderbird, for comparison, autosaves drafts every few minutes).

A copy deleted upstream by another client is forgotten: the draft stays here and goes up again
when it next changes. Without a Drafts folder upstream, drafts stay here only. A full mailbox or
a read-only Drafts folder blocks the folder (push.guarded): the drafts wait, the link says why.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from imapclient import IMAPClient
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.engine import Engine

from mailapp.server.db import session_scope
from mailapp.server.models import Account, Draft, Mailbox, identity
from mailapp.server.outgoing import build_draft_copy
from mailapp.server.upstream.models import UpstreamDraft, UpstreamFolder
from mailapp.server.upstream.submission import draft_sender, sending_address

if TYPE_CHECKING:
    from mailapp.server.upstream.syncer import AccountSync

log = logging.getLogger(__name__)

HEADER = "X-Mailapp-Draft"
MAX_DELAY_FACTOR = 12
MAX_ERROR = 1000
_APPENDUID = re.compile(rb"APPENDUID\s+(\d+)\s+(\d+)", re.IGNORECASE)
_OWN = re.compile(
    rb"^x-mailapp-draft:[ \t]*id=([A-Za-z0-9_-]{1,36});", re.IGNORECASE | re.MULTILINE
)


def tag(draft_id: str, modseq: int | None = None) -> str:
    """The header's value; without a version, the part every copy of the draft shares (IMAP
    SEARCH HEADER matches substrings, and the `;` keeps `v=1;` from matching `v=12;`)."""
    return f"id={draft_id};" + (f"v={modseq};" if modseq is not None else "")


def own_copies(
    engine: Engine, account_id: str, upstream_id: str, headers: dict[int, bytes]
) -> set[int]:
    """The UIDs (of fetched header blocks) that are copies of drafts of this account."""
    named: dict[int, str] = {}
    for uid, header in headers.items():
        found = _OWN.search(header)
        if found is not None:
            named[uid] = found.group(1).decode("ascii")
    if not named:
        return set()
    ids = sorted(set(named.values()))
    with session_scope(engine, write=False) as session:
        known = set(
            session.scalars(
                select(Draft.id).where(Draft.account_id == account_id, Draft.id.in_(ids))
            )
        )
        known |= set(
            session.scalars(
                select(UpstreamDraft.draft_id).where(
                    UpstreamDraft.upstream_id == upstream_id, UpstreamDraft.draft_id.in_(ids)
                )
            )
        )
    return {uid for uid, draft_id in named.items() if draft_id in known}


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _observe(
    engine: Engine, account_id: str, upstream_id: str, now: datetime, rest: timedelta
) -> tuple[list[str], float | None]:
    """Drafts whose newest version is due upstream, and the seconds until the next one is."""
    pending = (
        select(
            Draft.id,
            Draft.updated_modseq,
            UpstreamDraft.seen_modseq,
            UpstreamDraft.seen_at,
            UpstreamDraft.dirty_since,
        )
        .outerjoin(
            UpstreamDraft,
            and_(UpstreamDraft.upstream_id == upstream_id, UpstreamDraft.draft_id == Draft.id),
        )
        .where(
            Draft.account_id == account_id,
            Draft.destroyed_modseq.is_(None),
            or_(UpstreamDraft.id.is_(None), Draft.updated_modseq > UpstreamDraft.synced_modseq),
        )
    )
    with session_scope(engine, write=False) as session:
        rows = session.execute(pending).all()
    if not rows:
        return [], None
    due: list[str] = []
    wait: float | None = None
    new_seen: list[tuple[str, int, datetime | None]] = []
    for draft_id, modseq, seen_modseq, seen_at, dirty_since in rows:
        first_dirty = _aware(dirty_since)
        rested_from = _aware(seen_at)
        if seen_modseq != modseq or rested_from is None:  # a new version: it rests from now
            new_seen.append((draft_id, modseq, first_dirty))
            rested_from, first_dirty = now, first_dirty or now
        ready = min(rested_from + rest, (first_dirty or now) + rest * MAX_DELAY_FACTOR)
        if ready <= now:
            due.append(draft_id)
        else:
            left = (ready - now).total_seconds()
            wait = left if wait is None else min(wait, left)
    if new_seen:
        with session_scope(engine) as session:
            for draft_id, modseq, dirty_since in new_seen:
                row = session.scalars(
                    select(UpstreamDraft).where(
                        UpstreamDraft.upstream_id == upstream_id, UpstreamDraft.draft_id == draft_id
                    )
                ).first()
                if row is None:
                    row = UpstreamDraft(upstream_id=upstream_id, draft_id=draft_id)
                    session.add(row)
                row.seen_modseq, row.seen_at = modseq, now
                row.dirty_since = dirty_since or now
    return due, wait


def drafts_folder(sync: AccountSync) -> UpstreamFolder | None:
    by_mailbox = {f.mailbox_id: f for f in sync.folders}
    if not by_mailbox:
        return None
    with session_scope(sync.engine, write=False) as session:
        mailbox_id = session.scalars(
            select(Mailbox.id).where(
                Mailbox.account_id == sync.account_id,
                Mailbox.id.in_(sorted(by_mailbox)),
                Mailbox.role == "drafts",
                Mailbox.destroyed_modseq.is_(None),
            )
        ).first()
    return by_mailbox.get(mailbox_id) if mailbox_id is not None else None


def _delete(client: IMAPClient, uids: set[int]) -> None:
    if not uids:
        return
    client.add_flags(sorted(uids), [b"\\Deleted"], silent=True)
    if client.has_capability("UIDPLUS"):
        client.uid_expunge(sorted(uids))
    # Our own expunges: not news for the folder's next sync.
    client._imap.untagged_responses.pop("VANISHED", None)


def _copies(client: IMAPClient, draft_id: str, modseq: int | None = None) -> set[int]:
    # Not those flagged \Deleted already (without UIDPLUS they are not expunged by us).
    found = client.search(["NOT", "DELETED", "HEADER", HEADER, tag(draft_id, modseq)])
    return {int(uid) for uid in found}


def _update(engine: Engine, upstream_id: str, draft_id: str, **values: object) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(UpstreamDraft)
            .where(UpstreamDraft.upstream_id == upstream_id, UpstreamDraft.draft_id == draft_id)
            .values(**values)
        )


def _save(sync: AccountSync, folder: UpstreamFolder, draft_id: str) -> bool:
    """Put the draft's current version upstream; False when it could not be written."""
    with session_scope(sync.engine, write=False) as session:
        draft = session.get(Draft, identity(Draft, sync.account_id, draft_id))
        account = session.get(Account, sync.account_id)
        if draft is None or draft.destroyed or account is None:
            return False
        modseq = draft.updated_modseq
        try:
            # From as it will be sent: the provider address when sending through it.
            try:
                sender = draft_sender(session, account, draft.from_address)
            except ValueError:  # kept as a draft; sending it says why it cannot go
                sender = sending_address(session, account)
            raw = build_draft_copy(draft, sender)
        except Exception as exc:  # a missing attachment, an address that cannot be written
            problem = f"the draft could not be saved in Drafts upstream: {exc}"[:MAX_ERROR]
            raw = None
    if raw is None:
        # This version stays here only; the next change is tried again.
        _update(sync.engine, sync.upstream_id, draft_id, synced_modseq=modseq, last_error=problem)
        return False
    client = sync.client
    found = _copies(client, draft_id, modseq)
    if found:
        uid: int | None = max(found)  # appended before a crash that lost the answer
    else:
        copy = f"{HEADER}: {tag(draft_id, modseq)}\r\n".encode("ascii") + raw
        answer = client.append(folder.name, copy, flags=[b"\\Draft", b"\\Seen"])
        match = _APPENDUID.search(answer if isinstance(answer, bytes) else b"")
        if match is not None:
            uid = int(match.group(2))
        else:  # no UIDPLUS: the header finds it
            again = _copies(client, draft_id, modseq)
            uid = max(again) if again else None
    # The worker renews its lease here; a worker dying here is what the search above is for.
    sync._batch_done("drafts", 1)
    with session_scope(sync.engine) as session:
        row = session.scalars(
            select(UpstreamDraft).where(
                UpstreamDraft.upstream_id == sync.upstream_id, UpstreamDraft.draft_id == draft_id
            )
        ).first()
        if row is None:
            row = UpstreamDraft(upstream_id=sync.upstream_id, draft_id=draft_id)
            session.add(row)
        row.uid, row.synced_modseq, row.clean, row.last_error = uid, modseq, False, None
        if (row.seen_modseq or 0) <= modseq:
            row.dirty_since = None
    return True


def push_drafts(sync: AccountSync, now: datetime | None = None) -> None:
    """Write drafts changed here to the Drafts folder and delete the copies of destroyed ones."""
    engine, upstream_id = sync.engine, sync.upstream_id
    now = now or datetime.now(UTC)
    due, wait = _observe(
        engine, sync.account_id, upstream_id, now, timedelta(seconds=sync.limits.draft_delay)
    )
    sync.stats.drafts_due_in = wait
    with session_scope(engine, write=False) as session:
        leftovers = session.execute(
            select(UpstreamDraft.id).where(
                UpstreamDraft.upstream_id == upstream_id, UpstreamDraft.clean.is_(False)
            )
        ).all()
        gone = list(
            session.scalars(
                select(UpstreamDraft.draft_id)
                .outerjoin(
                    Draft,
                    and_(Draft.account_id == sync.account_id, Draft.id == UpstreamDraft.draft_id),
                )
                .where(
                    UpstreamDraft.upstream_id == upstream_id,
                    or_(Draft.id.is_(None), Draft.destroyed_modseq.is_not(None)),
                )
            )
        )
    if not (due or leftovers or gone):
        return
    folder = drafts_folder(sync)
    if folder is None:
        return
    client = sync.client
    client.select_folder(folder.name)  # read-write
    # Discarded and sent drafts first: that also makes room in a full mailbox. A refusal the
    # user must fix (full, read-only) blocks the folder: push.guarded, around this.
    _delete_gone(sync, gone)
    for draft_id in due:
        if _save(sync, folder, draft_id):
            sync.stats.drafts_saved += 1
    _tidy(sync, set(gone))


def _tidy(sync: AccountSync, gone: set[str]) -> None:
    """Delete every copy of a saved draft but its newest (the previous version, and any copy a
    crash left behind)."""
    engine, upstream_id, client = sync.engine, sync.upstream_id, sync.client
    with session_scope(engine, write=False) as session:
        unclean = session.execute(
            select(UpstreamDraft.draft_id, UpstreamDraft.uid, UpstreamDraft.synced_modseq).where(
                UpstreamDraft.upstream_id == upstream_id, UpstreamDraft.clean.is_(False)
            )
        ).all()
    for draft_id, uid, synced in unclean:
        if draft_id in gone:
            continue
        if uid is not None:
            keep = {int(uid)}
        else:  # no UIDPLUS and the header search found none: keep the newest version's
            keep = set(sorted(_copies(client, draft_id, synced))[-1:])
        old = _copies(client, draft_id) - keep
        _delete(client, old)
        sync.stats.drafts_deleted += len(old)
        _update(engine, upstream_id, draft_id, clean=True)


def _delete_gone(sync: AccountSync, gone: list[str]) -> None:
    for draft_id in gone:
        old = _copies(sync.client, draft_id)
        _delete(sync.client, old)
        sync.stats.drafts_deleted += len(old)
        with session_scope(sync.engine) as session:
            session.execute(
                delete(UpstreamDraft).where(
                    UpstreamDraft.upstream_id == sync.upstream_id,
                    UpstreamDraft.draft_id == draft_id,
                )
            )
