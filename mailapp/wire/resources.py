"""Wire models of the session and the REST resources."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from mailapp.wire.base import (
    Address,
    AttachmentRef,
    ClientInput,
    Keyword,
    RecordId,
    WireModel,
)
from mailapp.wire.records import DraftRecord, EmailRecord, MailboxRecord, SubmissionRecord

# --- session ----------------------------------------------------------------------------------


class LoginRequest(ClientInput):
    name: Annotated[str, StringConstraints(min_length=1, max_length=320)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class Limits(WireModel):
    max_request_bytes: int
    max_attachment_bytes: int
    max_mutations_per_sync: int
    max_changes_per_page: int
    # Optional so a client still understands a server from before they existed.
    max_recipients_per_message: int | None = None
    max_attachments_per_message: int | None = None
    max_message_bytes: int | None = None
    max_sends_per_hour: int | None = None


class Quota(WireModel):
    used: int
    limit: int


class Quotas(WireModel):
    """The account's quotas: stored mail plus uploads, and uploads no draft uses yet."""

    storage_bytes: Quota
    pending_blob_bytes: Quota
    pending_blobs: Quota


class Health(WireModel):
    """`GET /v1/health`: the server is up and answering (no sign-in, no database)."""

    status: Literal["ok"] = "ok"


class UpstreamLink(WireModel):
    """The account's link to an IMAP mailbox it already had (`GET /v1/upstream`)."""

    linked: bool
    host: str | None = None
    port: int | None = None
    tls: str | None = None  # implicit | starttls | none
    username: str | None = None
    # The account's address at the provider: the From of mail sent through it.
    address: str | None = None
    # pending | importing | ok | auth_failed | unreachable | tls_error | error, or (in sync, but
    # writes wait) quota_exceeded | read_only, or (in sync) folder_deleted
    state: str | None = None
    last_sync_at: datetime | None = None
    last_error: str | None = None


class SessionInfo(WireModel):
    account_id: str
    name: str
    email: str
    # Every From address the server accepts for this account's mail, ``email`` first.
    addresses: list[str] = Field(default_factory=list)
    state: str
    limits: Limits
    quotas: Quotas | None = None


class LoginResponse(SessionInfo):
    token: str


# --- resources --------------------------------------------------------------------------------


class MailboxList(WireModel):
    state: str
    items: list[MailboxRecord]


class MessagePage(WireModel):
    state: str
    items: list[EmailRecord]
    # Opaque; pass as ?after= for the next page. Null on the last page.
    next_cursor: str | None = None


class MessageBody(WireModel):
    text: str | None = None
    html: str | None = None


# POST /v1/bodies: at most this many ids per request, and the server stops adding bodies to one
# answer past BODIES_RESPONSE_BYTES (the rest are listed as `omitted`, to ask for again).
MAX_BODIES_PER_REQUEST = 500
BODIES_RESPONSE_BYTES = 16 << 20


class BodiesRequest(ClientInput):
    """POST /v1/bodies: the messages whose bodies to send, in this order."""

    # More than MAX_BODIES_PER_REQUEST → 413 tooManyIds (the request body limit bounds parsing).
    ids: list[RecordId] = Field(min_length=1)


class BodyRecord(WireModel):
    """One line of the POST /v1/bodies stream: a message's text and HTML bodies."""

    id: str
    text: str | None = None
    html: str | None = None


class BodiesEnd(WireModel):
    """The last line of the POST /v1/bodies stream; a stream without it was cut off."""

    end: Literal[True]
    # Ids this account has no live message for (another account's, destroyed, never existed).
    not_found: list[str] = Field(default_factory=list)
    # Ids left out because the answer reached its size budget: ask for them again.
    omitted: list[str] = Field(default_factory=list)


class EmailPatch(ClientInput):
    """PATCH /v1/messages/{id} (needs If-Match)."""

    add_keywords: list[Keyword] = Field(default_factory=list)
    remove_keywords: list[Keyword] = Field(default_factory=list)
    mailbox_id: RecordId | None = None


class DraftFields(ClientInput):
    """PUT (replace) or PATCH (only the fields given) /v1/drafts/{id}."""

    subject: str | None = None
    to: list[Address] | None = None
    cc: list[Address] | None = None
    bcc: list[Address] | None = None
    body: str | None = None
    html_body: str | None = None
    in_reply_to: str | None = None
    references: list[str] | None = None
    attachments: list[AttachmentRef] | None = None
    # The identity it goes out as; null: the account's address (GET /v1/session ``email``).
    from_address: Address | None = Field(default=None, alias="from")


class DraftList(WireModel):
    state: str
    items: list[DraftRecord]


class SubmissionList(WireModel):
    state: str
    items: list[SubmissionRecord]


class BlobInfo(WireModel):
    blob_id: str
    content_type: str
    size: int
