"""SQLAlchemy models of the sync server.

Every synced record carries created/updated modseqs from its account's counter. Deleting a record
sets `destroyed_modseq` (and `updated_modseq` to the same value) so the change feed can report it;
`prune_tombstones` later removes such rows and raises the account's `pruned_modseq` watermark.
"""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Account(Base):
    __tablename__ = "account"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(320), unique=True)
    # The address local delivery matches recipients against.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    modseq: Mapped[int] = mapped_column(BigInteger, default=0)
    # Tombstones at or below this modseq are gone: /changes since an older state answers 410.
    pruned_modseq: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # More From addresses the user may send as (set by the admin: mailapp-server aliases).
    aliases: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    # Sum of the sizes of the account's live emails (the storage quota's mail part). Kept by
    # triggers on `email` (migration 0019), never written by Python: every path that inserts,
    # destroys or deletes an email counts, Core bulk inserts included.
    mail_bytes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Token(Base):
    __tablename__ = "token"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    # sha256 of the bearer secret; the secret itself is only ever shown to the client once.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    account: Mapped[Account] = relationship()


class LoginThrottle(Base):
    """Failed-login counter of one key: a (name, client address) pair or a client address.

    `failures` counts every password check that did not succeed; a check is counted *before*
    it runs (and forgiven when it succeeds), so parallel attempts cannot overtake the count.
    No check may start before `next_allowed_at`; a quiet `login_rate_window` after it, the
    counter starts again from zero.
    """

    __tablename__ = "login_throttle"

    # sha256 of the key's kind, name and address: bounded, and no user names in the clear.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_allowed_at: Mapped[datetime] = mapped_column(index=True)


class Synced:
    """Columns every record in the change feed has."""

    created_modseq: Mapped[int] = mapped_column(BigInteger)
    updated_modseq: Mapped[int] = mapped_column(BigInteger)
    destroyed_modseq: Mapped[int | None] = mapped_column(BigInteger, default=None)

    @property
    def destroyed(self) -> bool:
        return self.destroyed_modseq is not None


class Mailbox(Synced, Base):
    __tablename__ = "mailbox"
    # Client-chosen ids are keyed per account (see ACCOUNT_SCOPED below).
    __table_args__ = (
        PrimaryKeyConstraint("account_id", "id"),
        Index("ix_mailbox_feed", "account_id", "updated_modseq"),
    )

    id: Mapped[str] = mapped_column(String(36), default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[str | None] = mapped_column(String(36), default=None)
    role: Mapped[str | None] = mapped_column(String(32), default=None)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Email(Synced, Base):
    __tablename__ = "email"
    __table_args__ = (
        Index("ix_email_feed", "account_id", "updated_modseq"),
        # Keyset pagination of a mailbox's listing: (date DESC, id DESC).
        Index("ix_email_listing", "mailbox_id", "date", "id"),
        # The import skips a message whose exact bytes the mailbox already holds.
        Index("ix_email_content", "mailbox_id", "content_sha256"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    mailbox_id: Mapped[str] = mapped_column(String(36))
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    message_id: Mapped[str | None] = mapped_column(String(998), default=None)
    in_reply_to: Mapped[list[Any]] = mapped_column(default=list)
    references: Mapped[list[Any]] = mapped_column(default=list)
    subject: Mapped[str] = mapped_column(Text, default="")
    from_: Mapped[list[Any]] = mapped_column("from", default=list)
    sender: Mapped[list[Any]] = mapped_column(default=list)
    to: Mapped[list[Any]] = mapped_column(default=list)
    cc: Mapped[list[Any]] = mapped_column(default=list)
    bcc: Mapped[list[Any]] = mapped_column(default=list)
    reply_to: Mapped[list[Any]] = mapped_column(default=list)
    # The Date header when it parses, otherwise the time the server received the message.
    date: Mapped[datetime] = mapped_column(default=utcnow)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    size: Mapped[int] = mapped_column(Integer, default=0)
    preview: Mapped[str] = mapped_column(String(256), default="")
    attachments: Mapped[list[Any]] = mapped_column(default=list)
    # sha256 of the raw message: what tells two messages apart (a Message-ID may be shared).
    content_sha256: Mapped[str | None] = mapped_column(String(64), default=None)

    blob: Mapped[EmailBlob | None] = relationship(
        back_populates="email", cascade="all, delete-orphan", uselist=False
    )


class EmailBlob(Base):
    __tablename__ = "email_blob"

    email_id: Mapped[str] = mapped_column(
        ForeignKey("email.id", ondelete="CASCADE"), primary_key=True
    )
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    # The bodies worked out once, when the message arrives (GET body and POST /v1/bodies read
    # them instead of parsing the raw message on every request). False: not parsed yet (rows
    # from before 0008, or filed by a path that does not parse), so readers parse `raw`.
    bodies_parsed: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    text_body: Mapped[str | None] = mapped_column(Text, default=None)
    html_body: Mapped[str | None] = mapped_column(Text, default=None)

    email: Mapped[Email] = relationship(back_populates="blob")


class Blob(Base):
    """An uploaded attachment, referenced by drafts as `blobId`."""

    __tablename__ = "blob"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Draft(Synced, Base):
    __tablename__ = "draft"
    __table_args__ = (
        PrimaryKeyConstraint("account_id", "id"),
        Index("ix_draft_feed", "account_id", "updated_modseq"),
    )

    id: Mapped[str] = mapped_column(String(36), default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    subject: Mapped[str | None] = mapped_column(Text, default=None)
    to: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    cc: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    bcc: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    body: Mapped[str | None] = mapped_column(Text, default=None)
    html_body: Mapped[str | None] = mapped_column(Text, default=None)
    in_reply_to: Mapped[str | None] = mapped_column(Text, default=None)
    references: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    attachments: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    # {"name", "email"}: one of the account's allowed senders (None: its sending address).
    from_address: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class SubmissionState(enum.StrEnum):
    scheduled = "scheduled"
    sending = "sending"
    sent = "sent"
    cancelled = "cancelled"
    failed = "failed"


class Submission(Synced, Base):
    __tablename__ = "submission"
    __table_args__ = (
        PrimaryKeyConstraint("account_id", "id"),
        Index("ix_submission_feed", "account_id", "updated_modseq"),
        Index("ix_submission_due", "state", "send_at"),
    )

    id: Mapped[str] = mapped_column(String(36), default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    draft_id: Mapped[str] = mapped_column(String(36))
    client_id: Mapped[str | None] = mapped_column(String(64), default=None)
    mutation_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    send_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[SubmissionState] = mapped_column(
        Enum(SubmissionState, name="submission_state", native_enum=False, length=16),
        default=SubmissionState.scheduled,
    )
    envelope_rcpts: Mapped[list[Any]] = mapped_column(default=list)
    # Frozen when the submission falls due, so later draft edits cannot change what is sent.
    mime: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # The Sent copy filed after delivery, and why sending failed (shown to the user).
    sent_email_id: Mapped[str | None] = mapped_column(String(36), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class ClientMutation(Base):
    """The stored result of one pushed mutation: a replay returns it and changes nothing."""

    __tablename__ = "client_mutation"
    __table_args__ = (UniqueConstraint("account_id", "client_id", "mutation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(64))
    mutation_id: Mapped[int] = mapped_column(BigInteger)
    result: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Records whose ids the client picks, keyed by (account_id, id): another account holding the
# same id must not make it "in use" here (protocol.md: another account's ids look like missing
# ones, also when creating).
ACCOUNT_SCOPED: frozenset[type[Synced]] = frozenset({Mailbox, Draft, Submission})


def identity(model: type[Synced], account_id: str, record_id: str) -> Any:
    """The primary key `session.get(model, ...)` takes for this account's record `record_id`.
    For models keyed by id alone the caller still checks the row's account."""
    if model in ACCOUNT_SCOPED:
        return {"account_id": account_id, "id": record_id}
    return record_id


SYNCED_MODELS: dict[str, type[Synced]] = {
    "mailboxes": Mailbox,
    "emails": Email,
    "drafts": Draft,
    "submissions": Submission,
}
