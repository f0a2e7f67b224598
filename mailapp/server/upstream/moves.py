"""Messages another IMAP client moved between folders: one email moved, not a delete and a new
message.

Over IMAP a move is a message vanishing from one folder (VANISHED, or missing from the UID
diff) and a new UID appearing in another. Like mbsync (which recognises a message by its
Message-ID and a tag of its own) and Nylas (which keyed messages by a hash of their headers
across folders), one sync pass first collects what vanished from every folder, then imports the
new UIDs: a new message whose header block (so its Message-ID, Date, From...) hashes the same
and whose size is the same as a vanished one's is that message, moved. Its email keeps its id,
its body and its local state (read, flags, a change not yet written back), and its mailbox
changes under the merge rules of another device's change (`merge.merge_value`: moved here to a
third mailbox meanwhile, that move wins and is written back). What vanished and did not
reappear is removed at the end of the pass.

Crash safety: a vanished message keeps its `upstream_message` row until it is matched or
removed (no write-back touches it meanwhile), and the folders' HIGHESTMODSEQ is stored only
after that, so an interrupted pass sees the same VANISHED again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from mailapp.server import merge
from mailapp.server.db import ModseqAllocator, session_scope
from mailapp.server.upstream import records
from mailapp.server.upstream.models import UpstreamFolder, UpstreamMessage
from mailapp.server.upstream.remap import emails_by_id, merge_upstream_flags

if TYPE_CHECKING:
    from mailapp.server.upstream.syncer import AccountSync

Key = tuple[str, int]  # (sha256 of the header block, size)


@dataclass(frozen=True)
class Vanished:
    row_id: int
    folder_id: int
    uid: int
    email_id: str
    key: Key


class MovePool:
    """What vanished from the folders in this pass, until it reappears or is removed."""

    def __init__(self) -> None:
        self._by_key: dict[Key, list[Vanished]] = defaultdict(list)
        self._uids: dict[int, set[int]] = defaultdict(set)

    def __bool__(self) -> bool:
        return any(self._by_key.values())

    def add(self, engine: object, folder_id: int, uids: set[int]) -> None:
        if not uids:
            return
        with session_scope(engine, write=False) as session:  # type: ignore[arg-type]
            rows = session.execute(
                select(
                    UpstreamMessage.id,
                    UpstreamMessage.uid,
                    UpstreamMessage.email_id,
                    UpstreamMessage.header_sha,
                    UpstreamMessage.size,
                ).where(
                    UpstreamMessage.folder_id == folder_id,
                    UpstreamMessage.uid.in_(sorted(uids)),
                )
            ).all()
        for row_id, uid, email_id, sha, size in rows:
            item = Vanished(int(row_id), folder_id, int(uid), email_id, (sha, int(size)))
            self._by_key[item.key].append(item)
            self._uids[folder_id].add(int(uid))

    def pooled(self, folder_id: int) -> set[int]:
        """UIDs of the folder that vanished upstream: nothing is written back to them."""
        return set(self._uids.get(folder_id, ()))

    def take(self, key: Key) -> Vanished | None:
        found = self._by_key.get(key)
        if not found:
            return None
        item = found.pop(0)
        self._uids[item.folder_id].discard(item.uid)
        return item

    def leftover(self) -> list[Vanished]:
        return [item for items in self._by_key.values() for item in items]


def adopt(
    sync: AccountSync, folder: UpstreamFolder, moved: list[tuple[Vanished, int, list[str]]]
) -> None:
    """The vanished messages reappeared in `folder` under these UIDs (with these flags): their
    rows move there and their emails follow, merged like another device's move."""
    mailbox_of = {f.id: f.mailbox_id for f in sync.folders}
    with session_scope(sync.engine) as session:
        alloc = ModseqAllocator(session, sync.account_id)
        emails = emails_by_id(session, {item.email_id for item, _uid, _kw in moved})
        for item, uid, keywords in moved:
            old = session.get(UpstreamMessage, item.row_id)
            if old is None:
                continue
            row = UpstreamMessage(
                folder_id=folder.id,
                uid=uid,
                email_id=old.email_id,
                header_sha=old.header_sha,
                has_body=old.has_body,
                size=old.size,
                keywords=list(old.keywords or []),
                synced_modseq=old.synced_modseq,
            )
            session.delete(old)
            session.add(row)
            email = emails.get(item.email_id)
            if email is None or email.destroyed_modseq is not None:
                continue  # deleted here meanwhile: the row lets that delete reach the new folder
            was = mailbox_of.get(item.folder_id)
            if merge.merge_value(email.mailbox_id, was, folder.mailbox_id) == "applied":
                email.mailbox_id = folder.mailbox_id
                email.updated_modseq = alloc.next()
            merge_upstream_flags(alloc, email, row, keywords, folder.mailbox_id)
            sync.stats.moved_upstream += 1
        alloc.finish()
    sync._batch_done("moves", len(moved))


def remove_leftover(sync: AccountSync, pool: MovePool) -> None:
    """What vanished and reappeared nowhere was expunged upstream: remove it here too."""
    gone = pool.leftover()
    if not gone:
        return
    with session_scope(sync.engine) as session:
        alloc = ModseqAllocator(session, sync.account_id)
        emails = emails_by_id(session, {item.email_id for item in gone})
        for item in gone:
            email = emails.get(item.email_id)
            if email is not None and email.destroyed_modseq is None:
                records.destroy(alloc, email)
                sync.stats.expunged += 1
        row_ids = [item.row_id for item in gone]
        for start in range(0, len(row_ids), 5000):
            session.execute(
                delete(UpstreamMessage).where(UpstreamMessage.id.in_(row_ids[start : start + 5000]))
            )
        alloc.finish()
    sync._batch_done("expunged", len(gone))
