"""Tables of the upstream connector (revisions 0003, 0006, 0013 to 0016 and 0018).

`upstream_message` is the map from an IMAP message (folder, UIDVALIDITY, UID) to the server's
email: the import resumes from it and never fetches a UID it already holds, and a UIDVALIDITY
change re-maps rows by the hash of the message's header block instead of importing copies.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from mailapp.server.models import Base, new_id, utcnow


class LinkState(enum.StrEnum):
    pending = "pending"  # linked, never synced yet
    importing = "importing"  # the initial import is running or was interrupted
    ok = "ok"  # in sync
    auth_failed = "auth_failed"  # the upstream refused the username or password
    unreachable = "unreachable"  # no connection (DNS, refused, timeout)
    tls_error = "tls_error"  # the certificate is not valid for the host
    # Synced, but writes wait (upstream/blocked.py): the provider's mailbox is full, or a
    # folder changed here is read-only there.
    quota_exceeded = "quota_exceeded"
    read_only = "read_only"
    # In sync, but a folder was deleted upstream lately (folder_gone.py): last_error says which.
    folder_deleted = "folder_deleted"
    error = "error"  # anything else; last_error says what


class UpstreamAccount(Base):
    __tablename__ = "upstream_account"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # One upstream mailbox per mailapp user.
    account_id: Mapped[str] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), unique=True
    )
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer)
    tls: Mapped[str] = mapped_column(String(16))  # implicit | starttls | none
    username: Mapped[str] = mapped_column(String(320))
    # The account's own address at the provider: the From and envelope sender of mail sent
    # through it (revision 0013); None: the username when it is an address.
    address: Mapped[str | None] = mapped_column(String(320), default=None)
    # Fernet token of the password under the server key; never the password itself.
    password_enc: Mapped[bytes] = mapped_column(LargeBinary)
    smtp_host: Mapped[str | None] = mapped_column(String(255), default=None)
    smtp_port: Mapped[int | None] = mapped_column(Integer, default=None)
    # Who puts a copy of sent mail in the provider's Sent folder (upstream/sent_copy.py):
    # "append" (we do), "provider" (it files its own), "auto" (Gmail's X-GM-EXT-1 means it does).
    sent_copy: Mapped[str] = mapped_column(String(16), default="auto", server_default="auto")
    state: Mapped[str] = mapped_column(String(16), default=LinkState.pending.value)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_sync_at: Mapped[datetime | None] = mapped_column(default=None)
    # The process syncing this account and until when (it renews while it works).
    lease_owner: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Every email with a change not yet written upstream has updated_modseq above this
    # (revision 0020, upstream/pending.py): the write-back looks only there.
    pushed_modseq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class UpstreamFolder(Base):
    __tablename__ = "upstream_folder"
    __table_args__ = (UniqueConstraint("upstream_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    upstream_id: Mapped[str] = mapped_column(ForeignKey("upstream_account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(1000))  # decoded IMAP name, as imapclient gives it
    mailbox_id: Mapped[str] = mapped_column(String(36))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # Every UID below this has its headers imported (the resume point of the first phase).
    uidnext: Mapped[int] = mapped_column(BigInteger, default=1)
    # CONDSTORE: the folder's HIGHESTMODSEQ after the last complete sync (None: not offered).
    highestmodseq: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # False once the folder vanished upstream (its mailbox is then destroyed here).
    live: Mapped[bool] = mapped_column(Boolean, default=True)
    # Writes into it refused (LinkState.quota_exceeded or read_only), why, and when to try
    # again; the changes stay pending meanwhile (revision 0015, upstream/blocked.py).
    blocked: Mapped[str | None] = mapped_column(String(16), default=None)
    blocked_reason: Mapped[str | None] = mapped_column(Text, default=None)
    blocked_retry_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # When it vanished upstream and what that did here: the link says so for a while (0016).
    gone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    gone_note: Mapped[str | None] = mapped_column(Text, default=None)


class UpstreamMessage(Base):
    __tablename__ = "upstream_message"
    __table_args__ = (
        UniqueConstraint("folder_id", "uid"),
        Index("ix_upstream_message_pending_body", "folder_id", "has_body"),
        Index("ix_upstream_message_header_sha", "folder_id", "header_sha"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    folder_id: Mapped[int] = mapped_column(ForeignKey("upstream_folder.id", ondelete="CASCADE"))
    uid: Mapped[int] = mapped_column(BigInteger)
    email_id: Mapped[str] = mapped_column(String(36), index=True)
    # sha256 of the header block: recognises the same message under a new UIDVALIDITY.
    header_sha: Mapped[str] = mapped_column(String(64))
    has_body: Mapped[bool] = mapped_column(Boolean, default=False)
    size: Mapped[int] = mapped_column(Integer, default=0)
    # The keywords both sides agreed on at the last reconciliation (the merge base), and the
    # email's updated_modseq then: an email changed here since (a higher modseq) has changes
    # to write back upstream (revision 0006).
    keywords: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    synced_modseq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class UpstreamDraft(Base):
    """A draft of the linked account and its copy in the provider's Drafts folder (revision
    0014, upstream/drafts.py). The pending work is data, as for keywords: a live draft whose
    updated_modseq is above `synced_modseq` has a newer version to append; a row whose draft is
    destroyed has copies to delete; `clean` False means older copies may still be upstream."""

    __tablename__ = "upstream_draft"
    __table_args__ = (UniqueConstraint("upstream_id", "draft_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    upstream_id: Mapped[str] = mapped_column(ForeignKey("upstream_account.id", ondelete="CASCADE"))
    draft_id: Mapped[str] = mapped_column(String(36))
    # The draft's updated_modseq whose copy is upstream (0: none yet), and that copy's UID.
    synced_modseq: Mapped[int] = mapped_column(BigInteger, default=0)
    uid: Mapped[int | None] = mapped_column(BigInteger, default=None)
    clean: Mapped[bool] = mapped_column(Boolean, default=True)
    # Coalescing autosaves: the newest version seen and since when, and when the first version
    # not yet upstream was seen (a draft edited without pause still goes up now and then).
    seen_modseq: Mapped[int] = mapped_column(BigInteger, default=0)
    seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    dirty_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # Why the newest version could not be put upstream (shown by `status`).
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


class UpstreamImport(Base):
    """A message imported here (`email.import`) into a linked account, waiting for its copy in
    the provider's folder (revision 0018, upstream/imports.py): the durable queue of that
    APPEND, written in the import's own transaction. `state` is `pending` until the copy's UID
    is recorded (`done`), or `skipped` with a `note` when there is no folder to put it in."""

    __tablename__ = "upstream_import"
    __table_args__ = (Index("ix_upstream_import_pending", "account_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(36))
    email_id: Mapped[str] = mapped_column(String(36), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    uid: Mapped[int | None] = mapped_column(BigInteger, default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
