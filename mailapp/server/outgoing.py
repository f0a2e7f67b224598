"""The message a submission sends: a draft written with ``mailapp.mime.compose``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from mailapp.mime.addresses import Address
from mailapp.mime.compose import compose_message
from mailapp.mime.filenames import safe_filename
from mailapp.mime.parse import Attachment
from mailapp.server.models import Blob, Draft


def _address(value: dict[str, Any] | str) -> Address:
    if isinstance(value, str):
        return Address(None, value.strip())
    return Address(value.get("name") or None, str(value["email"]).strip())


def _attachments(session: Session | None, draft: Draft) -> list[Attachment]:
    found: list[Attachment] = []
    for index, attachment in enumerate(draft.attachments or [], start=1):
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
        content_type = blob.content_type or "application/octet-stream"
        name = safe_filename(attachment.get("name") or None, content_type, index)
        found.append(Attachment(name, content_type, len(blob.data), None, False, blob.data))
    return found


def envelope_recipients(draft: Draft) -> list[str]:
    """To + Cc + Bcc, each address once (compared without case), in draft order."""
    recipients: list[str] = []
    seen: set[str] = set()
    for values in (draft.to, draft.cc, draft.bcc):
        for value in values or []:
            address = _address(value).email
            if address and address.lower() not in seen:
                seen.add(address.lower())
                recipients.append(address)
    return recipients


def build_mime_for_submission(
    draft: Draft, sender: str | dict[str, Any]
) -> tuple[bytes, list[str]]:
    """The message to send for a draft, and its envelope recipients (To + Cc + Bcc).

    `sender` is an address string or {"name", "email"}. Bcc goes only into the envelope.
    Attachments are read from the draft's account's uploaded blobs. Raises HeaderError
    (mailapp.mime.compose) when a header cannot be written safely: nothing is sent then.
    """
    return _compose(draft, sender, keep_bcc=False), envelope_recipients(draft)


def build_draft_copy(draft: Draft, sender: str | dict[str, Any]) -> bytes:
    """The draft as a message for a Drafts folder (upstream/drafts.py): as it would be sent,
    with its Bcc kept, so another mail client opening it there finds every recipient."""
    return _compose(draft, sender, keep_bcc=True)


def _compose(draft: Draft, sender: str | dict[str, Any], *, keep_bcc: bool) -> bytes:
    return compose_message(
        _address(sender),
        [_address(value) for value in draft.to or []],
        [_address(value) for value in draft.cc or []],
        [_address(value) for value in draft.bcc or []] if keep_bcc else (),
        subject=draft.subject or "",
        text_body=draft.body or "",
        html_body=draft.html_body or None,
        attachments=_attachments(object_session(draft), draft),
        in_reply_to=draft.in_reply_to,
        references=draft.references or [],
        write_bcc=keep_bcc,
    )
