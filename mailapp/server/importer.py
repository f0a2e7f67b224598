"""Import an mbox file or a Maildir folder into an account (`mailapp-server import`)."""

from __future__ import annotations

import mailbox
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from mailapp.mime.parse import parse_message
from mailapp.server.db import ModseqAllocator, bump_modseq, session_scope
from mailapp.server.incoming import body_fields, content_hash, header_fields
from mailapp.server.models import Account, Email, EmailBlob, Mailbox, new_id

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
    where: str = ""  # for the report: "message 12" or the Maildir file name
    refused: str | None = None  # why this one cannot be imported (it is skipped and reported)


@dataclass
class ImportReport:
    imported: int = 0
    duplicates: int = 0
    mailbox: str = ""
    # One line per message that was skipped, saying which and why; the others are imported.
    skipped: list[str] = field(default_factory=list)


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
    root = path.resolve()
    for sub in ("cur", "new", "tmp"):
        if (path / sub).is_symlink():
            raise ImportSourceError(f"{path / sub} is a symbolic link; a Maildir's folders must "
                                    "be real folders")
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in sorted(box.keys(), key=_maildir_order):
        file = path / box._lookup(key)  # type: ignore[attr-defined]
        where = str(file.relative_to(path))
        if file.is_symlink() or not file.resolve().is_relative_to(root):
            # A link can point anywhere (another user's mail, /etc): never follow one.
            yield SourceMessage(b"", (), where, "it is a symbolic link, which is never followed")
            continue
        # Flags from the file name ("...:2,FS"): get_message() would parse the whole message
        # with the stdlib, which recurses once per MIME level and fails on hostile nesting.
        flags = file.name.rpartition(":2,")[2] if ":2," in file.name else ""
        keywords = tuple(MAILDIR_FLAGS[f] for f in sorted(set(flags)) if f in MAILDIR_FLAGS)
        yield SourceMessage(box.get_bytes(key), keywords, where)


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
        for position, key in enumerate(box.iterkeys(), start=1):
            raw = box.get_bytes(key)
            # Flags from the Status/X-Status headers alone (see _read_maildir for why).
            head = BytesParser().parsebytes(raw, headersonly=True)
            flags = set(str(head.get("Status", "")) + str(head.get("X-Status", "")))
            keywords = tuple(MBOX_FLAGS[f] for f in sorted(flags) if f in MBOX_FLAGS)
            yield SourceMessage(_without_status_headers(raw), keywords, f"message {position}")
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
    """Store every message of `path` in the mailbox. Commits every BATCH messages.

    A message whose exact bytes the mailbox already holds is skipped (so importing the same
    file twice adds nothing); messages that merely share a Message-ID are all kept, the
    Message-ID only threads them. A message that cannot be stored (or a Maildir symlink) is
    skipped and named in the report; the import goes on with the next one.
    """
    with session_scope(engine) as session:
        account = find_account(session, account_name)
        target = target_mailbox(session, account, mailbox_name)
        account_id, mailbox_id = account.id, target.id
        report = ImportReport(mailbox=target.name)
    messages = read_source(path)
    while True:
        batch = [m for _, m in zip(range(BATCH), messages, strict=False)]
        if not batch:
            return report
        _import_batch(engine, account_id, mailbox_id, batch, report)
        if progress is not None:
            progress(report.imported)


@dataclass
class _Prepared:
    message: SourceMessage
    digest: str
    row: dict[str, Any]
    blob: dict[str, Any]


def _prepare(message: SourceMessage, digest: str, account_id: str, mailbox_id: str,
             now: datetime) -> _Prepared:
    """The email and blob rows of one message: parsed once, hashed once, before the
    transaction (which holds the account's lock)."""
    parsed = parse_message(message.raw)  # never raises; its depth is bounded
    email_id = new_id()
    row = {
        "id": email_id,
        "account_id": account_id,
        "mailbox_id": mailbox_id,
        "keywords": sorted({keyword.lower() for keyword in message.keywords}),
        **header_fields(parsed, now),
        **body_fields(parsed),
        "received_at": now,
        "size": len(message.raw),
        "content_sha256": digest,
        "destroyed_modseq": None,
    }
    row["from"] = row.pop("from_")  # the column's name; `from_` is the ORM attribute
    blob = {"email_id": email_id, "raw": message.raw, "bodies_parsed": True,
            "text_body": parsed.text_body, "html_body": parsed.html_body}
    return _Prepared(message, digest, row, blob)


def _import_batch(
    engine: Engine, account_id: str, mailbox_id: str, batch: list[SourceMessage],
    report: ImportReport,
) -> None:
    now = datetime.now(UTC)
    wanted: list[_Prepared] = []
    digests: set[str] = set()
    for message in batch:
        if message.refused is not None:
            report.skipped.append(f"{message.where}: skipped, {message.refused}")
            continue
        digest = content_hash(message.raw)
        if digest in digests:  # the same bytes twice in this batch
            report.duplicates += 1
            continue
        digests.add(digest)
        wanted.append(_prepare(message, digest, account_id, mailbox_id, now))
    if not wanted:
        return
    with session_scope(engine) as session:
        held = set(
            session.execute(
                select(Email.content_sha256).where(
                    Email.mailbox_id == mailbox_id,
                    Email.content_sha256.in_(digests),
                    Email.destroyed_modseq.is_(None),
                )
            ).scalars()
        )
        report.duplicates += sum(1 for item in wanted if item.digest in held)
        fresh = [item for item in wanted if item.digest not in held]
        if not fresh:
            return
        alloc = ModseqAllocator(session, account_id)
        try:
            with session.begin_nested():  # all at once: two statements for the whole batch
                _insert(alloc, fresh)
            report.imported += len(fresh)
        except (SQLAlchemyError, ValueError):
            # Some message cannot be stored: store them one by one, so it alone is skipped.
            for item in fresh:
                try:
                    with session.begin_nested():
                        _insert(alloc, [item])
                except (SQLAlchemyError, ValueError) as exc:
                    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
                    report.skipped.append(
                        f"{item.message.where}: skipped, it could not be stored ({reason})"
                    )
                    continue
                report.imported += 1
        alloc.finish()


def _insert(alloc: ModseqAllocator, items: list[_Prepared]) -> None:
    for item in items:
        item.row["created_modseq"] = item.row["updated_modseq"] = alloc.next()
    connection = alloc.session.connection()
    connection.execute(insert(Email.__table__), [item.row for item in items])
    connection.execute(insert(EmailBlob.__table__), [item.blob for item in items])
