"""Wire models of the batched push (POST /v1/sync), its mutation arguments, and errors."""

from __future__ import annotations

from typing import Annotated, Any, NotRequired

from pydantic import (
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    model_serializer,
)
from pydantic.alias_generators import to_camel
from typing_extensions import TypedDict

from mailapp.wire.base import (
    Change,
    ClientInput,
    IsoDateTime,
    JsonInt,
    Keyword,
    MailboxRole,
    MutationStatus,
    RecordId,
    State,
    WireModel,
)
from mailapp.wire.records import Changes

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
    new_state: State


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
