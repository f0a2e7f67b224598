"""The sync wire format: pydantic models shared by the server and the client (see docs/protocol.md).

JSON names are camelCase; Python attributes are snake_case (`populate_by_name`). Dump with
`model_dump(mode="json", by_alias=True)`.

What a client sends (`ClientInput` and its subclasses) is validated strictly: `true` is not the
id 1 and `"7"` is not 7. Only JSON's own gaps are bridged: date-times travel as ISO 8601
strings (`IsoDateTime`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, NotRequired, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    Strict,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    model_serializer,
    model_validator,
)
from pydantic.alias_generators import to_camel
from typing_extensions import TypedDict

from mailapp.mime.addresses import clean_header_text, header_text_problem

# JMAP keyword syntax (RFC 8621 §4.1.1): printable ASCII without ( ) { ] % * " \ ; compared
# case-insensitively, so the wire form is lower case.
Keyword = Annotated[
    str,
    StringConstraints(
        min_length=1,
        max_length=255,
        pattern=r"^[!#-$&-'+-\[^-z|-~]+$",
        to_lower=True,
    ),
]
# Ids are UUID strings chosen by their creator; anything id-like up to 36 characters is accepted.
ID_PATTERN = r"^[A-Za-z0-9_-]{1,36}$"
RecordId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
State = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,18}$")]
MailboxRole = Literal["inbox", "drafts", "sent", "trash", "archive", "junk"]
MutationStatus = Literal["applied", "merged", "conflict", "rejected"]
SubmissionStateName = Literal["scheduled", "sending", "sent", "cancelled", "failed"]

DRAFT_FIELDS: tuple[str, ...] = (
    "subject",
    "to",
    "cc",
    "bcc",
    "body",
    "htmlBody",
    "inReplyTo",
    "references",
    "attachments",
    "from",
)


# Validation context key: set it (``context={NUL_FREE: True}``) only when the JSON text being
# validated contains no ``\u0000`` escape. JSON cannot carry a raw NUL inside a string, so no
# string value can hold one and the per-model walk below is skipped (on a page of 500 emails it
# cost the sync client more than the parse itself).
NUL_FREE = "nul_free"


def json_is_nul_free(text: bytes) -> bool:
    """True when no string parsed from this JSON text can contain U+0000."""
    return b"\\u0000" not in text and b"\x00" not in text


def _reject_nul(value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("strings must not contain NUL characters")
    elif isinstance(value, BaseModel):
        return  # a nested model checked its own fields when it was validated
    elif isinstance(value, dict):
        for key, item in value.items():
            _reject_nul(key)
            _reject_nul(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _reject_nul(item)


def _iso_string(value: Any) -> Any:
    # Lax datetime parsing would also take a number as Unix time: only strings travel here.
    if isinstance(value, str | datetime):
        return value
    raise ValueError("a date-time is an ISO 8601 string")


def _in_utc_range(value: datetime) -> datetime:
    # 9999-12-31T23:59:59-01:00 parses, but is past datetime.max once in UTC.
    try:
        if value.tzinfo is not None:
            value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the date-time is out of range once converted to UTC") from None
    return value


# A date-time a client sends: an ISO 8601 string that stays in range in UTC.
IsoDateTime = Annotated[
    datetime, Strict(False), BeforeValidator(_iso_string), AfterValidator(_in_utc_range)
]


class WireModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    @model_validator(mode="after")
    def _no_nul_characters(self, info: ValidationInfo) -> Self:
        # Neither PostgreSQL text nor most mail software can carry U+0000; refuse it up front.
        # After validation, each model walks only its own values, so a string is looked at once
        # however deeply it is nested (a "before" check re-walked every subtree at every level).
        if info.context is not None and info.context.get(NUL_FREE):
            return self  # the caller saw the whole JSON text: no string in it can hold a NUL
        for name in type(self).model_fields:
            _reject_nul(getattr(self, name))
        return self


def _integral(value: Any) -> Any:
    # JSON has one number type: 5.0 is the integer 5 (JSON Schema's "integer" agrees); 5.5 and
    # true stay refused by the strict int behind this.
    if type(value) is float and value.is_integer():
        return int(value)
    return value


# An integer a client sends.
JsonInt = Annotated[int, BeforeValidator(_integral)]


class ClientInput(WireModel):
    """Data a client sends: strict types (see the module docstring)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, strict=True)


# --- values -----------------------------------------------------------------------------------


def _header_safe_name(value: str | None) -> str | None:
    if value is not None and (problem := header_text_problem(value)):
        # Written into a header, a line break in a name would start a header of its own
        # (CPython CVE-2024-6923 decodes one out of an encoded word): refuse, whatever the
        # interpreter's patch level.
        raise ValueError(f"the display name cannot be used: {problem}")
    return value


def _header_safe_email(value: str) -> str:
    if problem := header_text_problem(value):
        raise ValueError(f"the address cannot be used: {problem}")
    if any(ch.isspace() for ch in value):
        raise ValueError("the address cannot be used: it contains a space")
    return value


# What the OpenAPI document can say of the rule (a regex cannot decode encoded words).
_NO_CONTROL = "\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029"
_NO_SPACE = "\\u0020\\u00a0\\u1680\\u2000-\\u200a\\u202f\\u205f\\u3000"
HeaderName = Annotated[
    str,
    AfterValidator(_header_safe_name),
    WithJsonSchema({
        "type": "string",
        "pattern": f"^[^{_NO_CONTROL}]*$",
        "description": "No control character or line break, also not inside an RFC 2047 "
        "encoded word (=?charset?q?...?=)",
    }),
]
HeaderEmail = Annotated[
    str,
    AfterValidator(_header_safe_email),
    WithJsonSchema({
        "type": "string",
        "pattern": f"^[^{_NO_CONTROL}{_NO_SPACE}]*$",
        "description": "No space, control character or line break, also not inside an RFC "
        "2047 encoded word",
    }),
]


class Address(ClientInput):
    """An address a client sends (a draft's To, Cc, Bcc): refused if it could break a header."""

    name: HeaderName | None = None
    email: HeaderEmail


def _shown(value: Any) -> Any:
    return clean_header_text(value) if isinstance(value, str) else value


class RecordAddress(WireModel):
    """An address in a record the server sends. Received mail is what it is, so it is never
    refused: control characters and line breaks (also inside encoded words) become spaces, and
    a reply built from it cannot carry a sender's header injection."""

    name: Annotated[str | None, BeforeValidator(_shown)] = None
    email: Annotated[str, BeforeValidator(_shown)]


class AttachmentRef(ClientInput):
    """A draft's attachment: an uploaded blob (POST /v1/blobs)."""

    name: str
    content_type: str = "application/octet-stream"
    size: JsonInt = Field(ge=0)
    blob_id: RecordId


class EmailAttachment(WireModel):
    """An attachment of a stored message: GET /v1/messages/{id}/attachments/{partId}."""

    part_id: str
    name: str | None = None
    content_type: str
    size: int
    inline: bool = False


class Change(ClientInput):
    """A single-valued field change with the value the client saw before (`old`)."""

    old: Any = None
    new: Any = None


# --- records ----------------------------------------------------------------------------------


class Versioned(WireModel):
    id: str
    created_modseq: int
    updated_modseq: int


class MailboxRecord(Versioned):
    name: str
    parent_id: str | None = None
    role: MailboxRole | None = None
    sort_order: int = 0


class EmailRecord(Versioned):
    mailbox_id: str
    keywords: list[str] = Field(default_factory=list)
    message_id: str | None = None
    in_reply_to: list[str] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    subject: str = ""
    from_: list[RecordAddress] = Field(default_factory=list, alias="from")
    sender: list[RecordAddress] = Field(default_factory=list)
    to: list[RecordAddress] = Field(default_factory=list)
    cc: list[RecordAddress] = Field(default_factory=list)
    bcc: list[RecordAddress] = Field(default_factory=list)
    reply_to: list[RecordAddress] = Field(default_factory=list)
    sent_at: datetime
    received_at: datetime
    size: int = 0
    preview: str = ""
    has_attachment: bool = False
    attachments: list[EmailAttachment] = Field(default_factory=list)


class DraftRecord(Versioned):
    subject: str | None = None
    to: list[RecordAddress] | None = None
    cc: list[RecordAddress] | None = None
    bcc: list[RecordAddress] | None = None
    body: str | None = None
    html_body: str | None = None
    in_reply_to: str | None = None
    references: list[str] | None = None
    attachments: list[AttachmentRef] | None = None
    from_address: RecordAddress | None = Field(default=None, alias="from")


class SubmissionRecord(Versioned):
    draft_id: str
    send_at: datetime
    state: SubmissionStateName
    envelope_recipients: list[str] = Field(default_factory=list)
    sent_email_id: str | None = None
    error: str | None = None


# --- change feed ------------------------------------------------------------------------------

RecordT = TypeVar("RecordT", bound=Versioned)


class TypeChanges(WireModel, Generic[RecordT]):
    """Changes of one record type: created/updated carry the records, destroyed only ids."""

    created: list[RecordT] = Field(default_factory=list)
    updated: list[RecordT] = Field(default_factory=list)
    destroyed: list[str] = Field(default_factory=list)


class Changes(WireModel):
    old_state: str
    new_state: str
    has_more: bool
    mailboxes: TypeChanges[MailboxRecord] = Field(default_factory=TypeChanges[MailboxRecord])
    emails: TypeChanges[EmailRecord] = Field(default_factory=TypeChanges[EmailRecord])
    drafts: TypeChanges[DraftRecord] = Field(default_factory=TypeChanges[DraftRecord])
    submissions: TypeChanges[SubmissionRecord] = Field(
        default_factory=TypeChanges[SubmissionRecord]
    )


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


# --- batched push -----------------------------------------------------------------------------


class Mutation(ClientInput):
    mutation_id: JsonInt = Field(ge=1, le=2**62)
    type: str
    args: dict[str, Any] = Field(default_factory=dict)


class SyncRequest(ClientInput):
    client_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    # Null on the very first sync: the changes then start from the beginning.
    since_state: State | None = None
    mutations: list[Mutation] = Field(default_factory=list)


class MutationResultJson(TypedDict):
    """The JSON form of a MutationResult (optional parts are absent rather than null)."""

    mutationId: int
    status: MutationStatus
    serverRecord: NotRequired[dict[str, Any]]
    conflictFields: NotRequired[list[str]]
    reason: NotRequired[str]
    detail: NotRequired[str]


class MutationResult(WireModel):
    mutation_id: int
    status: MutationStatus
    # Applied/merged results carry no record: the response's changes hold every changed record.
    server_record: dict[str, Any] | None = None
    conflict_fields: list[str] | None = None
    reason: str | None = None
    # One sentence for the user beside a rejection's `reason` (e.g. which limit and its value).
    detail: str | None = None

    @model_serializer(mode="wrap")
    def _omit_nulls(self, handler: SerializerFunctionWrapHandler) -> MutationResultJson:
        # Results are stored and replayed verbatim; absent beats null for optional parts.
        data: dict[str, Any] = handler(self)
        return {key: value for key, value in data.items() if value is not None}  # type: ignore[return-value]


class SyncResponse(WireModel):
    results: list[MutationResult]
    changes: Changes
    new_state: str


# --- mutation arguments (validated per mutation by the server) --------------------------------


class EmailKeywordsArgs(ClientInput):
    email_id: RecordId
    add: list[Keyword] = Field(default_factory=list)
    remove: list[Keyword] = Field(default_factory=list)


class EmailMoveArgs(ClientInput):
    email_id: RecordId
    mailbox_id: Change


class EmailDestroyArgs(ClientInput):
    email_id: RecordId


class EmailImportArgs(ClientInput):
    # The client's provisional id for the message; the server picks the email's id and
    # answers it as `serverRecord.id`, which the client then uses instead.
    local_id: RecordId
    mailbox_id: RecordId
    # The raw message (RFC 5322 bytes), uploaded first with POST /v1/blobs.
    blob_id: RecordId
    keywords: list[Keyword] = Field(default_factory=list)


class MailboxCreateArgs(ClientInput):
    mailbox_id: RecordId
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    parent_id: RecordId | None = None
    role: MailboxRole | None = None


class MailboxUpdateArgs(ClientInput):
    mailbox_id: RecordId
    name: Change | None = None
    parent_id: Change | None = None


class MailboxDestroyArgs(ClientInput):
    mailbox_id: RecordId


class DraftUpsertArgs(ClientInput):
    draft_id: RecordId
    fields: dict[str, Change] = Field(default_factory=dict)


class DraftDestroyArgs(ClientInput):
    draft_id: RecordId


class SubmissionCreateArgs(ClientInput):
    submission_id: RecordId
    draft_id: RecordId
    send_at: IsoDateTime | None = None


class SubmissionCancelArgs(ClientInput):
    submission_id: RecordId


MUTATION_ARGS: dict[str, type[ClientInput]] = {
    "email.keywords": EmailKeywordsArgs,
    "email.move": EmailMoveArgs,
    "email.destroy": EmailDestroyArgs,
    "email.import": EmailImportArgs,
    "mailbox.create": MailboxCreateArgs,
    "mailbox.update": MailboxUpdateArgs,
    "mailbox.destroy": MailboxDestroyArgs,
    "draft.upsert": DraftUpsertArgs,
    "draft.destroy": DraftDestroyArgs,
    "submission.create": SubmissionCreateArgs,
    "submission.cancel": SubmissionCancelArgs,
}

# --- errors -----------------------------------------------------------------------------------

PROBLEM_BASE = "https://mailapp.invalid/problems/"


class Problem(WireModel):
    """RFC 9457 problem details (`application/problem+json`); every error response is one."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[dict[str, Any]] | None = None
