"""The sync wire format's base: WireModel, ClientInput and the value types (see docs/protocol.md).

JSON names are camelCase; Python attributes are snake_case (`populate_by_name`). Dump with
`model_dump(mode="json", by_alias=True)`.

What a client sends (`ClientInput` and its subclasses) is validated strictly: `true` is not the
id 1 and `"7"` is not 7. Only JSON's own gaps are bridged: date-times travel as ISO 8601
strings (`IsoDateTime`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)
from pydantic.alias_generators import to_camel

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
# A change-feed state: the decimal modseq, or on a page in the middle of a first listing,
# "<modseq>.<floor>" (docs/protocol.md); opaque to clients but for their progress bar.
STATE_PATTERN = r"^[0-9]{1,18}(\.[0-9]{1,18})?$"
State = Annotated[str, StringConstraints(pattern=STATE_PATTERN)]


def state_modseq(state: str) -> int:
    """How far into the change feed a state is (for progress): its modseq part."""
    return int(state.partition(".")[0])


def in_first_sync(state: str | None) -> bool:
    """Whether a client at `state` is still in its first listing: none yet, or cut off midway
    (the state carries the listing's floor)."""
    return state is None or "." in state


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


ModelT = TypeVar("ModelT", bound=BaseModel)


def validate_json(model: type[ModelT], text: bytes) -> ModelT:
    """JSON text from the other side validated as pydantic's own parser reads it (no tree of
    dicts from json.loads to build and walk again: about a third of a feed page's CPU), the
    NUL walk skipped when the text cannot hold a NUL. Raises pydantic's ValidationError."""
    context = {NUL_FREE: True} if json_is_nul_free(text) else None
    return model.model_validate_json(text, context=context)


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
    WithJsonSchema(
        {
            "type": "string",
            "pattern": f"^[^{_NO_CONTROL}]*$",
            "description": "No control character or line break, also not inside an RFC 2047 "
            "encoded word (=?charset?q?...?=)",
        }
    ),
]
HeaderEmail = Annotated[
    str,
    AfterValidator(_header_safe_email),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": f"^[^{_NO_CONTROL}{_NO_SPACE}]*$",
            "description": "No space, control character or line break, also not inside an RFC "
            "2047 encoded word",
        }
    ),
]


class Address(ClientInput):
    """An address a client sends (a draft's To, Cc, Bcc): refused if it could break a header."""

    name: HeaderName | None = None
    email: HeaderEmail


def shown_text(value: Any) -> Any:
    """A received name or address as a record shows it (the server's feed applies it too)."""
    if not isinstance(value, str):
        return value
    if value.isprintable() and "=?" not in value:
        # Nothing to clean (no control character, line break or encoded word): most names and
        # addresses, checked in C instead of character by character on every record served.
        return value
    return clean_header_text(value)


class RecordAddress(WireModel):
    """An address in a record the server sends. Received mail is what it is, so it is never
    refused: control characters and line breaks (also inside encoded words) become spaces, and
    a reply built from it cannot carry a sender's header injection."""

    name: str | None = None
    email: str

    @model_validator(mode="after")
    def _no_nul_characters(self) -> Self:
        # Replaces WireModel's check (same name): the cleaning turns every control character,
        # NUL too, into a space, so there is nothing left to refuse. One Python call per
        # address instead of three (a validator per field and the NUL walk): a change-feed
        # page holds about 1,700 addresses.
        name, email = self.name, self.email
        if name is not None and (shown := shown_text(name)) is not name:
            self.name = shown
        if (shown := shown_text(email)) is not email:
            self.email = shown
        return self


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
