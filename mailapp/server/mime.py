"""Storing incoming MIME messages and building outgoing ones (stdlib email, policy.default)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import make_msgid
from typing import Any

import nh3
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from mailapp.server.db import bump_modseq
from mailapp.server.models import Blob, Draft, Email, EmailBlob, Mailbox

ROLES = frozenset({"inbox", "drafts", "sent", "trash", "archive", "junk"})
PREVIEW_CHARS = 256
_SPACES = re.compile(r"\s+")
_MSGID = re.compile(r"<[^<>\s]+>")


class UnknownMailbox(LookupError):
    """No live mailbox with that role or id in the account."""


def parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def _header(message: Message, name: str) -> Any:
    try:
        return message[name]
    except Exception:  # a malformed header must not stop delivery of the whole message
        return None


def addresses(message: Message, name: str) -> list[dict[str, Any]]:
    header = _header(message, name)
    if header is None:
        return []
    found: list[dict[str, Any]] = []
    try:
        for address in header.addresses:
            if address.addr_spec and address.addr_spec != "<>":
                found.append({"name": address.display_name or None, "email": address.addr_spec})
    except (AttributeError, ValueError, IndexError):
        return []
    return found


def message_ids(value: Any) -> list[str]:
    return _MSGID.findall(str(value)) if value else []


def _date(message: Message, fallback: datetime) -> datetime:
    header = _header(message, "Date")
    parsed = getattr(header, "datetime", None) if header is not None else None
    if not isinstance(parsed, datetime):
        return fallback
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def body_parts(message: EmailMessage) -> tuple[EmailMessage | None, EmailMessage | None]:
    """(text/plain part, text/html part) that make up the message body."""
    try:
        plain = message.get_body(("plain",))
        rich = message.get_body(("html",))
    except (KeyError, LookupError):
        return None, None
    return plain, rich  # type: ignore[return-value]


def part_text(part: Message | None) -> str | None:
    if part is None:
        return None
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, ValueError, AssertionError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else None


def attachment_parts(message: EmailMessage) -> list[tuple[str, EmailMessage]]:
    """(partId, part) of every attachment; partId is the part's index in message.walk()."""
    plain, rich = body_parts(message)
    found = []
    for index, part in enumerate(message.walk()):
        if part.is_multipart() or part is plain or part is rich:
            continue
        found.append((str(index), part))  # type: ignore[arg-type]
    return found


def find_part(raw: bytes, part_id: str) -> EmailMessage | None:
    message = parse(raw)
    for found_id, part in attachment_parts(message):
        if found_id == part_id:
            return part
    return None


def preview(plain: str | None, rich: str | None) -> str:
    text = plain
    if text is None and rich is not None:
        text = html.unescape(nh3.clean(rich, tags=set()))
    return _SPACES.sub(" ", text or "").strip()[:PREVIEW_CHARS]


def find_mailbox(session: Session, account_id: str, role_or_id: str) -> Mailbox:
    column = Mailbox.role if role_or_id in ROLES else Mailbox.id
    mailbox = session.scalars(
        select(Mailbox).where(
            Mailbox.account_id == account_id,
            column == role_or_id,
            Mailbox.destroyed_modseq.is_(None),
        )
    ).first()
    if mailbox is None:
        raise UnknownMailbox(role_or_id)
    return mailbox


def store_incoming(
    session: Session,
    account_id: str,
    mailbox_role_or_id: str,
    raw: bytes,
    keywords: Iterable[str] = (),
) -> Email:
    """File a raw RFC 5322 message into a mailbox (by role such as "inbox", or by id)."""
    mailbox = find_mailbox(session, account_id, mailbox_role_or_id)
    message = parse(raw)
    now = datetime.now(UTC)
    plain, rich = body_parts(message)
    attachments = []
    for part_id, part in attachment_parts(message):
        payload = part.get_payload(decode=True)
        attachments.append(
            {
                "partId": part_id,
                "name": part.get_filename(),
                "contentType": part.get_content_type(),
                "size": len(payload) if isinstance(payload, bytes) else 0,
                "inline": part.get_content_disposition() == "inline",
            }
        )
    modseq = bump_modseq(session, account_id)
    subject = _header(message, "Subject")
    message_id = message_ids(_header(message, "Message-ID"))
    email = Email(
        account_id=account_id,
        mailbox_id=mailbox.id,
        keywords=sorted({keyword.lower() for keyword in keywords}),
        message_id=message_id[0] if message_id else None,
        in_reply_to=message_ids(_header(message, "In-Reply-To")),
        references=message_ids(_header(message, "References")),
        subject=str(subject) if subject is not None else "",
        from_=addresses(message, "From"),
        sender=addresses(message, "Sender"),
        to=addresses(message, "To"),
        cc=addresses(message, "Cc"),
        bcc=addresses(message, "Bcc"),
        reply_to=addresses(message, "Reply-To"),
        date=_date(message, now),
        received_at=now,
        size=len(raw),
        preview=preview(part_text(plain), part_text(rich)),
        attachments=attachments,
        created_modseq=modseq,
        updated_modseq=modseq,
    )
    email.blob = EmailBlob(raw=raw)
    session.add(email)
    session.flush()
    return email


def _header_address(value: dict[str, Any] | str) -> HeaderAddress:
    if isinstance(value, str):
        return HeaderAddress(addr_spec=value)
    return HeaderAddress(display_name=value.get("name") or "", addr_spec=value["email"])


def build_mime_for_submission(
    draft: Draft, sender: str | dict[str, Any]
) -> tuple[bytes, list[str]]:
    """The message to send for a draft, and its envelope recipients (To + Cc + Bcc).

    `sender` is an address string or {"name", "email"}. Bcc goes only into the envelope.
    Attachments are read from the draft's account's uploaded blobs.
    """
    sender_address = _header_address(sender)
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender_address
    for header, values in (("To", draft.to), ("Cc", draft.cc)):
        if values:
            message[header] = [_header_address(value) for value in values]
    message["Subject"] = draft.subject or ""
    message["Date"] = datetime.now(UTC)
    message["Message-ID"] = make_msgid(domain=sender_address.domain or None)
    if draft.in_reply_to:
        message["In-Reply-To"] = draft.in_reply_to
    if draft.references:
        message["References"] = " ".join(draft.references)
    message.set_content(draft.body or "")
    if draft.html_body:
        message.add_alternative(draft.html_body, subtype="html")
    session = object_session(draft)
    for attachment in draft.attachments or []:
        blob = (
            session.scalars(
                select(Blob).where(
                    Blob.id == attachment["blobId"], Blob.account_id == draft.account_id
                )
            ).first()
            if session is not None
            else None
        )
        if blob is None:
            raise LookupError(f"attachment blob {attachment['blobId']} is missing")
        maintype, _, subtype = blob.content_type.partition("/")
        message.add_attachment(
            blob.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=attachment.get("name") or "attachment",
        )
    recipients: list[str] = []
    for values in (draft.to, draft.cc, draft.bcc):
        for value in values or []:
            address = (value["email"] if isinstance(value, dict) else str(value)).strip()
            if address and address.lower() not in {r.lower() for r in recipients}:
                recipients.append(address)
    return message.as_bytes(), recipients
