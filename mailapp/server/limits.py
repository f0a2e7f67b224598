"""What one account may make the server do: recipients, message size, sending rate, storage.

Every check here is linear in what it looks at and reads only small columns (sizes and ids,
never message or blob bytes), so it can run inside the write transaction of a sync request
without holding other accounts' writes up. The same checks run when a message is pushed
(`submission.create`) and again when the delivery worker builds it, because the draft may have
changed in between.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailapp.server.config import Settings
from mailapp.server.models import Account, Blob, Draft, Submission, SubmissionState

SEND_RATE_WINDOW = timedelta(hours=1)


class LimitExceeded(Exception):
    """A limit or quota refuses the request: `reason` is the protocol's name for it, `detail`
    one sentence for the user, `extra` the problem document's extension members."""

    def __init__(self, reason: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.extra = extra


def envelope(draft: Draft) -> list[str]:
    """To + Cc + Bcc addresses, first spelling kept, duplicates dropped case-insensitively
    (linear: a set, not a list scan per address)."""
    seen: set[str] = set()
    recipients: list[str] = []
    for values in (draft.to, draft.cc, draft.bcc):
        for value in values or []:
            raw = value.get("email", "") if isinstance(value, dict) else value
            address = str(raw or "").strip()
            key = address.lower()
            if address and key not in seen:
                seen.add(key)
                recipients.append(address)
    return recipients


def _blob_ids(attachments: Iterable[Any]) -> list[str]:
    return [str(a.get("blobId")) for a in attachments if isinstance(a, dict)]


def message_size(session: Session, draft: Draft) -> int:
    """What the message will weigh before MIME encoding: its texts plus every attachment as
    uploaded (an attachment named twice counts twice: the message carries it twice)."""
    texts = sum(
        len((value or "").encode("utf-8")) for value in (draft.subject, draft.body, draft.html_body)
    )
    ids = _blob_ids(draft.attachments or [])
    sizes: dict[str, int] = {}
    unique = sorted(set(ids))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        sizes.update(
            session.execute(
                select(Blob.id, Blob.size).where(
                    Blob.id.in_(chunk), Blob.account_id == draft.account_id
                )
            ).all()
        )
    missing = [blob_id for blob_id in unique if blob_id not in sizes]
    if missing:
        raise LimitExceeded(
            "blobNotFound",
            f"An attachment of the draft is no longer on the server (blob {missing[0]}); "
            "attach the file again.",
        )
    return texts + sum(sizes[blob_id] for blob_id in ids)


def check_message(session: Session, draft: Draft, settings: Settings) -> tuple[list[str], int]:
    """(envelope recipients, size) of a draft that may be sent; LimitExceeded otherwise."""
    recipients = envelope(draft)
    cap = settings.max_recipients_per_message
    if len(recipients) > cap:
        raise LimitExceeded(
            "tooManyRecipients",
            f"The message has {len(recipients)} recipients; at most {cap} are allowed per "
            "message. Send it in several messages or use a mailing list.",
            limit="maxRecipientsPerMessage",
            limitValue=cap,
        )
    attachments = draft.attachments or []
    cap = settings.max_attachments_per_message
    if len(attachments) > cap:
        raise LimitExceeded(
            "tooManyAttachments",
            f"The message has {len(attachments)} attachments; at most {cap} are allowed.",
            limit="maxAttachmentsPerMessage",
            limitValue=cap,
        )
    size = message_size(session, draft)
    cap = settings.max_message_bytes
    if size > cap:
        raise LimitExceeded(
            "messageTooLarge",
            f"The message and its attachments come to {size} bytes; at most {cap} bytes "
            "are allowed per message.",
            limit="maxMessageBytes",
            limitValue=cap,
        )
    return recipients, size


def check_send_rate(session: Session, account_id: str, now: datetime, settings: Settings) -> None:
    """At most `max_sends_per_hour` messages sent, being sent or scheduled since an hour ago
    (scheduled ones count when they are created, so a queue of send-later mail cannot be
    used to go past the rate)."""
    cap = settings.max_sends_per_hour
    count = session.scalar(
        select(func.count(Submission.id)).where(
            Submission.account_id == account_id,
            Submission.state != SubmissionState.cancelled,
            Submission.send_at >= now - SEND_RATE_WINDOW,
        )
    )
    if int(count or 0) >= cap:
        raise LimitExceeded(
            "tooManySends",
            f"This account has sent or scheduled {cap} messages within the last hour, the "
            "most allowed; try again later.",
            limit="maxSendsPerHour",
            limitValue=cap,
        )


# -- storage quotas --------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    storage_bytes: int  # live mail plus every uploaded blob
    pending_blob_bytes: int  # blobs no live draft refers to
    pending_blobs: int


def referenced_blob_ids(session: Session, account_id: str) -> set[str]:
    """Blob ids the account's live drafts name (drafts are few; their JSON is small)."""
    rows = session.scalars(
        select(Draft.attachments).where(
            Draft.account_id == account_id, Draft.destroyed_modseq.is_(None)
        )
    )
    return {blob_id for attachments in rows for blob_id in _blob_ids(attachments or [])}


def usage(session: Session, account_id: str) -> Usage:
    # The mail's bytes are a counter the database keeps (Account.mail_bytes): O(1), where a
    # SUM over the emails cost 40 ms at 50,000 messages on every session read and delivery.
    # Blobs are few (uploads awaiting a draft, and the drafts' attachments): summed here.
    mail = session.scalar(select(Account.mail_bytes).where(Account.id == account_id))
    blobs = session.execute(select(Blob.id, Blob.size).where(Blob.account_id == account_id)).all()
    referenced = referenced_blob_ids(session, account_id)
    total = pending_bytes = pending = 0
    for blob_id, size in blobs:
        total += size
        if blob_id not in referenced:
            pending_bytes += size
            pending += 1
    return Usage(int(mail or 0) + total, pending_bytes, pending)


def _over(quota: str, used: int, adding: int, limit: int, detail: str) -> LimitExceeded:
    return LimitExceeded(
        "overQuota", detail, quota=quota, used=used, requested=adding, limitValue=limit
    )


def check_storage(used: Usage, adding: int, settings: Settings) -> None:
    limit = settings.storage_quota_bytes
    if used.storage_bytes + adding > limit:
        raise _over(
            "storageBytes",
            used.storage_bytes,
            adding,
            limit,
            f"The account's storage is full ({used.storage_bytes} of {limit} bytes used; "
            f"{adding} more needed). Delete mail or attachments to make room.",
        )


def check_upload(used: Usage, size: int, settings: Settings) -> None:
    """A new blob of `size` bytes: it counts against storage and, until a draft names it,
    against the blobs awaiting use."""
    check_storage(used, size, settings)
    limit = settings.pending_blob_quota_bytes
    if used.pending_blob_bytes + size > limit:
        raise _over(
            "pendingBlobBytes",
            used.pending_blob_bytes,
            size,
            limit,
            f"{used.pending_blob_bytes} bytes of uploads are not attached to any draft yet; "
            f"at most {limit} bytes may wait. Save the drafts that use them first.",
        )
    limit = settings.pending_blob_quota_count
    if used.pending_blobs + 1 > limit:
        raise _over(
            "pendingBlobs",
            used.pending_blobs,
            1,
            limit,
            f"{used.pending_blobs} uploads are not attached to any draft yet; at most {limit} "
            "may wait. Save the drafts that use them first.",
        )
