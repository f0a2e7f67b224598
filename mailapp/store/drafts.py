"""Drafts in wire form, and the field-level diff that draft.upsert carries."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from typing import Any

from mailapp.store import codec
from mailapp.store.rows import DraftAttachment, DraftInput, DraftRow
from mailapp.wire import DRAFT_FIELDS

# Order of the draft.upsert fields in docs/protocol.md: the wire's own list.
FIELDS = DRAFT_FIELDS


# Local blob ids are UUIDs derived from the content: the same bytes keep the same id, so
# re-saving a draft does not count its attachments as changed. The server picks its own blob ids
# on upload (POST /v1/blobs), so the sync engine maps these to the server's when pushing.
_BLOB_NAMESPACE = uuid.UUID("0b7e4a52-8f0d-4c55-bb0c-3f6f2a9d1e27")


def blob_id(data: bytes) -> str:
    return str(uuid.uuid5(_BLOB_NAMESPACE, hashlib.sha256(data).hexdigest()))


def wire_fields(draft: DraftInput) -> dict[str, Any]:
    return {
        "subject": draft.subject,
        "to": codec.addresses_to_wire(draft.to),
        "cc": codec.addresses_to_wire(draft.cc),
        "bcc": codec.addresses_to_wire(draft.bcc),
        "body": draft.body,
        "htmlBody": draft.html_body,
        "inReplyTo": draft.in_reply_to,
        "references": list(draft.references),
        "attachments": [
            {"name": name, "contentType": content_type, "size": len(data), "blobId": blob_id(data)}
            for name, content_type, data in draft.attachments
        ],
        # None: the account's main address (what drafts saved before identities hold).
        "from": codec.address_to_wire(draft.from_address) if draft.from_address else None,
    }


def changed_fields(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {"old", "new"}} for fields that differ; every field (old None) for a new draft."""
    if old is None:
        return {name: {"old": None, "new": new[name]} for name in FIELDS}
    return {
        name: {"old": old.get(name), "new": new.get(name)}
        for name in FIELDS
        if old.get(name) != new.get(name)
    }


def edited_fields(
    base: Mapping[str, Any], stored: Mapping[str, Any], new: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """{field: {"old", "new"}} for the fields an editor changed since its ``base``.

    "old" is what the editor saw (its base), not what the store holds now: when a pull changed
    the field in between, the server then sees two different edits of one value and reports a
    conflict instead of the later save silently undoing the other device's edit. A field the
    store already holds as the editor wants it is left out.
    """
    return {
        name: {"old": base.get(name), "new": new.get(name)}
        for name in FIELDS
        if new.get(name) != base.get(name) and new.get(name) != stored.get(name)
    }


def draft_row(draft_id: str, account_id: str, fields: dict[str, Any], updated_at: int) -> DraftRow:
    return DraftRow(
        id=draft_id,
        account_id=account_id,
        subject=fields["subject"],
        to=codec.addresses_from_wire(fields["to"]),
        cc=codec.addresses_from_wire(fields["cc"]),
        bcc=codec.addresses_from_wire(fields["bcc"]),
        body=fields["body"],
        html_body=fields["htmlBody"],
        in_reply_to=fields["inReplyTo"],
        references=list(fields["references"]),
        attachments=[
            DraftAttachment(a["name"], a["contentType"], a["size"], a["blobId"])
            for a in fields["attachments"]
        ],
        updated_at=codec.from_micros(updated_at),
        from_address=codec.addresses_from_wire([fields["from"]])[0] if fields.get("from") else None,
    )
