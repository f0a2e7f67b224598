"""Import an mbox file or a Maildir folder into an account (`mailapp-server import`)."""

from __future__ import annotations

import mailbox
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from mailapp.server.db import bump_modseq, session_scope
from mailapp.server.models import Account, Email, Mailbox

BATCH = 200

# Maildir info flags and mbox Status/X-Status letters → JMAP keywords.
MAILDIR_FLAGS = {"S": "$seen", "F": "$flagged", "R": "$answered", "P": "$forwarded", "D": "$draft"}
MBOX_FLAGS = {"R": "$seen", "F": "$flagged", "A": "$answered"}


class ImportSourceError(ValueError):
    """The source or the target cannot be used; the message says why, for the user."""


@dataclass(frozen=True)
class SourceMessage:
    raw: bytes
    keywords: tuple[str, ...]


@dataclass
class ImportReport:
    imported: int = 0
    duplicates: int = 0
    mailbox: str = ""


def read_source(path: Path) -> Iterator[SourceMessage]:
    """Messages of a Maildir folder (has cur/ or new/) or an mbox file, in file order."""
    if path.is_dir():
        if not ((path / "cur").is_dir() or (path / "new").is_dir()):
            raise ImportSourceError(
                f"{path} is a folder but not a Maildir (no cur/ or new/ inside)"
            )
        yield from _read_maildir(path)
    elif path.is_file():
        yield from _read_mbox(path)
    else:
        raise ImportSourceError(f"{path} does not exist")


def _read_maildir(path: Path) -> Iterator[SourceMessage]:
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in sorted(box.keys(), key=_maildir_order):
        message = box.get_message(key)
        keywords = tuple(
            MAILDIR_FLAGS[f] for f in sorted(message.get_flags()) if f in MAILDIR_FLAGS
        )
        yield SourceMessage(box.get_bytes(key), keywords)


def _maildir_order(key: str) -> tuple[float, str]:
    # Maildir keys start with the delivery time ("1700000000.M1P2.host"): oldest first.
    head = key.split(".", 1)[0]
    try:
        return (float(head), key)
    except ValueError:
        return (float("inf"), key)


def _read_mbox(path: Path) -> Iterator[SourceMessage]:
    with path.open("rb") as handle:
        head = handle.read(5)
    if head and head != b"From ":
        raise ImportSourceError(f"{path} is not an mbox file (it must start with a 'From ' line)")
    box = mailbox.mbox(path, factory=None, create=False)
    try:
        for key in box.iterkeys():
            message = box.get_message(key)
            flags = message.get_flags()
            keywords = tuple(MBOX_FLAGS[f] for f in sorted(flags) if f in MBOX_FLAGS)
            yield SourceMessage(_without_status_headers(box.get_bytes(key)), keywords)
    finally:
        box.close()


def _without_status_headers(raw: bytes) -> bytes:
    # Status/X-Status are the mbox's flag storage, already turned into keywords.
    head, sep, body = raw.partition(b"\n\n")
    lines = [
        line
        for line in head.split(b"\n")
        if not line.lower().startswith((b"status:", b"x-status:"))
    ]
    return b"\n".join(lines) + sep + body


def _message_id(raw: bytes) -> str | None:
    value = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True).get("Message-ID")
    return str(value).strip() if value else None


def find_account(session: Session, name: str) -> Account:
    account = session.execute(select(Account).where(Account.name == name)).scalar_one_or_none()
    if account is None:
        raise ImportSourceError(f"no user named {name!r} (create it with add-user)")
    return account


def target_mailbox(session: Session, account: Account, name: str | None) -> Mailbox:
    """The mailbox called `name` (or with that role), created when missing; INBOX by default."""
    live = select(Mailbox).where(
        Mailbox.account_id == account.id, Mailbox.destroyed_modseq.is_(None)
    )
    if name is None:
        found = session.execute(live.where(Mailbox.role == "inbox")).scalars().first()
        if found is None:
            raise ImportSourceError(f"user {account.name!r} has no inbox")
        return found
    found = (
        session.execute(live.where(func.lower(Mailbox.name) == name.lower())).scalars().first()
        or session.execute(live.where(Mailbox.role == name.lower())).scalars().first()
    )
    if found is not None:
        return found
    modseq = bump_modseq(session, account.id)
    mailbox_row = Mailbox(
        account_id=account.id, name=name, role=None, created_modseq=modseq, updated_modseq=modseq
    )
    session.add(mailbox_row)
    session.flush()
    return mailbox_row


def import_messages(
    engine: Engine,
    account_name: str,
    path: Path,
    mailbox_name: str | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Store every message of `path` in the mailbox, skipping ones whose Message-ID it already
    holds (so importing the same file twice adds nothing). Commits every BATCH messages."""
    from mailapp.server.incoming import store_incoming

    with session_scope(engine) as session:
        account = find_account(session, account_name)
        target = target_mailbox(session, account, mailbox_name)
        account_id, mailbox_id = account.id, target.id
        report = ImportReport(mailbox=target.name)
        seen = {
            mid
            for mid in session.execute(
                select(Email.message_id).where(
                    Email.mailbox_id == mailbox_id, Email.destroyed_modseq.is_(None)
                )
            ).scalars()
            if mid
        }
    messages = read_source(path)
    while True:
        batch = [m for _, m in zip(range(BATCH), messages, strict=False)]
        if not batch:
            return report
        with session_scope(engine) as session:
            for message in batch:
                message_id = _message_id(message.raw)
                if message_id and message_id in seen:
                    report.duplicates += 1
                    continue
                store_incoming(session, account_id, mailbox_id, message.raw, message.keywords)
                if message_id:
                    seen.add(message_id)
                report.imported += 1
        if progress is not None:
            progress(report.imported)
