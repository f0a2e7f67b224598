"""The store's tables as SQLAlchemy Core metadata (the migrations create exactly these).

Times are integer microseconds since the epoch, UTC, so ordering and keyset comparisons are plain
integer comparisons. JSON columns hold text written by ``mailapp.store.codec``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    false,
)

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", String, nullable=False),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String, primary_key=True),
    Column("email", String, nullable=False, unique=True),
    Column("display_name", String),
    Column("created_at", BigInteger, nullable=False),
    # Set for accounts signed in to a sync server (migration 0003).
    Column("server_url", String),
    Column("username", String),
    Column("server_account_id", String),
)

mailboxes = Table(
    "mailboxes",
    metadata,
    Column("id", String, primary_key=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String, nullable=False),
    Column("role", String),
    Column("parent_id", ForeignKey("mailboxes.id")),
    Column("sort_order", Integer, nullable=False, server_default="0"),
    Column("server_version", BigInteger),
    Column("base", Text),  # last known server values, JSON (store/replica.py)
    # Maintained by triggers on messages so count() and unread badges never scan.
    Column("total_count", Integer, nullable=False, server_default="0"),
    Column("unread_count", Integer, nullable=False, server_default="0"),
    Index("ix_mailboxes_account", "account_id"),
)
Index(
    "ux_mailboxes_account_role",
    mailboxes.c.account_id,
    mailboxes.c.role,
    unique=True,
    sqlite_where=mailboxes.c.role.isnot(None),
)

messages = Table(
    "messages",
    metadata,
    # The integer rowid doubles as the FTS rowid and is the date in microseconds (bumped past
    # collisions), so search can walk matches newest first. ``id`` is the UUID callers see.
    Column("num", Integer, primary_key=True),
    Column("id", String, nullable=False, unique=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("mailbox_id", ForeignKey("mailboxes.id"), nullable=False),
    Column("server_id", String, unique=True),
    Column("server_version", BigInteger),
    Column("base", Text),  # last known server keywords and mailbox, JSON (store/replica.py)
    Column("message_id_header", String),
    Column("thread_id", String),
    Column("subject", Text, nullable=False),
    Column("sender_name", Text),
    Column("sender_email", Text),
    Column("date", BigInteger, nullable=False),
    Column("is_read", Boolean, nullable=False),
    Column("is_flagged", Boolean, nullable=False),
    Column("keywords", Text, nullable=False),
    Column("has_attachments", Boolean, nullable=False),
    Column("snippet", Text, nullable=False),
    # {"to", "cc", "bcc", "replyTo": [{"name","email"}], "inReplyTo", "references"}
    Column("headers", Text, nullable=False),
    # Normalised sort keys (mailapp.store.sort_keys, migration 0005).
    Column("sender_key", Text, nullable=False, server_default=""),
    Column("subject_key", Text, nullable=False, server_default=""),
    # Arrived without its body (sync): its headers are indexed in headers_fts (0011, fts.py).
    Column("headers_first", Boolean, nullable=False, server_default=false()),
    Index("ix_messages_mailbox_date", "mailbox_id", "date", "id"),
    Index("ix_messages_mailbox_sender", "mailbox_id", "sender_key", "date", "id"),  # 0005
    Index("ix_messages_mailbox_subject", "mailbox_id", "subject_key", "date", "id"),  # 0005
    Index("ix_messages_thread_mailbox_date", "thread_id", "mailbox_id", "date", "id"),  # 0004
    Index("ix_messages_message_id_header", "message_id_header"),
)

message_bodies = Table(
    "message_bodies",
    metadata,
    Column("message_num", ForeignKey("messages.num", ondelete="CASCADE"), primary_key=True),
    Column("text_body", Text),
    # NULL when `raw` holds the HTML part (imported mail, migration 0010: store/raw_parts.py).
    Column("html_body", Text),
    Column("notes", Text, nullable=False),
    # What search indexes for HTML-only mail: the HTML's text (fts.search_text). NULL when
    # text_body has text, which is then what is indexed (the view messages_fts_source, 0008).
    Column("search_text", Text),
)

# Zstandard dictionaries trained on the store's own mail (store/raw_codec.py, migration 0014).
raw_dictionaries = Table(
    "raw_dictionaries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # from its bytes' SHA-256
    Column("data", LargeBinary, nullable=False),
)

# A message's bytes as received, compressed (store/raw_codec.py): imported mail, and synced
# mail whose source was fetched. Apart from its body row since 0014 (it was
# message_bodies.raw), so body rows of a few hundred bytes fill their pages, rather than one
# 2-3 KB row with its raw bytes to a 4 KB page.
message_raw = Table(
    "message_raw",
    metadata,
    Column(
        "message_num",
        ForeignKey("message_bodies.message_num", ondelete="CASCADE"),
        primary_key=True,
    ),
    # NULL: plain zstd, no dictionary (stored before the store had one). Never zlib: 0014
    # compressed every older row again.
    Column("dictionary", ForeignKey("raw_dictionaries.id")),
    Column("raw", LargeBinary, nullable=False),
)

# Synced messages whose body is not stored yet (migration 0007; triggers keep it exact).
body_queue = Table(
    "body_queue",
    metadata,
    Column("message_num", ForeignKey("messages.num", ondelete="CASCADE"), primary_key=True),
    Column("account_id", String, nullable=False),
    # NULL: fetch when inside the prefetch window. Set: the server had no body; ask after this
    # (cleared by a newer server version with the same `messages.base`, migration 0012).
    Column("retry_at", BigInteger),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Index("ix_body_queue_due", "account_id", "retry_at"),
)

attachments = Table(
    "attachments",
    metadata,
    Column("id", String, primary_key=True),
    Column("message_num", ForeignKey("messages.num", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("filename", Text, nullable=False),
    Column("content_type", String, nullable=False),
    Column("size", Integer, nullable=False),
    Column("content_id", String),
    Column("inline", Boolean, nullable=False),
    # Last so metadata reads never walk the blob's overflow pages; NULL until downloaded, and
    # NULL when the message's raw bytes hold it (imported mail, 0010: store/raw_parts.py).
    Column("data", LargeBinary),
    Index("ix_attachments_message", "message_num"),
)

blobs = Table(
    "blobs",
    metadata,
    Column("id", String, primary_key=True),  # a UUID derived from the data's SHA-256
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

drafts = Table(
    "drafts",
    metadata,
    Column("id", String, primary_key=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    # The draft's fields in wire form (docs/protocol.md draft.upsert), so diffs are dict diffs.
    Column("fields", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("server_version", BigInteger),
    Column("base", Text),  # last known server fields, JSON (store/replica.py)
    Index("ix_drafts_account", "account_id"),
    Index("ix_drafts_account_updated", "account_id", "updated_at", "id"),  # 0005
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mutation_id", Integer, nullable=False, unique=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("type", String, nullable=False),
    Column("payload", Text, nullable=False),  # exactly {"type", "args"}
    Column("email_id", String),
    Column("draft_id", String),
    Column("state", String, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("next_attempt_at", BigInteger),
    Column("created_at", BigInteger, nullable=False),
    # Set when a server change to the mutation's record was applied after it was queued: it was
    # made on an older base, so it travels as queued, never folded (store/fold.py, 0006).
    Column("rebased", Boolean, nullable=False, server_default="0"),
    CheckConstraint(
        "state IN ('pending', 'in_flight', 'applied', 'failed', 'conflict')",
        name="ck_outbox_state",
    ),
    Index("ix_outbox_state", "state", "mutation_id"),
    Index("ix_outbox_email", "email_id"),
    sqlite_autoincrement=True,
)

conflicts = Table(
    "conflicts",
    metadata,
    Column("id", String, primary_key=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("mutation_id", Integer),
    Column("record_type", String, nullable=False),
    Column("record_id", String, nullable=False),
    Column("base", Text),
    Column("local", Text),
    Column("server", Text),
    Column("state", String, nullable=False, server_default="open"),
    Column("created_at", BigInteger, nullable=False),
    Column("resolved_at", BigInteger),
    CheckConstraint("state IN ('open', 'resolved')", name="ck_conflicts_state"),
    Index("ix_conflicts_state", "state"),
)

sync_state = Table(
    "sync_state",
    metadata,
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("state", String),
    Column("last_sync_at", BigInteger),
    # Bodies of mail newer than this many days are fetched ahead of time.
    Column("prefetch_days", Integer, nullable=False, server_default="30"),
)

# The server's blob id for each local draft-attachment blob id (migration 0003).
blob_uploads = Table(
    "blob_uploads",
    metadata,
    Column("local_id", String, primary_key=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("server_id", String, nullable=False),
)
