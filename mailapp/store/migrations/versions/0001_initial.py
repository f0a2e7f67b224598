"""Initial schema: accounts, mailboxes, messages, bodies, attachments, drafts, outbox, sync state.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Mailbox total/unread counters follow every insert, delete, move and read-state change.
_COUNT_TRIGGERS = [
    """
    CREATE TRIGGER messages_count_insert AFTER INSERT ON messages BEGIN
      UPDATE mailboxes SET total_count = total_count + 1,
                           unread_count = unread_count + (NOT new.is_read)
       WHERE id = new.mailbox_id;
    END
    """,
    """
    CREATE TRIGGER messages_count_delete AFTER DELETE ON messages BEGIN
      UPDATE mailboxes SET total_count = total_count - 1,
                           unread_count = unread_count - (NOT old.is_read)
       WHERE id = old.mailbox_id;
    END
    """,
    """
    CREATE TRIGGER messages_count_update AFTER UPDATE OF mailbox_id, is_read ON messages BEGIN
      UPDATE mailboxes SET total_count = total_count - 1,
                           unread_count = unread_count - (NOT old.is_read)
       WHERE id = old.mailbox_id;
      UPDATE mailboxes SET total_count = total_count + 1,
                           unread_count = unread_count + (NOT new.is_read)
       WHERE id = new.mailbox_id;
    END
    """,
]


def upgrade() -> None:
    meta = op.create_table(
        "meta",
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("value", sa.String, nullable=False),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("email", sa.String, nullable=False, unique=True),
        sa.Column("display_name", sa.String),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "mailboxes",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column(
            "account_id", sa.String, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("role", sa.String),
        sa.Column("parent_id", sa.String, sa.ForeignKey("mailboxes.id")),
        sa.Column("sort_order", sa.Integer, nullable=False, server_default="0"),
        sa.Column("server_version", sa.BigInteger),
        sa.Column("total_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("unread_count", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_mailboxes_account", "mailboxes", ["account_id"])
    op.create_index(
        "ux_mailboxes_account_role",
        "mailboxes",
        ["account_id", "role"],
        unique=True,
        sqlite_where=sa.text("role IS NOT NULL"),
    )
    op.create_table(
        "messages",
        sa.Column("num", sa.Integer, primary_key=True),
        sa.Column("id", sa.String, nullable=False, unique=True),
        sa.Column(
            "account_id", sa.String, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("mailbox_id", sa.String, sa.ForeignKey("mailboxes.id"), nullable=False),
        sa.Column("server_id", sa.String, unique=True),
        sa.Column("server_version", sa.BigInteger),
        sa.Column("message_id_header", sa.String),
        sa.Column("thread_id", sa.String),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("sender_name", sa.Text),
        sa.Column("sender_email", sa.Text),
        sa.Column("date", sa.BigInteger, nullable=False),
        sa.Column("is_read", sa.Boolean, nullable=False),
        sa.Column("is_flagged", sa.Boolean, nullable=False),
        sa.Column("keywords", sa.Text, nullable=False),
        sa.Column("has_attachments", sa.Boolean, nullable=False),
        sa.Column("snippet", sa.Text, nullable=False),
        sa.Column("headers", sa.Text, nullable=False),
    )
    op.create_index("ix_messages_mailbox_date", "messages", ["mailbox_id", "date", "id"])
    op.create_index("ix_messages_thread", "messages", ["thread_id"])
    op.create_index("ix_messages_message_id_header", "messages", ["message_id_header"])
    op.create_table(
        "message_bodies",
        sa.Column(
            "message_num",
            sa.Integer,
            sa.ForeignKey("messages.num", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("text_body", sa.Text),
        sa.Column("html_body", sa.Text),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("raw", sa.LargeBinary),
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column(
            "message_num",
            sa.Integer,
            sa.ForeignKey("messages.num", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("content_type", sa.String, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("content_id", sa.String),
        sa.Column("inline", sa.Boolean, nullable=False),
        sa.Column("data", sa.LargeBinary),
    )
    op.create_index("ix_attachments_message", "attachments", ["message_num"])
    op.create_table(
        "blobs",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "drafts",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column(
            "account_id", sa.String, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("server_version", sa.BigInteger),
    )
    op.create_index("ix_drafts_account", "drafts", ["account_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mutation_id", sa.Integer, nullable=False, unique=True),
        sa.Column(
            "account_id", sa.String, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("type", sa.String, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("email_id", sa.String),
        sa.Column("draft_id", sa.String),
        sa.Column("state", sa.String, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("next_attempt_at", sa.BigInteger),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'in_flight', 'applied', 'failed', 'conflict')",
            name="ck_outbox_state",
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_outbox_state", "outbox", ["state", "mutation_id"])
    op.create_index("ix_outbox_email", "outbox", ["email_id"])
    op.create_table(
        "conflicts",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column(
            "account_id", sa.String, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("mutation_id", sa.Integer),
        sa.Column("record_type", sa.String, nullable=False),
        sa.Column("record_id", sa.String, nullable=False),
        sa.Column("base", sa.Text),
        sa.Column("local", sa.Text),
        sa.Column("server", sa.Text),
        sa.Column("state", sa.String, nullable=False, server_default="open"),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("resolved_at", sa.BigInteger),
        sa.CheckConstraint("state IN ('open', 'resolved')", name="ck_conflicts_state"),
    )
    op.create_index("ix_conflicts_state", "conflicts", ["state"])
    op.create_table(
        "sync_state",
        sa.Column(
            "account_id",
            sa.String,
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("state", sa.String),
        sa.Column("last_sync_at", sa.BigInteger),
    )
    for trigger in _COUNT_TRIGGERS:
        op.execute(trigger)
    # This store's identity towards the server, and the next mutation id (protocol: from 1).
    op.bulk_insert(
        meta,
        [
            {"key": "client_id", "value": str(uuid.uuid4())},
            {"key": "next_mutation_id", "value": "1"},
        ],
    )


def downgrade() -> None:
    for name in (
        "sync_state", "conflicts", "outbox", "drafts", "blobs", "attachments",
        "message_bodies", "messages", "mailboxes", "accounts", "meta",
    ):
        op.drop_table(name)
