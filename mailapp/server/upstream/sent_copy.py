"""The copy of a message sent through the provider (submission.py) in the provider's Sent
folder, exactly once.

A provider job that ends `sent` (the provider said 250, or the worker died after DATA) gets an
`upstream_sent_copy` row: the durable queue of this step, created from the job's state, so a
crash anywhere before it is simply found again. A worker claims a row with a lease, then:

1. searches the Sent folder for the message's Message-ID: a copy already there (the provider
   files sent mail itself, as Gmail does, or our own APPEND before a crash whose bookkeeping
   was lost) is adopted, never appended again;
2. otherwise APPENDs the local Sent copy with `\\Seen`, unless the provider files sent mail
   itself (then it waits for the provider's copy and adopts it);
3. maps the copy's UID to the local Sent email (`upstream_message`), so the folder's next
   sync does not import it as a second message, and marks the row done.

Whether the provider files sent mail itself: Gmail (capability X-GM-EXT-1) does; others do
not. Failures retry with backoff; a link in trouble keeps its rows pending.
"""

from __future__ import annotations

import enum
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Integer,
    String,
    Text,
    exists,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from mailapp.server.db import session_scope
from mailapp.server.delivery_models import JobState, RelayJob
from mailapp.server.models import Base, Email, EmailBlob, Submission, utcnow
from mailapp.server.upstream import blocked, secrets
from mailapp.server.upstream.blocked import WriteBlocked
from mailapp.server.upstream.connection import Endpoint, UpstreamError, connect
from mailapp.server.upstream.models import (
    LinkState,
    UpstreamAccount,
    UpstreamFolder,
    UpstreamMessage,
)
from mailapp.server.upstream.records import header_sha
from mailapp.server.upstream.submission import PROVIDER_JOB

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 12
# How long to wait for a provider that files sent mail itself before appending our copy.
PROVIDER_FILING_ATTEMPTS = 4
_APPENDUID = re.compile(rb"APPENDUID\s+(\d+)\s+(\d+)", re.IGNORECASE)


class CopyState(enum.StrEnum):
    pending = "pending"
    copying = "copying"  # claimed until lease_until
    done = "done"
    failed = "failed"


class UpstreamSentCopy(Base):
    __tablename__ = "upstream_sent_copy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(String(36), unique=True)
    account_id: Mapped[str] = mapped_column(String(36), index=True)
    submission_id: Mapped[str] = mapped_column(String(36))
    message_id: Mapped[str | None] = mapped_column(String(998), default=None)
    state: Mapped[str] = mapped_column(String(16), default=CopyState.pending.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    uid: Mapped[int | None] = mapped_column(BigInteger, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def queue_new_copies(engine: Engine) -> int:
    """A row for every provider job that ended `sent` and has none yet."""
    with session_scope(engine, write=False) as session:
        jobs = session.execute(
            select(RelayJob.id, RelayJob.account_id, RelayJob.submission_id, RelayJob.message_id)
            .where(
                RelayJob.domain == PROVIDER_JOB,
                RelayJob.state == JobState.sent.value,
                ~exists().where(UpstreamSentCopy.job_id == RelayJob.id),
            )
            .limit(100)
        ).all()
    added = 0
    for job_id, account_id, submission_id, message_id in jobs:
        try:
            with session_scope(engine) as session:
                session.add(
                    UpstreamSentCopy(
                        job_id=job_id,
                        account_id=account_id,
                        submission_id=submission_id,
                        message_id=message_id,
                    )
                )
            added += 1
        except IntegrityError:
            pass  # another worker queued it meanwhile
    return added


def copy_step(engine: Engine, settings: Any, now: datetime, lease: timedelta = LEASE) -> int:
    """Queue and make due Sent copies; how many rows were handled."""
    done = queue_new_copies(engine)
    for _ in range(20):
        claimed = _claim(engine, now, lease)
        if claimed is None:
            break
        _copy_one(engine, settings, claimed, now)
        done += 1
    return done


def _claim(engine: Engine, now: datetime, lease: timedelta) -> UpstreamSentCopy | None:
    with session_scope(engine) as session:
        row = session.execute(
            select(UpstreamSentCopy)
            .where(
                (
                    (UpstreamSentCopy.state == CopyState.pending.value)
                    & (UpstreamSentCopy.next_attempt_at <= now)
                )
                | (
                    (UpstreamSentCopy.state == CopyState.copying.value)
                    & (UpstreamSentCopy.lease_until < now)
                )
            )
            .limit(1)
            .with_for_update(skip_locked=True)
        ).scalar_one_or_none()
        if row is None:
            return None
        row.state = CopyState.copying.value
        row.lease_until = now + lease
        row.attempts += 1
        session.flush()
        session.expunge(row)
        return row


def _copy_one(engine: Engine, settings: Any, row: UpstreamSentCopy, now: datetime) -> None:
    try:
        uid, note = _search_or_append(engine, settings, row, now)
    except WriteBlocked as refused:
        # A full mailbox or a read-only Sent folder: the copy waits (the link says why) and
        # is tried again later; this is not an attempt that uses up the copy's tries.
        retry_at = now + timedelta(seconds=blocked.RETRY_SECONDS)
        _finish(engine, row, None, str(refused), retry_at=retry_at, counted=False)
        return
    except Exception as exc:
        message = str(exc) if isinstance(exc, UpstreamError) else f"{type(exc).__name__}: {exc}"
        log.warning("Sent copy of submission %s: %s", row.submission_id, message)
        _finish(engine, row, None, message, retry_at=now + _delay(row.attempts))
        return
    if uid is None and note is not None and row.attempts < PROVIDER_FILING_ATTEMPTS:
        _finish(engine, row, None, note, retry_at=now + _delay(row.attempts))
        return
    _finish(engine, row, uid, note, retry_at=None)


def _delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 15 * 2 ** max(0, attempts - 1)))


def _search_or_append(
    engine: Engine, settings: Any, row: UpstreamSentCopy, now: datetime
) -> tuple[int | None, str | None]:
    """(UID of the copy in Sent, or None; a note when none was made)."""
    with session_scope(engine, write=False) as session:
        link = session.execute(
            select(UpstreamAccount).where(UpstreamAccount.account_id == row.account_id)
        ).scalar_one_or_none()
        sub = session.execute(
            select(Submission).where(
                Submission.account_id == row.account_id, Submission.id == row.submission_id
            )
        ).scalar_one_or_none()
        if link is None:
            return None, "the account is no longer linked: no Sent copy upstream"
        sent_email_id = sub.sent_email_id if sub is not None else None
        folder = session.execute(
            select(UpstreamFolder)
            .join(Email, Email.mailbox_id == UpstreamFolder.mailbox_id)
            .where(
                UpstreamFolder.upstream_id == link.id,
                UpstreamFolder.live.is_(True),
                Email.id == sent_email_id,
            )
        ).scalar_one_or_none()
        if sent_email_id is None:
            return None, "the message was not filed in Sent here: no Sent copy upstream"
        if folder is None:
            raise RuntimeError("the provider's Sent folder is not known yet (first sync pending)")
        raw = session.execute(
            select(EmailBlob.raw).where(EmailBlob.email_id == sent_email_id)
        ).scalar_one()
        session.expunge_all()
    key = secrets.load_key(secrets.key_path(settings))
    endpoint = Endpoint(link.host, link.port, link.tls, link.username)
    client = connect(endpoint, secrets.decrypt(key, link.password_enc))
    try:
        with blocked.writing(folder.name, "the copy of a sent message"):
            uid, note, uidvalidity, wrote = _file(client, link, folder, row, raw)
    except WriteBlocked as refused:
        blocked.block(engine, link.id, refused, now=now)
        raise
    finally:
        try:
            client.logout()
        except Exception:
            client.shutdown()
    if folder.blocked == LinkState.read_only.value or (folder.blocked is not None and wrote):
        blocked.lift(engine, link.id, folder.name)  # writable again, or there was room
    if uid is None:
        return None, note
    if folder.uidvalidity is not None and uidvalidity != folder.uidvalidity:
        return None, "appended to Sent; the folder changed meanwhile and is re-read"
    _map(engine, folder.id, uid, sent_email_id, raw)
    return uid, None


def _file(
    client: Any, link: UpstreamAccount, folder: UpstreamFolder, row: UpstreamSentCopy, raw: bytes
) -> tuple[int | None, str | None, int, bool]:
    """Find or APPEND the copy in the Sent folder: (UID or None, note, UIDVALIDITY, whether
    the folder took a write: it is not read-only, and it had room)."""
    client.select_folder(folder.name)  # read-write: a read-only folder raises here
    uidvalidity = int(client.folder_status(folder.name, [b"UIDVALIDITY"])[b"UIDVALIDITY"])
    found = client.search(["HEADER", "Message-ID", row.message_id]) if row.message_id else []
    if found:
        return int(max(found)), None, uidvalidity, False
    if link.sent_copy == "provider" or (
        link.sent_copy == "auto" and client.has_capability("X-GM-EXT-1")
    ):
        return None, "waiting for the provider to file its own copy in Sent", uidvalidity, False
    answer = client.append(folder.name, raw, flags=[b"\\Seen"])
    match = _APPENDUID.search(answer if isinstance(answer, bytes) else b"")
    if match is not None:
        return int(match.group(2)), None, uidvalidity, True
    client.select_folder(folder.name)
    again = client.search(["HEADER", "Message-ID", row.message_id or ""])
    if not again:
        return None, "appended to Sent (the provider gave no UID)", uidvalidity, True
    return int(max(again)), None, uidvalidity, True


def _map(engine: Engine, folder_id: int, uid: int, email_id: str, raw: bytes) -> None:
    """The copy upstream is the local Sent email: never imported as a second message."""
    end = raw.find(b"\r\n\r\n")
    header = raw if end < 0 else raw[: end + 4]
    try:
        with session_scope(engine) as session:
            taken = session.execute(
                select(UpstreamMessage.id).where(
                    UpstreamMessage.folder_id == folder_id, UpstreamMessage.uid == uid
                )
            ).first()
            if taken is not None:
                return  # the folder's sync imported it first
            email = session.get(Email, email_id)
            session.add(
                UpstreamMessage(
                    folder_id=folder_id,
                    uid=uid,
                    email_id=email_id,
                    header_sha=header_sha(header),
                    has_body=True,
                    size=len(raw),
                    keywords=list(email.keywords) if email is not None else ["$seen"],
                    synced_modseq=email.updated_modseq if email is not None else 0,
                )
            )
    except IntegrityError:
        pass


def _finish(
    engine: Engine,
    row: UpstreamSentCopy,
    uid: int | None,
    note: str | None,
    *,
    retry_at: datetime | None,
    counted: bool = True,
) -> None:
    with session_scope(engine) as session:
        current = session.get(UpstreamSentCopy, row.id)
        if current is None:
            return
        if not counted:
            current.attempts = max(0, current.attempts - 1)
        current.uid = uid
        current.last_error = note[:2000] if note else None
        current.lease_until = None
        if retry_at is None:
            current.state = CopyState.done.value
        elif current.attempts >= MAX_ATTEMPTS:
            current.state = CopyState.failed.value
        else:
            current.state = CopyState.pending.value
            current.next_attempt_at = retry_at


def pending(engine: Engine, now: datetime) -> bool:
    """Cheap check: anything to queue or to copy."""
    with session_scope(engine, write=False) as session:
        row = session.execute(
            select(
                exists().where(
                    RelayJob.domain == PROVIDER_JOB,
                    RelayJob.state == JobState.sent.value,
                    ~exists().where(UpstreamSentCopy.job_id == RelayJob.id),
                ),
                exists().where(
                    UpstreamSentCopy.state == CopyState.pending.value,
                    UpstreamSentCopy.next_attempt_at <= now,
                ),
                exists().where(
                    UpstreamSentCopy.state == CopyState.copying.value,
                    UpstreamSentCopy.lease_until < now,
                ),
            )
        ).one()
    return any(row)
