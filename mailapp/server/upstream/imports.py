"""Messages imported here (`email.import`) into a linked account: one copy in the provider's
folder, exactly once.

The queue is `upstream_import`, written in the import's own transaction (`queue`), so a crash
anywhere after the import leaves the row to be found again. The account's sync then, for each
pending row (`push_imports`, after the folders' new mail is read):

1. searches the folder for the message's Message-ID, leaving out UIDs already mapped to an
   email: a copy there is adopted, never appended again;
2. otherwise APPENDs the message with its keywords as flags; the UID comes from APPENDUID
   (UIDPLUS), or without UIDPLUS from a second search by Message-ID;
3. records that UID as the email's copy (`upstream_message`) and the row as done, in one
   transaction, so the folder's next pass does not import it as a second message.

A copy APPENDed by a run that died before step 3 (or one without UIDPLUS and without a
Message-ID) turns up as new mail in the folder's next pass: `own_copies` recognises it by its
header block and records it for the import instead of importing it. Refusals the user must
fix (a full mailbox, a read-only folder) block the folder like any write (push.guarded) and
keep the row pending.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from mailapp.server.db import session_scope
from mailapp.server.models import Email, EmailBlob
from mailapp.server.upstream.folder_gone import _APPENDUID
from mailapp.server.upstream.models import (
    UpstreamAccount,
    UpstreamFolder,
    UpstreamImport,
    UpstreamMessage,
)
from mailapp.server.upstream.push import guarded
from mailapp.server.upstream.records import header_sha
from mailapp.server.upstream.writeback import imap_flag

if TYPE_CHECKING:
    from mailapp.server.upstream.syncer import AccountSync

_LINE_END = re.compile(rb"\r?\n")
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def queue(session: Session, account_id: str, email_id: str) -> None:
    """In the import's transaction: the email goes upstream too when the account is linked."""
    linked = session.scalar(
        select(UpstreamAccount.id).where(UpstreamAccount.account_id == account_id)
    )
    if linked is not None:
        session.add(UpstreamImport(account_id=account_id, email_id=email_id))


def _crlf(raw: bytes) -> bytes:
    # IMAP carries lines ending in CRLF; a file saved on Unix may end them in LF alone.
    return _LINE_END.sub(b"\r\n", raw)


def _header_key(raw: bytes) -> str:
    """The header block's hash, the same for the bytes here and the copy upstream."""
    end = _HEADER_END.search(raw)
    return header_sha(_crlf(raw if end is None else raw[: end.end()]))


def _pending(engine: Engine, account_id: str, mailbox_id: str | None = None) -> list[Any]:
    with session_scope(engine, write=False) as session:
        query = (
            select(
                UpstreamImport.id,
                UpstreamImport.email_id,
                Email.mailbox_id,
                Email.message_id,
                Email.keywords,
                EmailBlob.raw,
            )
            .join(Email, Email.id == UpstreamImport.email_id)
            .join(EmailBlob, EmailBlob.email_id == Email.id)
            .where(
                UpstreamImport.account_id == account_id,
                UpstreamImport.state == "pending",
                Email.destroyed_modseq.is_(None),
            )
            .order_by(UpstreamImport.id)
        )
        if mailbox_id is not None:
            query = query.where(Email.mailbox_id == mailbox_id)
        return list(session.execute(query).all())


def _record(engine: Engine, folder: UpstreamFolder, uid: int, row: Any) -> None:
    """The copy at `uid` is the imported email: mapped, and the row done, in one commit."""
    with session_scope(engine) as session:
        email = session.get(Email, row.email_id)
        taken = session.scalar(
            select(UpstreamMessage.id).where(
                UpstreamMessage.folder_id == folder.id, UpstreamMessage.uid == uid
            )
        )
        if taken is None and email is not None:
            raw = bytes(row.raw)
            session.add(
                UpstreamMessage(
                    folder_id=folder.id,
                    uid=uid,
                    email_id=row.email_id,
                    header_sha=_header_key(raw),
                    has_body=True,
                    size=len(raw),
                    keywords=list(email.keywords or []),
                    synced_modseq=email.updated_modseq,
                )
            )
        session.execute(
            update(UpstreamImport).where(UpstreamImport.id == row.id).values(state="done", uid=uid)
        )


def own_copies(
    engine: Engine, account_id: str, folder: UpstreamFolder, headers: dict[int, bytes]
) -> set[int]:
    """New UIDs of `folder` that are copies of pending imports: recorded, not imported."""
    if not headers:
        return set()
    waiting = {
        _header_key(bytes(row.raw)): row for row in _pending(engine, account_id, folder.mailbox_id)
    }
    if not waiting:
        return set()  # nothing pending (an initial import): no header hashed for nothing
    own: set[int] = set()
    for uid, header in sorted(headers.items()):
        row = waiting.pop(header_sha(_crlf(header)), None)
        if row is not None:
            _record(engine, folder, uid, row)
            own.add(uid)
    return own


def _known_uids(engine: Engine, folder_id: int) -> set[int]:
    with session_scope(engine, write=False) as session:
        return {
            int(uid)
            for uid in session.scalars(
                select(UpstreamMessage.uid).where(UpstreamMessage.folder_id == folder_id)
            )
        }


def _search(
    client: Any, engine: Engine, folder: UpstreamFolder, message_id: str | None
) -> int | None:
    if not message_id:
        return None
    found = set(int(uid) for uid in client.search(["HEADER", "Message-ID", message_id]))
    found -= _known_uids(engine, folder.id)
    return max(found) if found else None


def _append(sync: AccountSync, folder: UpstreamFolder, row: Any) -> None:
    client = sync.client
    client.select_folder(folder.name)  # read-write: a read-only folder raises here
    uid = _search(client, sync.engine, folder, row.message_id)
    if uid is None:
        flags = [imap_flag(k).encode() for k in sorted(row.keywords or [])]
        answer = client.append(folder.name, _crlf(bytes(row.raw)), flags=flags)
        sync.stats.imports_appended += 1
        sync._batch_done("imports", 1)  # a worker dying here: own_copies finds the copy
        match = _APPENDUID.search(answer if isinstance(answer, bytes) else b"")
        if match is not None:
            uid = int(match.group(2))
        else:
            client.select_folder(folder.name)
            uid = _search(client, sync.engine, folder, row.message_id)
    if uid is not None:
        _record(sync.engine, folder, uid, row)
    # Otherwise (no UIDPLUS, no Message-ID) the folder's next pass recognises the copy.


def push_imports(sync: AccountSync) -> None:
    """APPEND every pending imported message of the account to its mailbox's folder."""
    rows = _pending(sync.engine, sync.account_id)
    if not rows:
        return
    by_mailbox = {f.mailbox_id: f for f in sync.folders if f.live}
    for row in rows:
        folder = by_mailbox.get(row.mailbox_id)
        if folder is None:
            with session_scope(sync.engine) as session:
                session.execute(
                    update(UpstreamImport)
                    .where(UpstreamImport.id == row.id)
                    .values(
                        state="skipped",
                        note="its mailbox has no folder at the provider: it stays here only",
                    )
                )
            continue
        guarded(
            sync, folder, "a message imported here", lambda r=row, f=folder: _append(sync, f, r)
        )
