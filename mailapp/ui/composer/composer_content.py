"""What a composer starts with: a new message, a reply, a reply to all, a forward, or a draft."""

from __future__ import annotations

from mailapp.core.addresses import Address, format_address_list, reply_addresses
from mailapp.mime.parse import ParsedMessage
from mailapp.mime.reply import forward_subject, quote_for_reply, reply_headers, reply_subject
from mailapp.mime.text import html_to_text
from mailapp.store import DraftInput, MailStore
from mailapp.store.identities import identities
from mailapp.store.outbox_admin import account_address, reply_source

MODES = ("new", "reply", "reply_all", "forward")


def _dedupe(addresses: list[Address], exclude: set[str]) -> list[Address]:
    result: list[Address] = []
    seen = set(exclude)
    for address in addresses:
        key = address.email.lower()
        if key not in seen:
            seen.add(key)
            result.append(address)
    return result


def _forward_header(parent: ParsedMessage) -> str:
    lines = ["---------- Forwarded message ----------"]
    if parent.sender:
        lines.append(f"From: {parent.sender}")
    if parent.date:
        lines.append(f"Date: {parent.date.strftime('%a, %d %b %Y %H:%M %z')}")
    lines.append(f"Subject: {parent.subject}")
    if parent.to:
        lines.append(f"To: {format_address_list(parent.to)}")
    if parent.cc:
        lines.append(f"Cc: {format_address_list(parent.cc)}")
    return "\n".join(lines)


def initial_draft(
    store: MailStore, account_id: str, mode: str, parent_message_id: str | None
) -> DraftInput:
    """The unsaved draft a composer opens with (``draft_id`` None until the first save)."""
    if mode not in MODES:
        raise ValueError(f"unknown composer mode {mode!r}; expected one of {MODES}")
    draft = DraftInput(draft_id=None, account_id=account_id)
    if mode == "new":
        return draft
    if parent_message_id is None:
        raise ValueError(f"a {mode} needs parent_message_id")
    parent = reply_source(store, parent_message_id)
    if parent is None:
        raise KeyError(f"no message {parent_message_id}")
    if mode == "forward":
        text = (
            parent.text_body
            if parent.text_body is not None
            else html_to_text(parent.html_body or "")
        )
        draft.subject = forward_subject(parent.subject)
        draft.body = f"\n\n{_forward_header(parent)}\n\n{text}"
        draft.attachments = [(a.filename, a.content_type, a.data) for a in parent.attachments]
        return draft
    mine = {identity.email.lower() for identity in identities(store, account_id)}
    mine.add(account_address(store, account_id).email.lower())
    # A reply goes out from the identity the message was written to, as Thunderbird does.
    for address in [*parent.to, *parent.cc]:
        if address.email.lower() in mine:
            draft.from_address = Address(None, address.email)
            break
    # Names from a received message are the sender's text: one hiding a line break (a header
    # injection) is dropped, the address kept.
    author = reply_addresses(parent.reply_to or ([parent.sender] if parent.sender else []))
    parent_to, parent_cc = reply_addresses(parent.to), reply_addresses(parent.cc)
    draft.subject = reply_subject(parent.subject)
    draft.in_reply_to, draft.references = reply_headers(parent)
    draft.body = f"\n\n{quote_for_reply(parent)}"
    if mode == "reply":
        draft.to = _dedupe(author, set())
    else:
        # Replying to all must not send a copy to oneself, under any of one's addresses.
        draft.to = _dedupe([*author, *parent_to], mine)
        if not draft.to:
            draft.to = _dedupe(author, set())
        draft.cc = _dedupe(parent_cc, mine | {a.email.lower() for a in draft.to})
    return draft


def stored_draft(store: MailStore, draft_id: str) -> DraftInput:
    """A saved draft, attachments' bytes included, ready to edit again."""
    row = store.draft(draft_id)
    if row is None:
        raise KeyError(f"no draft {draft_id}")
    files: list[tuple[str, str, bytes]] = []
    for attachment in row.attachments:
        data = store.blob(attachment.blob_id)
        if data is not None:
            files.append((attachment.name, attachment.content_type, data))
    return DraftInput(
        draft_id=row.id,
        account_id=row.account_id,
        subject=row.subject,
        to=list(row.to),
        cc=list(row.cc),
        bcc=list(row.bcc),
        body=row.body,
        html_body=row.html_body,
        in_reply_to=row.in_reply_to,
        references=list(row.references),
        attachments=files,
        from_address=row.from_address,
    )


def attachments_not_forwarded(store: MailStore, message_id: str, draft: DraftInput) -> list[str]:
    """Names of the parent's attachments a forward could not carry (bytes not downloaded)."""
    detail = store.message(message_id)
    if detail is None:
        return []
    carried = [name for name, _type, _data in draft.attachments]
    missing = []
    for attachment in detail.attachments:
        if attachment.filename in carried:
            carried.remove(attachment.filename)
        else:
            missing.append(attachment.filename)
    return missing


def missing_attachment_ids(store: MailStore, message_id: str) -> list[str]:
    """Ids of the message's attachments whose bytes are not in the store."""
    detail = store.message(message_id)
    if detail is None:
        return []
    return [a.id for a in detail.attachments if store.attachment_data(a.id) is None]
